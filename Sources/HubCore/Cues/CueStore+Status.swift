import Foundation
import HubPostgres

extension CueItemStatus {
    /// The states an operator may set by hand (schema doc §9 `PATCH /api/v1/items/:id/status`):
    /// `pending` re-arms an item, `completed` marks one played without a render here,
    /// `cancelled` skips it. `queued` and `rendering` come only from a trigger and its render
    /// instruction, `failed` only from the instruction.
    package static let settableByHand: [CueItemStatus] = [.pending, .completed, .cancelled]
}

extension CueStore {
    /// Sets an item's status by hand, with an activity log entry. An item whose render is in
    /// flight is refused: cancelling its instruction moves it.
    /// - Throws: ``HubError`` `.usage` for a status not in ``CueItemStatus/settableByHand``,
    ///   `.conflict` for an item that is queued or rendering, `.notFound` for an unknown item.
    package func setItemStatus(_ id: Int64, to status: CueItemStatus, actor: String, reason: String? = nil) async throws -> CueItem {
        guard CueItemStatus.settableByHand.contains(status) else {
            throw HubError(.usage, "a cue item cannot be set to \(status.rawValue) by hand: use \(CueItemStatus.settableByHand.map(\.rawValue).joined(separator: ", "))"
                + " (an item is queued and rendering only through a trigger)")
        }
        try await pool.withTransaction { connection in
            let rows = try await connection.query("SELECT status, render_instruction_id FROM cue_items WHERE id = \(id) FOR UPDATE")
            guard let row = rows.first else { throw HubError(.notFound, "cue item \(id) does not exist (hubctl cue item list SHEET lists them)") }
            let current = CueItemStatus(rawValue: try row.decode(String.self, at: 0)) ?? .pending
            if current.isInFlight {
                let instruction = try row.decode(Int64?.self, at: 1).map(String.init) ?? "ID"
                throw HubError(.conflict, "cue item \(id) is \(current.rawValue) (instruction \(instruction)): wait for it, or cancel the instruction with POST /api/actions/cancel")
            }
            try await connection.execute("""
                UPDATE cue_items SET status = \(status.rawValue), updated_at = now(),
                       error = CASE WHEN \(status.rawValue) = 'pending' THEN NULL ELSE error END,
                       completed_at = CASE WHEN \(status.rawValue) = 'pending' THEN NULL ELSE now() END
                WHERE id = \(id)
                """)
            try await connection.execute("""
                INSERT INTO activity_log (actor, action, entity_type, entity_id, reason, details)
                VALUES (\(actor), 'cue_item_status', 'cue_item', \(String(id)), \(reason),
                        \(PostgresJSON(["from": JSONValue.string(current.rawValue), "to": .string(status.rawValue)])))
                """)
        }
        return try await item(id)
    }
}

extension CueDirector {
    /// Sets an item's status by hand (``CueStore/setItemStatus(_:to:actor:reason:)``) and
    /// publishes `cue_item_updated` on its session's channel, as every other item change does.
    package func setItemStatus(_ id: Int64, to status: CueItemStatus, actor: String, reason: String? = nil) async throws -> CueItem {
        let item = try await store.setItemStatus(id, to: status, actor: actor, reason: reason)
        await publish(item)
        return item
    }
}
