import Foundation
import HubPostgres

/// Phase 2 of a full sync (and `hubctl players link --auto`): links PokerGFX players to WSOP+ players by normalized name (accents,
/// case and spacing ignored; Hangul kept), never touching a player already linked (manual links
/// win) and never guessing: a name that matches several WSOP+ players is reported and left alone.
package struct PlayerLinker: Sendable {
    /// The database.
    package let pool: PostgresPool

    package init(pool: PostgresPool) { self.pool = pool }

    /// What a linking pass did.
    package struct Report: Sendable, Codable, Hashable {
        /// New automatic links.
        package var linked = 0
        /// Matches left alone: a GFX name that matches several WSOP+ players (`name: key1, key2`), or a
        /// WSOP+ player that several GFX players match (`key: gfx:1 name, gfx:2 name`).
        package var ambiguous: [String] = []
    }

    /// Links every unlinked GFX player whose name matches exactly one unlinked WSOP+ player and
    /// no other unlinked GFX player matches that WSOP+ player. Pairs an operator unlinked
    /// (`player_link_blocks`) are never linked again.
    package func link() async throws -> Report {
        let gfx = try await pool.query("""
            SELECT g.id, g.name FROM gfx_players g
            WHERE NOT EXISTS (SELECT 1 FROM player_link_mapping m WHERE m.gfx_player_id = g.id)
            ORDER BY g.id
            """)
        guard !gfx.isEmpty else { return Report() }
        var wsopByKey: [String: [(id: Int64, key: String)]] = [:]
        for row in try await pool.query("""
            SELECT w.id, w.player_key, w.name_key FROM wsop_players w
            WHERE NOT EXISTS (SELECT 1 FROM player_link_mapping m WHERE m.wsop_player_id = w.id)
            """) {
            wsopByKey[try row.decode(String.self, at: 2), default: []].append((try row.decode(Int64.self, at: 0), try row.decode(String.self, at: 1)))
        }
        var blocked: Set<String> = []
        for row in try await pool.query("SELECT wsop_player_id, gfx_player_id FROM player_link_blocks") {
            blocked.insert("\(try row.decode(Int64.self, at: 0)):\(try row.decode(Int64.self, at: 1))")
        }
        var report = Report()
        // Candidates per GFX player, then the GFX players claiming each WSOP+ player.
        var proposals: [(gfx: Int64, name: String, wsop: (id: Int64, key: String))] = []
        for row in gfx {
            let gfxID = try row.decode(Int64.self, at: 0)
            let name = try row.decode(String.self, at: 1)
            let candidates = (wsopByKey[WSOPFields.nameKey(name)] ?? []).filter { !blocked.contains("\($0.id):\(gfxID)") }
            if candidates.count == 1 {
                proposals.append((gfxID, name, candidates[0]))
            } else if candidates.count > 1 {
                report.ambiguous.append("\(name): \(candidates.map(\.key).sorted().joined(separator: ", "))")
            }
        }
        let claims = Dictionary(grouping: proposals, by: \.wsop.id)
        var gfxIDs: [Int64] = [], wsopIDs: [Int64] = []
        for (wsopID, claimants) in claims {
            if claimants.count == 1 {
                gfxIDs.append(claimants[0].gfx)
                wsopIDs.append(wsopID)
            } else {
                report.ambiguous.append("\(claimants[0].wsop.key): \(claimants.map { "gfx:\($0.gfx) \($0.name)" }.joined(separator: ", "))")
            }
        }
        if !gfxIDs.isEmpty {
            report.linked = try await pool.execute("""
                INSERT INTO player_link_mapping (wsop_player_id, gfx_player_id, method, confidence)
                SELECT w, g, 'auto_name', 1.0 FROM unnest(\(wsopIDs)::bigint[], \(gfxIDs)::bigint[]) AS u(w, g)
                ON CONFLICT DO NOTHING
                """)
        }
        report.ambiguous.sort()
        return report
    }
}
