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

/// `hub-bench entry`: render dispatch latency through the entry points users have — `POST
/// /api/v1/render` to a hub-server and `hubctl jobs submit` as its own process — to an idle
/// worker, from PostgreSQL's own timestamps (the `submitted` and `claimed` timeline entries), as
/// `hub-bench dispatch` measures the in-process path.
struct EntryBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "entry",
        abstract: "Measure dispatch latency through POST /api/v1/render and through hubctl jobs submit, to an idle worker.",
        discussion: """
            Uses a database of its own (hub_bench_entry on the server of HUB_DATABASE_URL). A hub-server \
            runs in this process on a free loopback port (API key authentication, one keep-alive \
            connection); one worker slot (no-op renderer) waits in this process. Each instruction is \
            submitted when the previous one has been claimed, so the worker is idle: latency is the \
            claimed entry's time minus the submitted entry's time. The CLI runs the hubctl binary beside \
            hub-bench once per instruction, as a script would.
            """
    )

    @Option(help: "Instructions submitted through the API.") var api = 500
    @Option(help: "Instructions submitted through hubctl (one process each).") var cli = 100
    @Option(help: "Modes to run: redis, fallback or both.") var mode = "redis"
    @Option(name: .customLong("env-file"), help: "The .env file to read.") var envFile = ".env"
    @Flag(help: "Print JSON.") var json = false

    struct Figures: Codable {
        var mode: String
        var entry: String
        var count: Int
        var p50Ms: Double
        var p99Ms: Double
        var maxMs: Double
        /// Wall time of one submit as its caller sees it (the HTTP round trip, or the hubctl process).
        var callerP50Ms: Double
    }

    func run() async throws {
        HubLogging.bootstrap()
        let settings = try HubConfiguration(dotEnvPath: envFile)
        let url = try await DispatchBench.benchDatabase(baseURL: try settings.databaseURL(), name: "hub_bench_entry")
        let redisURL = try settings.redisURL()
        let hubctl = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("hubctl")
        if cli > 0, !FileManager.default.isExecutableFile(atPath: hubctl.path) {
            throw BenchError("hubctl was not found beside hub-bench (\(hubctl.path)): build it (swift build -c release --product hubctl)")
        }
        var figures: [Figures] = []
        for mode in (mode == "both" ? ["redis", "fallback"] : [mode]) {
            figures += try await measure(mode: mode, url: url, redisURL: mode == "redis" ? redisURL : "redis://127.0.0.1:1/0", hubctl: hubctl)
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            encoder.keyEncodingStrategy = .convertToSnakeCase
            print(String(decoding: try encoder.encode(figures), as: UTF8.self))
            return
        }
        print("hub-bench entry: one idle worker slot, \(ProcessInfo.processInfo.activeProcessorCount) cores, durable commits; latency = claimed − submitted (PostgreSQL timestamps)")
        print("MODE      ENTRY                 COUNT  LATENCY p50  p99       max       CALLER p50")
        for f in figures {
            print([f.mode.padding(toLength: 8, withPad: " ", startingAt: 0), f.entry.padding(toLength: 20, withPad: " ", startingAt: 0),
                   String(f.count).padding(toLength: 5, withPad: " ", startingAt: 0),
                   String(format: "%.2f ms", f.p50Ms).padding(toLength: 11, withPad: " ", startingAt: 0),
                   String(format: "%.2f ms", f.p99Ms).padding(toLength: 9, withPad: " ", startingAt: 0),
                   String(format: "%.2f ms", f.maxMs).padding(toLength: 9, withPad: " ", startingAt: 0),
                   String(format: "%.2f ms", f.callerP50Ms)].joined(separator: "  "))
        }
    }

    func measure(mode: String, url: String, redisURL: String, hubctl: URL) async throws -> [Figures] {
        let apiKey = UUID().uuidString
        let configuration = try HubConfiguration(environment: [
            "HUB_DATABASE_URL": url, "HUB_REDIS_URL": redisURL, "HUB_API_KEYS": apiKey, "HUB_SERVER_ADDRESS": "127.0.0.1:0",
            "HUB_LOG_LEVEL": "error",
        ], dotEnvPath: nil)
        let clients = try HubClients(configuration: configuration)
        try await clients.database.query("TRUNCATE render_instructions, render_outputs, render_outbox, render_timeline RESTART IDENTITY CASCADE")

        // One idle worker slot.
        var workerSettings = RenderWorkerConfiguration()
        workerSettings.concurrency = 1
        workerSettings.idleWait = .seconds(1)
        workerSettings.outputDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("hub-bench-out")
        workerSettings.consumerPrefix = "entry-\(mode)"
        let workerPool = try PostgresPool(url: url, maxConnections: 3)
        let worker = RenderWorker(queue: RenderQueue(store: RenderStore(pool: workerPool), redis: RedisClient(configuration: try RedisConfiguration(url: redisURL)),
                                                     dispatch: DispatchConfiguration(configuration: configuration), source: "hub-bench"),
                                  backend: NoopBackend(), configuration: workerSettings)
        let working = Task { try await worker.run() }
        defer { working.cancel() }

        // The server.
        let server = HubServer(clients: clients, settings: try HubServerSettings(configuration: configuration), logger: Logger(label: "hub.bench.entry"))
        let port = PortBox()
        let app = server.makeApplication { port.set($0) }
        let serving = Task { try await app.run() }
        defer { serving.cancel() }
        let base = "http://127.0.0.1:\(try await port.value())"
        let http = HTTPClient(configuration: .init(connectionPool: .init(idleTimeout: .seconds(60))))

        let pool = clients.database
        /// Waits until instruction `id` is completed: the worker slot is idle again (waiting for a
        /// claim), as the next submit must find it.
        func waitClaimed(_ id: Int64) async throws {
            let deadline = ContinuousClock.now + .seconds(30)
            while try await pool.query("SELECT 1 FROM render_instructions WHERE id = \(id) AND status = 'completed'").isEmpty {
                if ContinuousClock.now > deadline { throw BenchError("instruction \(id) was not completed within 30 s") }
                try await Task.sleep(for: .microseconds(200))
            }
        }
        func latencies(_ template: String) async throws -> [Double] {
            try await pool.query("""
                SELECT extract(epoch FROM c.occurred_at - s.occurred_at) * 1000
                FROM render_timeline s JOIN render_timeline c ON c.instruction_id = s.instruction_id AND c.event = 'claimed'
                JOIN render_instructions r ON r.id = s.instruction_id AND r.template_name = \(template)
                WHERE s.event = 'submitted' ORDER BY 1
                """).map { try $0.decode(Double.self, at: 0) }
        }
        func figures(_ entry: String, _ template: String, caller: [UInt64]) async throws -> Figures {
            let all = try await latencies(template)
            let values = all.sorted()
            func percentile(_ p: Double, _ sorted: [Double]) -> Double {
                guard !sorted.isEmpty else { return 0 }
                return sorted[max(0, min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1))]
            }
            let callers = caller.map { Double($0) / 1e6 }.sorted()
            return Figures(mode: mode, entry: entry, count: values.count, p50Ms: percentile(0.5, values), p99Ms: percentile(0.99, values),
                           maxMs: values.last ?? 0, callerP50Ms: percentile(0.5, callers))
        }

        var result: [Figures] = []
        // The API: warm-up requests first (not counted: another template), then one at a time.
        if api > 0 {
            func post(_ template: String, _ i: Int) async throws -> Int64 {
                var request = HTTPClientRequest(url: base + "/api/v1/render")
                request.method = .POST
                request.headers.add(name: "X-API-Key", value: apiKey)
                request.headers.add(name: "Content-Type", value: "application/json")
                request.body = .bytes(ByteBuffer(string: #"{"template":"\#(template)","data":{"i":\#(i)}}"#))
                let response = try await http.execute(request, timeout: .seconds(30))
                let body = try await response.body.collect(upTo: 1 << 20)
                guard response.status == .created,
                      let object = try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any],
                      let id = (object["id"] as? NSNumber)?.int64Value else {
                    throw BenchError("POST /api/v1/render answered \(response.status): \(String(decoding: body.readableBytesView, as: UTF8.self))")
                }
                return id
            }
            for i in 0..<20 { try await waitClaimed(try await post("entry-warmup", i)) }
            var caller: [UInt64] = []
            for i in 0..<api {
                let t0 = monotonicNanos()
                let id = try await post("entry-api", i)
                caller.append(monotonicNanos() - t0)
                try await waitClaimed(id)
                // The slot goes back to its blocking read after recording the completion.
                try await Task.sleep(for: .milliseconds(5))
            }
            result.append(try await figures("POST /api/v1/render", "entry-api", caller: caller))
        }
        // The CLI: one hubctl process per instruction, as a script runs it.
        if cli > 0 {
            var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("HUB_") }
            environment["HUB_DATABASE_URL"] = url
            environment["HUB_REDIS_URL"] = redisURL
            environment["HUB_LOG_LEVEL"] = "error"
            var caller: [UInt64] = []
            for i in 0..<cli {
                let process = Process()
                process.executableURL = hubctl
                process.arguments = ["jobs", "submit", "--template", "entry-cli", "--data", #"{"i":\#(i)}"#, "--env-file", FileManager.default.temporaryDirectory.appendingPathComponent("hub-bench-no-env-\(UUID().uuidString)").path]
                process.environment = environment
                let output = Pipe()
                process.standardOutput = output
                let errors = Pipe()
                process.standardError = errors
                let t0 = monotonicNanos()
                try process.run()
                let data = output.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                caller.append(monotonicNanos() - t0)
                guard process.terminationStatus == 0, let id = Int64(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) else {
                    let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                    throw BenchError("hubctl jobs submit exited \(process.terminationStatus): \(String(decoding: data, as: UTF8.self))\(stderr)")
                }
                try await waitClaimed(id)
            }
            result.append(try await figures("hubctl jobs submit", "entry-cli", caller: caller))
        }
        try await http.shutdown()
        worker.stop(grace: .seconds(5))
        _ = try? await working.value
        await workerPool.close()
        return result
    }
}
