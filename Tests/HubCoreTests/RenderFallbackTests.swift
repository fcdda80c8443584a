import Foundation
import HubCore
import HubPostgres
import HubRedis
import HubTestSupport
import Testing

/// Stops and starts the Redis of an instance of its own, so other suites are not disturbed.
@Suite(.serialized, .timeLimit(.minutes(3))) struct RenderFallbackTests {
    static let instance = "render-fallback"

    @Test func redisStoppedMidRunThenRestartedEveryInstructionCompletesOnce() async throws {
        let endpoints = try await TestServices.endpoints(instance: Self.instance)
        try await TestServices.runScript(["start-redis", "--name", Self.instance])
        let url = try await scratchDatabaseURL(instance: Self.instance)
        let pool = try PostgresPool(url: url, maxConnections: 4)
        try await Migrator(pool: pool).up()
        var redisConfiguration = try RedisConfiguration(url: endpoints.redisURL)
        redisConfiguration.connectTimeout = .milliseconds(500)
        let redis = RedisClient(configuration: redisConfiguration)
        let dispatch = DispatchConfiguration(stream: "fallback:\(UUID().uuidString.prefix(8))")
        let queue = RenderQueue(store: RenderStore(pool: pool), redis: redis, dispatch: dispatch)
        try await queue.ensureGroup()
        let workers = try (0..<2).map { n in
            try WorkerHarness.start(databaseURL: url, redisURL: endpoints.redisURL, dispatch: dispatch,
                                    backend: NoopBackend(), concurrency: 2, name: "fb\(n)")
        }
        for i in 0..<50 { _ = try await queue.submit(RenderSubmission(templateName: "before", layerData: ["i": .integer(Int64(i))]), actor: "test") }

        try await TestServices.runScript(["stop-redis", "--name", Self.instance])
        var unpublished = 0
        for i in 0..<50 {
            let result = try await queue.submit(RenderSubmission(templateName: "during", layerData: ["i": .integer(Int64(i))]), actor: "test")
            if !result.published { unpublished += 1 }
        }
        #expect(unpublished == 50, "with Redis down every submit still commits, unpublished")
        try await waitUntil("the instructions submitted while Redis is down to complete", timeout: 60) {
            try await countByStatus(pool)["completed"] == 100
        }
        #expect(workers.contains { $0.worker.mode == .databaseFallback }, "the workers noticed and fell back")

        try await TestServices.runScript(["start-redis", "--name", Self.instance])
        try await waitUntil("the workers to switch back to Redis", timeout: 30) {
            workers.allSatisfy { $0.worker.mode == .redis }
        }
        try await waitUntil("the outbox backlog to be relayed", timeout: 30) {
            try await RenderStore(pool: pool).unpublished().isEmpty
        }
        for i in 0..<50 { _ = try await queue.submit(RenderSubmission(templateName: "after", layerData: ["i": .integer(Int64(i))]), actor: "test") }
        try await waitUntil("all 150 to complete", timeout: 60) {
            try await countByStatus(pool)["completed"] == 150
        }
        for worker in workers { _ = try await worker.stop() }
        let once = try await pool.query("""
            SELECT count(*) FROM render_outputs o GROUP BY o.instruction_id HAVING count(*) > 1
            """)
        #expect(once.isEmpty, "no instruction has two outputs")
        let claims = try await pool.query("SELECT count(*) FROM render_timeline WHERE event = 'claimed'")
        #expect(try claims[0].decode(Int.self, at: 0) == 150)
        // (The noop backend writes no files: the database side only.)
        try await assertRenderInvariants(pool)
        await pool.close()
        await redis.close()
    }
}
