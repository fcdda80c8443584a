import Foundation

/// What the operators' dashboard shows (SPEC §7.5, schema doc §8.1): the render queue per
/// template and composition, the job queue per type, workers, sync sources and alerts.
///
/// The render queue counts every live instruction (pending, processing, stale) and the finished
/// ones of the last ``windowHours`` hours; both reads go through indexes (migration `0007`), so
/// the cost follows the size of the live queue and of the window, not of the table. The sync
/// rows read the ten `sync_status` rows and the window's `sync_history` rows (by
/// `sync_history_source_idx`), the alerts only the open monitor events (the partial index
/// `monitor_events_open_idx`).
package struct DashboardSnapshot: Sendable, Codable {
    /// One row of the render queue: a template and composition.
    package struct RenderQueueRow: Sendable, Codable, Hashable {
        package var template: String
        package var composition: String
        package var pending: Int
        /// `processing` instructions (the seed's "rendering").
        package var rendering: Int
        /// Instructions whose lease expired without a worker (waiting for the Zombie Hunter).
        package var stale: Int
        package var completed: Int
        package var failed: Int
        package var cancelled: Int
        /// Mean render time (claim to completion) of the completed ones in the window.
        package var averageDurationSeconds: Double?
        /// Mean time from submission to the last claim of the completed ones in the window.
        package var averageQueueSeconds: Double?
        /// Age of the oldest pending instruction.
        package var oldestPendingSeconds: Double?

        enum CodingKeys: String, CodingKey {
            case template, composition, pending, rendering, stale, completed, failed, cancelled
            case averageDurationSeconds = "average_duration_seconds"
            case averageQueueSeconds = "average_queue_seconds"
            case oldestPendingSeconds = "oldest_pending_seconds"
        }
    }

    /// One row of the job queue: a kind of job (`render:<trigger>` today; sync jobs join with hub-sync).
    package struct JobQueueRow: Sendable, Codable, Hashable {
        package var type: String
        package var pending: Int
        package var running: Int
        package var failed: Int
        package var averageDurationSeconds: Double?

        enum CodingKeys: String, CodingKey {
            case type, pending, running, failed
            case averageDurationSeconds = "average_duration_seconds"
        }
    }

    /// One hub process from the service registry.
    package struct WorkerRow: Sendable, Codable, Hashable {
        package var id: String
        package var kind: String
        package var host: String
        package var version: String
        package var mode: String?
        package var healthy: Bool
        package var startedAt: Date
        package var lastHeartbeat: Date
        package var stoppedAt: Date?

        enum CodingKeys: String, CodingKey {
            case id, kind, host, version, mode, healthy
            case startedAt = "started_at"
            case lastHeartbeat = "last_heartbeat"
            case stoppedAt = "stopped_at"
        }
    }

    /// One sync source (SPEC §7.5 "sync status per source"), from `sync_status` and `sync_history`.
    package struct SyncRow: Sendable, Codable, Hashable {
        /// `gfx` or `wsop`.
        package var source: String
        /// The worst state of the source's entities: `failed` > `in_progress` > `outdated` >
        /// `pending` > `synced` (a `synced` entity past its next sync counts as `outdated`).
        package var status: String
        /// Each entity's state (read the same way as ``status``).
        package var entities: [String: String]
        /// The latest successful sync of any of its entities.
        package var lastSync: Date?
        /// The earliest next sync of its entities; nil when an entity was never scheduled.
        package var nextSync: Date?
        /// Whether a run now would find work: an entity is pending, never scheduled or past its
        /// next sync (and none of it is running).
        package var due: Bool
        /// Runs that finished (`completed` or `failed`) in the window; `skipped` runs do not count.
        package var runs: Int
        /// The `failed` ones of ``runs``.
        package var failedRuns: Int
        /// `completed / (completed + failed)` of the runs in the window, in percent (one decimal);
        /// nil when no run finished in the window.
        package var healthPercent: Double?
        /// The most recent error of an entity (`entity: message`), nil when none has one.
        package var lastError: String?

        enum CodingKeys: String, CodingKey {
            case source, status, entities, due, runs
            case lastSync = "last_sync"
            case nextSync = "next_sync"
            case failedRuns = "failed_runs"
            case healthPercent = "health_percent"
            case lastError = "last_error"
        }
    }

    /// One unresolved monitor event (`monitor_events`, SPEC §7.1, §7.4).
    package struct AlertRow: Sendable, Codable, Hashable {
        package var id: Int64
        package var level: String
        /// The rule that raised it (`delay`, `error_spike`, `service_silent`, …).
        package var rule: String
        /// What it is about within the rule (a hand id, a service id; empty for queue-wide rules).
        package var subject: String
        package var message: String
        /// When the condition was first seen (the alerts are listed newest first by this).
        package var firstSeen: Date
        /// The latest monitor pass that saw it.
        package var lastSeen: Date
        /// How many passes saw it.
        package var occurrences: Int

        enum CodingKeys: String, CodingKey {
            case id, level, rule, subject, message, occurrences
            case firstSeen = "first_seen"
            case lastSeen = "last_seen"
        }
    }

    /// Queue-wide figures.
    package struct Totals: Sendable, Codable, Hashable {
        package var pending: Int
        package var rendering: Int
        package var stale: Int
        package var completed: Int
        package var failed: Int
        package var cancelled: Int
    }

    /// When the snapshot was taken.
    package var generatedAt: Date
    /// How many hours of finished instructions are counted.
    package var windowHours: Int
    package var totals: Totals
    package var renderQueue: [RenderQueueRow]
    package var jobQueue: [JobQueueRow]
    package var workers: [WorkerRow]
    /// One row per sync source, `gfx` before `wsop`.
    package var sync: [SyncRow]
    /// The newest open alerts, at most ``DashboardQuery/alertLimit``.
    package var alerts: [AlertRow]
    /// How many alerts are open in all (``alerts`` may show fewer).
    package var openAlerts: Int

    enum CodingKeys: String, CodingKey {
        case totals, workers, sync, alerts
        case openAlerts = "open_alerts"
        case generatedAt = "generated_at"
        case windowHours = "window_hours"
        case renderQueue = "render_queue"
        case jobQueue = "job_queue"
    }
}
