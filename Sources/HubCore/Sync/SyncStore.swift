import Foundation
import HubPostgres

/// The sync tables: `sync_status` (the state machine per source and entity), `sync_history` (one
/// row per source run with counts and duration) and `sync_file_errors` (every skipped file).
package struct SyncStore: Sendable {
    /// The database.
    package let pool: PostgresPool

    package init(pool: PostgresPool) { self.pool = pool }

    /// One row of `sync_status`.
    package struct Status: Sendable, Codable, Hashable {
        package var source: String
        package var entity: String
        package var status: String
        package var intervalSeconds: Int
        package var retryCount: Int
        package var lastSyncAt: Date?
        package var nextSyncAt: Date?
        package var lastError: String?
        package var consecutiveFailures: Int
        package var updatedAt: Date
    }

    /// One row of `sync_history`.
    package struct Run: Sendable, Codable, Hashable {
        package var id: Int64
        package var correlationID: String
        package var source: String
        package var status: String
        package var startedAt: Date
        package var durationMs: Int?
        package var counts: SyncCounts
        package var error: String?
    }

    /// Applies the time-based transitions: `synced → outdated` once the interval passed, and
    /// `failed → pending` once the retry is due (retries left), then `outdated → pending`.
    package func refresh() async throws {
        // A run that died (process killed) leaves its entities in_progress; its lock went with its
        // connection, so in_progress without a lock holder is really failed.
        for source in SyncSource.allCases {
            let classID = Int64(UInt64(bitPattern: source.lockKey) >> 32)
            let objectID = Int64(UInt64(bitPattern: source.lockKey) & 0xFFFF_FFFF)
            try await pool.query("""
                UPDATE sync_status SET status = 'failed', updated_at = now(), next_sync_at = now(),
                    last_error = 'the run was interrupted (its process ended without finishing)'
                WHERE source = \(source.rawValue) AND status = 'in_progress'
                  AND NOT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND classid::bigint = \(classID)
                                  AND objid::bigint = \(objectID) AND objsubid = 1
                                  AND database = (SELECT oid FROM pg_database WHERE datname = current_database()))
                """)
        }
        try await pool.query("""
            UPDATE sync_status SET status = 'outdated', updated_at = now()
            WHERE status = 'synced' AND next_sync_at <= now()
            """)
        try await pool.query("""
            UPDATE sync_status SET status = 'pending', updated_at = now()
            WHERE (status = 'failed' AND next_sync_at <= now()) OR status = 'outdated'
            """)
    }

    /// Every status row.
    package func statuses() async throws -> [Status] {
        try await pool.query("""
            SELECT source, entity, status, interval_seconds, retry_count, last_sync_at, next_sync_at, last_error,
                   consecutive_failures, updated_at
            FROM sync_status ORDER BY source, entity
            """).map { row in
            Status(source: try row.decode(String.self, at: 0), entity: try row.decode(String.self, at: 1),
                   status: try row.decode(String.self, at: 2), intervalSeconds: try row.decode(Int.self, at: 3),
                   retryCount: try row.decode(Int.self, at: 4), lastSyncAt: try row.decode(Date?.self, at: 5),
                   nextSyncAt: try row.decode(Date?.self, at: 6), lastError: try row.decode(String?.self, at: 7),
                   consecutiveFailures: try row.decode(Int.self, at: 8), updatedAt: try row.decode(Date.self, at: 9))
        }
    }

    /// Whether any entity of `source` is due: pending (new, outdated or a retry) or past its next sync.
    package func isDue(_ source: SyncSource) async throws -> Bool {
        try await refresh()
        let rows = try await pool.query("""
            SELECT count(*) FROM sync_status
            WHERE source = \(source.rawValue) AND (status = 'pending' OR next_sync_at IS NULL OR next_sync_at <= now())
              AND status <> 'in_progress'
            """)
        return try rows[0].decode(Int.self, at: 0) > 0
    }

    /// The breaker inputs of `source`: its consecutive failed runs and the last failure time.
    func breakerInputs(_ source: SyncSource) async throws -> (failures: Int, last: Date?) {
        let rows = try await pool.query("""
            SELECT max(consecutive_failures), max(updated_at) FILTER (WHERE status = 'failed') FROM sync_status WHERE source = \(source.rawValue)
            """)
        return (try rows[0].decode(Int?.self, at: 0) ?? 0, try rows[0].decode(Date?.self, at: 1))
    }

    /// Starts a history row and moves the entities to `in_progress`.
    func begin(_ source: String, correlationID: UUID, entities: [String]) async throws -> Int64 {
        try await pool.withTransaction { connection in
            if !entities.isEmpty {
                try await connection.query("""
                    UPDATE sync_status SET status = 'in_progress', updated_at = now()
                    WHERE source = \(source) AND entity = ANY(\(entities))
                    """)
            }
            let rows = try await connection.query("""
                INSERT INTO sync_history (correlation_id, source) VALUES (\(correlationID), \(source)) RETURNING id
                """)
            return try rows[0].decode(Int64.self, at: 0)
        }
    }

    /// Records a run that did not start (lock held, breaker open, not configured).
    func skipped(_ source: String, correlationID: UUID, reason: String) async throws -> Int64 {
        let rows = try await pool.query("""
            INSERT INTO sync_history (correlation_id, source, status, finished_at, duration_ms, error)
            VALUES (\(correlationID), \(source), 'skipped', clock_timestamp(), 0, \(reason)) RETURNING id
            """)
        return try rows[0].decode(Int64.self, at: 0)
    }

    /// Finishes a history row with its counts and errors, and moves each entity to `synced` or
    /// `failed` (with the retry policy's next attempt). Only a failure of the source itself
    /// (`error`: folder gone, database failing) counts toward the circuit breaker; a run that
    /// reached the files and skipped a bad one shows the source works, so one corrupt export can
    /// never lock out the good ones.
    func finish(_ runID: Int64, source: SyncSource?, counts: SyncCounts, error: String?, failedEntities: Set<String>,
                entities: [String], details: [String: JSONValue] = [:]) async throws {
        let failed = error != nil || counts.filesFailed > 0
        try await pool.withTransaction { connection in
            try await connection.query("""
                UPDATE sync_history SET status = \(failed ? "failed" : "completed"), finished_at = clock_timestamp(),
                    duration_ms = (extract(epoch FROM clock_timestamp() - started_at) * 1000)::int,
                    files_seen = \(counts.filesSeen), files_imported = \(counts.filesImported), files_unchanged = \(counts.filesUnchanged),
                    files_failed = \(counts.filesFailed), rows_created = \(counts.rowsCreated), rows_updated = \(counts.rowsUpdated),
                    error = \(error), details = \(PostgresJSON(details))
                WHERE id = \(runID)
                """)
            if !counts.errors.isEmpty {
                try await connection.query("""
                    INSERT INTO sync_file_errors (history_id, path, position, reason)
                    SELECT \(runID), p, nullif(q, ''), r
                    FROM unnest(\(counts.errors.map(\.path))::text[], \(counts.errors.map { $0.position ?? "" })::text[],
                                \(counts.errors.map(\.reason))::text[]) AS u(p, q, r)
                    """)
            }
            guard let source else { return }
            for entity in entities {
                let entityFailed = error != nil || failedEntities.contains(entity)
                if entityFailed {
                    let retries = try await connection.query("""
                        SELECT retry_count FROM sync_status WHERE source = \(source.rawValue) AND entity = \(entity)
                        """)
                    let retryCount = try retries.first?.decode(Int.self, at: 0) ?? 0
                    let delay = source.retryPolicy.delay(afterFailures: retryCount)
                    let seconds = delay.map { Int($0.components.seconds) }
                    try await connection.query("""
                        UPDATE sync_status SET status = 'failed', updated_at = now(),
                            retry_count = CASE WHEN \(seconds) IS NULL THEN 0 ELSE retry_count + 1 END,
                            next_sync_at = now() + make_interval(secs => coalesce(\(seconds), interval_seconds)),
                            last_error = \(error ?? counts.errors.first?.description ?? "failed"),
                            consecutive_failures = CASE WHEN \(error != nil) THEN consecutive_failures + 1 ELSE 0 END
                        WHERE source = \(source.rawValue) AND entity = \(entity)
                        """)
                } else {
                    try await connection.query("""
                        UPDATE sync_status SET status = 'synced', updated_at = now(), last_sync_at = now(),
                            next_sync_at = now() + make_interval(secs => interval_seconds), retry_count = 0,
                            last_error = NULL, consecutive_failures = 0
                        WHERE source = \(source.rawValue) AND entity = \(entity)
                        """)
                }
            }
        }
    }

    /// The latest runs, newest first.
    package func history(source: String? = nil, limit: Int = 20) async throws -> [Run] {
        let rows = try await pool.query("""
            SELECT id, correlation_id::text, source, status, started_at, duration_ms, files_seen, files_imported, files_unchanged,
                   files_failed, rows_created, rows_updated, error
            FROM sync_history WHERE \(source)::text IS NULL OR source = \(source)
            ORDER BY id DESC LIMIT \(limit)
            """)
        var runs: [Run] = []
        for row in rows {
            var counts = SyncCounts()
            counts.filesSeen = try row.decode(Int.self, at: 6)
            counts.filesImported = try row.decode(Int.self, at: 7)
            counts.filesUnchanged = try row.decode(Int.self, at: 8)
            counts.filesFailed = try row.decode(Int.self, at: 9)
            counts.rowsCreated = try row.decode(Int.self, at: 10)
            counts.rowsUpdated = try row.decode(Int.self, at: 11)
            let id = try row.decode(Int64.self, at: 0)
            counts.errors = try await pool.query("SELECT path, position, reason FROM sync_file_errors WHERE history_id = \(id) ORDER BY id").map {
                SyncFileError(path: try $0.decode(String.self, at: 0), position: try $0.decode(String?.self, at: 1), reason: try $0.decode(String.self, at: 2))
            }
            runs.append(Run(id: id, correlationID: try row.decode(String.self, at: 1), source: try row.decode(String.self, at: 2),
                            status: try row.decode(String.self, at: 3), startedAt: try row.decode(Date.self, at: 4),
                            durationMs: try row.decode(Int?.self, at: 5), counts: counts, error: try row.decode(String?.self, at: 12)))
        }
        return runs
    }
}
