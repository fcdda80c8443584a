import Foundation
import HubPostgres

/// Phase 3 of a full sync: premium hands (full house or better) that have no render instruction
/// yet — the "orphan" rule of SPEC §7.1 — get one, submitted through the render queue with
/// trigger `premium_hand` and the hand id, so a hand is never queued twice.
package struct PremiumOrphans: Sendable {
    /// The render queue (its public submit API).
    package let queue: RenderQueue
    /// The template premium hands render with.
    package var template: String

    /// Advisory lock so two full syncs never queue the same hand ("hubsync" + 3).
    static let lockKey: Int64 = 0x6875_6273_796E_6303

    package init(queue: RenderQueue, template: String = "premium_hand") {
        self.queue = queue
        self.template = template
    }

    /// Submits an instruction for each premium hand without one.
    /// - Returns: the ids of the new instructions (empty when another run holds the lock).
    package func queueMissing(actor: String = "hub-sync") async throws -> [Int64] {
        let pool = queue.store.pool
        return try await pool.withConnection { lockConnection in
            let locked = try await lockConnection.query("SELECT pg_try_advisory_lock(\(Self.lockKey))")
            guard try locked[0].decode(Bool.self, at: 0) else { return [] }
            do {
                let orphans = try await pool.query("""
                    SELECT h.id, h.table_id, h.hand_number, h.hand_rank, h.community_cards, h.winner, h.players
                    FROM hands h
                    WHERE h.id IN (SELECT hand_id FROM hand_grades WHERE is_premium) AND NOT EXISTS (
                        SELECT 1 FROM render_instructions r WHERE r.trigger_type = 'premium_hand' AND r.trigger_id = h.id::text)
                    ORDER BY h.id
                    """)
                var created: [Int64] = []
                for row in orphans {
                    let handID = try row.decode(Int64.self, at: 0)
                    let players = try row.decode(PostgresJSON<[JSONValue]>.self, at: 6).value
                    var layers: [String: JSONValue] = [
                        "Table": .string(try row.decode(String.self, at: 1)),
                        "Hand": .integer(Int64(try row.decode(Int.self, at: 2))),
                        "Rank": .string((try row.decode(String?.self, at: 3) ?? "").replacingOccurrences(of: "_", with: " ")),
                        "Board": .string(try row.decode([String].self, at: 4).joined(separator: " ")),
                        "Winner": .string(try row.decode(String?.self, at: 5) ?? ""),
                    ]
                    // The shown hands as numbered slot layers ("Name 1", "Cards 1", …), as cue graphics bind lists.
                    var slot = 0
                    for case .object(let player) in players {
                        guard case .array(let cards)? = player["hole_cards"], !cards.isEmpty else { continue }
                        slot += 1
                        layers["Name \(slot)"] = player["name"] ?? .string("")
                        layers["Cards \(slot)"] = .string(cards.compactMap { if case .string(let c) = $0 { c } else { nil } }.joined(separator: " "))
                    }
                    let submission = RenderSubmission(templateName: template, layerData: layers, outputSettings: OutputSettings(format: .png),
                                                      priority: 3, trigger: .premiumHand, triggerID: String(handID))
                    created.append(try await queue.submit(submission, actor: actor).instruction.id)
                }
                _ = try await lockConnection.query("SELECT pg_advisory_unlock(\(Self.lockKey))")
                return created
            } catch {
                _ = try? await lockConnection.query("SELECT pg_advisory_unlock(\(Self.lockKey))")
                throw error
            }
        }
    }
}
