import Foundation
import HubCore
import HubPostgres
@testable import HubServerCore
import HubTestSupport
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// The happy paths and error shapes of the HTTP routes, against real PostgreSQL and Redis.
@Suite struct RouteTests {
    @Test func healthIsPublicInTheSeedShape() async throws {
        let harness = try await ServerHarness.make()
        try await harness.run { client in
            let response = try await client.execute(uri: "/api/health", method: .get)
            #expect(response.status == .ok)
            let body = try response.json()
            #expect(body["status"] as? String == "healthy")
            #expect((body["blocks"] as? [String: String])?["schema"] == "healthy")
            #expect((body["dependencies"] as? [String: String]) == ["postgres": "connected", "redis": "connected"])
            #expect(!response.text.contains("127.0.0.1"), "the public health report names no address")
        }
    }

    @Test func dashboardShowsQueuePerTemplateWorkersSyncAndAlerts() async throws {
        let harness = try await ServerHarness.make()
        let store = harness.server.queue.store
        let first = try await harness.submit("leaderboard")
        try await harness.submit("leaderboard")
        _ = try await harness.server.queue.submit(RenderSubmission(templateName: "chip_count", composition: "Lower Third", maxRetries: 0),
                                                  actor: "test")
        // Render the priority-5 leaderboard and fail the chip count.
        let claimed = try #require(try await store.claim(first.id, worker: "render-01-1", lease: .seconds(30)))
        try await store.complete(claimed, output: .init(path: "/tmp/leaderboard.png", fileSize: 10))
        let chip = try #require(try await store.list().first { $0.templateName == "chip_count" })
        let chipClaim = try #require(try await store.claim(chip.id, worker: "render-01-2", lease: .seconds(30)))
        _ = try await store.fail(chipClaim, error: "aerender Error: missing layer")
        try await ServiceRegistry(pool: harness.clients.database).heartbeat(id: "render-01", kind: "hub-worker", mode: "redis")
        // wsop: chip counts failed on its last run, one of two runs completed; gfx untouched (as migrated: pending).
        let database = harness.clients.database
        try await database.query("""
            UPDATE sync_status SET status = 'failed', last_error = 'ChipCounts.csv: row 4: chips is not a number', next_sync_at = now() + interval '1 minute'
            WHERE source = 'wsop' AND entity = 'chip_counts'
            """)
        for status in ["completed", "failed"] {
            try await database.query("""
                INSERT INTO sync_history (correlation_id, source, status, finished_at) VALUES (\(UUID()), 'wsop', \(status), now())
                """)
        }
        let alert = try await MonitorEventStore(pool: database).raise(rule: "queue_length", level: .warning,
                                                                      message: "12 instructions pending", at: Date()).event

        try await harness.run { client in
            let response = try await client.execute(uri: "/api/dashboard", method: .get, headers: ServerHarness.authorized)
            #expect(response.status == .ok)
            let body = try response.json()
            let queue = try #require(body["render_queue"] as? [[String: Any]])
            let leaderboard = try #require(queue.first { $0["template"] as? String == "leaderboard" })
            #expect(leaderboard["composition"] as? String == "Main")
            #expect(leaderboard["pending"] as? Int == 1)
            #expect(leaderboard["completed"] as? Int == 1)
            #expect(leaderboard["average_duration_seconds"] as? Double != nil)
            #expect(leaderboard["average_queue_seconds"] as? Double != nil)
            let chipRow = try #require(queue.first { $0["template"] as? String == "chip_count" })
            #expect(chipRow["composition"] as? String == "Lower Third")
            #expect(chipRow["failed"] as? Int == 1)
            #expect(chipRow["pending"] as? Int == 0)
            let totals = try #require(body["totals"] as? [String: Int])
            #expect(totals["pending"] == 1 && totals["completed"] == 1 && totals["failed"] == 1)
            let jobs = try #require(body["job_queue"] as? [[String: Any]])
            #expect(jobs.first { $0["type"] as? String == "render:manual" }?["failed"] as? Int == 1)
            let workers = try #require(body["workers"] as? [[String: Any]])
            #expect(workers.contains { $0["id"] as? String == "render-01" && $0["mode"] as? String == "redis" && $0["healthy"] as? Bool == true })
            let sync = try #require(body["sync"] as? [[String: Any]])
            #expect(sync.map { $0["source"] as? String } == ["gfx", "wsop"])
            #expect(sync[0]["status"] as? String == "pending" && sync[0]["due"] as? Bool == true)
            #expect(sync[0]["health_percent"] == nil && sync[0]["runs"] as? Int == 0)
            #expect(sync[1]["status"] as? String == "failed")
            #expect(sync[1]["health_percent"] as? Double == 50 && sync[1]["runs"] as? Int == 2 && sync[1]["failed_runs"] as? Int == 1)
            #expect(sync[1]["last_error"] as? String == "chip_counts: ChipCounts.csv: row 4: chips is not a number")
            #expect((sync[1]["entities"] as? [String: String])?["chip_counts"] == "failed")
            let alerts = try #require(body["alerts"] as? [[String: Any]])
            #expect(alerts.count == 1)
            #expect(alerts.first?["id"] as? Int == Int(alert.id))
            #expect(alerts.first?["rule"] as? String == "queue_length" && alerts.first?["level"] as? String == "warning")
            #expect(alerts.first?["message"] as? String == "12 instructions pending" && alerts.first?["occurrences"] as? Int == 1)
            #expect(alerts.first?["first_seen"] is String && alerts.first?["subject"] as? String == "")
            #expect(body["open_alerts"] as? Int == 1)

            // Resolved through the API, it leaves the dashboard.
            #expect(try await client.send(.post, "/api/events/\(alert.id)/resolve").status == .ok)
            let after = try await client.execute(uri: "/api/dashboard", method: .get, headers: ServerHarness.authorized).json()
            #expect((after["alerts"] as? [Any])?.isEmpty == true)
            #expect(after["open_alerts"] as? Int == 0)

            let bad = try await client.execute(uri: "/api/dashboard?window_hours=0", method: .get, headers: ServerHarness.authorized)
            #expect(bad.status == .badRequest)
        }
    }

    @Test func renderSubmitStatusAndOutput() async throws {
        let harness = try await ServerHarness.make()
        try await harness.run { client in
            var headers = ServerHarness.authorized
            headers[.contentType] = "application/json"
            let body = #"{"template":"player_info","data":{"Name":"Phil Ivey","Chips":"980,000"},"output":{"format":"png"},"priority":2}"#
            let created = try await client.execute(uri: "/api/v1/render", method: .post, headers: headers, body: ByteBuffer(string: body))
            #expect(created.status == .created)
            let submitted = try created.json()
            let id = try #require(submitted["id"] as? Int)
            #expect(submitted["status"] as? String == "pending")
            #expect(submitted["published"] as? Bool == true)

            let status = try await client.execute(uri: "/api/v1/render/\(id)/status", method: .get, headers: headers).json()
            let instruction = try #require(status["instruction"] as? [String: Any])
            #expect(instruction["template"] as? String == "player_info")
            #expect(instruction["priority"] as? Int == 2)
            #expect(instruction["trigger"] as? String == "api")
            #expect((instruction["data"] as? [String: String])?["Name"] == "Phil Ivey")
            let timeline = try #require(status["timeline"] as? [[String: Any]])
            #expect(timeline.map { $0["event"] as? String } == ["submitted"])
            #expect(timeline.first?["actor"] as? String == "user:operator")

            let before = try await client.execute(uri: "/api/v1/render/\(id)/output", method: .get, headers: headers).json()
            #expect(before["status"] as? String == "pending")
            #expect(before["output"] is NSNull)

            let store = harness.server.queue.store
            let claim = try #require(try await store.claim(Int64(id), worker: "render-02-1", lease: .seconds(30)))
            try await store.complete(claim, output: .init(path: "/srv/out/player_info-\(id).png", fileSize: 2048, frameCount: 1))
            let after = try await client.execute(uri: "/api/v1/render/\(id)/output", method: .get, headers: headers).json()
            #expect(after["status"] as? String == "completed")
            let output = try #require(after["output"] as? [String: Any])
            #expect(output["output_path"] as? String == "/srv/out/player_info-\(id).png")
            #expect(output["file_size"] as? Int == 2048)

            let list = try await client.execute(uri: "/api/v1/render?status=completed", method: .get, headers: headers).json()
            #expect((list["instructions"] as? [[String: Any]])?.map { $0["id"] as? Int } == [id])
        }
    }

    @Test(arguments: [
        ("/api/v1/render/987654/status", "GET", "", 404, "NOT_FOUND"),
        ("/api/v1/render/987654/output", "GET", "", 404, "NOT_FOUND"),
        ("/api/v1/render/abc/status", "GET", "", 400, "VALIDATION_ERROR"),
        ("/api/no-such-route", "GET", "", 404, "NOT_FOUND"),
        ("/api/v1/render", "POST", "{not json", 400, "VALIDATION_ERROR"),
        ("/api/v1/render", "POST", #"{"data":{}}"#, 400, "VALIDATION_ERROR"),
        ("/api/v1/render", "POST", #"{"template":"leaderboard","priority":11}"#, 400, "VALIDATION_ERROR"),
        ("/api/v1/render", "POST", #"{"template":"leaderboard","trigger":"psychic"}"#, 400, "VALIDATION_ERROR"),
        ("/api/v1/render?status=lost", "GET", "", 400, "VALIDATION_ERROR"),
    ])
    func errorsUseTheSeedShape(uri: String, method: String, body: String, status: Int, code: String) async throws {
        let harness = try await ServerHarness.make()
        try await harness.run { client in
            var headers = ServerHarness.authorized
            headers[.contentType] = "application/json"
            let response = try await client.execute(uri: uri, method: HTTPRequest.Method(method)!, headers: headers,
                                                    body: body.isEmpty ? nil : ByteBuffer(string: body))
            #expect(response.status.code == status)
            #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
            let error = try #require(try response.json()["error"] as? [String: Any])
            #expect(error["code"] as? String == code)
            #expect((error["message"] as? String)?.isEmpty == false)
            #expect(error["details"] is [String: Any])
        }
    }

    @Test func metricsReportQueueDepthStatusesAndDispatchLatency() async throws {
        let harness = try await ServerHarness.make()
        try await harness.run { client in
            let instruction = try await harness.submit("metrics_probe_\(UUID().uuidString.prefix(8))")
            try await harness.submit("metrics_probe_other")
            // A worker claims the first and announces it, as hub-worker does.
            let store = harness.server.queue.store
            let claim = try #require(try await store.claim(instruction.id, worker: "render-03-1", lease: .seconds(30)))
            await harness.server.queue.events.render("render_started", claim.instruction, status: .processing)
            // Other suites publish render events on the same Redis, so count at least ours.
            try await waitUntil("the dispatch latency was observed") {
                let text = try await client.execute(uri: "/metrics", method: .get, headers: ServerHarness.authorized).text
                return Self.value(of: "hub_dispatch_latency_seconds_count", in: text) ?? 0 >= 1
            }
            let response = try await client.execute(uri: "/metrics", method: .get, headers: ServerHarness.authorized)
            #expect(response.headers[.contentType]?.hasPrefix("text/plain") == true)
            let text = response.text
            // Gauges are floating point in swift-prometheus's exposition.
            #expect(text.contains("hub_render_queue_depth 1.0\n"))
            #expect(text.contains("hub_renders{status=\"processing\"} 1.0\n"))
            #expect(text.contains("hub_renders{status=\"pending\"} 1.0\n"))
            let count = Self.value(of: "hub_dispatch_latency_seconds_count", in: text)
            #expect(count != nil && count == Self.value(of: "hub_dispatch_latency_seconds_bucket{le=\"+Inf\"}", in: text))
            #expect(text.contains("# TYPE hub_dispatch_latency_seconds histogram"))
        }
    }

    /// With Redis unreachable the server still serves what PostgreSQL knows, reports Redis as
    /// disconnected, registers without a live feed, and still accepts render jobs (the outbox keeps
    /// their signal).
    @Test func withoutRedisTheDatabaseRoutesStillWork() async throws {
        let harness = try await ServerHarness.make(redisURL: "redis://127.0.0.1:1/0")
        try await harness.run(waitForLiveFeed: false) { client in
            let health = try await client.execute(uri: "/api/health", method: .get)
            #expect(health.status == .serviceUnavailable)
            #expect((try health.json()["dependencies"] as? [String: String])?["redis"] == "disconnected")
            var headers = ServerHarness.authorized
            headers[.contentType] = "application/json"
            let created = try await client.execute(uri: "/api/v1/render", method: .post, headers: headers,
                                                   body: ByteBuffer(string: #"{"template":"leaderboard"}"#))
            #expect(created.status == .created)
            #expect(try created.json()["published"] as? Bool == false)
            let dashboard = try await client.execute(uri: "/api/dashboard", method: .get, headers: headers)
            #expect(dashboard.status == .ok)
            #expect((try dashboard.json()["totals"] as? [String: Int])?["pending"] == 1)
            try await waitUntil("the server registered without a live feed") {
                let workers = try await client.execute(uri: "/api/dashboard", method: .get, headers: ServerHarness.authorized)
                    .json()["workers"] as? [[String: Any]]
                return workers?.contains { $0["kind"] as? String == "hub-server" && $0["mode"] as? String == "no-live-feed" } == true
            }
            #expect(!harness.server.events.isSubscribed)
        }
    }

    /// The histogram counts the time from a submission's event to its claim's event, in buckets.
    @Test func dispatchLatencyHistogramPairsSubmissionAndStart() {
        let metrics = ServerMetrics()
        let submitted = Date(timeIntervalSince1970: 1_800_000_000)
        metrics.observe(type: "instruction_updated", instructionID: 7, status: "pending", timestamp: submitted)
        metrics.observe(type: "render_started", instructionID: 8, status: "processing", timestamp: submitted) // never submitted
        metrics.observe(type: "render_started", instructionID: 7, status: "processing", timestamp: submitted.addingTimeInterval(0.004))
        metrics.observe(type: "render_started", instructionID: 7, status: "processing", timestamp: submitted.addingTimeInterval(9)) // counted once
        let text = metrics.prometheusText()
        #expect(text.contains("hub_dispatch_latency_seconds_bucket{le=\"0.0025\"} 0\n"))
        #expect(text.contains("hub_dispatch_latency_seconds_bucket{le=\"0.005\"} 1\n"))
        #expect(text.contains("hub_dispatch_latency_seconds_bucket{le=\"+Inf\"} 1\n"))
        #expect(text.contains("hub_dispatch_latency_seconds_count 1\n"))
        #expect(text.contains("hub_events_received_total 4\n"))
    }

    /// The value of the sample line `name` in Prometheus text.
    static func value(of name: String, in text: String) -> Int? {
        text.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Int($0.split(separator: " ").last ?? "") }
    }
}
