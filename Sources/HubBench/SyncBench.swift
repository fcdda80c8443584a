import ArgumentParser
import Foundation
import HubCommandSupport
import HubCore
import HubPostgres

/// `hub-bench sync`: PokerGFX import speed (SPEC §10: 1,400 files in under 10 s, an unchanged
/// re-sync in under 1 s) and the hand evaluator's speed.
struct SyncBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Measure PokerGFX import speed (cold import, unchanged re-sync) and hand evaluations per second.",
        discussion: """
            Generates FILES exports from the two real ones in Samples/gfx (each with its own session id, \
            spread over table and day folders), imports them into a fresh database of its own \
            (hub_bench_sync, on the server of HUB_DATABASE_URL, dropped and created again each run) the way \
            `hub-sync gfx` does — scan, hash, one transaction per file, history — then grades the hands, \
            then syncs the unchanged tree again. Every commit is durable.
            """
    )

    @Option(help: "Export files to generate.") var files = 1_400
    @Option(help: "GFX files imported at once.") var concurrency = 4
    @Option(help: "Unchanged re-syncs to time (the best and the worst are reported).") var resyncs = 3
    @Option(help: "Random 7-card hands for the evaluator benchmark.") var hands = 2_000_000
    @Option(help: "Folder holding the PokerGFX samples.") var samples = "Samples/gfx/GG"
    @Option(name: .customLong("env-file"), help: "The .env file to read.") var envFile = ".env"
    @Flag(help: "Print JSON.") var json = false

    struct Figures: Codable {
        var files: Int
        var hands: Int
        var concurrency: Int
        var parseSeconds: Double
        var importSeconds: Double
        var filesPerSecond: Double
        var gradeSeconds: Double
        var resyncSecondsBest: Double
        var resyncSecondsWorst: Double
        var evaluatorHandsPerSecond: Double
        var evaluatorHands: Int
    }

    func run() async throws {
        HubLogging.bootstrap() // HUB_LOG_LEVEL=warning keeps the runs' info lines out of the figures
        let settings = try HubConfiguration(dotEnvPath: envFile)
        let url = try await Self.freshDatabase(baseURL: try settings.databaseURL())
        let tree = try generate()
        defer { try? FileManager.default.removeItem(at: tree) }
        let pool = try PostgresPool(url: url, maxConnections: concurrency + 4)
        var runner = SyncRunner(pool: pool, events: nil)
        runner.concurrency = concurrency
        let clock = ContinuousClock()

        // Reading, hashing and checking alone (what the import does before it writes).
        let parseStart = clock.now
        for file in try GFXScanner.scan([tree.path]) {
            let data = try Data(contentsOf: URL(fileURLWithPath: file.path))
            _ = try GFXImporter.check(data, path: file.path)
        }
        let parseTime = clock.now - parseStart

        let start = clock.now
        let cold = await runner.syncGFX(directories: [tree.path])
        let importTime = clock.now - start
        guard cold.status == "completed", cold.counts.filesImported == files else {
            throw BenchError("the import did not complete: \(cold.status), \(cold.counts.filesImported)/\(files) files, \(cold.reason ?? "")")
        }
        let gradeStart = clock.now
        let graded = try await runner.grade()
        let gradeTime = clock.now - gradeStart
        var resyncs: [Duration] = []
        for _ in 0..<max(1, self.resyncs) {
            let again = clock.now
            let result = await runner.syncGFX(directories: [tree.path])
            resyncs.append(clock.now - again)
            guard result.counts.filesUnchanged == files else { throw BenchError("the re-sync imported files: \(result.counts)") }
        }
        await pool.close()

        let (evaluated, evalTime) = evaluatorRun()
        let figures = Figures(files: files, hands: graded.count, concurrency: concurrency, parseSeconds: parseTime.seconds, importSeconds: importTime.seconds,
                              filesPerSecond: Double(files) / importTime.seconds, gradeSeconds: gradeTime.seconds,
                              resyncSecondsBest: resyncs.min()!.seconds, resyncSecondsWorst: resyncs.max()!.seconds,
                              evaluatorHandsPerSecond: Double(evaluated) / evalTime.seconds, evaluatorHands: evaluated)
        if json {
            print(try JSONOutput.encode(figures))
        } else {
            print("hub-bench sync: \(files) PokerGFX files (\(graded.count) hands), \(concurrency) at once, \(ProcessInfo.processInfo.activeProcessorCount) cores, durable commits")
            print(TextTable.render([
                ["WHAT", "TIME", "RATE"],
                ["read and check only (one thread, no database)", String(format: "%.2f s", figures.parseSeconds),
                 String(format: "%.0f files/s", Double(files) / figures.parseSeconds)],
                ["cold import (scan, hash, parse, one transaction per file)", String(format: "%.2f s", figures.importSeconds),
                 String(format: "%.0f files/s", figures.filesPerSecond)],
                ["grading (evaluate shown hands, store grades)", String(format: "%.2f s", figures.gradeSeconds),
                 String(format: "%.0f hands/s", Double(graded.count) / max(figures.gradeSeconds, 1e-9))],
                ["unchanged re-sync (best / worst of \(resyncs.count))", String(format: "%.3f s / %.3f s", figures.resyncSecondsBest, figures.resyncSecondsWorst),
                 String(format: "%.0f files/s", Double(files) / figures.resyncSecondsBest)],
                ["7-card evaluator", String(format: "%.2f s", evalTime.seconds), String(format: "%.1f M hands/s (%d hands)", figures.evaluatorHandsPerSecond / 1e6, evaluated)],
            ]))
        }
    }

    /// The export tree: files alternate between the two samples, each with a new session id.
    func generate() throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("hub-bench sync=\(UUID().uuidString)")
        let names = try FileManager.default.contentsOfDirectory(atPath: samples).filter { $0.hasSuffix(".json") }.sorted()
        guard !names.isEmpty else { throw BenchError("no PokerGFX samples in \(samples): run from the repository root or pass --samples") }
        let templates = try names.map { name -> (text: String, id: String) in
            let text = try String(contentsOfFile: "\(samples)/\(name)", encoding: .utf8)
            guard let id = name.split(separator: "=").last?.split(separator: ".").first else { throw BenchError("\(name) has no GameID") }
            return (text, String(id))
        }
        for i in 0..<files {
            let template = templates[i % templates.count]
            let id = 700_000_000_000_000_000 + Int64(i)
            let folder = root.appendingPathComponent("Table \(i % 8)/2026-07-\(10 + i % 5)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try template.text.replacingOccurrences(of: "\"ID\":\(template.id)", with: "\"ID\":\(id)")
                .write(to: folder.appendingPathComponent("PGFX_live_data_export GameID=\(id).json"), atomically: false, encoding: .utf8)
        }
        return root
    }

    /// Evaluates random 7-card hands (dealt before timing into one flat array that stays in cache)
    /// and returns how many and how long.
    func evaluatorRun() -> (Int, Duration) {
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
