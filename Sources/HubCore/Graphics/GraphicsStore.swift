import Foundation
import HubPostgres

/// The graphics catalog in PostgreSQL and the moments graphics are made of: loads
/// `Graphics/catalog.json` into `graphics_catalog`/`graphics_compositions` (with a cue template
/// `graphics:<name>` per composition), and reads a ``GraphicsMoment`` of a PokerGFX session.
package struct GraphicsStore: Sendable {
    package let pool: PostgresPool

    package init(pool: PostgresPool) { self.pool = pool }

    /// What loading a catalog did.
    package struct LoadResult: Sendable, Hashable, Codable {
        package var project: String
        package var compositions: Int
        /// Compositions no longer in the file, removed.
        package var removed: [String]
        /// Compositions no longer in the file but kept because a cue rule uses them.
        package var kept: [String]
    }

    /// The cue template of a catalog composition.
    package static func templateName(_ composition: String) -> String { "graphics:\(composition)" }

    /// Loads `catalog` in one transaction: every composition replaces the one of the same name;
    /// compositions the file no longer has are removed unless a cue rule uses them.
    package func load(_ catalog: GraphicsCatalog, sourceFile: String?, actor: String) async throws -> LoadResult {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var settings = catalog
        settings.compositions = []
        let settingsJSON = String(decoding: try encoder.encode(settings), as: UTF8.self)
        let definitions = try catalog.compositions.map { String(decoding: try encoder.encode($0), as: UTF8.self) }
        return try await pool.withTransaction { connection in
            try await connection.execute("""
                INSERT INTO graphics_catalog (only_row, name, version, project, settings, source_file, loaded_by)
                VALUES (true, \(catalog.catalog), \(catalog.version), \(catalog.project), \(settingsJSON)::jsonb, \(sourceFile), \(actor))
                ON CONFLICT (only_row) DO UPDATE SET name = excluded.name, version = excluded.version, project = excluded.project,
                    settings = excluded.settings, source_file = excluded.source_file, loaded_by = excluded.loaded_by, loaded_at = now()
                """)
            let names = catalog.compositions.map(\.name)
            try await connection.execute("""
                INSERT INTO graphics_compositions (name, category, render_type, slots, project, position, definition, source_file, loaded_by)
                SELECT n, c, r, s, \(catalog.project), p, d::jsonb, \(sourceFile), \(actor)
                FROM unnest(\(names), \(catalog.compositions.map(\.category.rawValue)), \(catalog.compositions.map(\.renderType)),
                            \(catalog.compositions.map(\.slots)), \(names.indices.map { $0 + 1 }), \(definitions))
                     AS u(n, c, r, s, p, d)
                ON CONFLICT (name) DO UPDATE SET category = excluded.category, render_type = excluded.render_type, slots = excluded.slots,
                    project = excluded.project, position = excluded.position, definition = excluded.definition,
                    source_file = excluded.source_file, loaded_by = excluded.loaded_by, loaded_at = now()
                """)
            var removed: [String] = []
            var kept: [String] = []
            for row in try await connection.query("""
                SELECT g.name, EXISTS (SELECT 1 FROM cue_rules r WHERE r.composition = g.name)
                FROM graphics_compositions g WHERE g.name <> ALL(\(names)) ORDER BY g.name
                """) {
                let name = try row.decode(String.self, at: 0)
                if try row.decode(Bool.self, at: 1) { kept.append(name) } else { removed.append(name) }
            }
            try await connection.execute("DELETE FROM graphics_compositions WHERE name = ANY(\(removed))")
            let templates = names.map(Self.templateName)
            try await connection.execute("""
                INSERT INTO cue_templates (name, cue_type, aep_project, aep_composition, output_format, priority, description)
                SELECT t, 'graphic', \(catalog.project), n, 'png', 2, 'graphics catalog: ' || n FROM unnest(\(templates), \(names)) AS u(t, n)
                ON CONFLICT (name) DO UPDATE SET cue_type = 'graphic', aep_project = excluded.aep_project, aep_composition = excluded.aep_composition
                """)
            return LoadResult(project: catalog.project, compositions: names.count, removed: removed, kept: kept)
        }
    }

    /// The loaded catalog.
    /// - Throws: ``HubError`` `.notFound` when none was loaded, saying how to load it.
    package func catalog() async throws -> GraphicsCatalog {
        try await pool.withConnection { connection in
            guard let header = try await connection.query("SELECT settings::text FROM graphics_catalog").first else {
                throw HubError(.notFound, "no graphics catalog is loaded: load it with hubctl graphics import Graphics/catalog.json")
            }
            var catalog = try JSONDecoder().decode(GraphicsCatalog.self, from: Data(try header.decode(String.self, at: 0).utf8))
            catalog.compositions = try await connection.query("SELECT definition::text FROM graphics_compositions ORDER BY position, name").map {
                try JSONDecoder().decode(GraphicsCatalog.Composition.self, from: Data(try $0.decode(String.self, at: 0).utf8))
            }
            return catalog
        }
    }
}
