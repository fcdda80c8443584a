import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import HubPostgres
import Logging

/// A stored notification (`notifications`).
package struct HubNotification: Sendable, Hashable, Codable {
    package var id: Int64
    package var createdAt: Date
    package var rule: String
    package var level: AlertLevel
    package var title: String
    package var message: String
    /// `none` (no webhook for it), `pending`, `delivered` or `failed`.
    package var webhookStatus: String
    package var webhookAttempts: Int
    package var webhookError: String?
    /// What it is about (`session_id`, `instruction_id`, …).
    package var data: [String: JSONValue] = [:]
    /// When an operator marked it read (nil: unread).
    package var readAt: Date?

    enum CodingKeys: String, CodingKey {
        case id, rule, level, title, message, data
        case createdAt = "created_at"
        case webhookStatus = "webhook_status"
        case webhookAttempts = "webhook_attempts"
        case webhookError = "webhook_error"
        case readAt = "read_at"
    }

    /// Encodes every key, a missing value as null (`read_at: null` is an unread one).
    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(rule, forKey: .rule)
        try container.encode(level, forKey: .level)
        try container.encode(title, forKey: .title)
        try container.encode(message, forKey: .message)
        try container.encode(data, forKey: .data)
        try container.encode(webhookStatus, forKey: .webhookStatus)
        try container.encode(webhookAttempts, forKey: .webhookAttempts)
        try container.encode(webhookError, forKey: .webhookError)
        try container.encode(readAt, forKey: .readAt)
    }
}

/// Posts a JSON body to a URL; the real one uses URLSession, tests may use their own.
package protocol WebhookSender: Sendable {
    /// Posts `body` and returns the HTTP status.
    func post(_ body: Data, to url: URL, timeout: Duration) async throws -> Int
}

/// ``WebhookSender`` over URLSession (http and https). The timeout covers the whole exchange;
/// it is enforced here as well as by the session, because a receiver that accepts the connection
/// and never answers must not hold the hunter's pass.
package struct URLSessionWebhookSender: WebhookSender {
    /// Creates a sender.
    package init() {}

    package func post(_ body: Data, to url: URL, timeout: Duration) async throws -> Int {
        var request = URLRequest(url: url, timeoutInterval: timeout.seconds)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = body
        let session = URLSession.shared
        let outcome = FirstOutcome<Int>()
        return try await withCheckedThrowingContinuation { continuation in
            outcome.set(continuation)
            let task = session.dataTask(with: request) { _, response, error in
                if let error {
                    outcome.finish(.failure(error))
                } else {
                    outcome.finish(.success((response as? HTTPURLResponse)?.statusCode ?? 0))
                }
            }
            task.resume()
            Task {
                try? await Task.sleep(for: timeout)
                task.cancel()
                outcome.finish(.failure(HubError(.unavailable, "no answer within \(timeout)")))
            }
        }
    }
}

/// Resumes a continuation with the first outcome only (an answer or the timeout).
private final class FirstOutcome<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<Value, any Error>?
    private var early: Result<Value, any Error>?

    func set(_ continuation: CheckedContinuation<Value, any Error>) {
        lock.lock()
        if let early {
            lock.unlock()
            continuation.resume(with: early)
            return
        }
        self.continuation = continuation
        lock.unlock()
    }

    func finish(_ result: Result<Value, any Error>) {
        lock.lock()
        guard let continuation else {
            if early == nil { early = result }
            lock.unlock()
            return
        }
        self.continuation = nil
        early = result
        lock.unlock()
        continuation.resume(with: result)
    }
}

/// Where and how webhooks are posted.
package struct WebhookSettings: Sendable {
    /// The webhook URL (Slack incoming webhooks and anything that takes `{"text": …}`).
    package var url: URL
    /// Notifications below this level are not posted.
    package var minimumLevel: AlertLevel = .warning
    /// Tries per notification.
    package var attempts = 3
    /// Each try gives up after this long.
    package var timeout: Duration = .seconds(5)
    /// The pause before the second try; doubled for each further one.
    package var backoff: Duration = .milliseconds(500)

    /// Settings for `url`.
    package init(url: URL) { self.url = url }

    /// Reads `HUB_WEBHOOK_URL` and `HUB_WEBHOOK_MIN_LEVEL`; nil when no URL is set.
    /// - Throws: ``HubError`` `.configuration` for a malformed URL or level.
    package init?(configuration: HubConfiguration) throws {
        guard let text = configuration.value(.webhookURL), !text.isEmpty else { return nil }
        guard let url = URL(string: text), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil else {
            throw HubError(.configuration, "HUB_WEBHOOK_URL is not an http(s) URL: set it to the webhook address, e.g. https://hooks.slack.com/services/…")
        }
        self.url = url
        if let level = configuration.value(.webhookMinimumLevel) {
            guard let parsed = AlertLevel(rawValue: level) else {
                throw HubError(.configuration, "HUB_WEBHOOK_MIN_LEVEL '\(level)' is not a level: use info, warning, error or critical")
            }
            minimumLevel = parsed
        }
    }
}

/// Raises notifications (SPEC §7.2): the rules decide the level; every notification is stored in
/// `notifications` and published as `notification_new` on the `notifications` channel; those at
/// or above the webhook's minimum level are posted to it as Slack-compatible JSON, with retries and
/// a timeout, and the row records the outcome.
package struct Notifier: Sendable {
    /// The live channel (SPEC §6).
    package static let channel = "notifications"

    /// The database.
    package let pool: PostgresPool
    /// Publishes the live event (nil: table only).
    package let events: EventPublisher?
    /// The webhook, if any.
    package let webhook: WebhookSettings?
    /// How webhooks are posted.
    package let sender: any WebhookSender
    let logger: Logger

    /// Creates a notifier.
    package init(pool: PostgresPool, events: EventPublisher?, webhook: WebhookSettings? = nil,
                sender: any WebhookSender = URLSessionWebhookSender(), logger: Logger = Logger(label: "hub.notifier")) {
        self.pool = pool
        self.events = events
        self.webhook = webhook
        self.sender = sender
        self.logger = logger
    }

    /// Applies the rules to `trigger` and delivers what they decide.
    /// - Parameter dedupeKey: what the notification is about, once (`job_failed:<timeline id>`):
    ///   when a notification with this key exists, nothing is stored, published or posted.
    /// - Returns: the stored notification (nil when the rules decided none, only an activity log
    ///   line, or `dedupeKey` was raised before).
    @discardableResult
    package func notify(_ trigger: NotificationTrigger, data: [String: JSONValue] = [:], actor: String = "hub",
                       dedupeKey: String? = nil) async throws -> HubNotification? {
        guard let decision = NotificationRules.decide(trigger) else { return nil }
        if decision.deliveries == [.activityLog] {
            try await pool.query("""
                INSERT INTO activity_log (actor, action, entity_type, reason, details)
                VALUES (\(actor), \(decision.rule), 'notification', \(decision.title), \(PostgresJSON(data)))
                """)
            return nil
        }
        let postable = decision.deliveries.contains(.webhook) && webhook.map { decision.level >= $0.minimumLevel } == true
        let rows = try await pool.query("""
            INSERT INTO notifications (rule, level, title, message, data, webhook_status, dedupe_key)
            VALUES (\(decision.rule), \(decision.level.rawValue), \(decision.title), \(decision.message), \(PostgresJSON(data)),
                    \(postable ? "pending" : "none"), \(dedupeKey))
            ON CONFLICT (dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING
            RETURNING id, created_at
            """)
        guard !rows.isEmpty else { return nil } // raised before (dedupeKey)
        var notification = HubNotification(id: try rows[0].decode(Int64.self, at: 0), createdAt: try rows[0].decode(Date.self, at: 1),
                                           rule: decision.rule, level: decision.level, title: decision.title, message: decision.message,
                                           webhookStatus: postable ? "pending" : "none", webhookAttempts: 0, webhookError: nil)
        var payload = data
        payload["id"] = .integer(notification.id)
        payload["level"] = .string(decision.level.rawValue)
        payload["rule"] = .string(decision.rule)
        payload["title"] = .string(decision.title)
        payload["message"] = .string(decision.message)
        await events?.publish("notification_new", data: payload, channels: [Self.channel])
        if postable, let webhook {
            notification = try await deliver(notification, to: webhook)
        }
        return notification
    }

    /// The Slack-compatible body: `text` for Slack and plain receivers, plus the fields.
    package static func webhookBody(_ notification: HubNotification) -> Data {
        let icon = [AlertLevel.info: "ℹ️", .warning: "⚠️", .error: "❌", .critical: "🚨"][notification.level] ?? ""
        var text = "\(icon) [\(notification.level.rawValue.uppercased())] \(notification.title)"
        if !notification.message.isEmpty { text += "\n\(notification.message)" }
        let body: [String: JSONValue] = [
            "text": .string(text), "level": .string(notification.level.rawValue), "rule": .string(notification.rule),
            "notification_id": .integer(notification.id),
        ]
        return Data(JSONValue.object(body).canonicalText.utf8)
    }

    /// Posts `notification` with retries and records the outcome in its row.
    func deliver(_ notification: HubNotification, to webhook: WebhookSettings) async throws -> HubNotification {
        var result = notification
        var lastError: String?
        var pause = webhook.backoff
        for attempt in 1...max(1, webhook.attempts) {
            result.webhookAttempts = attempt
            do {
                let status = try await sender.post(Self.webhookBody(notification), to: webhook.url, timeout: webhook.timeout)
                if (200..<300).contains(status) {
                    lastError = nil
                    break
                }
                lastError = "the webhook answered HTTP \(status)"
            } catch {
                lastError = "the webhook could not be reached: \(Self.describe(error))"
            }
            if attempt < webhook.attempts {
                try? await Task.sleep(for: pause)
                pause *= 2
            }
        }
        result.webhookStatus = lastError == nil ? "delivered" : "failed"
        HubMetrics.webhookDelivery(outcome: result.webhookStatus)
        result.webhookError = lastError
        if let lastError { logger.warning("notification \(notification.id) not delivered to the webhook after \(result.webhookAttempts) tries: \(lastError)") }
        try await pool.query("""
            UPDATE notifications SET webhook_status = \(result.webhookStatus), webhook_attempts = \(result.webhookAttempts),
                webhook_error = \(lastError), delivered_at = CASE WHEN \(lastError == nil) THEN now() END
            WHERE id = \(notification.id)
            """)
        return result
    }

    /// A delivery error without the webhook URL: the URL is a secret (Slack puts the token in
    /// it), and URLSession's errors carry it in their user info.
    static func describe(_ error: any Error) -> String {
        if let hub = error as? HubError { return hub.message }
        if let url = error as? URLError { return "network error \(url.code.rawValue) (URLError)" }
        let ns = error as NSError
        return "\(ns.domain) error \(ns.code)"
    }

    /// Notifications, newest first; with `unread`, only those nobody has marked read.
    package func list(limit: Int = 50, unread: Bool = false) async throws -> [HubNotification] {
        try await pool.query("""
            SELECT \(fragment: Self.columns) FROM notifications
            WHERE NOT \(unread) OR read_at IS NULL
            ORDER BY id DESC LIMIT \(max(1, min(limit, 10_000)))
            """).map(Self.decode)
    }

    /// The columns ``decode(_:)`` reads.
    static let columns: PostgresQuery = "id, created_at, rule, level, title, message, webhook_status, webhook_attempts, webhook_error, data, read_at"

    static func decode(_ row: PostgresRow) throws -> HubNotification {
        HubNotification(id: try row.decode(Int64.self, at: 0), createdAt: try row.decode(Date.self, at: 1), rule: try row.decode(String.self, at: 2),
                        level: AlertLevel(rawValue: try row.decode(String.self, at: 3)) ?? .info, title: try row.decode(String.self, at: 4),
                        message: try row.decode(String.self, at: 5), webhookStatus: try row.decode(String.self, at: 6),
                        webhookAttempts: try row.decode(Int.self, at: 7), webhookError: try row.decode(String?.self, at: 8),
                        data: try row.decode(PostgresJSON<[String: JSONValue]>.self, at: 9).value, readAt: try row.decode(Date?.self, at: 10))
    }
}
