import Foundation
import HubPostgres

/// The one-pass-per-interval guard of a periodic task (the Zombie Hunter, the monitor): every
/// worker and every cron run asks; the one whose conditional `UPDATE` moves `hunter_runs.last_run`
/// forward acts, the rest skip until the interval has passed. A row lock, not a timer, decides,
/// so clocks and start times of the processes do not matter.
package struct PassGuard: Sendable {
    /// The database.
    package let pool: PostgresPool
    /// The task's row in `hunter_runs`.
    package let name: String

    /// Creates a guard for task `name`.
    package init(pool: PostgresPool, name: String) {
        self.pool = pool
        self.name = name
    }

    /// The last pass: when and by whom.
    package struct LastRun: Sendable, Hashable, Codable {
        package var at: Date?
        package var actor: String?
    }

    /// What ``acquire(actor:interval:force:)`` decided.
    package enum Decision: Sendable {
        /// This caller acts; `cursor` is the task's saved state.
        case act(cursor: [String: JSONValue])
        /// Another pass ran less than an interval ago.
        case skip(LastRun)
    }

    /// Claims this interval's pass. A pass counts as due when the last one began at least 90 % of
    /// `interval` ago, so a process whose timer fires a little early does not miss its turn.
    /// - Parameter force: act even if a pass ran recently (an operator's `hubctl reap --force`).
    package func acquire(actor: String, interval: Duration, force: Bool = false) async throws -> Decision {
        let seconds = interval.seconds
        try await pool.query("INSERT INTO hunter_runs (name) VALUES (\(name)) ON CONFLICT (name) DO NOTHING")
        let rows = try await pool.query("""
            UPDATE hunter_runs SET last_run = now(), last_actor = \(actor)
            WHERE name = \(name) AND (\(force) OR last_run IS NULL OR last_run <= now() - make_interval(secs => \(seconds * 0.9)))
            RETURNING details
            """)
        if let row = rows.first {
            return .act(cursor: try row.decode(PostgresJSON<[String: JSONValue]>.self, at: 0).value)
        }
        return .skip(try await lastRun())
    }

    /// When the last pass began and who ran it.
    package func lastRun() async throws -> LastRun {
        let rows = try await pool.query("SELECT last_run, last_actor FROM hunter_runs WHERE name = \(name)")
        guard let row = rows.first else { return LastRun() }
        return LastRun(at: try row.decode(Date?.self, at: 0), actor: try row.decode(String?.self, at: 1))
    }

    /// Merges `values` into the task's saved state (cursors such as the last notified failure).
    package func save(_ values: [String: JSONValue]) async throws {
        try await pool.query("UPDATE hunter_runs SET details = details || \(PostgresJSON(values)) WHERE name = \(name)")
    }
}
