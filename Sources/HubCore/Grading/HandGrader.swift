import Foundation
import HubPostgres
import Logging

/// Grades imported hands (SPEC §4.1): each shown player's best five of hole cards + board, its
/// category and strength, stored in `hand_grades`; the hand's premium and broadcast-worthy flags
/// follow from them in the `gfx_hand_summary` view. Publishes `hand_created` for every graded hand.
package struct HandGrader: Sendable {
    /// The database.
    package let pool: PostgresPool
    /// Where `hand_created` goes (nil: no events).
    package let events: EventPublisher?
    /// Hands graded per transaction.
    package var batchSize = 500

    /// Creates a grader.
    package init(pool: PostgresPool, events: EventPublisher?) {
        self.pool = pool
        self.events = events
    }

    /// A hand as graded.
    package struct GradedHand: Sendable, Hashable, Codable {
        package var handID: Int64
        package var table: String
        package var handNumber: Int
        package var category: String?
        package var isPremium: Bool
        package var broadcastWorthy: Bool
    }

    /// The grade of one seat, from its hole cards and the board; nil when fewer than five cards are
    /// known (a hand that ended before the board, or mucked cards).
    package static func grade(hole: [Card], board: [Card]) -> (value: HandValue, bestFive: [Card])? {
        let cards = hole + board
        guard hole.count >= 2, cards.count >= 5 else { return nil }
        return (HandEvaluator.evaluate(cards), HandEvaluator.bestFive(cards))
    }

    /// Grades every hand not graded yet, in batches, and publishes `hand_created` for each.
    /// - Returns: the graded hands.
    @discardableResult
    package func gradePending(correlationID: String? = nil) async throws -> [GradedHand] {
        var graded: [GradedHand] = []
        while true {
            let batch = try await gradeBatch()
            if batch.isEmpty { break }
            graded += batch
            await publishCreated(batch, correlationID: correlationID)
        }
        return graded
    }

    /// Publishes `hand_created` for each of `hands`, 256 at a time in one pipeline (the hands of
    /// one pipeline in no particular order; the importer grades the hands it adds, this announces
    /// them).
    package func publishCreated(_ hands: [GradedHand], correlationID: String? = nil) async {
        guard let events, !hands.isEmpty else { return }
        var start = 0
        while start < hands.count {
            let chunk = hands[start..<min(start + 256, hands.count)]
            start += chunk.count
            // Events published at the same moment share one pipeline (EventPublisher's batcher).
            await withTaskGroup(of: Void.self) { group in
                for hand in chunk {
                    group.addTask {
                        await events.publish("hand_created", data: [
                            "hand_id": .integer(hand.handID), "table_id": .string(hand.table), "hand_number": .integer(Int64(hand.handNumber)),
                            "hand_rank": hand.category.map(JSONValue.string) ?? .null, "is_premium": .bool(hand.isPremium),
                            "broadcast_worthy": .bool(hand.broadcastWorthy),
                        ], channels: ["sync-status"], correlationID: correlationID)
                    }
                }
            }
        }
    }

    /// Grades up to ``batchSize`` ungraded hands in one transaction (locked so that two graders
    /// never grade the same hand).
    func gradeBatch() async throws -> [GradedHand] {
        try await pool.withTransaction { connection in
            let rows = try await connection.query("""
                SELECT h.id, h.board_cards, p.id, p.seat, p.hole_cards
                FROM (SELECT id, board_cards FROM gfx_hands WHERE graded_at IS NULL ORDER BY id LIMIT \(batchSize)
                      FOR UPDATE SKIP LOCKED) h
                LEFT JOIN gfx_hand_players p ON p.hand_id = h.id AND cardinality(p.hole_cards) > 0
                ORDER BY h.id, p.seat
                """)
            guard !rows.isEmpty else { return [] }
            var handIDs: [Int64] = []
            var gradeHand: [Int64] = [], seatID: [Int64] = [], seat: [Int] = [], category: [String] = [], rank: [Int] = []
            var strength: [Int] = [], best: [String] = []
            for row in rows {
                let handID = try row.decode(Int64.self, at: 0)
                if handIDs.last != handID { handIDs.append(handID) }
                guard !row.isNull(at: 2) else { continue }
                let board = try row.decode([String].self, at: 1).compactMap { Card($0) }
                let hole = try row.decode([String].self, at: 4).compactMap { Card($0) }
                guard let result = Self.grade(hole: hole, board: board) else { continue }
                gradeHand.append(handID); seatID.append(try row.decode(Int64.self, at: 2)); seat.append(try row.decode(Int.self, at: 3))
                category.append(result.value.category.name); rank.append(result.value.category.rawValue)
                strength.append(result.value.strength); best.append(result.bestFive.map(\.description).joined(separator: " "))
            }
            if !gradeHand.isEmpty {
                try await connection.query("""
                    INSERT INTO hand_grades (hand_id, hand_player_id, seat, category, category_rank, strength, best_five)
                    SELECT h, p, s, c, r, st, string_to_array(b, ' ')
                    FROM unnest(\(gradeHand)::bigint[], \(seatID)::bigint[], \(seat)::bigint[], \(category)::text[],
                                \(rank)::bigint[], \(strength)::bigint[], \(best)::text[]) AS u(h, p, s, c, r, st, b)
                    ON CONFLICT (hand_player_id) DO NOTHING
                    """)
            }
            try await connection.query("UPDATE gfx_hands SET graded_at = now() WHERE id = ANY(\(handIDs))")
            let summary = try await connection.query("""
                SELECT v.id, v.table_id, v.hand_number, v.hand_rank, v.is_premium, v.broadcast_worthy
                FROM hands v WHERE v.id = ANY(\(handIDs)) ORDER BY v.id
                """)
            return try summary.map { row in
                GradedHand(handID: try row.decode(Int64.self, at: 0), table: try row.decode(String.self, at: 1),
                           handNumber: try row.decode(Int.self, at: 2), category: try row.decode(String?.self, at: 3),
                           isPremium: try row.decode(Bool.self, at: 4), broadcastWorthy: try row.decode(Bool.self, at: 5))
            }
        }
    }
}
