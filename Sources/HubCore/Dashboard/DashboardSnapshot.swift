import Foundation

/// What the operators' dashboard shows (SPEC §7.5, schema doc §8.1): the render queue per
/// template and composition, the job queue per type, workers, sync sources and alerts.
///
/// The render queue counts every live instruction (pending, processing, stale) and the finished
/// ones of the last ``windowHours`` hours; both reads go through indexes (migration `0007`), so
/// the cost follows the size of the live queue and of the window, not of the table.
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

    /// One sync source (SPEC §7.5 "sync status per source"); empty until hub-sync's tables exist.
    public struct SyncRow: Sendable, Codable, Hashable {
        public var source: String
        public var status: String
        public var lastSync: Date?
        public var nextSync: Date?
        public var healthPercent: Double?

        enum CodingKeys: String, CodingKey {
            case source, status
            case lastSync = "last_sync"
            case nextSync = "next_sync"
            case healthPercent = "health_percent"
        }
    }

    /// One unresolved alert; empty until the monitor events table exists.
    public struct AlertRow: Sendable, Codable, Hashable {
        public var id: Int64
        public var level: String
        public var type: String
        public var message: String
        public var createdAt: Date

        enum CodingKeys: String, CodingKey {
            case id, level, type, message
            case createdAt = "created_at"
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
    public var sync: [SyncRow]
    public var alerts: [AlertRow]

    enum CodingKeys: String, CodingKey {
        case totals, workers, sync, alerts
        case generatedAt = "generated_at"
        case windowHours = "window_hours"
        case renderQueue = "render_queue"
        case jobQueue = "job_queue"
    }
}
