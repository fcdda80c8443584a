import Foundation

/// Something that may deserve a notification (schema doc §8.2).
package enum NotificationTrigger: Sendable, Hashable {
    /// A sync source failed `consecutiveFailures` times in a row.
    case syncFailed(source: String, consecutiveFailures: Int, error: String)
    /// The render queue holds `pending` instructions.
    case renderQueueLength(pending: Int)
    /// A render instruction ended `failed` (retries exhausted, timeout, quarantine).
    case jobFailed(id: Int64, template: String, error: String)
    /// A sync source finished.
    case syncCompleted(source: String)
    /// A player appeared for the first time.
    case newPlayer(name: String)
    /// A broadcast session started.
    case sessionStarted(name: String)
    /// The monitor opened an event.
    case monitorEvent(rule: String, level: AlertLevel, message: String)
}

/// Where a notification goes.
package enum NotificationDelivery: String, Sendable, Hashable, Codable {
    /// The `notifications` table and the live `notifications` channel (the dashboard).
    case dashboard
    /// The webhook too, when one is configured and the level reaches its minimum.
    case webhook
    /// Only the activity log.
    case activityLog
}

/// What the rules decided for one trigger.
package struct NotificationDecision: Sendable, Hashable {
    package var rule: String
    package var level: AlertLevel
    package var title: String
    package var message: String
    package var deliveries: Set<NotificationDelivery>
}

/// The notification rules of SPEC §7.2 as one pure function, so the table is tested as a table:
/// sync failed 3+ times → critical; render queue > 10 → warning; job failed → error; sync
/// completed → info, dashboard only; new player → activity log; broadcast session start → info.
package enum NotificationRules {
    /// The render queue length above which a warning is raised.
    package static let queueWarningAbove = 10
    /// Consecutive sync failures that make a failure critical.
    package static let syncCriticalAfter = 3

    /// The rule (the `activity_log.action`) of a new player; the importers raise it in the
    /// statement that inserts the players, one entry per new player.
    package static let newPlayerRule = "new_player"

    /// The title (the `activity_log.reason`) of a new player.
    package static func newPlayerTitle(_ name: String) -> String { newPlayerTitlePrefix + name }

    /// What the title of a new player begins with (the importers build it in SQL).
    package static let newPlayerTitlePrefix = "New player "

    /// The decision for `trigger`, nil when it deserves no notification.
    package static func decide(_ trigger: NotificationTrigger) -> NotificationDecision? {
        switch trigger {
        case let .syncFailed(source, failures, error):
            let critical = failures >= syncCriticalAfter
            return NotificationDecision(rule: "sync_failed", level: critical ? .critical : .warning,
                                        title: "Sync \(source) failed" + (critical ? " \(failures) times in a row" : ""),
                                        message: error, deliveries: critical ? [.dashboard, .webhook] : [.dashboard])
        case let .renderQueueLength(pending):
            guard pending > queueWarningAbove else { return nil }
            return NotificationDecision(rule: "render_queue", level: .warning, title: "Render queue holds \(pending) instructions",
                                        message: "more than \(queueWarningAbove) instructions are waiting: check that workers are running (`hubctl monitor services`)",
                                        deliveries: [.dashboard, .webhook])
        case let .jobFailed(id, template, error):
            return NotificationDecision(rule: "job_failed", level: .error, title: "Render \(id) (\(template)) failed",
                                        message: error, deliveries: [.dashboard, .webhook])
        case let .syncCompleted(source):
            return NotificationDecision(rule: "sync_completed", level: .info, title: "Sync \(source) completed", message: "", deliveries: [.dashboard])
        case let .newPlayer(name):
            return NotificationDecision(rule: newPlayerRule, level: .info, title: newPlayerTitle(name), message: "", deliveries: [.activityLog])
        case let .sessionStarted(name):
            return NotificationDecision(rule: "session_started", level: .info, title: "Broadcast session \(name) started", message: "",
                                        deliveries: [.dashboard, .webhook])
        case let .monitorEvent(rule, level, message):
            return NotificationDecision(rule: rule, level: level, title: "Alert: \(rule.replacingOccurrences(of: "_", with: " "))",
                                        message: message, deliveries: [.dashboard, .webhook])
        }
    }
}
