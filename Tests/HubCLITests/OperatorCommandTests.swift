import Foundation
import HubCore
import HubPostgres
import HubRedis
import HubTestSupport
import Testing

/// The operator commands of `hubctl` as an operator runs them: exit statuses, refusals, the story
/// of a job, events, the monitor, services, reap and watch.
@Suite struct OperatorCommandTests {
    let env: [String: String]
    let pool: PostgresPool
    let cli = HubctlTests()

    init() async throws {
        let url = try await scratchDatabaseURL()
        let endpoints = try await TestServices.endpoints()
        pool = try PostgresPool(url: url, maxConnections: 4)
        try await Migrator(pool: pool).up()
        env = ["HUB_DATABASE_URL": url, "HUB_REDIS_URL": endpoints.redisURL, "HUB_RENDER_STREAM": "cli:\(UUID().uuidString.prefix(8))",
               "HUB_LOG_LEVEL": "error"]
    }

    func hubctl(_ arguments: [String]) async throws -> ProcessRunner.Result {
        try await cli.run(arguments, env: env)
    }

    func submit(_ template: String = "leaderboard") async throws -> Int64 {
        let result = try await hubctl(["render", "submit", "--template", template, "--max-retries", "0"])
        #expect(result.status == 0, "\(result.stderr)")
        return try #require(Int64(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
    }

    @Test func actionsRefuseWrongStatesAndTellTheStory() async throws {
        let id = try await submit()
        let cancel = try await hubctl(["cancel", String(id), "--actor", "kim", "--reason", "wrong graphic"])
        #expect(cancel.status == 0, "\(cancel.stderr)")
        let again = try await hubctl(["cancel", String(id), "--actor", "kim"])
        #expect(again.status == 1)
        #expect(again.stderr.contains("already cancelled"))
        #expect(try await hubctl(["retry", "999999"]).status == 3, "an unknown id is 'not found'")
        let retry = try await hubctl(["retry", String(id), "--actor", "lee", "--reason", "right graphic now"])
        #expect(retry.status == 0, "\(retry.stderr)")
        let retryAgain = try await hubctl(["retry", String(id)])
        #expect(retryAgain.status == 1)
        #expect(retryAgain.stderr.contains("already pending"))
        #expect(try await hubctl(["priority", String(id), "2", "--actor", "park", "--reason", "on air next"]).status == 0)
        #expect(try await hubctl(["priority", String(id), "11"]).status == 2)
        let show = try await hubctl(["jobs", "show", String(id)])
        #expect(show.status == 0)
        for text in ["operator actions", "cancelled", "operator_retry", "priority_changed", "kim", "lee", "park", "on air next", "right graphic now"] {
            #expect(show.stdout.contains(text), "jobs show tells \(text)")
        }
        let json = try await hubctl(["jobs", "show", String(id), "--json"])
        #expect(json.stdout.contains("\"operator_actions\""))
        #expect(json.stdout.contains("\"attempts\""))
    }

    @Test func bulkRetryDryRunListsAndChangesNothing() async throws {
        let a = try await submit("lower_third")
        let b = try await submit("lower_third")
        try await pool.query("""
            UPDATE render_instructions SET status = 'failed', completed_at = now(), error_message = 'aerender Error: missing footage'
            WHERE id IN (\(a), \(b))
            """)
        let dry = try await hubctl(["bulk-retry", "--template", "lower_third", "--since", "1h", "--error", "MISSING", "--dry-run"])
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(dry.stdout.contains("would be retried"))
        #expect(dry.stdout.contains(String(a)) && dry.stdout.contains(String(b)))
        #expect(try await pool.query("SELECT count(*) FROM render_instructions WHERE status = 'failed'")[0].decode(Int.self, at: 0) == 2)
        #expect(try await hubctl(["bulk-retry", "--since", "yesterday"]).status == 2)
        #expect(try await hubctl(["bulk-retry", "--status", "completed"]).status == 2)
        let real = try await hubctl(["bulk-retry", "--template", "lower_third", "--reason", "footage back"])
        #expect(real.stdout.contains("retried 2"))
        #expect(try await pool.query("SELECT count(*) FROM render_instructions WHERE status = 'pending'")[0].decode(Int.self, at: 0) == 2)
    }

    @Test func eventsMonitorServicesAndReap() async throws {
        try await pool.query("""
            INSERT INTO render_instructions (template_name, output_settings, data_hash, scheduled_at, created_at)
            SELECT 'late', '{"format":"png"}', encode(sha256(g::text::bytea), 'hex'), now() - interval '45 minutes', now() - interval '45 minutes'
            FROM generate_series(1, 12) g
            """)
        try await ServiceRegistry(pool: pool).heartbeat(id: "hub-worker:gone-4242", kind: "hub-worker", mode: "redis")
        try await pool.query("UPDATE service_registry SET last_heartbeat = now() - interval '3 minutes'")
        let monitor = try await hubctl(["monitor"])
        #expect(monitor.status == 0, "\(monitor.stderr)")
        for rule in ["delay", "queue_length", "service_silent"] { #expect(monitor.stdout.contains(rule)) }
        let list = try await hubctl(["events", "list", "--unresolved", "--json"])
        let events = try JSONDecoder.snakeCase.decode([MonitorEvent].self, from: Data(list.stdout.utf8))
        #expect(Set(events.map(\.rule)) == ["delay", "queue_length", "service_silent"])
        let delay = try #require(events.first { $0.rule == "delay" })
        #expect(try await hubctl(["events", "resolve", String(delay.id), "--reason", "workers restarted"]).status == 0)
        let twice = try await hubctl(["events", "resolve", String(delay.id)])
        #expect(twice.status == 1)
        #expect(try await hubctl(["events", "resolve", "987654"]).status == 3)
        let services = try await hubctl(["services"])
        #expect(services.stdout.contains("hub-worker:gone-4242"))
        #expect(services.stdout.contains("unhealthy"))
        let status = try await hubctl(["status"])
        #expect(status.stdout.contains("open alerts: 2"), "the dashboard's open alerts (delay was resolved): \(status.stdout)")
        #expect(status.stdout.contains("service_silent") && status.stdout.contains("hub-worker:gone-4242"))
        #expect(status.stdout.contains("SOURCE") && status.stdout.contains("wsop"), "the sync table")
        let statusJSON = try await hubctl(["status", "--json"])
        struct StatusOutput: Decodable {
            var sync: [DashboardSnapshot.SyncRow]
            var alerts: [DashboardSnapshot.AlertRow]
            var openAlerts: Int
            enum CodingKeys: String, CodingKey { case sync, alerts, openAlerts = "open_alerts" }
        }
        let report = try JSONDecoder.iso8601.decode(StatusOutput.self, from: Data(statusJSON.stdout.utf8))
        #expect(report.sync.map(\.source) == ["gfx", "wsop"])
        #expect(report.sync.allSatisfy { $0.status == "pending" && $0.due && $0.healthPercent == nil })
        #expect(Set(report.alerts.map(\.rule)) == ["queue_length", "service_silent"])
        #expect(report.openAlerts == 2)
        #expect(status.stdout.contains("render queue per composition"))
        #expect(status.stdout.contains("late") && status.stdout.contains("Main"))
        let reap = try await hubctl(["reap"])
        #expect(reap.status == 0, "\(reap.stderr)")
        #expect(reap.stdout.contains("reconciler:"), "the reconciler ran (and gave the 12 unsignalled rows their signal)")
        #expect(reap.stdout.contains("12 re-signalled"))
        let skipped = try await hubctl(["reap"])
        #expect(skipped.stdout.contains("skipped"), "one pass per interval")
        #expect(try await hubctl(["reap", "--force"]).stdout.contains("no expired leases"))
    }

    @Test func watchPrintsLiveEvents() async throws {
        let channel = "watch-test-\(UUID().uuidString.prefix(8))"
        let watcher = Task { try await hubctl(["watch", channel, "--count", "1"]) }
        let publisher = EventPublisher(redis: try RedisClient(url: env["HUB_REDIS_URL"]!), source: "watch-test")
        // Publish until the watcher has subscribed, printed one event and exited.
        let done = LockedBox(false)
        Task {
            _ = try? await watcher.value
            done.withLock { $0 = true }
        }
        try await waitUntil("hubctl watch to print an event", timeout: 30) {
            await publisher.publish("render_completed", data: ["instruction_id": .integer(77)], channels: [channel])
            return done.withLock { $0 }
        }
        let result = try await watcher.value
        #expect(result.status == 0)
        #expect(result.stdout.contains("\(channel) render_completed instruction_id=77"))
    }
}
