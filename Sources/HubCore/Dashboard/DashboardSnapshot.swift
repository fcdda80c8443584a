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
public struct DashboardSnapshot: Sendable, Codable {
    /// One row of the render queue: a template and composition.
    public struct RenderQueueRow: Sendable, Codable, Hashable {
        public var template: String
        public var composition: String
        public var pending: Int
        /// `processing` instructions (the seed's "rendering").
        public var rendering: Int
        /// Instructions whose lease expired without a worker (waiting for the Zombie Hunter).
        public var stale: Int
        public var completed: Int
        public var failed: Int
        public var cancelled: Int
        /// Mean render time (claim to completion) of the completed ones in the window.
        public var averageDurationSeconds: Double?
        /// Mean time from submission to the last claim of the completed ones in the window.
        public var averageQueueSeconds: Double?
        /// Age of the oldest pending instruction.
        public var oldestPendingSeconds: Double?

        enum CodingKeys: String, CodingKey {
            case template, composition, pending, rendering, stale, completed, failed, cancelled
            case averageDurationSeconds = "average_duration_seconds"
            case averageQueueSeconds = "average_queue_seconds"
            case oldestPendingSeconds = "oldest_pending_seconds"
        }
    }

    /// One row of the job queue: a kind of job (`render:<trigger>` today; sync jobs join with hub-sync).
    public struct JobQueueRow: Sendable, Codable, Hashable {
        public var type: String
        public var pending: Int
        public var running: Int
        public var failed: Int
        public var averageDurationSeconds: Double?

        enum CodingKeys: String, CodingKey {
            case type, pending, running, failed
            case averageDurationSeconds = "average_duration_seconds"
        }
    }

    /// One hub process from the service registry.
    public struct WorkerRow: Sendable, Codable, Hashable {
        public var id: String
        public var kind: String
        public var host: String
        public var version: String
        public var mode: String?
        public var healthy: Bool
        public var startedAt: Date
        public var lastHeartbeat: Date
        public var stoppedAt: Date?

        enum CodingKeys: String, CodingKey {
            case id, kind, host, version, mode, healthy
            case startedAt = "started_at"
            case lastHeartbeat = "last_heartbeat"
            case stoppedAt = "stopped_at"
        }
    }

    /// One sync source (SPEC §7.5 "sync status per source"), from `sync_status` and `sync_history`.
    public struct SyncRow: Sendable, Codable, Hashable {
        /// `gfx` or `wsop`.
        public var source: String
        /// The worst state of the source's entities: `failed` > `in_progress` > `outdated` >
        /// `pending` > `synced` (a `synced` entity past its next sync counts as `outdated`).
        public var status: String
        /// Each entity's state (read the same way as ``status``).
        public var entities: [String: String]
        /// The latest successful sync of any of its entities.
        public var lastSync: Date?
        /// The earliest next sync of its entities; nil when an entity was never scheduled.
        public var nextSync: Date?
        /// Whether a run now would find work: an entity is pending, never scheduled or past its
        /// next sync (and none of it is running).
        public var due: Bool
        /// Runs that finished (`completed` or `failed`) in the window; `skipped` runs do not count.
        public var runs: Int
        /// The `failed` ones of ``runs``.
        public var failedRuns: Int
        /// `completed / (completed + failed)` of the runs in the window, in percent (one decimal);
        /// nil when no run finished in the window.
        public var healthPercent: Double?
        /// The most recent error of an entity (`entity: message`), nil when none has one.
        public var lastError: String?

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
    public struct AlertRow: Sendable, Codable, Hashable {
        public var id: Int64
        public var level: String
        /// The rule that raised it (`delay`, `error_spike`, `service_silent`, …).
        public var rule: String
        /// What it is about within the rule (a hand id, a service id; empty for queue-wide rules).
        public var subject: String
        public var message: String
        /// When the condition was first seen (the alerts are listed newest first by this).
        public var firstSeen: Date
        /// The latest monitor pass that saw it.
        public var lastSeen: Date
        /// How many passes saw it.
        public var occurrences: Int

        enum CodingKeys: String, CodingKey {
            case id, level, rule, subject, message, occurrences
            case firstSeen = "first_seen"
            case lastSeen = "last_seen"
        }
    }

    /// Queue-wide figures.
    public struct Totals: Sendable, Codable, Hashable {
        public var pending: Int
        public var rendering: Int
        public var stale: Int
        public var completed: Int
        public var failed: Int
        public var cancelled: Int
    }

    /// When the snapshot was taken.
    public var generatedAt: Date
    /// How many hours of finished instructions are counted.
    public var windowHours: Int
    public var totals: Totals
    public var renderQueue: [RenderQueueRow]
    public var jobQueue: [JobQueueRow]
    public var workers: [WorkerRow]
    /// One row per sync source, `gfx` before `wsop`.
    public var sync: [SyncRow]
    /// The newest open alerts, at most ``DashboardQuery/alertLimit``.
    public var alerts: [AlertRow]
    /// How many alerts are open in all (``alerts`` may show fewer).
    public var openAlerts: Int

    enum CodingKeys: String, CodingKey {
        case totals, workers, sync, alerts
        case openAlerts = "open_alerts"
        case generatedAt = "generated_at"
        case windowHours = "window_hours"
        case renderQueue = "render_queue"
        case jobQueue = "job_queue"
    }
}
