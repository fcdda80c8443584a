import Foundation
import HubPostgres

extension DashboardQuery {
    /// The dashboard's sync status per source (SPEC §7.5), one row per source in `sync_status`
    /// (`gfx`, then `wsop`), in one statement:
    ///
    /// - state, last and next sync, the latest error from the source's `sync_status` rows (seven
    ///   rows in all). The time-based transition `synced → outdated` is applied as it is read
    ///   (a `synced` entity past `next_sync_at` reads `outdated`), without writing: the dashboard
    ///   runs on every request and must not update rows. ``SyncStore/refresh()`` (hub-sync, the
    ///   sync routes) writes it.
    /// - health from the `sync_history` runs of the source started in the last ``windowHours``,
    ///   read through `sync_history_source_idx (source, started_at DESC)`: `completed` out of
    ///   `completed + failed`; `running` and `skipped` runs (lock held, breaker open) are not
    ///   outcomes and do not count.
    package func syncRows() async throws -> [DashboardSnapshot.SyncRow] {
        let rows = try await pool.query("""
            WITH entities AS (
                SELECT source,
                       array_agg(entity ORDER BY entity) AS names,
                       array_agg(CASE WHEN status = 'synced' AND next_sync_at <= now() THEN 'outdated' ELSE status END
                                 ORDER BY entity) AS states,
                       max(last_sync_at) AS last_sync,
                       CASE WHEN bool_or(next_sync_at IS NULL) THEN NULL ELSE min(next_sync_at) END AS next_sync,
                       bool_or(status = 'in_progress') AS running,
                       bool_or(status = 'pending' OR next_sync_at IS NULL OR next_sync_at <= now()) AS due,
                       (array_agg(entity || ': ' || last_error ORDER BY updated_at DESC, entity)
                            FILTER (WHERE last_error IS NOT NULL))[1] AS last_error
                FROM sync_status GROUP BY source
            ), runs AS (
                SELECT source,
                       count(*) FILTER (WHERE status = 'completed')::bigint AS completed,
                       count(*) FILTER (WHERE status = 'failed')::bigint AS failed
                FROM sync_history
                WHERE source IN ('gfx', 'wsop') AND status IN ('completed', 'failed')
                  AND started_at > now() - make_interval(hours => \(windowHours)::int)
                GROUP BY source
            )
            SELECT e.source, e.names, e.states, e.last_sync, e.next_sync, e.due AND NOT e.running, e.last_error,
                   coalesce(r.completed, 0), coalesce(r.failed, 0)
            FROM entities e LEFT JOIN runs r ON r.source = e.source
            ORDER BY e.source
            """)
        return try rows.map { row in
            let names = try row.decode([String].self, at: 1)
            let states = try row.decode([String].self, at: 2)
            let completed = try row.decode(Int.self, at: 7)
            let failed = try row.decode(Int.self, at: 8)
            let finished = completed + failed
            return DashboardSnapshot.SyncRow(
                source: try row.decode(String.self, at: 0), status: Self.worstSyncState(states),
                entities: Dictionary(zip(names, states)) { first, _ in first },
                lastSync: try row.decode(Date?.self, at: 3), nextSync: try row.decode(Date?.self, at: 4),
                due: try row.decode(Bool.self, at: 5), runs: finished, failedRuns: failed,
                healthPercent: finished == 0 ? nil : (Double(completed) * 1000 / Double(finished)).rounded() / 10,
                lastError: try row.decode(String?.self, at: 6))
        }
    }

    /// The state a source shows: its worst entity's, `failed` > `in_progress` > `outdated` >
    /// `pending` > `synced` (what needs an operator first; a run in progress hides that some
    /// entity is merely due). An unknown state (a newer hub) ranks worst, so it is never hidden.
    static func worstSyncState(_ states: [String]) -> String {
        func severity(_ state: String) -> Int {
            switch SyncState(rawValue: state) {
            case .synced: 0
            case .pending: 1
            case .outdated: 2
            case .inProgress: 3
            case .failed: 4
            case nil: 5
            }
        }
        return states.max { severity($0) < severity($1) } ?? SyncState.pending.rawValue
    }
}
