import Foundation
import HubPostgres

/// Reads ``Hand``s: one statement for the page, one for its players and one for its events,
/// whatever the page size. Pages are newest first and keyed by the last hand (a cursor stays
/// valid while new hands arrive).
public struct HandStore: Sendable {
    package let pool: PostgresPool

    package init(pool: PostgresPool) { self.pool = pool }

    /// The hands matching `query`, newest first.
    /// - Throws: ``HubError`` `.usage` for a limit outside 1…500 or a malformed cursor.
    public func hands(_ query: HandQuery = HandQuery()) async throws -> HandPage {
        guard (1...500).contains(query.limit) else {
            throw HubError(.usage, "limit must be 1…500 (got \(query.limit))")
        }
        var after: Int64?
        if let cursor = query.cursor {
            guard let id = Int64(cursor), id > 0 else {
                throw HubError(.usage, "cursor '\(cursor)' is not a cursor of this API: pass next_cursor of the previous page")
            }
            after = id
        }
        let rows = try await pool.query("""
            SELECT h.id, s.gfx_id, s.table_id, h.hand_num, h.started_at, h.imported_at, h.game_variant, h.bet_structure,
                   h.ante_amt, h.pot, h.board_cards, h.winner_seat, v.winner, v.hand_rank, v.is_premium, v.broadcast_worthy
            FROM hands v
            JOIN gfx_hands h ON h.id = v.id
            JOIN gfx_sessions s ON s.id = h.session_id
            WHERE (\(query.gameID)::bigint IS NULL OR s.gfx_id = \(query.gameID))
              AND (\(query.tableID)::text IS NULL OR s.table_id = \(query.tableID))
              AND (\(query.startedFrom)::timestamptz IS NULL OR h.started_at >= \(query.startedFrom))
              AND (\(query.startedBefore)::timestamptz IS NULL OR h.started_at < \(query.startedBefore))
              AND (\(query.premium)::boolean IS NULL OR v.is_premium = \(query.premium))
              AND (\(query.broadcastWorthy)::boolean IS NULL OR v.broadcast_worthy = \(query.broadcastWorthy))
              AND (\(after)::bigint IS NULL OR (h.started_at, h.id) < (SELECT c.started_at, c.id FROM gfx_hands c WHERE c.id = \(after)))
            ORDER BY h.started_at DESC, h.id DESC
            LIMIT \(query.limit + 1)
            """)
        var hands = try rows.prefix(query.limit).map(Self.hand)
        try await attachDetails(&hands)
        return HandPage(hands: hands, nextCursor: rows.count > query.limit ? hands.last.map { String($0.id) } : nil)
    }

    /// One hand by the hub's id.
    /// - Throws: ``HubError`` `.notFound` when there is none.
    public func hand(id: Int64) async throws -> Hand {
        try await single(id: id, missing: "hand \(id) does not exist: list hands with `hubctl hands list`")
    }

    /// One hand by game (the PokerGFX GameID) and hand number; a restarted hand number gives the
    /// later of the two hands.
    /// - Throws: ``HubError`` `.notFound` when there is none.
    public func hand(game: Int64, number: Int) async throws -> Hand {
        let rows = try await pool.query("""
            SELECT h.id FROM gfx_hands h JOIN gfx_sessions s ON s.id = h.session_id
            WHERE s.gfx_id = \(game) AND h.hand_num = \(number) ORDER BY h.started_at DESC LIMIT 1
            """)
        guard let row = rows.first else {
            throw HubError(.notFound, "game \(game) has no hand \(number): list its hands with `hubctl hands list --game \(game)`")
        }
        return try await hand(id: try row.decode(Int64.self, at: 0))
    }

    private func single(id: Int64, missing: String) async throws -> Hand {
        let rows = try await pool.query("""
            SELECT h.id, s.gfx_id, s.table_id, h.hand_num, h.started_at, h.imported_at, h.game_variant, h.bet_structure,
                   h.ante_amt, h.pot, h.board_cards, h.winner_seat, v.winner, v.hand_rank, v.is_premium, v.broadcast_worthy
            FROM hands v JOIN gfx_hands h ON h.id = v.id JOIN gfx_sessions s ON s.id = h.session_id
            WHERE h.id = \(id)
            """)
        guard let row = rows.first else { throw HubError(.notFound, missing) }
        var hands = [try Self.hand(row)]
        try await attachDetails(&hands)
        return hands[0]
    }

    static func hand(_ row: PostgresRow) throws -> Hand {
        Hand(id: try row.decode(Int64.self, at: 0), gameID: try row.decode(Int64.self, at: 1), tableID: try row.decode(String.self, at: 2),
             handNumber: try row.decode(Int.self, at: 3), startedAt: try row.decode(Date.self, at: 4), importedAt: try row.decode(Date.self, at: 5),
             gameVariant: try row.decode(String.self, at: 6), betStructure: try row.decode(String.self, at: 7), ante: try row.decode(Int64.self, at: 8),
             pot: try row.decode(Int64.self, at: 9), board: try row.decode([String].self, at: 10), winnerSeat: try row.decode(Int?.self, at: 11),
             winner: try row.decode(String?.self, at: 12), grade: (try row.decode(String?.self, at: 13)).flatMap(HandCategory.init(name:)),
             isPremium: try row.decode(Bool?.self, at: 14) ?? false, isBroadcastWorthy: try row.decode(Bool?.self, at: 15) ?? false)
    }

    /// Fills in the players and events of `hands` (two statements, run at once).
    private func attachDetails(_ hands: inout [Hand]) async throws {
        guard !hands.isEmpty else { return }
        let ids = hands.map(\.id)
        async let playerRows = pool.query("""
            SELECT p.hand_id, p.seat, p.name, p.long_name, p.player_id, p.start_stack, p.end_stack, p.hole_cards, p.sitting_out,
                   p.elimination_rank, p.vpip_percent, p.pfr_percent, g.category
            FROM gfx_hand_players p LEFT JOIN hand_grades g ON g.hand_player_id = p.id
            WHERE p.hand_id = ANY(\(ids)) ORDER BY p.hand_id, p.seat
            """)
        async let eventRows = pool.query("""
            SELECT hand_id, seq, event_type, player_num, bet_amt, pot, board_card, occurred_at
            FROM gfx_events WHERE hand_id = ANY(\(ids)) ORDER BY hand_id, seq
            """)
        var players: [Int64: [Hand.Player]] = [:]
        for row in try await playerRows {
            let rank = try row.decode(Int.self, at: 9)
            players[try row.decode(Int64.self, at: 0), default: []].append(Hand.Player(
                seat: try row.decode(Int.self, at: 1), name: try row.decode(String.self, at: 2), longName: try row.decode(String.self, at: 3),
                playerID: try row.decode(Int64?.self, at: 4), startStack: try row.decode(Int64.self, at: 5), endStack: try row.decode(Int64.self, at: 6),
                holeCards: try row.decode([String].self, at: 7), sittingOut: try row.decode(Bool.self, at: 8), eliminationRank: rank > 0 ? rank : nil,
                vpipPercent: try row.decode(Double.self, at: 10), pfrPercent: try row.decode(Double.self, at: 11),
                category: (try row.decode(String?.self, at: 12)).flatMap(HandCategory.init(name:))))
        }
        var events: [Int64: [Hand.Event]] = [:]
        for row in try await eventRows {
            events[try row.decode(Int64.self, at: 0), default: []].append(Hand.Event(
                sequence: try row.decode(Int.self, at: 1), type: try row.decode(String.self, at: 2), seat: try row.decode(Int.self, at: 3),
                amount: try row.decode(Int64.self, at: 4), pot: try row.decode(Int64.self, at: 5), boardCard: try row.decode(String?.self, at: 6),
                occurredAt: try row.decode(Date?.self, at: 7)))
        }
        for index in hands.indices {
            hands[index].players = players[hands[index].id] ?? []
            hands[index].events = events[hands[index].id] ?? []
        }
    }
}
