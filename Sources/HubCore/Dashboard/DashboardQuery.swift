import Foundation
import HubPostgres

/// Reads a ``DashboardSnapshot`` from PostgreSQL with indexed statements.
///
/// - live instructions (pending, processing, stale) through the partial index
///   `render_instructions_live_idx`;
/// - instructions finished in the window from ``FinishedRollup`` (settled five-minute buckets kept
///   in memory, the newest minutes read through `render_instructions_finished_idx`, which carries
///   every column the aggregate needs);
/// - the service registry;
/// - the sync state per source from `sync_status` and the window's `sync_history`
///   (``syncRows()``);
/// - the open monitor events through the partial index `monitor_events_open_idx`
///   (``openAlerts(limit:)``).
package struct DashboardQuery: Sendable {
    /// The database.
    package let pool: PostgresPool
    /// How many hours of finished instructions to count (1…168).
    package var windowHours: Int
    /// The maintained aggregate of finished instructions; share one per process.
    package let rollup: FinishedRollup

    /// Creates a query over `pool`.
    package init(pool: PostgresPool, windowHours: Int = 24, rollup: FinishedRollup = FinishedRollup()) {
        self.pool = pool
        self.windowHours = min(max(windowHours, 1), 168)
        self.rollup = rollup
    }

    private struct Key: Hashable {
        var template: String
        var composition: String
    }

    /// Takes a snapshot.
    package func snapshot() async throws -> DashboardSnapshot {
        let live = try await pool.query("""
            SELECT template_name, composition, status, trigger_type, count(*)::bigint,
                   date_part('epoch', now() - min(created_at))::float8
            FROM render_instructions
            WHERE status IN ('pending', 'processing', 'stale')
            GROUP BY template_name, composition, status, trigger_type
            """)
        let finished = try await rollup.totals(pool: pool, windowHours: windowHours)

        var rows: [Key: DashboardSnapshot.RenderQueueRow] = [:]
        var jobs: [String: DashboardSnapshot.JobQueueRow] = [:]
        var durationSums: [Key: (duration: Double, queue: Double, count: Int)] = [:]
        var jobDurations: [String: (sum: Double, count: Int)] = [:]
        func row(_ key: Key) -> DashboardSnapshot.RenderQueueRow {
            rows[key] ?? DashboardSnapshot.RenderQueueRow(
                template: key.template, composition: key.composition, pending: 0, rendering: 0, stale: 0,
                completed: 0, failed: 0, cancelled: 0, averageDurationSeconds: nil, averageQueueSeconds: nil,
                oldestPendingSeconds: nil)
        }
        func job(_ type: String) -> DashboardSnapshot.JobQueueRow {
            jobs[type] ?? DashboardSnapshot.JobQueueRow(type: type, pending: 0, running: 0, failed: 0, averageDurationSeconds: nil)
        }

        for record in live {
            let key = Key(template: try record.decode(String.self, at: 0), composition: try record.decode(String.self, at: 1))
            let status = try record.decode(String.self, at: 2)
            let type = "render:" + (try record.decode(String.self, at: 3))
            let count = try record.decode(Int.self, at: 4)
            var entry = row(key)
            var jobEntry = job(type)
            switch status {
            case "pending":
                entry.pending += count
                jobEntry.pending += count
                let age = try record.decode(Double?.self, at: 5)
                if let age { entry.oldestPendingSeconds = max(entry.oldestPendingSeconds ?? 0, age) }
            case "processing":
                entry.rendering += count
                jobEntry.running += count
            default:
                entry.stale += count
                jobEntry.pending += count
            }
            rows[key] = entry
            jobs[type] = jobEntry
        }
        for (group, totals) in finished {
            let key = Key(template: group.template, composition: group.composition)
            let type = "render:" + group.trigger
            var entry = row(key)
            var jobEntry = job(type)
            switch group.status {
            case "completed":
                entry.completed += totals.count
                if totals.timed > 0 {
                    var sums = durationSums[key] ?? (0, 0, 0)
                    sums.duration += totals.durationSeconds
                    sums.queue += totals.queueSeconds
                    sums.count += totals.timed
                    durationSums[key] = sums
                    var jobSums = jobDurations[type] ?? (0, 0)
                    jobSums.sum += totals.durationSeconds
                    jobSums.count += totals.timed
                    jobDurations[type] = jobSums
                }
            case "failed":
                entry.failed += totals.count
                jobEntry.failed += totals.count
            default:
                entry.cancelled += totals.count
            }
            rows[key] = entry
            jobs[type] = jobEntry
        }
        for (key, sums) in durationSums where sums.count > 0 {
            rows[key]?.averageDurationSeconds = Self.round(sums.duration / Double(sums.count))
            rows[key]?.averageQueueSeconds = Self.round(sums.queue / Double(sums.count))
        }
        for (type, sums) in jobDurations where sums.count > 0 {
            jobs[type]?.averageDurationSeconds = Self.round(sums.sum / Double(sums.count))
        }
        for key in rows.keys {
            if let age = rows[key]?.oldestPendingSeconds { rows[key]?.oldestPendingSeconds = Self.round(age) }
        }

        let renderQueue = rows.values.sorted { ($0.template, $0.composition) < ($1.template, $1.composition) }
        let totals = DashboardSnapshot.Totals(
            pending: renderQueue.reduce(0) { $0 + $1.pending }, rendering: renderQueue.reduce(0) { $0 + $1.rendering },
            stale: renderQueue.reduce(0) { $0 + $1.stale }, completed: renderQueue.reduce(0) { $0 + $1.completed },
            failed: renderQueue.reduce(0) { $0 + $1.failed }, cancelled: renderQueue.reduce(0) { $0 + $1.cancelled })
        let workers = try await ServiceRegistry(pool: pool).list().map {
            DashboardSnapshot.WorkerRow(id: $0.id, kind: $0.kind, host: $0.host, version: $0.version, mode: $0.mode,
                                        healthy: $0.healthy, startedAt: $0.startedAt, lastHeartbeat: $0.lastHeartbeat,
                                        stoppedAt: $0.stoppedAt)
        }
        let sync = try await syncRows()
        let alerts = try await openAlerts()
        return DashboardSnapshot(generatedAt: Date(), windowHours: windowHours, totals: totals, renderQueue: renderQueue,
                                 jobQueue: jobs.values.sorted { $0.type < $1.type }, workers: workers, sync: sync,
                                 alerts: alerts.alerts, openAlerts: alerts.open)
    }

    private static func round(_ value: Double) -> Double { (value * 1000).rounded() / 1000 }
}
