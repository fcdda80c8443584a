import ArgumentParser
import AsyncHTTPClient
import Foundation
import HubCommandSupport
import HubCore
import HubPostgres
import HubRedis
import HubServerCore
import Hummingbird
import HummingbirdWSClient
import Logging
import NIOCore
import NIOHTTP1
import NIOWebSocket

/// `hub-bench server`: `/api/dashboard` latency with a million instructions stored, and the time
/// from a published hub event to its arrival on a WebSocket client.
struct ServerBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "server",
        abstract: "Measure /api/dashboard latency over a large render_instructions table and event-to-WebSocket latency.",
        discussion: """
            Uses a database of its own (hub_bench_server on the server of HUB_DATABASE_URL). It is filled \
            once with --rows instructions spread over 30 days (finished ones mostly, a live queue of \
            pending and processing ones), vacuumed and analysed; later runs reuse it when the count \
            matches. A hub-server runs in this process on a free loopback port. Dashboard: sequential \
            authenticated GETs over one keep-alive connection, then --concurrency clients at once. \
            Events: one at a time, PUBLISH on render-progress until the WebSocket client has it, timed \
            with one monotonic clock.
            """
    )

    @Option(help: "Instructions stored.") var rows = 1_000_000
    @Option(help: "Dashboard requests measured (sequential).") var requests = 2_000
    @Option(help: "Concurrent dashboard clients in the second run (0 = skip).") var concurrency = 4
    @Option(help: "Events measured.") var events = 2_000
    @Option(name: .customLong("env-file"), help: "The .env file to read.") var envFile = ".env"
    @Flag(help: "Print JSON.") var json = false

    struct Figures: Codable {
        var rowsStored: Int
        var liveRows: Int
        var windowRows: Int
        var dashboard: Summary
        var dashboardConcurrent: Summary?
        var concurrency: Int
        var eventToWebSocket: Summary
    }

    func run() async throws {
        HubLogging.bootstrap()
        let settings = try HubConfiguration(dotEnvPath: envFile)
        let url = try await DispatchBench.benchDatabase(baseURL: try settings.databaseURL(), name: "hub_bench_server")
        let password = UUID().uuidString
        let configuration = try HubConfiguration(environment: [
            "HUB_DATABASE_URL": url, "HUB_REDIS_URL": try settings.redisURL(),
            "HUB_DASHBOARD_USERNAME": "bench", "HUB_DASHBOARD_PASSWORD": password, "HUB_SERVER_ADDRESS": "127.0.0.1:0",
            "HUB_DATABASE_POOL_SIZE": String(max(8, concurrency + 4)),
        ], dotEnvPath: nil)
        let clients = try HubClients(configuration: configuration)
        let (liveRows, windowRows) = try await seed(clients.database)

        let server = HubServer(clients: clients, settings: try HubServerSettings(configuration: configuration),
                               logger: Logger(label: "hub.bench.server"))
        let port = PortBox()
        let app = server.makeApplication { port.set($0) }
        let running = Task { try await app.run() }
        defer { running.cancel() }
        let base = "http://127.0.0.1:\(try await port.value())"
        let authorization = "Basic " + Data("bench:\(password)".utf8).base64EncodedString()
        while !server.events.isSubscribed { try await Task.sleep(for: .milliseconds(10)) }

        let http = HTTPClient(configuration: .init(connectionPool: .init(idleTimeout: .seconds(60))))
        let request: HTTPClientRequest = {
            var request = HTTPClientRequest(url: base + "/api/dashboard")
            request.headers.add(name: "Authorization", value: authorization)
            return request
        }()
        let fetch: @Sendable () async throws -> Void = {
            let response = try await http.execute(request, timeout: .seconds(30))
            guard response.status == .ok else { throw BenchError("/api/dashboard answered \(response.status)") }
            _ = try await response.body.collect(upTo: 16 << 20)
        }
        for _ in 0..<100 { try await fetch() }
        var sequential = Samples()
        let started = monotonicNanos()
        for _ in 0..<requests {
            let t0 = monotonicNanos()
            try await fetch()
            sequential.nanos.append(monotonicNanos() - t0)
        }
        sequential.wallNanos = monotonicNanos() - started

        var concurrent: Samples?
        if concurrency > 1 {
            let perClient = max(1, requests / concurrency)
            let t0 = monotonicNanos()
            let all = try await withThrowingTaskGroup(of: [UInt64].self) { group in
                for _ in 0..<concurrency {
                    group.addTask {
                        var nanos: [UInt64] = []
                        for _ in 0..<perClient {
                            let t = monotonicNanos()
                            try await fetch()
                            nanos.append(monotonicNanos() - t)
                        }
                        return nanos
                    }
                }
                return try await group.reduce(into: [UInt64]()) { $0 += $1 }
            }
            concurrent = Samples(nanos: all, wallNanos: monotonicNanos() - t0)
        }
        try await http.shutdown()

        let eventSamples = try await measureEvents(port: try await port.value(), authorization: authorization, redis: clients.redis)
        running.cancel()
        _ = try? await running.value
        await clients.shutdown()

        let figures = Figures(rowsStored: rows, liveRows: liveRows, windowRows: windowRows, dashboard: sequential.summary,
                              dashboardConcurrent: concurrent?.summary, concurrency: concurrency, eventToWebSocket: eventSamples.summary)
        if json {
            print(try JSONOutput.encode(figures))
        } else {
            func ms(_ micros: Double) -> String { String(format: "%.2f ms", micros / 1000) }
            print("hub-bench server: \(rows) instructions stored (\(liveRows) live, \(windowRows) finished in the 24 h window), \(ProcessInfo.processInfo.activeProcessorCount) cores, server in this process")
            var table = [["MEASURE", "COUNT", "p50", "p99", "RATE"]]
            table.append(["/api/dashboard, 1 client", "\(sequential.nanos.count)", ms(figures.dashboard.p50Micros), ms(figures.dashboard.p99Micros),
                          String(format: "%.0f req/s", figures.dashboard.perSecond)])
            if let c = figures.dashboardConcurrent {
                table.append(["/api/dashboard, \(concurrency) clients", "\(c.count)", ms(c.p50Micros), ms(c.p99Micros), String(format: "%.0f req/s", c.perSecond)])
            }
            table.append(["event → WebSocket", "\(eventSamples.nanos.count)", ms(figures.eventToWebSocket.p50Micros),
                          ms(figures.eventToWebSocket.p99Micros), ""])
            print(TextTable.render(table))
        }
    }

    /// Fills the table once (in chunks, so progress shows) and returns the live and in-window counts.
    func seed(_ pool: PostgresPool) async throws -> (live: Int, window: Int) {
        let count = try await pool.query("SELECT count(*)::bigint FROM render_instructions")[0].decode(Int.self, at: 0)
        if count != rows {
            FileHandle.standardError.write(Data("hub-bench server: filling hub_bench_server with \(rows) instructions (once)\n".utf8))
            // CASCADE: cue_items and gfx_triggers (migration 0008) reference render_instructions; they are
            // empty in the bench database, but TRUNCATE refuses a referenced table without them.
            try await pool.query("TRUNCATE render_instructions, render_outputs, render_outbox, render_timeline RESTART IDENTITY CASCADE")
            let chunk = 100_000
            var first = 1
            while first <= rows {
                let last = min(rows, first + chunk - 1)
                try await pool.query("""
                    WITH g AS (
                        SELECT i, now() - random() * interval '30 days' AS created,
                               (ARRAY['leaderboard','chip_count','player_info','elimination','chip_leader','hand_history',
                                      'payout','bracket','lower_third','pot_odds','table_overview','player_stats'])[1 + i % 12] AS template,
                               CASE WHEN i % 3 = 0 THEN 'Lower Third' ELSE 'Main' END AS composition,
                               CASE WHEN i % 1000 < 955 THEN 'completed' WHEN i % 1000 < 985 THEN 'failed' ELSE 'cancelled' END AS status,
                               1 + random() * 5 AS queue_s, 2 + random() * 40 AS render_s
                        FROM generate_series(\(first)::bigint, \(last)::bigint) AS i
                    )
                    INSERT INTO render_instructions (template_name, composition, layer_data, output_settings, status, priority,
                        trigger_type, retry_count, attempt, error_message, data_hash, created_at, updated_at, scheduled_at,
                        started_at, completed_at, worker_id)
                    SELECT template, composition, jsonb_build_object('Name 1', 'Player ' || i), '{}'::jsonb, status, 1 + i % 10,
                           (ARRAY['cue_item','premium_hand','manual','api'])[1 + i % 4], CASE WHEN status = 'failed' THEN 3 ELSE 0 END, 1,
                           CASE WHEN status = 'failed' THEN 'aerender Error: render failed' END,
                           md5(i::text) || md5((i + 1)::text), created, created + make_interval(secs => queue_s + render_s),
                           created, created + make_interval(secs => queue_s), created + make_interval(secs => queue_s + render_s),
                           'render-' || (i % 8)
                    FROM g
                    """)
                first = last + 1
            }
            // The live queue: pending and processing ones submitted in the last minutes.
            try await pool.query("""
                UPDATE render_instructions SET status = 'pending', started_at = NULL, completed_at = NULL, worker_id = NULL,
                       error_message = NULL, created_at = now() - random() * interval '10 minutes', scheduled_at = now()
                WHERE id % 2000 = 7
                """)
            try await pool.query("""
                UPDATE render_instructions SET status = 'processing', completed_at = NULL, error_message = NULL,
                       lease_token = gen_random_uuid(), lease_expires_at = now() + interval '1 hour',
                       created_at = now() - interval '2 minutes', started_at = now() - interval '1 minute'
                WHERE id % 20000 = 11
                """)
            try await pool.withConnection { try await $0.executeScript("VACUUM ANALYZE render_instructions") }
        }
        let live = try await pool.query("SELECT count(*)::bigint FROM render_instructions WHERE status IN ('pending', 'processing', 'stale')")[0]
            .decode(Int.self, at: 0)
        let window = try await pool.query("""
            SELECT count(*)::bigint FROM render_instructions
            WHERE status IN ('completed', 'failed', 'cancelled') AND completed_at > now() - interval '24 hours'
            """)[0].decode(Int.self, at: 0)
        return (live, window)
    }

    /// Publishes events one at a time and times each until the WebSocket client has it.
    func measureEvents(port: Int, authorization: String, redis: RedisClient) async throws -> Samples {
        let (arrivals, arrived) = AsyncStream<UInt64>.makeStream()
        let total = events
        let publisher = EventPublisher(redis: redis, source: "hub-bench")
        let samples = LockedSamples()
        let connected = AsyncStream<Void>.makeStream()
        let client = Task {
            try await WebSocketClient.connect(url: "ws://127.0.0.1:\(port)/ws/dashboard?channels=render-progress",
                                              configuration: .init(additionalHeaders: [.authorization: authorization]),
                                              logger: Logger(label: "hub.bench.ws")) { inbound, outbound, _ in
                var iterator = inbound.messages(maxSize: 1 << 16).makeAsyncIterator()
                _ = try await iterator.next() // hello
                connected.continuation.yield()
                while let message = try await iterator.next() {
                    let now = monotonicNanos()
                    guard case .text(let text) = message, text.contains("\"bench_probe\"") else { continue }
                    arrived.yield(now)
                    if samples.count == total { break }
                }
                try await outbound.close(.normalClosure, reason: nil)
            }
        }
        var waitConnected = connected.stream.makeAsyncIterator()
        _ = await waitConnected.next()
        var iterator = arrivals.makeAsyncIterator()
        for index in 0..<(total + 50) {
            let sent = monotonicNanos()
            await publisher.publish("bench_probe", data: ["seq": .integer(Int64(index))], channels: ["render-progress"])
            guard let received = await iterator.next() else { throw BenchError("the WebSocket closed early") }
            if index >= 50 { samples.append(received - sent) } // the first 50 warm up
        }
        arrived.finish()
        client.cancel()
        _ = try? await client.value
        return samples.value
    }
}

/// The port the in-process server bound, once it is listening.
final class PortBox: @unchecked Sendable {
    private let lock = NSLock()
    private var port: Int?
    func set(_ value: Int) { lock.lock(); port = value; lock.unlock() }
    func value() async throws -> Int {
        for _ in 0..<3000 {
            if let current = lock.withLock({ port }) { return current }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw BenchError("hub-server did not start listening within 30 s")
    }
}

final class LockedSamples: @unchecked Sendable {
    private let lock = NSLock()
    private var samples = Samples()
    func append(_ nanos: UInt64) { lock.lock(); samples.nanos.append(nanos); lock.unlock() }
    var count: Int { lock.lock(); defer { lock.unlock() }; return samples.nanos.count }
    var value: Samples { lock.lock(); defer { lock.unlock() }; return samples }
}
