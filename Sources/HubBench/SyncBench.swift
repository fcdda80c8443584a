import ArgumentParser
import Foundation
import HubCommandSupport
import HubCore
import HubPostgres

/// `hub-bench sync`: a season of real-size PokerGFX exports through the real `hub-sync gfx`
/// (first import, then unchanged re-runs), with wall time, rates and CPU per hand.
struct SyncBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Import a corpus of real-size PokerGFX exports through hub-sync gfx (first import, unchanged re-runs) and measure it.",
        discussion: """
            Builds FILES exports from the real samples (Samples/gfx and ../shared/fixtures/gfx): every file a \
            session of its own (new ID), HANDS-MIN to HANDS-MAX hands each (uniform, deterministic for the seed), \
            every hand distinct (HandNum and start time), seats named from a pool of PLAYERS names. Then, on a \
            fresh database (hub_bench_sync on the server of HUB_DATABASE_URL, dropped, created and migrated), \
            runs the hub-sync binary beside this one as a user would: `hub-sync gfx CORPUS --json --no-progress` \
            (import, grading, automatic graphics), then the same command RESYNCS times with nothing changed. \
            Reports wall time, hands/s, rows/s per table, and CPU per hand: hub-sync's (wait4) and the \
            PostgreSQL server's (/proc, the whole server: give the benchmark a server of its own). \
            Every commit is durable.
            """
    )

    @Option(help: "Export files in the corpus.") var files = 1_400
    @Option(name: .customLong("hands-min"), help: "Fewest hands in a file.") var handsMin = 50
    @Option(name: .customLong("hands-max"), help: "Most hands in a file.") var handsMax = 130
    @Option(help: "Distinct player names the seats are drawn from.") var players = 2_000
    @Option(help: "Seed of the corpus (the same seed builds the same corpus).") var seed: UInt64 = 17
    @Option(help: "Unchanged re-runs to time.") var resyncs = 3
    @Option(help: "--concurrency passed to hub-sync (default: hub-sync's own).") var concurrency: Int?
    @Option(help: "Folders holding PokerGFX samples (repeatable).") var samples: [String] = ["Samples/gfx", "../shared/fixtures/gfx"]
    @Option(help: "Build the corpus here and keep it (reused when it holds the same corpus); default: a temporary folder, removed.")
    var corpus: String?
    @Option(name: .customLong("hub-sync"), help: "The hub-sync binary (default: the one beside hub-bench).") var hubSync: String?
    @Option(name: .customLong("evaluator-hands"), help: "Random 7-card hands for the evaluator row (0 = skip).") var evaluatorHands = 2_000_000
    @Flag(name: .customLong("parse-only"), help: "Also time reading and checking every file in this process, one thread, no database.")
    var parseOnly = false
    @Option(name: .customLong("env-file"), help: "The .env file to read.") var envFile = ".env"
    @Flag(help: "Print JSON.") var json = false

    struct Run: Codable {
        var wallSeconds: Double
        var importSeconds: Double?
        var hubSyncCPUSeconds: Double
        var postgresCPUSeconds: Double?
        var hubSyncMaxRSSMB: Double
        var filesImported: Int
        var filesUnchanged: Int
        var handsGraded: Int
    }

    struct Figures: Codable {
        var corpus: SyncCorpus.Summary
        var corpusSeconds: Double
        var first: Run
        var rows: [String: Int]
        var resyncs: [Run]
        var parseOnlySeconds: Double?
        var evaluatorHandsPerSecond: Double?
        var cores: Int
    }

    /// The tables an import fills, in the order they are reported.
    static let tables = ["gfx_sessions", "gfx_hands", "gfx_hand_players", "gfx_events", "gfx_players", "gfx_files", "hand_grades"]

    func validate() throws {
        guard files > 0, handsMin > 0, handsMax >= handsMin, players > 0 else {
            throw ValidationError("--files, --hands-min and --players must be positive, --hands-max at least --hands-min")
        }
    }

    func run() async throws {
        HubLogging.bootstrap()
        let settings = try HubConfiguration(dotEnvPath: envFile)
        let baseURL = try settings.databaseURL()
        let binary = hubSync ?? URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
            .appendingPathComponent("hub-sync").path
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw BenchError("hub-sync was not found at \(binary): build it (swift build -c release --product hub-sync) or pass --hub-sync")
        }
        let clock = ContinuousClock()

        // The corpus.
        let builder = SyncCorpus(sampleDirectories: samples, files: files, minHands: handsMin, maxHands: handsMax, players: players, seed: seed)
        let root: URL
        let keep = corpus != nil
        if let corpus { root = URL(fileURLWithPath: corpus).standardizedFileURL } else {
            root = FileManager.default.temporaryDirectory.appendingPathComponent("hub-bench-sync-\(UUID().uuidString)")
        }
        defer { if !keep { try? FileManager.default.removeItem(at: root) } }
        let corpusStart = clock.now
        let summary = try buildOrReuse(builder, at: root)
        let corpusTime = clock.now - corpusStart
        if !json {
            print(String(format: "hub-bench sync: corpus of %ld files, %ld hands (%ld–%ld per file), %.0f MB (%.0f KB per file), built in %.1f s%@",
                         summary.files, summary.hands, summary.minHands, summary.maxHands, Double(summary.bytes) / 1e6,
                         Double(summary.bytes) / Double(summary.files) / 1e3, corpusTime.seconds, keep ? " at \(root.path)" : ""))
        }

        var parseSeconds: Double?
        if parseOnly {
            let start = clock.now
            for file in try GFXScanner.scan([root.appendingPathComponent("data").path]) {
                _ = try GFXImporter.check(try Data(contentsOf: URL(fileURLWithPath: file.path)), path: file.path)
            }
            parseSeconds = (clock.now - start).seconds
        }

        // A fresh database, and the server's CPU counter.
        let url = try await Self.freshDatabase(baseURL: baseURL)
        let pool = try PostgresPool(url: url, maxConnections: 2)
        let backend = try await pool.query("SELECT pg_backend_pid()")[0].decode(Int32.self, at: 0)
        let server = ServerCPU(backendPID: backend)
        if server == nil && !json { print("(PostgreSQL is not a local process here: its CPU is not reported)") }

        var environment = ProcessInfo.processInfo.environment
        environment["HUB_DATABASE_URL"] = url
        if let redis = try? settings.redisURL() { environment["HUB_REDIS_URL"] = redis }
        environment["HUB_LOG_LEVEL"] = environment["HUB_LOG_LEVEL"] ?? "warning"
        var arguments = ["gfx", root.appendingPathComponent("data").path, "--json", "--no-progress"]
        if let concurrency { arguments += ["--concurrency", String(concurrency)] }
        let scratch = FileManager.default.temporaryDirectory

        func measured() async throws -> (Run, Output) {
            let before = server?.sample()
            let child = try await ChildRun.run(binary, arguments, environment: environment, scratch: scratch)
            // The run's backends exit with hub-sync; wait until the server has reaped them.
            for _ in 0..<100 {
                let open = try await pool.query("""
                    SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()
                    """)[0].decode(Int.self, at: 0)
                if open == 0 { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            let after = server?.sample()
            guard child.status == 0 || child.status == 1, let output = try? Self.decoder.decode(Output.self, from: Data(child.stdout.utf8)) else {
                throw BenchError("hub-sync exited with \(child.status): \(child.stderr.suffix(2_000))")
            }
            guard output.succeeded, let gfx = output.sources.first, gfx.counts.filesFailed == 0 else {
                throw BenchError("hub-sync did not import every file: \(child.stdout.prefix(2_000))")
            }
            let run = Run(wallSeconds: child.wallSeconds, importSeconds: Double(gfx.durationMs) / 1000, hubSyncCPUSeconds: child.cpuSeconds,
                          postgresCPUSeconds: before.flatMap { b in after.map { $0 - b } }, hubSyncMaxRSSMB: Double(child.maxResidentKB) / 1024,
                          filesImported: gfx.counts.filesImported, filesUnchanged: gfx.counts.filesUnchanged, handsGraded: output.handsGraded)
            return (run, output)
        }

        let (first, _) = try await measured()
        guard first.filesImported == files else { throw BenchError("the first import imported \(first.filesImported) of \(files) files") }
        var rows: [String: Int] = [:]
        for table in Self.tables {
            rows[table] = try await pool.query("SELECT count(*) FROM \(identifier: table)")[0].decode(Int.self, at: 0)
        }
        guard rows["gfx_hands"] == summary.hands else {
            throw BenchError("the database holds \(rows["gfx_hands"] ?? 0) hands, the corpus \(summary.hands)")
        }
        var again: [Run] = []
        for _ in 0..<max(0, resyncs) {
            let (run, _) = try await measured()
            guard run.filesUnchanged == files else { throw BenchError("an unchanged re-run imported files: \(run)") }
            again.append(run)
        }
        await pool.close()

        var evaluator: Double?
        if evaluatorHands > 0 {
            let (count, time) = Self.evaluatorRun(hands: evaluatorHands)
            evaluator = Double(count) / time.seconds
        }
        let figures = Figures(corpus: summary, corpusSeconds: corpusTime.seconds, first: first, rows: rows, resyncs: again,
                              parseOnlySeconds: parseSeconds, evaluatorHandsPerSecond: evaluator,
                              cores: ProcessInfo.processInfo.activeProcessorCount)
        if json {
            print(try JSONOutput.encode(figures))
        } else {
            print(Self.report(figures))
        }
    }

    /// The corpus at `root/data`, built unless `root/corpus.json` says it holds this very corpus.
    func buildOrReuse(_ builder: SyncCorpus, at root: URL) throws -> SyncCorpus.Summary {
        let manifest = root.appendingPathComponent("corpus.json")
        let wanted = SyncCorpus.Summary(files: files, hands: 0, bytes: 0, minHands: handsMin, maxHands: handsMax, players: players, seed: seed,
                                        templates: 0)
        if let data = try? Data(contentsOf: manifest), let existing = try? JSONDecoder().decode(SyncCorpus.Summary.self, from: data),
           existing.files == wanted.files, existing.minHands == wanted.minHands, existing.maxHands == wanted.maxHands,
           existing.players == wanted.players, existing.seed == wanted.seed {
            return existing
        }
        try? FileManager.default.removeItem(at: root)
        let summary = try builder.write(to: root.appendingPathComponent("data"))
        try JSONEncoder().encode(summary).write(to: manifest)
        return summary
    }

    static func report(_ f: Figures) -> String {
        func s(_ v: Double) -> String { String(format: "%.2f s", v) }
        func perHand(_ v: Double?, _ hands: Int) -> String { v.map { String(format: "%.0f µs", $0 / Double(max(hands, 1)) * 1e6) } ?? "-" }
        let hands = f.corpus.hands
        var lines: [String] = []
        var table = [["RUN", "WALL", "OF WHICH IMPORT", "HANDS/S", "HUB-SYNC CPU", "POSTGRES CPU", "CPU/HAND (HUB-SYNC + PG)", "MAX RSS"]]
        func row(_ name: String, _ r: Run, rate: Bool) {
            table.append([name, s(r.wallSeconds), r.importSeconds.map(s) ?? "-",
                          rate ? String(format: "%.0f", Double(hands) / r.wallSeconds) : "-",
                          s(r.hubSyncCPUSeconds), r.postgresCPUSeconds.map(s) ?? "-",
                          "\(perHand(r.hubSyncCPUSeconds, hands)) + \(perHand(r.postgresCPUSeconds, hands))",
                          String(format: "%.0f MB", r.hubSyncMaxRSSMB)])
        }
        row("first import", f.first, rate: true)
        for (index, r) in f.resyncs.enumerated() { row("unchanged re-run \(index + 1)", r, rate: false) }
        lines.append(TextTable.render(table))
        var rows = [["TABLE", "ROWS", "ROWS/S (first import's wall time)"]]
        for name in tables { rows.append([name, String(f.rows[name] ?? 0), String(format: "%.0f", Double(f.rows[name] ?? 0) / f.first.wallSeconds)]) }
        lines.append(TextTable.render(rows))
        if let p = f.parseOnlySeconds {
            lines.append(String(format: "read and check only (this process, one thread, no database): %.2f s, %.0f µs per hand", p, p / Double(hands) * 1e6))
        }
        if let e = f.evaluatorHandsPerSecond { lines.append(String(format: "7-card evaluator: %.1f M hands/s", e / 1e6)) }
        lines.append("\(f.cores) cores; every commit durable")
        return lines.joined(separator: "\n")
    }

    /// The part of `hub-sync --json` the benchmark reads.
    /// hub-sync's `--json` has snake_case keys (`files_seen`, `duration_ms`).
    static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }

    struct Output: Decodable {
        struct Source: Decodable {
            struct Counts: Decodable { var filesSeen: Int; var filesImported: Int; var filesUnchanged: Int; var filesFailed: Int }
            var status: String
            var counts: Counts
            var durationMs: Int
        }
        var sources: [Source]
        var handsGraded: Int
        var succeeded: Bool
    }

    /// Evaluates random 7-card hands (dealt before timing into one flat array that stays in cache)
    /// and returns how many and how long.
    static func evaluatorRun(hands: Int) -> (Int, Duration) {
        let deck = Card.Suit.allCases.flatMap { suit in (2...14).map { Card(rank: $0, suit: suit)! } }
        var generator = SystemRandomNumberGenerator()
        let dealt = 10_000
        let flat: [Card] = (0..<dealt).flatMap { _ in deck.shuffled(using: &generator).prefix(7) }
        var hand = Array(flat[0..<7])
        let clock = ContinuousClock()
        var checksum = 0
        let start = clock.now
        var done = 0
        while done < hands {
            var offset = 0
            while offset < flat.count, done < hands {
                for i in 0..<7 { hand[i] = flat[offset + i] }
                checksum &+= HandEvaluator.evaluate(hand).strength
                offset += 7
                done += 1
            }
        }
        let elapsed = clock.now - start
        if checksum == 42 { print("") } // keeps the loop from being optimized away
        return (done, elapsed)
    }

    /// Drops and creates `name` next to the database of `baseURL`, migrated.
    static func freshDatabase(baseURL: String, name: String = "hub_bench_sync") async throws -> String {
        let admin = try PostgresPool(url: baseURL, maxConnections: 1)
        try await admin.query("DROP DATABASE IF EXISTS \(identifier: name)")
        try await admin.query("CREATE DATABASE \(identifier: name)")
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
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
