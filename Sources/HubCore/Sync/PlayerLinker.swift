import Foundation
import HubPostgres

/// Phase 2 of a full sync: links PokerGFX players to WSOP+ players by normalized name (accents,
/// case and spacing ignored; Hangul kept), never touching a player already linked (manual links
/// win) and never guessing: a name that matches several WSOP+ players is reported and left alone.
public struct PlayerLinker: Sendable {
    /// The database.
    public let pool: PostgresPool

    public init(pool: PostgresPool) { self.pool = pool }

    /// What a linking pass did.
    public struct Report: Sendable, Codable, Hashable {
        /// New automatic links.
        public var linked = 0
        /// GFX names that match more than one WSOP+ player (`name: key1, key2`).
        public var ambiguous: [String] = []
    }

    /// Links every unlinked GFX player whose name matches exactly one WSOP+ player.
    public func link() async throws -> Report {
        let gfx = try await pool.query("""
            SELECT g.id, g.name FROM gfx_players g
            WHERE NOT EXISTS (SELECT 1 FROM player_link_mapping m WHERE m.gfx_player_id = g.id)
            """)
        guard !gfx.isEmpty else { return Report() }
        var wsopByKey: [String: [(id: Int64, key: String)]] = [:]
        for row in try await pool.query("SELECT id, player_key, name_key FROM wsop_players") {
            wsopByKey[try row.decode(String.self, at: 2), default: []].append((try row.decode(Int64.self, at: 0), try row.decode(String.self, at: 1)))
        }
        var report = Report()
        var gfxIDs: [Int64] = [], wsopIDs: [Int64] = []
        for row in gfx {
            let name = try row.decode(String.self, at: 1)
            let candidates = wsopByKey[WSOPFields.nameKey(name)] ?? []
            if candidates.count == 1 {
                gfxIDs.append(try row.decode(Int64.self, at: 0))
                wsopIDs.append(candidates[0].id)
            } else if candidates.count > 1 {
                report.ambiguous.append("\(name): \(candidates.map(\.key).sorted().joined(separator: ", "))")
            }
        }
        if !gfxIDs.isEmpty {
            report.linked = try await pool.execute("""
                INSERT INTO player_link_mapping (wsop_player_id, gfx_player_id, method, confidence)
                SELECT w, g, 'auto_name', 1.0 FROM unnest(\(wsopIDs)::bigint[], \(gfxIDs)::bigint[]) AS u(w, g)
                ON CONFLICT (gfx_player_id) DO NOTHING
                """)
        }
        report.ambiguous.sort()
        return report
    }
}
