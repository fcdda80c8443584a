import ArgumentParser
import Foundation
import HubCommandSupport
import HubCore
import HubPostgres
import HubRedis

/// `hub-bench purge`: retention at scale (issue 16). Stores a history of finished instructions
/// (default 1,000,000, made with set-based SQL), then measures the dispatch latency of new
/// instructions — insert to claim, both stamped by PostgreSQL — while workers keep rendering,
/// first without a purge, then while ``RenderPurge`` removes the whole history; reports both
/// latencies and the purge rate.
struct PurgeBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "purge",
        abstract: "Measure claim latency while a purge removes a million finished instructions, and the purge rate.",
        discussion: """
            Uses a database of its own (hub_bench_purge on the server of HUB_DATABASE_URL, emptied \
            first). Producers submit at a steady pace (--rate per second in all) to no-op workers, in \
            Redis mode; the latency of each instruction is the time from its insert to its claim. \
            Phase 1 runs --baseline-seconds without a purge; phase 2 runs while the purge removes the \
            history (--rows instructions finished 31-90 days ago, each with an output row and three \
            timeline entries) in batches of --batch-size.
            """
    )

    @Option(help: "Finished instructions stored before the run (the history the purge removes).") var rows = 1_000_000
    @Option(help: "Worker slots.") var workers = 4
    @Option(help: "Instructions submitted per second (in total, by 4 producers).") var rate = 200
    @Option(name: .customLong("baseline-seconds"), help: "Length of the phase without a purge.") var baselineSeconds = 20
    @Option(name: .customLong("batch-size"), help: "Instructions per purge transaction.") var batchSize = 5000
    @Option(name: .customLong("env-file"), help: "The .env file to read.") var envFile = ".env"
    @Flag(help: "Print JSON.") var json = false

    struct Phase: Codable {
        var name: String
        var instructions: Int
        var latencyP50Ms: Double
        var latencyP90Ms: Double
        var latencyP99Ms: Double
        var latencyMaxMs: Double
        var seconds: Double
    }

    struct Figures: Codable {
        var history: Int
        var workers: Int
        var ratePerSecond: Int
        var batchSize: Int
        var purgeSeconds: Double
        var purgedInstructions: Int
        var purgedRows: Int
        var purgeInstructionsPerSecond: Double
        var purgeBatches: Int
        var withoutPurge: Phase
        var duringPurge: Phase
    }

    func run() async throws {
        HubLogging.bootstrap()
        let settings = try HubConfiguration(dotEnvPath: envFile)
        let url = try await DispatchBench.benchDatabase(baseURL: try settings.databaseURL(), name: "hub_bench_purge")
        let redisURL = try settings.redisURL()
        let pool = try PostgresPool(url: url, maxConnections: 8)
        try await pool.query("TRUNCATE render_instructions, render_outputs, render_outbox, render_timeline, render_failure_notices RESTART IDENTITY CASCADE")
        FileHandle.standardError.write(Data("hub-bench purge: storing \(rows) finished instructions\n".utf8))
        let seeded = ContinuousClock.now
        try await Self.seed(pool, count: rows)
        FileHandle.standardError.write(Data("hub-bench purge: stored in \(Self.seconds(ContinuousClock.now - seeded)) s\n".utf8))

        var redisConfiguration = try RedisConfiguration(url: redisURL)
        redisConfiguration.poolSize = 6
        let redis = RedisClient(configuration: redisConfiguration)
        let dispatch = DispatchConfiguration(stream: "bench:purge:\(UUID().uuidString.prefix(8))")
        let queue = RenderQueue(store: RenderStore(pool: pool), redis: redis, dispatch: dispatch, source: "hub-bench")
        try await queue.ensureGroup()
        let workerPool = try PostgresPool(url: url, maxConnections: workers + 2)
        let workerRedis = RedisClient(configuration: redisConfiguration)
        var configuration = RenderWorkerConfiguration()
        configuration.concurrency = workers
        configuration.idleWait = .seconds(1)
        configuration.outputDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("hub-bench-purge-out")
        configuration.consumerPrefix = "bench-purge"
        let worker = RenderWorker(queue: RenderQueue(store: RenderStore(pool: workerPool), redis: workerRedis, dispatch: dispatch, source: "hub-bench"),
                                  backend: NoopBackend(), configuration: configuration)
        let running = Task { try await worker.run() }

        // Producers at a steady pace until `stop` is set.
        let stop = LockedFlag()
        func produce(_ template: String) -> Task<Int, any Error> {
            Task {
                try await withThrowingTaskGroup(of: Int.self) { group in
                    let producers = 4
                    let interval = Duration.seconds(Double(producers) / Double(max(1, rate)))
                    for p in 0..<producers {
                        group.addTask {
                            var n = 0
                            var next = ContinuousClock.now
                            while !stop.isSet {
                                _ = try await queue.submit(RenderSubmission(templateName: template, layerData: ["p": .integer(Int64(p)), "n": .integer(Int64(n))]), actor: "bench")
                                n += 1
                                next += interval
                                if next > ContinuousClock.now { try await Task.sleep(until: next) } else { next = ContinuousClock.now }
                            }
                            return n
                        }
                    }
                    return try await group.reduce(0, +)
                }
            }
        }

        // Warm up, then phase 1: no purge.
        stop.set(false)
        let warm = produce("warmup")
        try await Task.sleep(for: .seconds(2))
        stop.set(true)
        _ = try await warm.value
        stop.set(false)
        let baselineStart = ContinuousClock.now
        let baseline = produce("without_purge")
        try await Task.sleep(for: .seconds(baselineSeconds))
        stop.set(true)
        _ = try await baseline.value
        let baselineSeconds = Self.seconds(ContinuousClock.now - baselineStart)

        // Phase 2: the same load while the purge runs.
        stop.set(false)
        let during = produce("during_purge")
        try await Task.sleep(for: .seconds(1))
        let purgePool = try PostgresPool(url: url, maxConnections: 1)
        let report = try await RenderPurge(pool: purgePool, batchSize: batchSize).run(finishedBefore: Date().addingTimeInterval(-30 * 86_400))
        stop.set(true)
        _ = try await during.value
        await purgePool.close()

        // Everything submitted is claimed and completed, once.
        try await waitFor {
            try await pool.query("SELECT count(*) FROM render_instructions WHERE status <> 'completed'")[0].decode(Int.self, at: 0) == 0
        }
        worker.stop(grace: .seconds(5))
        _ = try await running.value
        let left = try await pool.query("SELECT count(*) FROM render_instructions WHERE template_name = 'history'")[0].decode(Int.self, at: 0)
        guard left == 0 else { throw BenchError("\(left) history instructions are left after the purge") }
        let duplicates = try await pool.query("SELECT count(*) FROM (SELECT instruction_id FROM render_outputs GROUP BY 1 HAVING count(*) > 1) d")[0].decode(Int.self, at: 0)
        guard duplicates == 0 else { throw BenchError("\(duplicates) instructions completed more than once") }

        let figures = Figures(
            history: rows, workers: workers, ratePerSecond: rate, batchSize: batchSize, purgeSeconds: report.seconds,
            purgedInstructions: report.removed.instructions,
            purgedRows: report.removed.instructions + report.removed.outputs + report.removed.timeline + report.removed.outbox + report.removed.failureNotices,
            purgeInstructionsPerSecond: Double(report.removed.instructions) / max(report.seconds, 0.001), purgeBatches: report.batches,
            withoutPurge: try await phase(pool, "without_purge", seconds: baselineSeconds),
            duringPurge: try await phase(pool, "during_purge", seconds: report.seconds))
        await pool.close(); await workerPool.close(); await redis.close(); await workerRedis.close()
        if json {
            print(try JSONOutput.encode(figures))
            return
        }
        print("hub-bench purge: \(rows) finished instructions (each with an output row and 3 timeline entries), \(workers) worker slots, \(rate) submits/s, \(ProcessInfo.processInfo.activeProcessorCount) cores, batches of \(batchSize)")
        print(String(format: "purge: %d instructions (%d rows) in %.1f s = %.0f instructions/s, %d batches",
                     figures.purgedInstructions, figures.purgedRows, figures.purgeSeconds, figures.purgeInstructionsPerSecond, figures.purgeBatches))
        print(TextTable.render([["PHASE", "INSTRUCTIONS", "CLAIM LATENCY p50", "p90", "p99", "max"]] + [figures.withoutPurge, figures.duringPurge].map {
            [$0.name, String($0.instructions), String(format: "%.2f ms", $0.latencyP50Ms), String(format: "%.2f ms", $0.latencyP90Ms),
             String(format: "%.2f ms", $0.latencyP99Ms), String(format: "%.2f ms", $0.latencyMaxMs)]
        }))
    }

    /// Insert-to-claim latencies of the instructions of `template`.
    func phase(_ pool: PostgresPool, _ template: String, seconds: Double) async throws -> Phase {
        let latencies = try await pool.query("""
            SELECT extract(epoch FROM c.occurred_at - s.occurred_at) * 1000
            FROM render_timeline s JOIN render_timeline c ON c.instruction_id = s.instruction_id AND c.event = 'claimed'
            JOIN render_instructions r ON r.id = s.instruction_id AND r.template_name = \(template)
            WHERE s.event = 'submitted' ORDER BY 1
            """).map { try $0.decode(Double.self, at: 0) }
        func percentile(_ p: Double) -> Double {
            latencies.isEmpty ? 0 : latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))]
        }
        return Phase(name: template, instructions: latencies.count, latencyP50Ms: percentile(0.5), latencyP90Ms: percentile(0.9),
                     latencyP99Ms: percentile(0.99), latencyMaxMs: latencies.last ?? 0, seconds: seconds)
    }

    /// `count` instructions finished 31-90 days ago, each with its output row and three timeline
    /// entries, in three set-based statements; then VACUUM ANALYZE.
    static func seed(_ pool: PostgresPool, count: Int) async throws {
        guard count > 0 else { return }
        try await pool.query("""
            WITH g AS (
                SELECT i, now() - interval '31 days' - random() * interval '59 days' AS created
                FROM generate_series(1, \(count)::bigint) AS i
            )
            INSERT INTO render_instructions (template_name, layer_data, output_settings, status, priority, trigger_type,
                attempt, data_hash, created_at, updated_at, scheduled_at, started_at, completed_at, worker_id)
            SELECT 'history', jsonb_build_object('i', i), '{"format":"png"}'::jsonb, 'completed', 1 + i % 10, 'api',
                   1, md5(i::text) || md5((i + 1)::text), created, created + interval '5 seconds', created,
                   created + interval '1 second', created + interval '5 seconds', 'history-' || (i % 8)
            FROM g
            """)
        try await pool.query("""
            INSERT INTO render_outputs (instruction_id, attempt, status, output_path, started_at, completed_at, render_ms)
            SELECT id, 1, 'completed', '/history/' || id || '.png', started_at, completed_at, 4000 FROM render_instructions
            """)
        try await pool.query("""
            INSERT INTO render_timeline (instruction_id, occurred_at, event, from_status, to_status, actor, worker_id, attempt)
            SELECT r.id, t.at, t.event, t.from_status, t.to_status, r.worker_id, r.worker_id, 1
            FROM render_instructions r, LATERAL (VALUES (r.created_at, 'submitted', NULL, 'pending'),
                                                         (r.started_at, 'claimed', 'pending', 'processing'),
                                                         (r.completed_at, 'completed', 'processing', 'completed')) AS t(at, event, from_status, to_status)
            """)
        try await pool.withConnection {
            try await $0.executeScript("VACUUM ANALYZE render_instructions, render_outputs, render_timeline, render_outbox")
        }
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    func waitFor(timeout: Double = 120, _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(timeout)
        while try await !condition() {
            if ContinuousClock.now > deadline { throw BenchError("timed out waiting for the workers") }
            try await Task.sleep(for: .milliseconds(50))
        }
    }
}

/// A flag shared by the producers.
final class LockedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set(_ newValue: Bool) { lock.withLock { value = newValue } }
}
