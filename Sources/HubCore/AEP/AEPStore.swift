import Foundation
import HubPostgres

/// The After Effects metadata in PostgreSQL: `aep_compositions`, `aep_field_keys`, `aep_layers`,
/// `aep_media_sources` (schema doc §5.2).
package struct AEPStore: Sendable {
    package let pool: PostgresPool

    package init(pool: PostgresPool) { self.pool = pool }

    /// What an import did.
    package struct ImportResult: Sendable, Hashable, Codable {
        /// `project/name` of each composition registered (replaced when it existed).
        package var compositions: [String]
        package var layers: Int
        package var fieldKeys: Int
        package var mediaSources: [String]
        /// Templates whose version changed with this import, and the cached renders that retires.
        package var retired: [Retired] = []
    }

    /// A template whose version changed: its completed outputs of another version no longer
    /// serve the render cache.
    package struct Retired: Sendable, Hashable, Codable {
        package var template: String
        package var previousVersion: String?
        package var version: String
        /// Completed outputs of the template rendered with another (or an unknown) version.
        package var outputs: Int
        /// Their instructions (the first 20).
        package var instructions: [Int64]
    }

    /// Registers a description in one transaction: each composition replaces the one of the same
    /// project and name with all its fields and layers; media sources are upserted by kind.
    /// - Throws: ``HubError`` `.usage` when a field names a media source that neither the file
    ///   nor the database has (nothing is written).
    package func importDescription(_ description: AEPDescription, sourceFile: String?, actor: String) async throws -> ImportResult {
        try await pool.withTransaction { connection in
            var known = Set(description.mediaSources.map(\.kind))
            for row in try await connection.query("SELECT kind FROM aep_media_sources") { known.insert(try row.decode(String.self, at: 0)) }
            let missing = description.compositions.flatMap { composition in
                composition.fields.compactMap { field in
                    field.mediaKind.flatMap { known.contains($0) ? nil : "composition \"\(composition.name)\" field \(field.key) uses media source \"\($0)\"" }
                }
            }
            guard missing.isEmpty else {
                throw HubError(.usage, "\(sourceFile ?? "the description") was not imported (nothing written): \(missing.joined(separator: "; ")), which is not registered: add it to media_sources")
            }
            for source in description.mediaSources {
                try await connection.execute("""
                    INSERT INTO aep_media_sources (kind, path_pattern, fallback) VALUES (\(source.kind), \(source.pathPattern), \(source.fallback))
                    ON CONFLICT (kind) DO UPDATE SET path_pattern = excluded.path_pattern, fallback = excluded.fallback, updated_at = now()
                    """)
            }
            var result = ImportResult(compositions: [], layers: 0, fieldKeys: 0, mediaSources: description.mediaSources.map(\.kind))
            for (project, version) in description.projectVersions.sorted(by: { $0.key < $1.key }) {
                let previous = try await connection.query("SELECT version FROM render_template_versions WHERE template = \(project) FOR UPDATE")
                    .first.map { try $0.decode(String.self, at: 0) }
                try await connection.execute("""
                    INSERT INTO render_template_versions (template, version, declared, updated_by) VALUES (\(project), \(version.version), \(version.declared), \(actor))
                    ON CONFLICT (template) DO UPDATE SET version = EXCLUDED.version, declared = EXCLUDED.declared,
                        updated_by = EXCLUDED.updated_by, updated_at = now()
                    """)
                guard previous != version.version else { continue }
                let stale = try await connection.query("""
                    SELECT count(*), coalesce((array_agg(DISTINCT r.id ORDER BY r.id))[1:20], '{}')
                    FROM render_outputs o JOIN render_instructions r ON r.id = o.instruction_id
                    WHERE r.template_name = \(project) AND o.status = 'completed' AND o.template_version IS NOT DISTINCT FROM \(previous)
                    """)[0]
                let outputs = try stale.decode(Int.self, at: 0)
                if previous != nil || outputs > 0 {
                    result.retired.append(Retired(template: project, previousVersion: previous, version: version.version,
                                                  outputs: outputs, instructions: try stale.decode([Int64].self, at: 1)))
                }
            }
            for composition in description.compositions {
                try await connection.execute("DELETE FROM aep_compositions WHERE project = \(composition.project) AND name = \(composition.name)")
                let id = try await connection.query("""
                    INSERT INTO aep_compositions (project, name, width, height, fps, duration_frames, description, source_file, imported_by,
                                                  max_render_seconds, required_tags, max_concurrent)
                    VALUES (\(composition.project), \(composition.name), \(composition.width), \(composition.height), \(composition.fps),
                            \(composition.durationFrames), \(composition.description), \(sourceFile), \(actor), \(composition.maxRenderSeconds),
                            \(composition.requiredTags ?? [])::text[], \(composition.maxConcurrentRenders))
                    RETURNING id
                    """)[0].decode(Int64.self, at: 0)
                let fields = composition.fields
                let fieldRows = try await connection.query("""
                    INSERT INTO aep_field_keys (composition_id, field_key, pattern_type, slot_count, value_kind, layer_pattern, required, format, media_kind)
                    SELECT \(id), k, p, s, v, l, r, f, m
                    FROM unnest(\(fields.map(\.key)), \(fields.map(\.pattern.rawValue)), \(PostgresNullableArray(fields.map(\.slotCount)))::integer[],
                                \(fields.map(\.kind.rawValue)), \(fields.map(\.layerPattern)), \(fields.map(\.required)),
                                \(fields.map(\.format.rawValue)), \(PostgresNullableArray(fields.map(\.mediaKind)))::text[]) AS u(k, p, s, v, l, r, f, m)
                    RETURNING id, field_key
                    """)
                var fieldIDs: [String: Int64] = [:]
                for row in fieldRows { fieldIDs[try row.decode(String.self, at: 1)] = try row.decode(Int64.self, at: 0) }
                let layers = composition.layers
                try await connection.execute("""
                    INSERT INTO aep_layers (composition_id, name, layer_type, field_key_id, slot)
                    SELECT \(id), n, t, f, s
                    FROM unnest(\(layers.map(\.name)), \(layers.map(\.type.rawValue)),
                                \(PostgresNullableArray(layers.map { $0.fieldKey.flatMap { fieldIDs[$0] } }))::bigint[],
                                \(PostgresNullableArray(layers.map(\.slot)))::integer[]) AS u(n, t, f, s)
                    """)
                result.compositions.append("\(composition.project)/\(composition.name)")
                result.layers += layers.count
                result.fieldKeys += fields.count
            }
            return result
        }
    }

    /// The registered composition.
    /// - Throws: ``HubError`` `.notFound` saying how to register it.
    package func composition(project: String, name: String) async throws -> AEPComposition {
        let rows = try await pool.query("""
            SELECT id, width, height, fps, duration_frames, description, max_render_seconds, required_tags, max_concurrent
            FROM aep_compositions WHERE project = \(project) AND name = \(name)
            """)
        guard let row = rows.first else {
            throw HubError(.notFound, "composition \"\(name)\" of project \"\(project)\" is not registered: describe it and run hubctl aep import FILE")
        }
        let id = try row.decode(Int64.self, at: 0)
        let fields = try await pool.query("""
            SELECT field_key, pattern_type, slot_count, value_kind, layer_pattern, required, format, media_kind
            FROM aep_field_keys WHERE composition_id = \(id) ORDER BY id
            """).map { field in
            AEPFieldKey(key: try field.decode(String.self, at: 0), pattern: AEPFieldKey.Pattern(rawValue: try field.decode(String.self, at: 1)) ?? .single,
                        slotCount: try field.decode(Int?.self, at: 2), kind: AEPFieldKey.Kind(rawValue: try field.decode(String.self, at: 3)) ?? .text,
                        layerPattern: try field.decode(String.self, at: 4), required: try field.decode(Bool.self, at: 5),
                        format: AEPFieldKey.Format(rawValue: try field.decode(String.self, at: 6)) ?? .auto, mediaKind: try field.decode(String?.self, at: 7))
        }
        let layers = try await pool.query("""
            SELECT l.name, l.layer_type, f.field_key, l.slot FROM aep_layers l LEFT JOIN aep_field_keys f ON f.id = l.field_key_id
            WHERE l.composition_id = \(id) ORDER BY l.id
            """).map { layer in
            AEPLayer(name: try layer.decode(String.self, at: 0), type: AEPLayer.LayerType(rawValue: try layer.decode(String.self, at: 1)) ?? .other,
                     fieldKey: try layer.decode(String?.self, at: 2), slot: try layer.decode(Int?.self, at: 3))
        }
        return AEPComposition(project: project, name: name, width: try row.decode(Int.self, at: 1), height: try row.decode(Int.self, at: 2),
                              fps: try row.decode(Int.self, at: 3), durationFrames: try row.decode(Int?.self, at: 4),
                              description: try row.decode(String?.self, at: 5), fields: fields, layers: layers,
                              maxRenderSeconds: try row.decode(Int?.self, at: 6), requiredTags: try row.decode([String].self, at: 7),
                              maxConcurrentRenders: try row.decode(Int?.self, at: 8))
    }

    /// Every media source.
    package func mediaSources() async throws -> [AEPMediaSource] {
        try await pool.query("SELECT kind, path_pattern, fallback FROM aep_media_sources ORDER BY kind").map {
            AEPMediaSource(kind: try $0.decode(String.self, at: 0), pathPattern: try $0.decode(String.self, at: 1), fallback: try $0.decode(String?.self, at: 2))
        }
    }

    /// One line per registered composition.
    package struct Summary: Sendable, Hashable, Codable {
        package var project: String
        package var name: String
        package var fields: [String]
        package var layers: Int
        package var importedAt: Date
    }

    /// The registered compositions.
    package func list() async throws -> [Summary] {
        try await pool.query("""
            SELECT c.project, c.name,
                   coalesce((SELECT array_agg(f.field_key || CASE WHEN f.pattern_type = 'slot' THEN '[' || f.slot_count || ']' ELSE '' END ORDER BY f.id)
                             FROM aep_field_keys f WHERE f.composition_id = c.id), '{}'),
                   (SELECT count(*) FROM aep_layers l WHERE l.composition_id = c.id)::integer, c.imported_at
            FROM aep_compositions c ORDER BY c.project, c.name
            """).map {
            Summary(project: try $0.decode(String.self, at: 0), name: try $0.decode(String.self, at: 1), fields: try $0.decode([String].self, at: 2),
                    layers: try $0.decode(Int.self, at: 3), importedAt: try $0.decode(Date.self, at: 4))
        }
    }
}
