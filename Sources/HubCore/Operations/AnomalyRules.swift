import Foundation

/// Thresholds of the anomaly rules (SPEC §7.1); stored in `system_config` (`monitor.*`) so
/// operators change them at run time.
package struct AnomalySettings: Sendable, Hashable, Codable {
    /// Pending (and due) longer than this is a delay.
    package var delayThreshold: Duration = .seconds(1800)
    /// Failed share of the instructions finished in the last hour above which errors spike.
    package var errorSpikeRatio = 0.1
    /// Fewest instructions finished in the last hour for the error spike rule to judge.
    package var errorSpikeMinimum = 10
    /// Completions of the last hour below `previous × throughputDropRatio` are a drop.
    package var throughputDropRatio = 0.5
    /// Fewest completions in the previous hour for the throughput rule to judge.
    package var throughputMinimum = 10
    /// Pending instructions above which the queue is long (the notification rule "render queue > 10").
    package var queueWarningAbove = NotificationRules.queueWarningAbove
    /// A process silent this long is unhealthy.
    package var silentAfter: Duration = .seconds(30)
    /// What to do with a premium hand that has no render instruction.
    package var orphanAction: OrphanAction = .alert
    /// The template of instructions created for orphan hands.
    package var orphanTemplate = "premium_hand"

    /// `alert` raises an event per hand; `create` submits the render instruction.
    package enum OrphanAction: String, Sendable, Hashable, Codable { case alert, create }

    /// The defaults of SPEC §7.1.
    package init() {}
}

/// What the monitor saw at one moment: the inputs of every rule, read in one pass.
package struct MonitorSnapshot: Sendable, Hashable {
    /// `pending` instructions.
    package var pending = 0
    /// `pending` instructions due for longer than the delay threshold, and the earliest due time.
    package var overdue = 0
    package var oldestOverdue: Date?
    /// Instructions that finished `completed` or `failed` in the last hour, and the failed ones.
    package var finishedLastHour = 0
    package var failedLastHour = 0
    /// Completions in the last hour and in the hour before.
    package var completedLastHour = 0
    package var completedPreviousHour = 0
    /// Premium hands without a render instruction; nil when the hands table does not exist yet.
    package var orphanHands: [String]?
    /// Registered processes that stopped heartbeating without exiting: id, kind, last heartbeat.
    package var silentServices: [SilentService] = []
    /// Folders whose owed deliveries failed twice or more, by machine and folder.
    package var failingDeliveries: [FailingDelivery] = []
    /// Due instructions that require tags no live worker has, by the tags they require.
    package var unroutable: [Unroutable] = []

    /// Due instructions no live worker can claim: they require `tags`.
    package struct Unroutable: Sendable, Hashable {
        package var tags: [String]
        package var count: Int
        package var instructionIDs: [Int64]
        package init(tags: [String], count: Int, instructionIDs: [Int64]) {
            self.tags = tags
            self.count = count
            self.instructionIDs = instructionIDs
        }
    }

    /// The deliveries from one machine to one folder that keep failing.
    package struct FailingDelivery: Sendable, Hashable {
        package var host: String
        package var directory: String
        package var count: Int
        package var instructionIDs: [Int64]
        package var lastError: String
        package init(host: String, directory: String, count: Int, instructionIDs: [Int64], lastError: String) {
            self.host = host
            self.directory = directory
            self.count = count
            self.instructionIDs = instructionIDs
            self.lastError = lastError
        }
    }

    /// A process that went silent.
    package struct SilentService: Sendable, Hashable {
        package var id: String
        package var kind: String
        package var lastHeartbeat: Date
        package init(id: String, kind: String, lastHeartbeat: Date) {
            self.id = id
            self.kind = kind
            self.lastHeartbeat = lastHeartbeat
        }
    }

    /// An empty snapshot.
    package init() {}
}

/// A condition one rule found.
package struct MonitorFinding: Sendable, Hashable, Codable {
    package var rule: String
    package var subject: String
    package var level: AlertLevel
    package var message: String
    package var details: [String: JSONValue]
}

/// The anomaly and health rules as one pure function of a snapshot, so they are tested as a table
/// with the clock given.
package enum AnomalyRules {
    /// Every rule the monitor runs (a rule that finds nothing resolves its open events).
    package static let all = ["delay", "error_spike", "throughput_drop", "queue_length", "orphan_hand", "service_silent", "delivery_failed", "unroutable"]

    /// The findings of every rule for `snapshot` taken at `now`.
    package static func evaluate(_ snapshot: MonitorSnapshot, settings: AnomalySettings, now: Date) -> [MonitorFinding] {
        var findings: [MonitorFinding] = []
        if snapshot.overdue > 0 {
            let minutes = Int(settings.delayThreshold.seconds / 60)
            let waited = snapshot.oldestOverdue.map { Int(now.timeIntervalSince($0) / 60) } ?? minutes
            findings.append(MonitorFinding(
                rule: "delay", subject: "", level: .warning,
                message: "\(snapshot.overdue) render instruction(s) pending for more than \(minutes) min (the oldest for \(waited) min): check that workers are running",
                details: ["overdue": .integer(Int64(snapshot.overdue)), "oldest_minutes": .integer(Int64(waited))]))
        }
        if snapshot.finishedLastHour >= settings.errorSpikeMinimum, snapshot.finishedLastHour > 0 {
            let ratio = Double(snapshot.failedLastHour) / Double(snapshot.finishedLastHour)
            if ratio > settings.errorSpikeRatio {
                findings.append(MonitorFinding(
                    rule: "error_spike", subject: "", level: .error,
                    message: "\(snapshot.failedLastHour) of \(snapshot.finishedLastHour) render instructions failed in the last hour (\(Int((ratio * 100).rounded())) %, threshold \(Int(settings.errorSpikeRatio * 100)) %)",
                    details: ["failed": .integer(Int64(snapshot.failedLastHour)), "finished": .integer(Int64(snapshot.finishedLastHour)), "ratio": .number(ratio)]))
            }
        }
        if snapshot.completedPreviousHour >= settings.throughputMinimum, snapshot.pending > 0,
           Double(snapshot.completedLastHour) < Double(snapshot.completedPreviousHour) * settings.throughputDropRatio {
            findings.append(MonitorFinding(
                rule: "throughput_drop", subject: "", level: .warning,
                message: "\(snapshot.completedLastHour) renders completed in the last hour against \(snapshot.completedPreviousHour) in the hour before, with \(snapshot.pending) waiting",
                details: ["current": .integer(Int64(snapshot.completedLastHour)), "previous": .integer(Int64(snapshot.completedPreviousHour))]))
        }
        if snapshot.pending > settings.queueWarningAbove {
            findings.append(MonitorFinding(
                rule: "queue_length", subject: "", level: .warning,
                message: "\(snapshot.pending) render instructions are waiting (more than \(settings.queueWarningAbove))",
                details: ["pending": .integer(Int64(snapshot.pending))]))
        }
        if settings.orphanAction == .alert {
            for hand in snapshot.orphanHands ?? [] {
                findings.append(MonitorFinding(
                    rule: "orphan_hand", subject: hand, level: .warning,
                    message: "premium hand \(hand) has no render instruction: render it or set monitor.orphan_action to create",
                    details: ["hand_id": .string(hand)]))
            }
        }
        for service in snapshot.silentServices {
            let seconds = Int(now.timeIntervalSince(service.lastHeartbeat))
            findings.append(MonitorFinding(
                rule: "service_silent", subject: service.id, level: service.kind == "hub-worker" ? .error : .warning,
                message: "\(service.kind) \(service.id) has not sent a heartbeat for \(seconds) s: it crashed, froze or lost the database",
                details: ["kind": .string(service.kind), "silent_seconds": .integer(Int64(seconds))]))
        }
        for failing in snapshot.failingDeliveries {
            let ids = failing.instructionIDs.map(String.init).joined(separator: ", ")
            findings.append(MonitorFinding(
                rule: "delivery_failed", subject: "\(failing.host):\(failing.directory)", level: .error,
                message: "\(failing.count) completed render(s) could not be delivered from \(failing.host) to \(failing.directory) (instructions \(ids)\(failing.count > failing.instructionIDs.count ? ", …" : "")): \(failing.lastError); check the folder or mount — the worker keeps trying",
                details: ["host": .string(failing.host), "directory": .string(failing.directory), "count": .integer(Int64(failing.count)),
                          "instruction_ids": .array(failing.instructionIDs.map(JSONValue.integer)), "error": .string(failing.lastError)]))
        }
        for waiting in snapshot.unroutable {
            let tags = waiting.tags.joined(separator: ",")
            let ids = waiting.instructionIDs.map(String.init).joined(separator: ", ")
            findings.append(MonitorFinding(
                rule: "unroutable", subject: tags, level: .error,
                message: "\(waiting.count) render instruction(s) require tags \(tags) that no running worker has (instructions \(ids)\(waiting.count > waiting.instructionIDs.count ? ", …" : "")): start a worker with hub-worker --tags \(tags) (hubctl services shows each worker's tags), or cancel them",
                details: ["tags": .array(waiting.tags.map(JSONValue.string)), "count": .integer(Int64(waiting.count)),
                          "instruction_ids": .array(waiting.instructionIDs.map(JSONValue.integer))]))
        }
        return findings
    }
}
