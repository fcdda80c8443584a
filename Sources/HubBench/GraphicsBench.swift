import ArgumentParser
import AsyncHTTPClient
import Foundation
import HubCommandSupport
import HubCore
import HubPostgres
import HubRedis
import HubServerCore
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1

/// `hub-bench graphics`: the graphics package as its users meet it (Docs/graphics.md): the v3
/// document of every catalog composition through `GET /api/v1/graphics/{composition}/data` on a
/// 1,000-hand session, and the time from an export file rewritten with a new hand to the
/// automatic graphic's instruction being committed under `hub-sync --watch`.
struct GraphicsBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "graphics",
        abstract: "Measure graphics data latency through the API on a long session, and export-to-instruction latency under hub-sync --watch.",
        discussion: """
            Uses a database of its own (hub_bench_graphics on the server of HUB_DATABASE_URL, dropped and created each run). \
            A final-table export of --hands hands is generated and imported, the catalog loaded, a WSOP+ event with payouts, \
            a broadcast schedule and staff inserted. A hub-server runs in this process on a free loopback port; each composition \
            is fetched --requests times over one keep-alive connection (a player for the player graphics, the hand of an \
            elimination for Elimination). Then a hub-sync --watch process (the binary beside this one) watches the export's \
            folder with a rule every:1 → _MAIN Mini Chip Count, and the export is rewritten --rewrites times with one more hand; \
            each time, the time until the rule's instruction is visible in the database is measured (polled every 5 ms), \
            with a random pause of up to one poll interval between rewrites so the rewrites land anywhere in the watcher's cycle.
            """
    )

    @Option(help: "Hands in the generated session.") var hands = 1_000
    @Option(help: "Requests per composition.") var requests = 40
    @Option(help: "Export rewrites measured under hub-sync --watch (0 = skip).") var rewrites = 30
    @Option(name: .customLong("poll-seconds"), help: "hub-sync --watch poll interval.") var pollSeconds = 1
    @Option(help: "The graphics catalog.") var catalog = "Graphics/catalog.json"
    @Option(name: .customLong("env-file"), help: "The .env file to read.") var envFile = ".env"
    @Flag(help: "Print JSON.") var json = false

    struct Figures: Codable {
        var hands: Int
        var compositions: Int
        var data: Summary
        var slowestComposition: String
        var slowestP99Micros: Double
        var watch: Summary?
        var pollSeconds: Int
    }

    func run() async throws {
        HubLogging.bootstrap()
        let settings = try HubConfiguration(dotEnvPath: envFile)
        let url = try await SyncBench.freshDatabase(baseURL: try settings.databaseURL(), name: "hub_bench_graphics")
        let redisURL = try settings.redisURL()
        let password = UUID().uuidString
        let configuration = try HubConfiguration(environment: [
            "HUB_DATABASE_URL": url, "HUB_REDIS_URL": redisURL,
            "HUB_DASHBOARD_USERNAME": "bench", "HUB_DASHBOARD_PASSWORD": password, "HUB_SERVER_ADDRESS": "127.0.0.1:0",
        ], dotEnvPath: nil)
        let clients = try HubClients(configuration: configuration)
        let pool = clients.database
        let export = FinalTableExport(game: 638_980_000_000_000_001)
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("hub-bench-graphics-\(UUID().uuidString.prefix(8))")
        let folder = root.appendingPathComponent("FT")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let file = folder.appendingPathComponent(export.fileName)
        try export.data(hands: hands).write(to: file)

        // The moment's world: the session, the catalog, an event with payouts, schedule and staff.
        let runner = SyncRunner(pool: pool, events: nil, logger: Logger(label: "hub.bench.sync"))
        let imported = await runner.syncGFX(directories: [root.path], table: "FT")
        guard imported.status == "completed" else { throw BenchError("the generated export did not import: \(imported.reason ?? imported.status)") }
        _ = try await runner.grade()
        guard let catalogData = FileManager.default.contents(atPath: catalog) else { throw BenchError("cannot read \(catalog) (run from the repository root)") }
        let graphics = try GraphicsCatalog.parse(catalogData, file: catalog)
        _ = try await GraphicsStore(pool: pool).load(graphics, sourceFile: catalog, actor: "bench")
        let eventID = try await pool.query("""
            INSERT INTO wsop_events (event_key, name, buy_in, rake, entries, places_paid, prize_pool, day_name, series_name, venue)
            VALUES ('BENCH-ME', 'Main Event', 10000, 500, 2500, 375, 23750000, 'MAIN EVENT FINAL DAY', '2026 WSOP BENCH SERIES', 'Bench Casino')
            RETURNING id
            """)[0].decode(Int64.self, at: 0)
        try await pool.execute("""
            INSERT INTO wsop_payouts (event_id, place_start, place_end, amount_cents)
            SELECT \(eventID), p, p, (4000000 - p * 300000)::bigint * 100 FROM generate_series(1, 9) AS p
            """)
        try await pool.execute("""
            INSERT INTO broadcast_schedule (broadcast_date, time_start, event_title, channel)
            SELECT current_date + d, time '18:00', 'Main Event Day ' || d, 'WSOP+' FROM generate_series(0, 9) AS d
            """)
        let cues = CueStore(pool: pool)
        let session = try await cues.createSession(name: "Bench final table", eventKey: "BENCH-ME", tableID: "FT", scheduledAt: nil, actor: "bench")
        _ = try await cues.addStaff(session: session.id, role: .commentator, name: "Jeff Platt", socialHandle: "@jeffplatt")
        _ = try await cues.addStaff(session: session.id, role: .reporter, name: "Kara Scott", socialHandle: "@karascott")
        let eliminationHand = try await pool.query("""
            SELECT min(h.hand_num) FROM gfx_hands h JOIN gfx_hand_players p ON p.hand_id = h.id WHERE p.elimination_rank > 0
            """)[0].decode(Int?.self, at: 0)

        let leaderSeat = try await pool.query("""
            SELECT p.seat FROM gfx_hand_players p WHERE p.hand_id = (SELECT max(id) FROM gfx_hands) ORDER BY p.end_stack DESC, p.seat LIMIT 1
            """)[0].decode(Int.self, at: 0)

        // The server, in this process.
        let server = HubServer(clients: clients, settings: try HubServerSettings(configuration: configuration), logger: Logger(label: "hub.bench.server"))
        let port = PortBox()
        let app = server.makeApplication { port.set($0) }
        let running = Task { try await app.run() }
        defer { running.cancel() }
        let base = "http://127.0.0.1:\(try await port.value())"
        let authorization = "Basic " + Data("bench:\(password)".utf8).base64EncodedString()
        let http = HTTPClient(configuration: .init(connectionPool: .init(idleTimeout: .seconds(60))))

        var all = Samples()
        var slowest = ("", 0.0)
        let started = monotonicNanos()
        do {
        for composition in graphics.compositions {
            var query = "game=\(export.game)"
            switch composition.player {
            case .required: query += "&player=seat:\(leaderSeat)"
            case .eliminated: if let eliminationHand { query += "&hand=\(eliminationHand)" }
            case .none: break
            }
            let path = composition.name.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/?#+"))) ?? composition.name
            var request = HTTPClientRequest(url: "\(base)/api/v1/graphics/\(path)/data?\(query)")
            request.headers.add(name: "Authorization", value: authorization)
            var samples = Samples()
            for index in 0..<(requests + 5) {
                let t0 = monotonicNanos()
                let response = try await http.execute(request, timeout: .seconds(30))
                let body = try await response.body.collect(upTo: 4 << 20)
                let elapsed = monotonicNanos() - t0
                guard response.status == .ok else {
                    throw BenchError("\(composition.name) answered \(response.status): \(String(buffer: body).prefix(300))")
                }
                if index >= 5 { samples.nanos.append(elapsed) } // the first five warm the caches
            }
            let summary = samples.summary
            if summary.p99Micros > slowest.1 { slowest = (composition.name, summary.p99Micros) }
            all.nanos += samples.nanos
        }
        } catch {
            try? await http.shutdown()
            throw error
        }
        all.wallNanos = monotonicNanos() - started
        try await http.shutdown()
        running.cancel()

        var watch: Samples?
        if rewrites > 0 {
            watch = try await measureWatch(pool: pool, session: session.id, export: export, file: file, root: root, databaseURL: url, redisURL: redisURL)
        }
        await clients.shutdown()

        let figures = Figures(hands: hands, compositions: graphics.compositions.count, data: all.summary, slowestComposition: slowest.0,
                              slowestP99Micros: slowest.1, watch: watch?.summary, pollSeconds: pollSeconds)
        if json { print(try JSONOutput.encode(figures)); return }
        func ms(_ micros: Double) -> String { String(format: "%.2f ms", micros / 1000) }
        print("hub-bench graphics: a \(hands)-hand session, \(graphics.compositions.count) compositions × \(requests) requests, \(ProcessInfo.processInfo.activeProcessorCount) cores, server in this process")
        var table = [["MEASURE", "COUNT", "p50", "p99"]]
        table.append(["GET /api/v1/graphics/{composition}/data", "\(all.nanos.count)", ms(figures.data.p50Micros), ms(figures.data.p99Micros)])
        table.append(["  slowest composition: \(slowest.0) (p99)", "", "", ms(slowest.1)])
        if let w = figures.watch {
            table.append(["export rewritten → rule's instruction committed (hub-sync --watch --poll-seconds \(pollSeconds))", "\(w.count)",
                          ms(w.p50Micros), ms(w.p99Micros)])
        }
        print(TextTable.render(table))
    }

    /// Rewrites the export with one more hand at a time under a `hub-sync --watch` process and
    /// measures until the rule's instruction for that hand is in the database.
    func measureWatch(pool: PostgresPool, session: Int64, export: FinalTableExport, file: URL, root: URL, databaseURL: String, redisURL: String) async throws -> Samples {
        _ = try await CueRuleStore(pool: pool).add(session: session, table: "FT", on: .every(1), composition: "_MAIN Mini Chip Count", actor: "bench")
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("hub-sync")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw BenchError("hub-sync was not found beside hub-bench (\(binary.path)): build it (swift build -c release --product hub-sync)")
        }
        let process = Process()
        process.executableURL = binary
        process.arguments = ["gfx", root.path, "--watch", "--poll-seconds", String(pollSeconds), "--no-progress"]
        var environment = ProcessInfo.processInfo.environment
        environment["HUB_DATABASE_URL"] = databaseURL
        environment["HUB_REDIS_URL"] = redisURL
        environment["HUB_LOG_LEVEL"] = "warning"
        process.environment = environment
        process.currentDirectoryURL = root
        let log = root.appendingPathComponent("hub-sync.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        defer {
            process.terminate()
            process.waitUntilExit()
        }
        // The watcher's first pass (the unchanged file) is done when it registered itself.
        let deadline = Date().addingTimeInterval(60)
        while try await pool.query("SELECT 1 FROM service_registry WHERE kind = 'hub-sync'").isEmpty {
            guard process.isRunning, Date() < deadline else {
                throw BenchError("hub-sync --watch did not start: \((try? String(contentsOf: log, encoding: .utf8))?.suffix(500) ?? "")")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        try await Task.sleep(for: .seconds(pollSeconds + 1))
        var samples = Samples()
        let started = monotonicNanos()
        for index in 1...rewrites {
            let hand = hands + index
            let data = try export.data(hands: hand)
            try await Task.sleep(for: .milliseconds(Int.random(in: 0..<(pollSeconds * 1000))))
            let t0 = monotonicNanos()
            try data.write(to: file)
            let wait = Date().addingTimeInterval(30)
            while true {
                let found = try await pool.query("""
                    SELECT 1 FROM cue_rule_firings f JOIN gfx_hands h ON h.id = f.hand_id
                    WHERE h.hand_num = \(hand) AND f.render_instruction_id IS NOT NULL
                    """)
                if !found.isEmpty { break }
                guard Date() < wait, process.isRunning else {
                    throw BenchError("no instruction for hand \(hand) within 30 s: \((try? String(contentsOf: log, encoding: .utf8))?.suffix(800) ?? "")")
                }
                try await Task.sleep(for: .milliseconds(5))
            }
            samples.nanos.append(monotonicNanos() - t0)
        }
        samples.wallNanos = monotonicNanos() - started
        return samples
    }
}
