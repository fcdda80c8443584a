import Foundation
import HubPostgres

extension DashboardQuery {
    /// How many open alerts a snapshot lists at most.
    package static let alertLimit = 20

    /// The open (unresolved) monitor events, newest first (by `first_seen`, then id: a persisting
    /// condition's passes bump `last_seen` every interval, and the list should not reshuffle under
    /// an operator's Resolve button), at most `limit`, and how many are open in all.
    ///
    /// Reads only open events: the predicate `resolved_at IS NULL` is that of the partial index
    /// `monitor_events_open_idx`, so resolved history does not make it slower.
    package func openAlerts(limit: Int = DashboardQuery.alertLimit) async throws -> (alerts: [DashboardSnapshot.AlertRow], open: Int) {
        let rows = try await pool.query("""
            SELECT id, level, rule, subject, message, first_seen, last_seen, occurrences, count(*) OVER ()::bigint
            FROM monitor_events
            WHERE resolved_at IS NULL
            ORDER BY first_seen DESC, id DESC
            LIMIT \(max(1, min(limit, 1000)))
            """)
        let alerts = try rows.map { row in
            DashboardSnapshot.AlertRow(
                id: try row.decode(Int64.self, at: 0), level: try row.decode(String.self, at: 1),
                rule: try row.decode(String.self, at: 2), subject: try row.decode(String.self, at: 3),
                message: try row.decode(String.self, at: 4), firstSeen: try row.decode(Date.self, at: 5),
                lastSeen: try row.decode(Date.self, at: 6), occurrences: try row.decode(Int.self, at: 7))
        }
        return (alerts, try rows.first?.decode(Int.self, at: 8) ?? 0)
    }
}
