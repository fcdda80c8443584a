import Foundation
import HubCore
import HubPostgres
import HubTestSupport
import Testing

/// `hub-worker` under the process runtime (issue 14), through the real binary: `/metrics` on
/// `--metrics-port` moves while work happens, SIGTERM stops it within its grace with running work
/// finished or handed back, and a second signal hands back at once.
@Suite(.serialized, .timeLimit(.minutes(5))) struct WorkerRuntimeTests {
    static let apiKey = "worker-metrics-key"

    /// The status and body of `/metrics` of the worker on `port`, or nil while nothing answers.
    static func scrape(_ port: Int, key: String? = apiKey) async -> (status: Int, text: String)? {
        HTTPProbe.get(port: port, path: "/metrics", headers: key.map { ["X-API-Key": $0] } ?? [:]).map { ($0.status, $0.body) }
    }

    /// The value of the sample `line` (name with labels) in Prometheus text, 0 when absent.
    static func value(_ line: String, in text: String) -> Double {
        text.split(separator: "\n").first { $0.hasPrefix(line + " ") }.flatMap { Double($0.split(separator: " ").last ?? "") } ?? 0
    }

    func script(_ body: String) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("hub-runtime-\(UUID()).sh")
        try ("#!/bin/bash\n" + body).write(to: url, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path)
        return url.path
    }

    func prepare() async throws -> (env: [String: String], pool: PostgresPool) {
        let url = try await scratchDatabaseURL()
        let endpoints = try await TestServices.endpoints()
        let pool = try PostgresPool(url: url, maxConnections: 4)
        try await Migrator(pool: pool).up()
        return (["HUB_DATABASE_URL": url, "HUB_REDIS_URL": endpoints.redisURL, "HUB_API_KEYS": Self.apiKey,
                 "HUB_RENDER_STREAM": "runtime:\(UUID().uuidString.prefix(8))"], pool)
    }

    func insert(_ pool: PostgresPool, _ template: String, count: Int = 1) async throws {
        try await pool.query("""
            INSERT INTO render_instructions (template_name, output_settings, data_hash)
            SELECT \(template), '{"format":"png"}', encode(sha256((\(template) || g || \(UUID().uuidString))::bytea), 'hex')
            FROM generate_series(1, \(count)) g
            """)
    }

    func status(_ pool: PostgresPool, _ template: String) async throws -> [String] {
        try await pool.query("SELECT status FROM render_instructions WHERE template_name = \(template) ORDER BY id").map { try $0.decode(String.self, at: 0) }
    }

    @Test func metricsMoveWhileTheWorkerRendersAndSIGTERMFinishesTheRunningRender() async throws {
        let (env, pool) = try await prepare()
        let port = HTTPProbe.freePort()
        let render = try script("echo 'progress: 1/2'\nsleep 2\nprintf done > \"$2\"\n")
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("hub-runtime-out-\(UUID())").path
        let worker = try ChaosTests.Worker(["--backend", "command", "--command", render, "--output-dir", output, "--concurrency", "2",
                                            "--metrics-port", String(port), "--grace", "20s"], environment: env)
        defer { if worker.process.isRunning { worker.signal(SIGKILL) } }
        try await waitUntil("the metrics endpoint to answer", timeout: 60) { await Self.scrape(port) != nil }
        let anonymous = await Self.scrape(port, key: nil)
        #expect(anonymous?.status == 401, "/metrics needs credentials")
        let before = try #require(await Self.scrape(port)).text
        #expect(Self.value("hub_claims_total{mode=\"redis\"}", in: before) == 0)
        #expect(Self.value("hub_process_up{program=\"hub-worker\"}", in: before) == 1)

        try await insert(pool, "metered", count: 2)
        try await waitUntil("two completions counted in /metrics", timeout: 60) {
            Self.value("hub_renders_total{outcome=\"completed\"}", in: await Self.scrape(port)?.text ?? "") == 2
        }
        let after = try #require(await Self.scrape(port)).text
        #expect(Self.value("hub_claims_total{mode=\"redis\"}", in: after) + Self.value("hub_claims_total{mode=\"database_fallback\"}", in: after) == 2)
        #expect(Self.value("hub_dispatch_latency_seconds_count", in: after) == 2)

        // SIGTERM during a render: it finishes within the grace and the worker exits 0.
        try await insert(pool, "finishing")
        try await waitUntil("the render to start", timeout: 60) { try await status(pool, "finishing") == ["processing"] }
        worker.signal(SIGTERM)
        try await waitUntil("hub-worker to exit after SIGTERM", timeout: 30) { !worker.process.isRunning }
        #expect(worker.process.terminationStatus == 0)
        #expect(try await status(pool, "finishing") == ["completed"], "the running render finished within the grace")
        let registry = try await pool.query("SELECT count(*) FROM service_registry WHERE kind = 'hub-worker' AND stopped_at IS NULL")
        #expect(try registry[0].decode(Int.self, at: 0) == 0, "the worker deregistered")
        try await assertRenderInvariants(pool, outputDirectories: [URL(fileURLWithPath: output)])
        await pool.close()
    }

    @Test func aSecondSignalHandsTheRunningRenderBackAtOnce() async throws {
        let (env, pool) = try await prepare()
        let render = try script("echo 'progress: 1/10'\nsleep 60\nprintf done > \"$2\"\n")
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("hub-runtime-out-\(UUID())").path
        var notices = env
        notices["HUB_LOG_LEVEL"] = "notice" // its "stopping" line says it took the first signal
        let worker = try ChaosTests.Worker(["--backend", "command", "--command", render, "--output-dir", output, "--grace", "10m"], environment: notices)
        defer { if worker.process.isRunning { worker.signal(SIGKILL) } }
        try await insert(pool, "long")
        try await waitUntil("the render to start", timeout: 60) { try await status(pool, "long") == ["processing"] }
        worker.signal(SIGTERM)
        try await waitUntil("hub-worker to take the first signal", timeout: 30) { worker.output.contains("stopping: no new claims") }
        #expect(worker.process.isRunning, "the first signal waits for the render (grace 10 min)")
        #expect(try await status(pool, "long") == ["processing"], "the render goes on")
        worker.signal(SIGTERM)
        try await waitUntil("hub-worker to exit after the second signal", timeout: 30) { !worker.process.isRunning }
        #expect(worker.process.terminationStatus == 0)
        #expect(try await status(pool, "long") == ["pending"], "handed back for another worker")
        let crashes = try await pool.query("SELECT count(*) FROM render_timeline WHERE event = 'lease_expired'")
        #expect(try crashes[0].decode(Int.self, at: 0) == 0, "a hand-back is not a crash")
        try await assertRenderInvariants(pool, outputDirectories: [URL(fileURLWithPath: output)])
        await pool.close()
    }
}
