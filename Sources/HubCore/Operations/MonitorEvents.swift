import Foundation
import HubPostgres

/// How serious an event or notification is (schema doc §8.2).
package enum AlertLevel: String, Sendable, Codable, CaseIterable, Comparable {
    case info, warning, error, critical

    private var rank: Int { Self.allCases.firstIndex(of: self)! }
    package static func < (lhs: AlertLevel, rhs: AlertLevel) -> Bool { lhs.rank < rhs.rank }
}

/// One anomaly or health event (`monitor_events`).
package struct MonitorEvent: Sendable, Hashable, Codable {
    package var id: Int64
    /// The rule that raised it: `delay`, `error_spike`, `throughput_drop`, `orphan_hand`, `queue_length`, `service_silent`.
    package var rule: String
    /// What it is about within the rule (a hand id, a service id; empty for queue-wide rules).
    package var subject: String
    package var level: AlertLevel
    package var message: String
    package var details: [String: JSONValue]
    package var firstSeen: Date
    package var lastSeen: Date
    /// How many passes saw the condition.
    package var occurrences: Int
    package var resolvedAt: Date?
    package var resolvedBy: String?
    package var resolution: String?
}

/// The `monitor_events` table: a condition that persists keeps one open event (unique per rule and
/// subject while unresolved); operators resolve events, and a rule resolves its own events when
/// the condition clears.
package struct MonitorEventStore: Sendable {
    /// The database.
    package let pool: PostgresPool

    /// Creates a store.
    package init(pool: PostgresPool) { self.pool = pool }

    static let columns: PostgresQuery = "id, rule, subject, level, message, details, first_seen, last_seen, occurrences, resolved_at, resolved_by, resolution"

    static func decode(_ row: PostgresRow) throws -> MonitorEvent {
        MonitorEvent(id: try row.decode(Int64.self, at: 0), rule: try row.decode(String.self, at: 1), subject: try row.decode(String.self, at: 2),
                     level: AlertLevel(rawValue: try row.decode(String.self, at: 3)) ?? .warning, message: try row.decode(String.self, at: 4),
                     details: try row.decode(PostgresJSON<[String: JSONValue]>.self, at: 5).value,
                     firstSeen: try row.decode(Date.self, at: 6), lastSeen: try row.decode(Date.self, at: 7),
                     occurrences: try row.decode(Int.self, at: 8), resolvedAt: try row.decode(Date?.self, at: 9),
                     resolvedBy: try row.decode(String?.self, at: 10), resolution: try row.decode(String?.self, at: 11))
    }

    /// Records that the condition holds at `now`: opens an event, or updates the open one.
    /// - Returns: the event and whether it was opened by this call.
    package func raise(rule: String, subject: String = "", level: AlertLevel, message: String,
                      details: [String: JSONValue] = [:], at now: Date) async throws -> (event: MonitorEvent, opened: Bool) {
        let rows = try await pool.query("""
            INSERT INTO monitor_events (rule, subject, level, message, details, first_seen, last_seen)
            VALUES (\(rule), \(subject), \(level.rawValue), \(message), \(PostgresJSON(details)), \(now), \(now))
            ON CONFLICT (rule, subject) WHERE resolved_at IS NULL DO UPDATE
            SET last_seen = EXCLUDED.last_seen, occurrences = monitor_events.occurrences + 1, message = EXCLUDED.message,
                details = EXCLUDED.details, level = EXCLUDED.level
            RETURNING \(fragment: Self.columns), xmax = 0
            """)
        return (try Self.decode(rows[0]), try rows[0].decode(Bool.self, at: 12))
    }

    /// Resolves the open events of `rule` whose subject is not in `holding` (their condition cleared).
    /// - Returns: the events resolved.
    @discardableResult
    package func resolveCleared(rule: String, holding: [String], at now: Date) async throws -> [MonitorEvent] {
        let rows = try await pool.query("""
            UPDATE monitor_events SET resolved_at = \(now), resolved_by = 'monitor', resolution = 'the condition cleared'
            WHERE rule = \(rule) AND resolved_at IS NULL AND NOT (subject = ANY(\(holding)))
            RETURNING \(fragment: Self.columns)
            """)
        return try rows.map(Self.decode)
    }

    /// An operator resolves event `id`.
    /// - Throws: ``HubError`` `.notFound`, or `.conflict` when it is already resolved.
    package func resolve(_ id: Int64, actor: String, reason: String?) async throws -> MonitorEvent {
        try await pool.withTransaction { connection in
            let rows = try await connection.query("SELECT \(fragment: Self.columns) FROM monitor_events WHERE id = \(id) FOR UPDATE")
            guard let row = rows.first else { throw HubError(.notFound, "event \(id) does not exist: `hubctl monitor events` shows the events") }
            let event = try Self.decode(row)
            if let at = event.resolvedAt {
                throw HubError(.conflict, "event \(id) was already resolved by \(event.resolvedBy ?? "?") at \(ISO8601DateFormatter().string(from: at))")
            }
            let updated = try await connection.query("""
                UPDATE monitor_events SET resolved_at = now(), resolved_by = \(actor), resolution = \(reason)
                WHERE id = \(id) RETURNING \(fragment: Self.columns)
                """)
            try await connection.query("""
                INSERT INTO activity_log (actor, action, entity_type, entity_id, reason, details)
                VALUES (\(actor), 'resolve_event', 'monitor_event', \(String(id)), \(reason),
                        jsonb_build_object('rule', \(event.rule)::text, 'subject', \(event.subject)::text))
                """)
            return try Self.decode(updated[0])
        }
    }

    /// Events, newest first; only unresolved ones when `unresolved`.
    package func list(unresolved: Bool = false, limit: Int = 100) async throws -> [MonitorEvent] {
        let rows = try await pool.query("""
            SELECT \(fragment: Self.columns) FROM monitor_events
            WHERE NOT \(unresolved) OR resolved_at IS NULL
            ORDER BY last_seen DESC, id DESC LIMIT \(max(1, min(limit, 10_000)))
            """)
        return try rows.map(Self.decode)
    }
}
