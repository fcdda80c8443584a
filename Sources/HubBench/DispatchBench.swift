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
    @Option(help: "Instructions per submit call in the throughput run (1: one at a time; more: the bulk submit).") var batch = 1
    @Option(help: "Modes to run: redis, fallback or both.") var mode = "both"
    @Option(help: "Finished instructions (with an output and their timeline) stored before each run, as a hub that has been in use holds (0: start from empty tables).") var history = 100_000
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
        var producers: Int
        var batch: Int
        /// CPU time of the whole system under test (this process, every PostgreSQL process of the
        /// server, Redis) per instruction during the throughput run, in milliseconds: a figure that
        /// does not depend on what else the machine is doing.
        var cpuMsPerInstruction: Double
        /// The same, split: hub process (producers and workers), PostgreSQL, Redis.
        var cpuMsHub: Double
        var cpuMsPostgres: Double
        var cpuMsRedis: Double
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
            print("hub-bench dispatch: \(workers) worker slots, \(producers) producers submitting \(batch == 1 ? "one at a time" : "\(batch) per call"), \(ProcessInfo.processInfo.activeProcessorCount) cores, no-op backend, durable commits")
            print(TextTable.render([["MODE", "LATENCY p50", "p99", "max", "THROUGHPUT", "CPU / INSTRUCTION"]] + results.map {
                [$0.mode, String(format: "%.2f ms", $0.latencyP50Ms), String(format: "%.2f ms", $0.latencyP99Ms),
                 String(format: "%.2f ms", $0.latencyMaxMs), String(format: "%.0f /s (%d jobs)", $0.throughputPerSecond, $0.throughputCount),
                 String(format: "%.3f ms (hub %.3f, postgres %.3f, redis %.3f)", $0.cpuMsPerInstruction, $0.cpuMsHub, $0.cpuMsPostgres, $0.cpuMsRedis)]
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
        // CASCADE: cue_items and gfx_triggers (migration 0008) reference render_instructions; they are
        // empty in the bench database, but TRUNCATE refuses a referenced table without them.
        try await pool.query("TRUNCATE render_instructions, render_outputs, render_outbox, render_timeline RESTART IDENTITY CASCADE")
        try await Self.seedHistory(pool, count: history)
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
            JOIN render_instructions r ON r.id = s.instruction_id AND r.template_name = 'latency'
            WHERE s.event = 'submitted' ORDER BY 1
            """).map { try $0.decode(Double.self, at: 0) }

        // Throughput: producers submit while the workers drain.
        let cpu = try await SystemCPU(pool: pool, redis: redis)
        let cpuBefore = try await cpu.seconds()
        let started = ContinuousClock.now
        let perProducer = throughputCount / producers / max(1, batch) * max(1, batch)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for p in 0..<producers {
                group.addTask { [batch] in
                    var i = 0
                    while i < perProducer {
                        let submissions = (i..<min(perProducer, i + max(1, batch))).map {
                            RenderSubmission(templateName: "throughput", layerData: ["p": .integer(Int64(p)), "i": .integer(Int64($0))])
                        }
                        if batch == 1 {
                            _ = try await queue.submit(submissions[0], actor: "bench")
                        } else {
                            _ = try await queue.submit(submissions, actor: "bench")
                        }
                        i += submissions.count
                    }
                }
            }
            try await group.waitForAll()
        }
        let total = latencyCount + perProducer * producers
        // The worker counts its committed completions: polling a count(*) from the database would
        // load the server being measured (it took about 6 % of PostgreSQL's time). The database
        // is checked once at the end.
        try await waitFor(timeout: 600, every: .milliseconds(5)) { worker.summary.completed >= total }
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let cpuSeconds = try await cpu.seconds() - cpuBefore
        worker.stop(grace: .seconds(5))
        _ = try await running.value
        let completed = try await pool.query("SELECT count(*) FROM render_instructions WHERE status = 'completed' AND template_name <> 'history'")[0].decode(Int.self, at: 0)
        guard completed == total else { throw BenchError("\(completed) of \(total) instructions are completed in the database") }
        let duplicates = try await pool.query("SELECT count(*) FROM (SELECT instruction_id FROM render_outputs GROUP BY 1 HAVING count(*) > 1) d")[0].decode(Int.self, at: 0)
        guard duplicates == 0 else { throw BenchError("\(duplicates) instructions completed more than once") }
        await pool.close(); await workerPool.close(); await redis.close(); await workerRedis.close()

        func percentile(_ p: Double) -> Double {
            latencies.isEmpty ? 0 : latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))]
        }
        return Figures(mode: mode, latencyP50Ms: percentile(0.5), latencyP99Ms: percentile(0.99), latencyMaxMs: latencies.last ?? 0,
                       throughputPerSecond: Double(perProducer * producers) / seconds, throughputCount: perProducer * producers, workers: workers,
                       producers: producers, batch: batch, cpuMsPerInstruction: cpuSeconds.total * 1000 / Double(perProducer * producers),
                       cpuMsHub: cpuSeconds.hub * 1000 / Double(perProducer * producers),
                       cpuMsPostgres: cpuSeconds.postgres * 1000 / Double(perProducer * producers),
                       cpuMsRedis: cpuSeconds.redis * 1000 / Double(perProducer * producers))
    }

    /// Fills the emptied tables with `count` finished instructions of the last week, each with its
    /// output row and three timeline entries, then vacuums and analyzes them. A hub in use holds
    /// such a history (the dashboard benchmark stores a million); without it the run starts on
    /// empty tables, whose statistics make the planner scan and hash the whole (tiny) table where
    /// a table in use is read through its primary key — plans that fall behind as the run fills it.
    static func seedHistory(_ pool: PostgresPool, count: Int) async throws {
        guard count > 0 else { return }
        try await pool.query("""
            WITH g AS (
                SELECT i, now() - interval '10 minutes' - random() * interval '7 days' AS created,
                       'completed' AS status
                FROM generate_series(1, \(count)::bigint) AS i
            )
            INSERT INTO render_instructions (template_name, layer_data, output_settings, status, priority, trigger_type,
                retry_count, attempt, error_message, data_hash, created_at, updated_at, scheduled_at, started_at, completed_at, worker_id)
            SELECT 'history', jsonb_build_object('i', i), '{"format":"png"}'::jsonb, status, 1 + i % 10, 'api',
                   CASE WHEN status = 'failed' THEN 3 ELSE 0 END, 1, CASE WHEN status = 'failed' THEN 'render failed' END,
                   md5(i::text) || md5((i + 1)::text), created, created + interval '5 seconds', created,
                   created + interval '1 second', created + interval '5 seconds', 'history-' || (i % 8)
            FROM g
            """)
        try await pool.query("""
            INSERT INTO render_outputs (instruction_id, attempt, status, output_path, error_message, started_at, completed_at, render_ms)
            SELECT id, 1, status, CASE WHEN status = 'completed' THEN '/history/' || id || '.png' END,
                   error_message, started_at, completed_at, 4000
            FROM render_instructions
            """)
        try await pool.query("""
            INSERT INTO render_timeline (instruction_id, occurred_at, event, from_status, to_status, actor, worker_id, attempt)
            SELECT r.id, t.at, t.event, t.from_status, t.to_status, coalesce(r.worker_id, 'history'), r.worker_id, 1
            FROM render_instructions r, LATERAL (VALUES (r.created_at, 'submitted', NULL, 'pending'),
                                                         (r.started_at, 'claimed', 'pending', 'processing'),
                                                         (r.completed_at, r.status, 'processing', r.status)) AS t(at, event, from_status, to_status)
            """)
        try await pool.withConnection {
            try await $0.executeScript("VACUUM ANALYZE render_instructions, render_outputs, render_timeline, render_outbox")
        }
    }

    func waitFor(timeout: Double = 30, every interval: Duration = .microseconds(200), _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(timeout)
        while try await !condition() {
            if ContinuousClock.now > deadline { throw BenchError("timed out") }
            try await Task.sleep(for: interval)
        }
    }
}

/// CPU time used so far by the system under test: this process, every process of the local
/// PostgreSQL server (the postmaster and its children, found through a backend's parent) and the
/// Redis server (its `INFO cpu`). Linux only (/proc).
struct SystemCPU {
    let postmaster: Int32
    let redis: RedisClient
    let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))

    init(pool: PostgresPool, redis: RedisClient) async throws {
        let backend = try await pool.query("SELECT pg_backend_pid()")[0].decode(Int.self, at: 0)
        guard let stat = Self.stat(Int32(backend)) else { throw BenchError("cannot read /proc/\(backend)/stat (the PostgreSQL server must be local)") }
        postmaster = stat.parent
        self.redis = redis
    }

    /// CPU seconds so far: this process, PostgreSQL, Redis.
    struct Split {
        var hub = 0.0, postgres = 0.0, redis = 0.0
        var total: Double { hub + postgres + redis }
        static func - (a: Split, b: Split) -> Split { Split(hub: a.hub - b.hub, postgres: a.postgres - b.postgres, redis: a.redis - b.redis) }
    }

    func seconds() async throws -> Split {
        let hub = Self.stat(getpid()).map { $0.cpuTicks } ?? 0
        var total = Self.stat(postmaster)?.cpuTicks ?? 0
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for entry in entries {
            guard let pid = Int32(entry), let stat = Self.stat(pid), stat.parent == postmaster else { continue }
            total += stat.cpuTicks
        }
        var redisSeconds = 0.0
        // In the fallback run Redis is unreachable (and idle): it counts as zero.
        if let info = try? await redis.send(["INFO", "cpu"]).string {
            for line in info.split(whereSeparator: \.isNewline) {
                let parts = line.split(separator: ":")
                if parts.count == 2, parts[0] == "used_cpu_sys" || parts[0] == "used_cpu_user", let value = Double(parts[1]) {
                    redisSeconds += value
                }
            }
        }
        return Split(hub: Double(hub) / ticks, postgres: Double(total) / ticks, redis: redisSeconds)
    }

    /// The parent pid and utime + stime (in clock ticks) of `pid`.
    static func stat(_ pid: Int32) -> (parent: Int32, cpuTicks: Int)? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        // Fields after the command name, from the 3rd: state ppid … utime (the 14th) stime (the 15th).
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let parent = Int32(fields[1]), let user = Int(fields[11]), let system = Int(fields[12]) else { return nil }
        return (parent, user + system)
    }
}
