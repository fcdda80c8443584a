import ArgumentParser
import Foundation
import HubCommandSupport
import HubCore
import HubPostgres
import HubRedis

/// `hub-bench schedule`: how close to its due time a scheduled instruction starts. Instructions
/// are submitted with due times spread ahead (`RenderSubmission.scheduledAt`, what `hubctl jobs
/// submit --at/--in` and `POST /api/v1/render`'s `scheduled_at` set); idle worker slots (no-op
/// renderer, a long idle wait so that only the due-time wake-up can start them on time) claim
/// them. Lateness = the `claimed` timeline entry's time − `scheduled_at`, both PostgreSQL's clock.
struct ScheduleBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schedule",
        abstract: "Measure how late scheduled instructions start after their due time (p50/p99).",
        discussion: """
            Uses a database of its own (hub_bench_schedule on the server of HUB_DATABASE_URL). COUNT \
            instructions are submitted at once, due from --lead seconds ahead, --spacing apart; two \
            worker slots in this process take them (idle wait 30 s). In fallback mode Redis is \
            unreachable for the producer and the worker alike.
            """
    )

    @Option(help: "Scheduled instructions.") var count = 100
    @Option(help: "Seconds until the first one is due.") var lead = 3.0
    @Option(help: "Seconds between due times.") var spacing = 0.1
    @Option(help: "Modes to run: redis, fallback or both.") var mode = "both"
    @Option(name: .customLong("env-file"), help: "The .env file to read.") var envFile = ".env"

    func validate() throws {
        guard count > 0, lead > 0, spacing >= 0 else { throw ValidationError("--count, --lead must be positive and --spacing not negative") }
        guard ["redis", "fallback", "both"].contains(mode) else { throw ValidationError("--mode must be redis, fallback or both") }
    }

    func run() async throws {
        HubLogging.bootstrap()
        let settings = try HubConfiguration(dotEnvPath: envFile)
        let url = try await DispatchBench.benchDatabase(baseURL: try settings.databaseURL(), name: "hub_bench_schedule")
        print("hub-bench schedule: \(count) instructions due \(lead) s ahead, \(spacing) s apart; 2 idle worker slots; lateness = claimed − scheduled_at (PostgreSQL clock)")
        print("MODE      COUNT  p50        p99        max        early")
        for mode in (mode == "both" ? ["redis", "fallback"] : [mode]) {
            let redisURL = mode == "redis" ? try settings.redisURL() : "redis://127.0.0.1:1/0"
            let late = try await measure(mode: mode, url: url, redisURL: redisURL)
            func percentile(_ p: Double) -> Double { late.isEmpty ? 0 : late[max(0, min(late.count - 1, Int((Double(late.count) * p).rounded(.up)) - 1))] }
            print([mode.padding(toLength: 8, withPad: " ", startingAt: 0), String(late.count).padding(toLength: 5, withPad: " ", startingAt: 0),
                   String(format: "%.2f ms", percentile(0.5)).padding(toLength: 9, withPad: " ", startingAt: 0),
                   String(format: "%.2f ms", percentile(0.99)).padding(toLength: 9, withPad: " ", startingAt: 0),
                   String(format: "%.2f ms", late.last ?? 0).padding(toLength: 9, withPad: " ", startingAt: 0),
                   String(late.filter { $0 < 0 }.count)].joined(separator: "  "))
        }
    }

    /// The lateness of each instruction in milliseconds, sorted.
    func measure(mode: String, url: String, redisURL: String) async throws -> [Double] {
        let pool = try PostgresPool(url: url, maxConnections: 4)
        defer { Task { await pool.close() } }
        try await pool.query("TRUNCATE render_instructions, render_outputs, render_outbox, render_timeline RESTART IDENTITY CASCADE")
        var redisConfiguration = try RedisConfiguration(url: redisURL)
        redisConfiguration.connectTimeout = .milliseconds(200)
        let dispatch = DispatchConfiguration(stream: "bench:schedule:\(mode)", group: "ae-workers")
        var workerSettings = RenderWorkerConfiguration()
        workerSettings.concurrency = 2
        workerSettings.idleWait = .seconds(30)
        workerSettings.outputDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("hub-bench-out")
        workerSettings.consumerPrefix = "schedule-\(mode)"
        let workerPool = try PostgresPool(url: url, maxConnections: 4)
        let worker = RenderWorker(queue: RenderQueue(store: RenderStore(pool: workerPool), redis: RedisClient(configuration: redisConfiguration),
                                                     dispatch: dispatch, source: "hub-bench"),
                                  backend: NoopBackend(), configuration: workerSettings)
        let working = Task { try await worker.run() }
        defer { working.cancel() }
        try await Task.sleep(for: .seconds(1)) // idle, the reader blocked

        let queue = RenderQueue(store: RenderStore(pool: pool), redis: RedisClient(configuration: redisConfiguration), dispatch: dispatch, source: "hub-bench")
        let start = Date().addingTimeInterval(lead)
        let submissions = (0..<count).map { index in
            RenderSubmission(templateName: "schedule_card", layerData: ["n": .integer(Int64(index))],
                             scheduledAt: start.addingTimeInterval(Double(index) * spacing))
        }
        for chunk in stride(from: 0, to: submissions.count, by: 50) {
            _ = try await queue.submit(Array(submissions[chunk..<min(chunk + 50, submissions.count)]), actor: "hub-bench")
        }
        let deadline = ContinuousClock.now + .seconds(Int64(lead + Double(count) * spacing + 30))
        while try await pool.query("SELECT count(*) FROM render_instructions WHERE status = 'completed'")[0].decode(Int.self, at: 0) < count {
            if ContinuousClock.now > deadline { throw BenchError("not every scheduled instruction completed in time (\(mode))") }
            try await Task.sleep(for: .milliseconds(100))
        }
        worker.stop(grace: .zero)
        return try await pool.query("""
            SELECT extract(epoch FROM c.occurred_at - r.scheduled_at) * 1000
            FROM render_instructions r JOIN render_timeline c ON c.instruction_id = r.id AND c.event = 'claimed'
            ORDER BY 1
            """).map { try $0.decode(Double.self, at: 0) }
    }
}
