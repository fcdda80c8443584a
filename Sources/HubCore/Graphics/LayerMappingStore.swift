import Foundation
import HubPostgres

/// Layer mappings in PostgreSQL (`aep_layer_mappings`, `aep_project_fields`), imported by
/// `hubctl graphics mapping import FILE`.
package struct LayerMappingStore: Sendable {
    package let pool: PostgresPool

    package init(pool: PostgresPool) { self.pool = pool }

    /// What an import wrote.
    package struct ImportResult: Sendable, Hashable, Codable {
        package var project: String
        package var compositions: Int
        package var mappings: Int
        package var commonFields: Int
    }

    /// Replaces the project's mapping with `mapping` in one transaction.
    package func importMapping(_ mapping: LayerMapping, sourceFile: String?) async throws -> ImportResult {
        try await pool.withTransaction { connection in
            try await connection.execute("DELETE FROM aep_layer_mappings WHERE project = \(mapping.project)")
            try await connection.execute("DELETE FROM aep_project_fields WHERE project = \(mapping.project)")
            var compositions: [String] = []
            var keys: [String] = []
            var layers: [String] = []
            for (composition, fields) in mapping.compositions {
                for (key, layer) in fields {
                    compositions.append(composition)
                    keys.append(key)
                    layers.append(layer)
                }
            }
            try await connection.execute("""
                INSERT INTO aep_layer_mappings (project, composition, field_key, layer_name, source_file)
                SELECT \(mapping.project), c, k, l, \(sourceFile) FROM unnest(\(compositions), \(keys), \(layers)) AS u(c, k, l)
                """)
            let common = mapping.commonFields.sorted { $0.key < $1.key }
            try await connection.execute("""
                INSERT INTO aep_project_fields (project, field_key, value)
                SELECT \(mapping.project), k, v FROM unnest(\(common.map(\.key)), \(common.map(\.value))) AS u(k, v)
                """)
            return ImportResult(project: mapping.project, compositions: mapping.compositions.count, mappings: keys.count, commonFields: common.count)
        }
    }

    /// The project's mapping; an empty one (every field fills the layer named like its key) when
    /// none was imported.
    package func mapping(project: String) async throws -> LayerMapping {
        var mapping = LayerMapping(project: project)
        for row in try await pool.query("SELECT composition, field_key, layer_name FROM aep_layer_mappings WHERE project = \(project)") {
            mapping.compositions[try row.decode(String.self, at: 0), default: [:]][try row.decode(String.self, at: 1)] = try row.decode(String.self, at: 2)
        }
        for row in try await pool.query("SELECT field_key, value FROM aep_project_fields WHERE project = \(project)") {
            mapping.commonFields[try row.decode(String.self, at: 0)] = try row.decode(String.self, at: 1)
        }
        return mapping
    }
}
