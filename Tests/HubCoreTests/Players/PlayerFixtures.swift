import Foundation
@testable import HubCore
import HubPostgres
import HubTestSupport

/// Rows for the player, cue and binding tests, written straight into the tables the imports fill.
enum PlayerFixtures {
    static func count(_ pool: PostgresPool, _ table: String) async throws -> Int {
        try await pool.query("SELECT count(*) FROM \(identifier: table)")[0].decode(Int.self, at: 0)
    }

    @discardableResult
    static func wsopPlayer(_ pool: PostgresPool, key: String, name: String, country: String? = nil, photo: String? = nil) async throws -> Int64 {
        try await pool.query("""
            INSERT INTO wsop_players (player_key, name, name_key, country_code, profile_image_url)
            VALUES (\(key), \(name), \(WSOPFields.nameKey(name)), \(country), \(photo)) RETURNING id
            """)[0].decode(Int64.self, at: 0)
    }

    @discardableResult
    static func gfxPlayer(_ pool: PostgresPool, name: String) async throws -> Int64 {
        try await pool.query("""
            INSERT INTO gfx_players (name, name_key) VALUES (\(name), \(name.lowercased().split(separator: " ").joined(separator: " "))) RETURNING id
            """)[0].decode(Int64.self, at: 0)
    }

    static func event(_ pool: PostgresPool, key: String = "EV-\(UUID().uuidString.prefix(6))", name: String = "Main Event") async throws -> (id: Int64, key: String) {
        let id = try await pool.query("INSERT INTO wsop_events (event_key, name) VALUES (\(key), \(name)) RETURNING id")[0].decode(Int64.self, at: 0)
        return (id, key)
    }

    static func chips(_ pool: PostgresPool, event: Int64, player: Int64, _ chips: Int64, at time: Date = Date(timeIntervalSince1970: 1_783_000_000)) async throws {
        try await pool.execute("""
            INSERT INTO wsop_chip_counts (event_id, player_id, chips, recorded_at) VALUES (\(event), \(player), \(chips), \(time))
            """)
    }

    /// One hand in a new GFX session where `player` ends with `endStack`.
    static func gfxHand(_ pool: PostgresPool, player: Int64, endStack: Int64) async throws {
        let session = try await pool.query("""
            INSERT INTO gfx_sessions (gfx_id, table_id) VALUES (\(Int64.random(in: 1...Int64.max / 2)), 'T1') RETURNING id
            """)[0].decode(Int64.self, at: 0)
        let hand = try await pool.query("""
            INSERT INTO gfx_hands (session_id, hand_num, started_at) VALUES (\(session), 1, now()) RETURNING id
            """)[0].decode(Int64.self, at: 0)
        try await pool.execute("""
            INSERT INTO gfx_hand_players (hand_id, player_id, seat, name, start_stack, end_stack)
            VALUES (\(hand), \(player), 1, 'x', \(endStack), \(endStack))
            """)
    }

    static func link(_ pool: PostgresPool, wsop: Int64, gfx: Int64, method: String = "auto_name") async throws {
        try await pool.execute("""
            INSERT INTO player_link_mapping (wsop_player_id, gfx_player_id, method, confidence) VALUES (\(wsop), \(gfx), \(method), 1.0)
            """)
    }

    /// A tiny real PNG (1×1) — ImageProbe reads its IHDR.
    static func pngFile(width: UInt32 = 64, height: UInt32 = 48) throws -> String {
        var bytes: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13]
        bytes += Array("IHDR".utf8)
        for value in [width, height] { bytes += [UInt8(value >> 24), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)] }
        bytes += [8, 2, 0, 0, 0, 0, 0, 0, 0]
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("photo-\(UUID()).png")
        try Data(bytes).write(to: url)
        return url.path
    }

    /// The sample composition description (Samples/aep).
    static var sampleDescription: AEPDescription {
        get throws {
            let url = TestServices.repositoryRoot.appendingPathComponent("Samples/aep/wsop-graphics.json")
            return try AEPDescription.parse(try Data(contentsOf: url), file: url.lastPathComponent)
        }
    }
}
