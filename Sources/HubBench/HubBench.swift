import ArgumentParser
import Foundation
import HubCore
import HubPostgres
import HubRedis

/// `hub-bench`: micro-benchmarks of the drivers against the raw C libraries.
///
/// Each benchmark runs the same sequential loop twice — once through the Swift client (pool,
/// actor on its own thread, bound-parameter query, typed reply) and once as a plain C loop on one
/// thread — in alternating rounds, and reports p50/p99 latency and operations per second.
@main
struct HubBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hub-bench",
        abstract: "Benchmarks of the hub: the drivers against raw C, and render dispatch.",
        subcommands: [DriversBench.self, DispatchBench.self, EntryBench.self, SyncBench.self, ServerBench.self, GraphicsBench.self, PurgeBench.self, ScheduleBench.self],
        defaultSubcommand: DriversBench.self
    )
}

struct DriversBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drivers",
        abstract: "Measure PostgreSQL SELECT 1 and Redis PING round trips through the Swift clients and through raw libpq/hiredis."
    )

    @Option(help: "Round trips per measured round.") var iterations = 20_000
    @Option(help: "Alternating rounds (raw, Swift, raw, Swift, …).") var rounds = 3
    @Option(help: "Unmeasured round trips before measuring.") var warmup = 2_000
    @Option(help: "Concurrent callers for the throughput benchmark (0 = skip).") var concurrency = 8
    @Option(name: .customLong("env-file"), help: "The .env file to read.") var envFile = ".env"
    @Flag(help: "Print JSON instead of a table.") var json = false

    func run() async throws {
        let configuration = try HubConfiguration(dotEnvPath: envFile)
        let databaseURL = try configuration.databaseURL()
        let redisURL = try configuration.redisURL()
        let pool = try PostgresPool(url: databaseURL, maxConnections: max(1, concurrency))
        let redis = try RedisClient(configuration: {
            var c = try RedisConfiguration(url: redisURL)
            c.poolSize = max(1, concurrency)
            return c
        }())
        let rawPostgres = try RawPostgres(url: databaseURL)
        let rawRedis = try RawRedis(configuration: redis.configuration)

        var results: [BenchResult] = []
        let selectOne: @Sendable () async throws -> Void = {
            let rows = try await pool.query("SELECT 1")
            guard rows.count == 1 else { throw BenchError("SELECT 1 returned \(rows.count) rows, tag '\(rows.commandTag)', \(rows.columns.count) columns") }
            guard try rows[0].decode(Int.self, at: 0) == 1 else { throw BenchError("SELECT 1 returned something else") }
        }
        let ping: @Sendable () async throws -> Void = {
            guard try await redis.ping() == "PONG" else { throw BenchError("PING did not answer PONG") }
        }

        // Warm up both paths (connections open, caches hot).
        _ = try await Loop.swift(warmup, selectOne)
        _ = try await Loop.onThread(warmup) { try rawPostgres.selectOne() }
        _ = try await Loop.swift(warmup, ping)
        _ = try await Loop.onThread(warmup) { try rawRedis.ping() }

        /// Alternates raw and Swift rounds so drift on the machine hits both sides alike.
        func compare(_ name: String, raw: @escaping @Sendable () throws -> Void, swift: () async throws -> Samples) async throws -> BenchResult {
            try await compare(name, rawLoop: { try await Loop.onThread(iterations, raw) }, swift: swift)
        }
        func compare(_ name: String, rawLoop: () async throws -> Samples, swift: () async throws -> Samples) async throws -> BenchResult {
            var rawSamples = Samples(), swiftSamples = Samples()
            for _ in 0..<rounds {
                rawSamples.append(try await rawLoop())
                swiftSamples.append(try await swift())
            }
            return BenchResult(name: name, raw: rawSamples.summary, swift: swiftSamples.summary)
        }

        results.append(try await compare("postgres SELECT 1, pool.query from a task", raw: { try rawPostgres.selectOne() }) {
            try await Loop.swift(iterations, selectOne)
        })
        results.append(try await compare("postgres SELECT 1, pool.query in pool.withAffinity", raw: { try rawPostgres.selectOne() }) {
            try await pool.withAffinity { try await Loop.swift(iterations, selectOne) }
        })
        // The same comparison with both loops on one thread: the C loop runs inside withAffinity,
        // on the pool connection's long-lived thread, where the Swift loop runs; the rows above
        // run it on a new thread per round. The difference between the two baselines is the
        // thread's, not the Swift layer's.
        results.append(try await compare("postgres SELECT 1, in pool.withAffinity, C loop on the same thread",
                                         rawLoop: { try await pool.withAffinity { try Loop.here(iterations) { try rawPostgres.selectOne() } } }) {
            try await pool.withAffinity { try await Loop.swift(iterations, selectOne) }
        })
        results.append(try await compare("redis PING, client.ping() from a task", raw: { try rawRedis.ping() }) {
            try await Loop.swift(iterations, ping)
        })
        results.append(try await compare("redis PING, client.ping() in client.withAffinity", raw: { try rawRedis.ping() }) {
            try await redis.withAffinity { try await Loop.swift(iterations, ping) }
        })
        results.append(try await compare("redis PING, in client.withAffinity, C loop on the same thread",
                                         rawLoop: { try await redis.withAffinity { try Loop.here(iterations) { try rawRedis.ping() } } }) {
            try await redis.withAffinity { try await Loop.swift(iterations, ping) }
        })

        if concurrency > 1 {
            let rawPG = try (0..<concurrency).map { _ in try RawPostgres(url: databaseURL) }
            let rawRD = try (0..<concurrency).map { _ in try RawRedis(configuration: redis.configuration) }
            let perCaller = iterations / concurrency
            let pgRawT = try await Loop.threads(rawPG.count, perCaller) { i in try rawPG[i].selectOne() }
            let pgSwiftT = try await Loop.tasks(concurrency, perCaller) { try await pool.query("SELECT 1") }
            let rdRawT = try await Loop.threads(rawRD.count, perCaller) { i in try rawRD[i].ping() }
            let rdSwiftT = try await Loop.tasks(concurrency, perCaller) { _ = try await redis.ping() }
            let pgAffineT = try await Loop.tasks(concurrency, perCaller, inside: { body in try await pool.withAffinity { try await body() } }) {
                try await pool.query("SELECT 1")
            }
            let rdAffineT = try await Loop.tasks(concurrency, perCaller, inside: { body in try await redis.withAffinity { try await body() } }) {
                _ = try await redis.ping()
            }
            results.append(BenchResult(name: "postgres SELECT 1 ×\(concurrency) concurrent tasks", raw: pgRawT, swift: pgSwiftT))
            results.append(BenchResult(name: "postgres SELECT 1 ×\(concurrency) tasks, each in withAffinity", raw: pgRawT, swift: pgAffineT))
            results.append(BenchResult(name: "redis PING ×\(concurrency) concurrent tasks", raw: rdRawT, swift: rdSwiftT))
            results.append(BenchResult(name: "redis PING ×\(concurrency) tasks, each in withAffinity", raw: rdRawT, swift: rdAffineT))
        }

        await pool.close()
        await redis.close()

        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(results), as: UTF8.self))
        } else {
            print("hub-bench: \(rounds) rounds × \(iterations) round trips, \(ProcessInfo.processInfo.activeProcessorCount) cores, Swift clients vs raw C loop")
            print(BenchResult.table(results))
        }
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
