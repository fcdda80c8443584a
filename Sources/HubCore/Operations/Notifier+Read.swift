import Foundation
import HubPostgres

extension Notifier {
    /// The live event of a notification marked read (schema doc §6 `notification:read`), on
    /// ``channel`` beside `notification_new`.
    package static let readEvent = "notification_read"

    /// Marks a notification read, records who did in the activity log and publishes
    /// ``readEvent`` on ``channel`` so every open dashboard drops it from its unread list.
    /// Marking one already read answers it as it is (its first `read_at`), without a new event.
    /// - Throws: ``HubError`` `.notFound` for an unknown notification.
    package func markRead(_ id: Int64, actor: String) async throws -> HubNotification {
        let (notification, changed) = try await pool.withTransaction { connection -> (HubNotification, Bool) in
            let updated = try await connection.query("""
                UPDATE notifications SET read_at = now() WHERE id = \(id) AND read_at IS NULL
                RETURNING \(fragment: Self.columns)
                """)
            if let row = updated.first {
                try await connection.execute("""
                    INSERT INTO activity_log (actor, action, entity_type, entity_id, details)
                    VALUES (\(actor), 'notification_read', 'notification', \(String(id)), '{}'::jsonb)
                    """)
                return (try Self.decode(row), true)
            }
            guard let row = try await connection.query("SELECT \(fragment: Self.columns) FROM notifications WHERE id = \(id)").first else {
                throw HubError(.notFound, "notification \(id) does not exist (GET /api/v1/notifications lists them)")
            }
            return (try Self.decode(row), false)
        }
        if changed {
            var data: [String: JSONValue] = ["id": .integer(notification.id), "rule": .string(notification.rule), "read_by": .string(actor)]
            if let readAt = notification.readAt { data["read_at"] = .string(Date.ISO8601FormatStyle(includingFractionalSeconds: true).format(readAt)) }
            await events?.publish(Self.readEvent, data: data, channels: [Self.channel])
        }
        return notification
    }
}
