import Foundation
import HubCore
import HubPostgres
import HubTestSupport

/// Helpers shared by the sync suites: a migrated scratch database, the bundled PokerGFX samples,
/// and temporary folders to build messy export trees in.
enum SyncFixtures {
    /// The two real PokerGFX exports (Samples/gfx/GG, copied byte for byte from the fixtures).
    static let sampleDirectory = TestServices.repositoryRoot.appendingPathComponent("Samples/gfx/GG")
    static let firstName = "PGFX_live_data_export GameID=638961224831992165.json"
    static let secondName = "PGFX_live_data_export GameID=638961999170907267.json"

    static func sample(_ name: String) throws -> Data {
        try Data(contentsOf: sampleDirectory.appendingPathComponent(name))
    }

    /// A pool on a fresh database with every migration applied.
    static func migratedPool(connections: Int = 6) async throws -> PostgresPool {
        let pool = try PostgresPool(url: try await scratchDatabaseURL(), maxConnections: connections)
        try await Migrator(pool: pool).up()
        return pool
    }

    /// A new empty folder whose name has a space and `=` like the NAS folders.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("gfx sync=\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Writes `data` at `relative` under `root`, creating folders.
    @discardableResult
    static func write(_ data: Data, to relative: String, under root: URL) throws -> URL {
        let url = root.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: url)
        return url
    }

    /// The sample export as a JSON value to edit (integers stay exact).
    static func editable(_ name: String) throws -> [String: JSONValue] {
        try JSONDecoder().decode([String: JSONValue].self, from: try sample(name))
    }

    static func encode(_ object: [String: JSONValue]) throws -> Data {
        try JSONEncoder().encode(JSONValue.object(object))
    }

    /// One integer from a query.
    static func count(_ pool: PostgresPool, _ query: PostgresQuery) async throws -> Int {
        try await pool.query(query)[0].decode(Int.self, at: 0)
    }
}

extension JSONValue {
    var arrayValue: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }
}
