import Foundation
import HubCore
import HubPostgres
import HubRedis
import HubTestSupport
import Testing

/// The notification rules of SPEC §7.2 as a table.
@Suite struct NotificationRulesTests {
    static let cases: [(NotificationTrigger, AlertLevel?, Set<NotificationDelivery>)] = [
        (.syncFailed(source: "gfx", consecutiveFailures: 3, error: "NAS offline"), .critical, [.dashboard, .webhook]),
        (.syncFailed(source: "gfx", consecutiveFailures: 2, error: "NAS offline"), .warning, [.dashboard]),
        (.renderQueueLength(pending: 11), .warning, [.dashboard, .webhook]),
        (.renderQueueLength(pending: 10), nil, []),
        (.jobFailed(id: 7, template: "leaderboard", error: "Timeout exceeded max retries"), .error, [.dashboard, .webhook]),
        (.syncCompleted(source: "wsop"), .info, [.dashboard]),
        (.newPlayer(name: "김민수"), .info, [.activityLog]),
        (.sessionStarted(name: "Day 2"), .info, [.dashboard, .webhook]),
        (.monitorEvent(rule: "error_spike", level: .error, message: "25 % failed"), .error, [.dashboard, .webhook]),
    ]

    @Test(arguments: cases.indices)
    func rule(_ index: Int) {
        let (trigger, level, deliveries) = Self.cases[index]
        let decision = NotificationRules.decide(trigger)
        #expect(decision?.level == level)
        #expect(decision?.deliveries ?? [] == deliveries)
    }
}

/// A local HTTP receiver (python3's http.server) that records every body it gets and answers
/// 500 to the first `failFirst` requests, or never answers when `hang`.
final class WebhookReceiver {
    let process = Process()
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hub-webhook-\(UUID())")
    var log: URL { directory.appendingPathComponent("bodies.log") }
    var portFile: URL { directory.appendingPathComponent("port") }

    static let script = """
        import http.server, sys, threading
        fail_first, directory, hang = int(sys.argv[1]), sys.argv[2], sys.argv[3] == "hang"
        class Handler(http.server.BaseHTTPRequestHandler):
            count = 0
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with open(directory + "/bodies.log", "ab") as f:
                    f.write(body + b"\\n")
                Handler.count += 1
                if hang:
                    threading.Event().wait()
                self.send_response(500 if Handler.count <= fail_first else 200)
                self.end_headers()
                self.wfile.write(b"ok")
            def log_message(self, *args):
                pass
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        with open(directory + "/port.tmp", "w") as f:
            f.write(str(server.server_address[1]))
        import os
        os.rename(directory + "/port.tmp", directory + "/port")
        server.serve_forever()
        """

    init(failFirst: Int, hang: Bool = false) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let script = directory.appendingPathComponent("receiver.py")
        try Self.script.write(to: script, atomically: true, encoding: .utf8)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [script.path, String(failFirst), directory.path, hang ? "hang" : "answer"]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
    }

    func url() async throws -> URL {
        let path = portFile.path
        try await waitUntil("the webhook receiver to listen") { FileManager.default.fileExists(atPath: path) }
        let port = try String(contentsOf: portFile, encoding: .utf8)
        return URL(string: "http://127.0.0.1:\(port)/hook")!
    }

    var bodies: [String] {
        ((try? String(contentsOf: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    /// SIGKILL: the test runner's children may inherit an ignored SIGTERM.
    func stop() { kill(process.processIdentifier, SIGKILL) }
}

@Suite(.timeLimit(.minutes(2))) struct NotifierTests {
    let pool: PostgresPool
    let redis: RedisClient

    init() async throws {
        pool = try PostgresPool(url: try await scratchDatabaseURL(), maxConnections: 4)
        try await Migrator(pool: pool).up()
        redis = try RedisClient(url: try await TestServices.endpoints().redisURL)
    }

    func webhook(_ url: URL, timeout: Duration = .seconds(5)) -> WebhookSettings {
        var settings = WebhookSettings(url: url)
        settings.backoff = .milliseconds(20)
        settings.timeout = timeout
        return settings
    }

    @Test func storedPublishedAndPostedAfterRetries() async throws {
        let receiver = try WebhookReceiver(failFirst: 2)
        defer { receiver.stop() }
        let source = "notifier-test-\(UUID().uuidString.prefix(8))"
        let subscription = try await redis.subscribe(channels: [Notifier.channel])
        let notifier = Notifier(pool: pool, events: EventPublisher(redis: redis, source: source), webhook: webhook(try await receiver.url()))
        let sent = try #require(try await notifier.notify(.jobFailed(id: 42, template: "leaderboard", error: "Timeout exceeded max retries")))
        #expect(sent.webhookStatus == "delivered")
        #expect(sent.webhookAttempts == 3, "two 500s, then 200")
        #expect(receiver.bodies.count == 3)
        let body = try JSONValue.parse(try #require(receiver.bodies.last)).objectValue
        #expect(body?["text"] == .string("❌ [ERROR] Render 42 (leaderboard) failed\nTimeout exceeded max retries"))
        #expect(body?["level"] == .string("error"))
        let stored = try await notifier.list()
        #expect(stored.map(\.webhookStatus) == ["delivered"])
        #expect(stored.first?.webhookAttempts == 3)
        for try await message in subscription {
            let event = try HubEvent.decode(message.payload)
            guard event.source == source else { continue } // other suites share the channel
            #expect(event.type == "notification_new")
            #expect(event.data["level"] == .string("error"))
            break
        }
        subscription.cancel()
    }

    @Test func aReceiverThatNeverAnswersTimesOutAndTheFailureIsRecorded() async throws {
        let receiver = try WebhookReceiver(failFirst: 0, hang: true)
        defer { receiver.stop() }
        var settings = webhook(try await receiver.url(), timeout: .milliseconds(500))
        settings.attempts = 2
        let notifier = Notifier(pool: pool, events: nil, webhook: settings)
        let sent = try #require(try await notifier.notify(.syncFailed(source: "gfx", consecutiveFailures: 4, error: "NAS offline")))
        #expect(sent.level == .critical)
        #expect(sent.webhookStatus == "failed")
        #expect(sent.webhookAttempts == 2)
        #expect(sent.webhookError?.contains("could not be reached") == true)
        #expect(sent.webhookError?.contains("127.0.0.1") == false, "the webhook URL (a secret) is never recorded")
        #expect(try await notifier.list().first?.webhookStatus == "failed", "the notification is kept with the failure")
    }

    @Test func belowTheWebhookLevelOrDashboardOnlyIsNotPosted() async throws {
        let receiver = try WebhookReceiver(failFirst: 0)
        defer { receiver.stop() }
        let notifier = Notifier(pool: pool, events: nil, webhook: webhook(try await receiver.url()))
        let info = try #require(try await notifier.notify(.sessionStarted(name: "Day 2")))
        #expect(info.webhookStatus == "none", "info is below the default minimum (warning)")
        let completed = try #require(try await notifier.notify(.syncCompleted(source: "wsop")))
        #expect(completed.webhookStatus == "none")
        #expect(try await notifier.notify(.newPlayer(name: "김민수"), actor: "hub-sync") == nil)
        let log = try await pool.query("SELECT action, actor FROM activity_log")
        #expect(try log.map { try $0.decode(String.self, at: 0) } == ["new_player"])
        let critical = try #require(try await notifier.notify(.syncFailed(source: "gfx", consecutiveFailures: 3, error: "x")))
        #expect(critical.webhookStatus == "delivered")
        #expect(receiver.bodies.count == 1, "only the critical one was posted")
    }
}

extension NotifierTests {
    @Test func anUnreachableWebhookIsRecordedWithoutItsURL() async throws {
        var settings = webhook(URL(string: "http://127.0.0.1:1/services/T000/B000/S3cretT0ken")!, timeout: .seconds(2))
        settings.attempts = 2
        let notifier = Notifier(pool: pool, events: nil, webhook: settings)
        let sent = try #require(try await notifier.notify(.jobFailed(id: 1, template: "t", error: "boom")))
        #expect(sent.webhookStatus == "failed")
        #expect(sent.webhookAttempts == 2)
        let stored = try #require(try await notifier.list().first?.webhookError)
        #expect(!stored.contains("S3cretT0ken"), "\(stored)")
    }
}
