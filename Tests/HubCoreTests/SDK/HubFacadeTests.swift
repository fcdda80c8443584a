import Foundation
import HubCore
import HubPostgres
import HubRedis
import HubTestSupport
import HubTesting
import Testing

/// ``Hub`` against real PostgreSQL and Redis: the facade over the real sample exports, the render
/// calls, and the event stream across a Redis restart.
@Suite struct HubFacadeTests {
    static func hub(databaseURL: String, redisURL: String) throws -> Hub {
        try Hub(configuration: HubConfiguration(environment: ["HUB_DATABASE_URL": databaseURL, "HUB_REDIS_URL": redisURL],
                                                dotEnvPath: nil), name: "sdk-test")
    }

    @Test func theFacadeReadsTheRealExportsAndInMemoryHubPagesThemTheSameWay() async throws {
        let url = try await scratchDatabaseURL()
        let pool = try PostgresPool(url: url, maxConnections: 4)
        try await Migrator(pool: pool).up()
        _ = try await GFXImporter(pool: pool).importFiles(try GFXScanner.scan([SyncFixtures.sampleDirectory.path]))
        _ = try await HandGrader(pool: pool, events: nil).gradePending()
        let hub = try Self.hub(databaseURL: url, redisURL: try await TestServices.endpoints().redisURL)
        defer { Task { await hub.shutdown(); await pool.close() } }
        try await hub.verifySchema()

        var real: [Hand] = []
        var query = HandQuery(limit: 2)
        repeat {
            let page = try await hub.hands(query)
            real += page.hands
            query.cursor = page.nextCursor
        } while query.cursor != nil
        #expect(real.count == 5, "the two samples hold five hands")
        #expect(Set(real.map(\.id)).count == 5)

        let memory = InMemoryHub(hands: real.shuffled())
        var copied: [Int64] = []
        query = HandQuery(limit: 2)
        repeat {
            let page = try await memory.hands(query)
            copied += page.hands.map(\.id)
            query.cursor = page.nextCursor
        } while query.cursor != nil
        #expect(copied == real.map(\.id), "same order and pages")
        #expect(try await memory.hands(HandQuery(premium: true)).hands == (try await hub.hands(HandQuery(premium: true))).hands)
        #expect(try await hub.hand(id: real[0].id) == real[0])
    }

    @Test func submitCancelRetryAndOutputsThroughTheFacade() async throws {
        let url = try await scratchDatabaseURL()
        let pool = try PostgresPool(url: url, maxConnections: 4)
        try await Migrator(pool: pool).up()
        let hub = try Self.hub(databaseURL: url, redisURL: try await TestServices.endpoints().redisURL)
        defer { Task { await hub.shutdown(); await pool.close() } }
        let refused = await #expect(throws: HubError.self) { try await hub.submit(RenderSubmission(templateName: " ")) }
        #expect(refused?.code == .usage)

        let submitted = try await hub.submit(RenderSubmission(templateName: "premium_hand", layerData: ["hand_id": .integer(1)]))
        #expect(submitted.status == .pending)
        #expect(try await hub.instruction(submitted.id) == submitted)
        #expect(try await hub.outputs(of: submitted.id).isEmpty)
        let cancelled = try await hub.cancel(submitted.id, reason: "not needed")
        #expect(cancelled.status == .cancelled)
        // Finished before anyone followed it: follow ends at once with the final status.
        var last: HubEvent?
        for try await event in hub.follow(cancelled, checkEvery: .milliseconds(50)) { last = event }
        #expect(last?.data["status"] == .string("cancelled"))
        let retried = try await hub.retry(submitted.id)
        #expect(retried.status == .pending)
        let missing = await #expect(throws: HubError.self) { try await hub.instruction(submitted.id + 1000) }
        #expect(missing?.code == .notFound)
    }

    /// The hub publishes each render event on `render-progress` and on `render:<id>`: following
    /// one instruction must yield each event once, not once per channel.
    @Test func followYieldsEachEventOnce() async throws {
        let url = try await scratchDatabaseURL()
        let pool = try PostgresPool(url: url, maxConnections: 4)
        try await Migrator(pool: pool).up()
        let redisURL = try await TestServices.endpoints().redisURL
        let hub = try Self.hub(databaseURL: url, redisURL: redisURL)
        let publisher = EventPublisher(redis: try RedisClient(url: redisURL), source: "test")
        defer { Task { await hub.shutdown(); await pool.close() } }
        let submitted = try await hub.submit(RenderSubmission(templateName: "premium_hand"))
        let types = LockedBox<[String]>([])
        let follower = Task {
            for try await event in hub.follow(submitted, checkEvery: .seconds(30)) { types.withLock { $0.append(event.type) } }
        }
        try await waitUntil("follow receives the first event", timeout: 20) {
            await publisher.render("render_started", submitted, status: .processing)
            return types.withLock { !$0.isEmpty }
        }
        // Published once each from here on (the loop above may have sent several render_started).
        await publisher.render("render_progress", submitted, status: .processing, extra: ["frame": .integer(10)])
        await publisher.render("render_completed", submitted, status: .completed)
        try await follower.value
        let seen = types.withLock { $0 }
        #expect(seen.last == "render_completed")
        #expect(seen.filter { $0 == "render_progress" }.count == 1, "each event once: got \(seen)")
    }

    @Test(.timeLimit(.minutes(2)))
    func eventsKeepFlowingAcrossARedisRestart() async throws {
        let instance = "sdk-events"
        let endpoints = try await TestServices.endpoints(instance: instance)
        let hub = try Self.hub(databaseURL: endpoints.databaseURL, redisURL: endpoints.redisURL)
        let publisher = try RedisClient(url: endpoints.redisURL)
        defer { Task { await hub.shutdown(); await publisher.close() } }
        let channel = "sdk-test-\(UUID().uuidString)"
        let received = LockedBox<[String]>([])
        let consumer = Task {
            for try await event in hub.events(channels: [channel]) {
                if case .string(let mark)? = event.data["mark"] { received.withLock { $0.append(mark) } }
            }
        }
        defer { consumer.cancel() }
        @Sendable func send(_ mark: String) async throws {
            _ = try await publisher.publish(channel, "not a hub event")
            _ = try await publisher.publish(channel, HubEvent(type: "test", data: ["mark": .string(mark)], source: "test").json)
        }
        try await waitUntil("an event before the restart", timeout: 20) {
            try await send("before")
            return received.withLock { $0.contains("before") }
        }

        try await TestServices.restartRedis(instance: instance)

        // Events published while the stream was away are lost (Pub/Sub); it comes back by itself.
        try await waitUntil("an event after the restart", timeout: 30) {
            try? await send("after")
            return received.withLock { $0.contains("after") }
        }
        #expect(received.withLock { $0.allSatisfy { $0 == "before" || $0 == "after" } }, "messages that are not hub events are skipped")
        #expect(!consumer.isCancelled)
    }
}
