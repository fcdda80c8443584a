import ArgumentParser
import Foundation
import HubCommandSupport
import HubCore
import HubPostgres
import HubRedis

/// `hub-bench dispatch`: render dispatch latency (commit → claimed) and sustained throughput of
/// no-op renders (submitted, claimed and completed with durable commits), with Redis and in the
/// PostgreSQL fallback mode.
struct DispatchBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dispatch",
        abstract: "Measure render dispatch latency and throughput, with Redis and in fallback mode.",
        discussion: """
            Uses a database of its own (hub_bench_dispatch, created on the server of HUB_DATABASE_URL and \
            emptied before each run). Latency: instructions submitted one at a time to idle workers; \
            the time from the instruction's insert to its claim, both stamped by PostgreSQL's clock. \
            Throughput: producers submit as fast as they can while the workers claim and complete with \
            the no-op backend; every commit is durable (fsync and synchronous_commit untouched).
            """
    )

    @Option(help: "Worker slots (in this process, each with its own connections).") var workers = 4
    @Option(help: "Instructions for the latency run.") var latencyCount = 500
    @Option(help: "Instructions for the throughput run.") var throughputCount = 5_000
    @Option(help: "Concurrent producers in the throughput run.") var producers = 4
    @Option(help: "Modes to run: redis, fallback or both.") var mode = "both"
    @Option(name: .customLong("env-file"), help: "The .env file to read.") var envFile = ".env"
    @Flag(help: "Print JSON.") var json = false

    struct Figures: Codable {
        var mode: String
        var latencyP50Ms: Double
        var latencyP99Ms: Double
        var latencyMaxMs: Double
        var throughputPerSecond: Double
        var throughputCount: Int
        var workers: Int
    }

    func run() async throws {
        HubLogging.bootstrap() // HUB_LOG_LEVEL=error hides the fallback run's expected Redis warnings
        let settings = try HubConfiguration(dotEnvPath: envFile)
        let baseURL = try settings.databaseURL()
        let redisURL = try settings.redisURL()
        let url = try await Self.benchDatabase(baseURL: baseURL)
        var results: [Figures] = []
        for m in mode == "both" ? ["redis", "fallback"] : [mode] {
            guard m == "redis" || m == "fallback" else { throw ValidationError("--mode must be redis, fallback or both") }
            results.append(try await measure(mode: m, url: url, redisURL: m == "redis" ? redisURL : "redis://127.0.0.1:1/0"))
        }
        if json {
            print(try JSONOutput.encode(results))
        } else {
            print("hub-bench dispatch: \(workers) worker slots, \(ProcessInfo.processInfo.activeProcessorCount) cores, no-op backend, durable commits")
            print(TextTable.render([["MODE", "LATENCY p50", "p99", "max", "THROUGHPUT"]] + results.map {
                [$0.mode, String(format: "%.2f ms", $0.latencyP50Ms), String(format: "%.2f ms", $0.latencyP99Ms),
                 String(format: "%.2f ms", $0.latencyMaxMs), String(format: "%.0f /s (%d jobs)", $0.throughputPerSecond, $0.throughputCount)]
            }))
        }
    }

    /// Creates (once) and migrates the benchmark's own database; returns its URL.
    static func benchDatabase(baseURL: String, name: String = "hub_bench_dispatch") async throws -> String {
        let admin = try PostgresPool(url: baseURL, maxConnections: 1)
        let exists = try await admin.query("SELECT 1 FROM pg_database WHERE datname = \(name)")
        if exists.isEmpty { try await admin.query("CREATE DATABASE \(identifier: name)") }
        await admin.close()
        guard let slash = baseURL.range(of: "/", options: .backwards, range: baseURL.range(of: "://")!.upperBound..<baseURL.endIndex) else {
            throw ValidationError("HUB_DATABASE_URL needs a database name")
        }
        var url = String(baseURL[..<slash.lowerBound]) + "/" + name
        if let query = baseURL.firstIndex(of: "?") { url += baseURL[query...] }
        let pool = try PostgresPool(url: url, maxConnections: 1)
        try await Migrator(pool: pool).up()
        await pool.close()
        return url
    }

    func measure(mode: String, url: String, redisURL: String) async throws -> Figures {
        let pool = try PostgresPool(url: url, maxConnections: producers + 2)
        try await pool.query("TRUNCATE render_instructions, render_outputs, render_outbox, render_timeline RESTART IDENTITY")
        var redisConfiguration = try RedisConfiguration(url: redisURL)
        redisConfiguration.connectTimeout = .milliseconds(300)
        redisConfiguration.poolSize = producers + 1
        let redis = RedisClient(configuration: redisConfiguration)
        let dispatch = DispatchConfiguration(stream: "bench:render:\(UUID().uuidString.prefix(8))")
        let queue = RenderQueue(store: RenderStore(pool: pool), redis: redis, dispatch: dispatch, source: "hub-bench")
        if mode == "redis" { try await queue.ensureGroup() }

        // The workers: their own pools, as a hub-worker process would have.
        let workerPool = try PostgresPool(url: url, maxConnections: workers + 2)
        let workerRedis = RedisClient(configuration: redisConfiguration)
        var configuration = RenderWorkerConfiguration()
        configuration.concurrency = workers
        configuration.idleWait = .seconds(1)
        configuration.outputDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("hub-bench-out")
        configuration.consumerPrefix = "bench-\(mode)"
        let worker = RenderWorker(queue: RenderQueue(store: RenderStore(pool: workerPool), redis: workerRedis, dispatch: dispatch, source: "hub-bench"),
                                  backend: NoopBackend(), configuration: configuration)
        let running = Task { try await worker.run() }
        try await waitFor { worker.mode.rawValue == (mode == "redis" ? "redis" : "db-fallback") || mode == "redis" }

        // Latency: one at a time, to idle workers.
        for i in 0..<latencyCount {
            let submitted = try await queue.submit(RenderSubmission(templateName: "latency", layerData: ["i": .integer(Int64(i))]), actor: "bench")
            try await waitFor { try await pool.query("SELECT 1 FROM render_instructions WHERE id = \(submitted.instruction.id) AND status <> 'pending'").count == 1 }
        }
        let latencies = try await pool.query("""
            SELECT extract(epoch FROM c.occurred_at - s.occurred_at) * 1000
            FROM render_timeline s JOIN render_timeline c ON c.instruction_id = s.instruction_id AND c.event = 'claimed'
            WHERE s.event = 'submitted' ORDER BY 1
            """).map { try $0.decode(Double.self, at: 0) }

        // Throughput: producers submit while the workers drain.
        let started = ContinuousClock.now
        let perProducer = throughputCount / producers
        try await withThrowingTaskGroup(of: Void.self) { group in
            for p in 0..<producers {
                group.addTask {
                    for i in 0..<perProducer {
                        _ = try await queue.submit(RenderSubmission(templateName: "throughput", layerData: ["p": .integer(Int64(p)), "i": .integer(Int64(i))]), actor: "bench")
                    }
                }
            }
            try await group.waitForAll()
        }
        let total = latencyCount + perProducer * producers
        try await waitFor(timeout: 600) {
            try await pool.query("SELECT count(*) FROM render_instructions WHERE status = 'completed'")[0].decode(Int.self, at: 0) == total
        }
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        worker.stop(grace: .seconds(5))
        _ = try await running.value
        let duplicates = try await pool.query("SELECT count(*) FROM (SELECT instruction_id FROM render_outputs GROUP BY 1 HAVING count(*) > 1) d")[0].decode(Int.self, at: 0)
        guard duplicates == 0 else { throw BenchError("\(duplicates) instructions completed more than once") }
        await pool.close(); await workerPool.close(); await redis.close(); await workerRedis.close()

        func percentile(_ p: Double) -> Double {
            latencies.isEmpty ? 0 : latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))]
        }
        return Figures(mode: mode, latencyP50Ms: percentile(0.5), latencyP99Ms: percentile(0.99), latencyMaxMs: latencies.last ?? 0,
                       throughputPerSecond: Double(perProducer * producers) / seconds, throughputCount: perProducer * producers, workers: workers)
    }

    func waitFor(timeout: Double = 30, _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(timeout)
        while try await !condition() {
            if ContinuousClock.now > deadline { throw BenchError("timed out") }
            try await Task.sleep(for: .microseconds(200))
        }
    }
}
