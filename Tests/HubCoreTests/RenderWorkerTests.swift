import Foundation
@testable import HubCore
import HubPostgres
import HubRedis
import HubTestSupport
import Testing

/// A worker "process": its own pools, as a separate hub-worker would have.
struct WorkerHarness {
    let pool: PostgresPool
    let redis: RedisClient
    let worker: RenderWorker
    let task: Task<RenderWorkerSummary, any Error>

    static func start(databaseURL: String, redisURL: String, dispatch: DispatchConfiguration, backend: any RenderBackend,
                      concurrency: Int, name: String, tweak: (inout RenderWorkerConfiguration) -> Void = { _ in }) throws -> WorkerHarness {
        let pool = try PostgresPool(url: databaseURL, maxConnections: concurrency + 2)
        var redisConfiguration = try RedisConfiguration(url: redisURL)
        redisConfiguration.poolSize = concurrency + 1
        // Generous: under a loaded test run a new connection can take long; a stopped server
        // refuses at once anyway.
        redisConfiguration.connectTimeout = .seconds(5)
        let redis = RedisClient(configuration: redisConfiguration)
        var configuration = RenderWorkerConfiguration()
        configuration.concurrency = concurrency
        configuration.idleWait = .milliseconds(200)
        configuration.redisRetryInterval = .milliseconds(300)
        configuration.heartbeatInterval = .milliseconds(300)
        configuration.outputDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("hub-out-\(UUID())")
        configuration.consumerPrefix = name
        tweak(&configuration)
        let worker = RenderWorker(queue: RenderQueue(store: RenderStore(pool: pool), redis: redis, dispatch: dispatch),
                                  backend: backend, configuration: configuration)
        return WorkerHarness(pool: pool, redis: redis, worker: worker, task: Task { try await worker.run() })
    }

    /// Waits until `workers` wait for signals: in Redis mode each has a slot reading the stream
    /// (its reader role taken); in fallback mode as many connections to the database of `pool`
    /// listen for NOTIFY.
    static func waitUntilIdle(_ workers: [WorkerHarness], fallback: Bool, pool: PostgresPool) async throws {
        if fallback {
            try await waitUntil("\(workers.count) workers listening for NOTIFY", timeout: 20) {
                try await pool.query("""
                    SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'
                    """)[0].decode(Int.self, at: 0) >= workers.count
            }
        } else {
            try await waitUntil("every worker's reader on the stream", timeout: 20) {
                workers.allSatisfy { $0.worker.state(\.readerActive) }
            }
        }
    }

    func stop() async throws -> RenderWorkerSummary {
        worker.stop(grace: .seconds(5))
        let summary = try await task.value
        await pool.close()
        await redis.close()
        return summary
    }
}

func countByStatus(_ pool: PostgresPool) async throws -> [String: Int] {
    let rows = try await pool.query("SELECT status, count(*) FROM render_instructions GROUP BY status")
    var counts: [String: Int] = [:]
    for row in rows { counts[try row.decode(String.self, at: 0)] = try row.decode(Int.self, at: 1) }
    return counts
}

func writeScript(_ body: String) throws -> String {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("hub-backend-\(UUID()).sh")
    try ("#!/bin/bash\n" + body).write(to: url, atomically: true, encoding: .utf8)
    try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path)
    return url.path
}

@Suite(.timeLimit(.minutes(3))) struct RenderWorkerTests {
    let url: String
    let endpoints: ServiceEndpoints
    let dispatch = DispatchConfiguration(stream: "test:render:\(UUID().uuidString.prefix(8))", group: "ae-workers")

    init() async throws {
        url = try await scratchDatabaseURL()
        endpoints = try await TestServices.endpoints()
        let pool = try PostgresPool(url: url, maxConnections: 1)
        try await Migrator(pool: pool).up()
        await pool.close()
    }

    func producer() throws -> (PostgresPool, RedisClient, RenderQueue) {
        let pool = try PostgresPool(url: url, maxConnections: 4)
        let redis = try RedisClient(url: endpoints.redisURL)
        return (pool, redis, RenderQueue(store: RenderStore(pool: pool), redis: redis, dispatch: dispatch))
    }

    @Test func competingWorkersCompleteEachInstructionExactlyOnce() async throws {
        let (pool, redis, queue) = try producer()
        try await queue.ensureGroup()
        let workers = try (0..<2).map { n in
            try WorkerHarness.start(databaseURL: url, redisURL: endpoints.redisURL, dispatch: dispatch,
                                    backend: NoopBackend(), concurrency: 4, name: "proc\(n)")
        }
        let total = 400
        for i in 0..<total {
            let result = try await queue.submit(RenderSubmission(templateName: "lower_third", layerData: ["n": .integer(Int64(i))],
                                                                 priority: 1 + i % 10), actor: "test")
            #expect(result.published)
        }
        try await waitUntil("all \(total) instructions to complete", timeout: 60) {
            try await countByStatus(pool)["completed"] == total
        }
        var summaries: [RenderWorkerSummary] = []
        for worker in workers { summaries.append(try await worker.stop()) }
        #expect(summaries.map(\.completed).reduce(0, +) == total)
        #expect(summaries.allSatisfy { $0.completed > 0 }, "both processes took work: \(summaries)")
        let outputs = try await pool.query("""
            SELECT count(*), count(DISTINCT instruction_id) FROM render_outputs WHERE status = 'completed'
            """)
        #expect(try outputs[0].decode(Int.self, at: 0) == total)
        #expect(try outputs[0].decode(Int.self, at: 1) == total)
        let claims = try await pool.query("SELECT count(*) FROM render_timeline WHERE event = 'claimed'")
        #expect(try claims[0].decode(Int.self, at: 0) == total, "no instruction was claimed twice")
        await pool.close()
        await redis.close()
    }

    @Test func renderEventsAndTheRegistryFollowTheJob() async throws {
        let (pool, redis, queue) = try producer()
        let listener = try RedisClient(url: endpoints.redisURL)
        let worker = try WorkerHarness.start(databaseURL: url, redisURL: endpoints.redisURL, dispatch: dispatch,
                                             backend: NoopBackend(), concurrency: 1, name: "events-\(UUID().uuidString.prefix(6))")
        // The worker registers with its mode.
        try await waitUntil("the worker to register", timeout: 20) {
            try await ServiceRegistry(pool: pool).list(kind: "hub-worker").contains { $0.id == "hub-worker:\(worker.worker.configuration.consumerPrefix)" && $0.mode == "redis" && $0.healthy }
        }
        // Other suites publish on the same channels with their own instruction ids (every scratch
        // database counts from 1): a template name of its own tells this test's events apart.
        let template = "events-\(UUID().uuidString.prefix(8))"
        let submitted = try await queue.submit(RenderSubmission(templateName: template), actor: "test")
        let channel = "render:\(submitted.instruction.id)"
        // The instruction may already be done; the events of a second, identical job show too.
        let subscription = try await listener.subscribe(channels: ["render-progress"])
        let second = try await queue.submit(RenderSubmission(templateName: template, layerData: ["n": .integer(2)]), actor: "test")
        var types: [String] = []
        for await message in subscription {
            let event = try HubEvent.decode(message.payload)
            #expect(abs(event.timestamp.timeIntervalSinceNow) < 60)
            #expect(event.source.hasPrefix("hub"))
            if event.data["instruction_id"] == .integer(second.instruction.id), event.data["template"] == .string(template) {
                types.append(event.type)
            }
            if types.contains("render_completed") { break }
        }
        // (A worker already looking for work may claim before the producer's event goes out, so
        // only the worker's own events have a fixed order.)
        #expect(types.contains("instruction_updated"))
        let started = try #require(types.firstIndex(of: "render_started"))
        #expect(types.last == "render_completed")
        #expect(started < types.count - 1)
        #expect(channel.hasPrefix("render:"))
        _ = try await worker.stop()
        #expect(try await ServiceRegistry(pool: pool).list(kind: "hub-worker").first { $0.id.hasSuffix(worker.worker.configuration.consumerPrefix) }?.stoppedAt != nil)
        await listener.close()
        await pool.close()
        await redis.close()
    }

    @Test func identicalRenderIsServedFromTheCache() async throws {
        let (pool, redis, queue) = try producer()
        let counter = FileManager.default.temporaryDirectory.appendingPathComponent("hub-count-\(UUID())").path
        let script = try writeScript("""
            echo run >> '\(counter)'
            printf 'render' > "$2"
            """)
        let worker = try WorkerHarness.start(databaseURL: url, redisURL: endpoints.redisURL, dispatch: dispatch,
                                             backend: CommandBackend(executable: script), concurrency: 1, name: "cache")
        let store = RenderStore(pool: pool)
        let submission = RenderSubmission(templateName: "leaderboard", layerData: ["Name 1": .string("김민수"), "Chips 1": .string("1,500,000")])
        let first = try await queue.submit(submission, actor: "test").instruction
        try await waitUntil("the first render", timeout: 30) { try await store.instruction(first.id).status == .completed }
        let second = try await queue.submit(submission, actor: "test").instruction
        #expect(second.dataHash == first.dataHash)
        try await waitUntil("the second, identical render", timeout: 30) { try await store.instruction(second.id).status == .completed }
        let outputs = try await pool.query("SELECT instruction_id, output_path, cache_hit FROM render_outputs ORDER BY instruction_id")
        #expect(outputs.count == 2)
        #expect(try outputs[0].decode(Bool.self, at: 2) == false)
        #expect(try outputs[1].decode(Bool.self, at: 2) == true)
        #expect(try outputs[1].decode(String.self, at: 1) == outputs[0].decode(String.self, at: 1))
        #expect(try String(contentsOfFile: counter, encoding: .utf8).split(separator: "\n").count == 1, "the renderer ran once")
        _ = try await worker.stop()
        await pool.close()
        await redis.close()
    }

    @Test func outboxRowLeftUnpublishedIsRelayed() async throws {
        let pool = try PostgresPool(url: url, maxConnections: 2)
        // A producer whose Redis is unreachable: the commit happens, the signal does not.
        let deadRedis = try RedisClient(url: "redis://127.0.0.1:1/0")
        let offline = RenderQueue(store: RenderStore(pool: pool), redis: deadRedis, dispatch: dispatch)
        let result = try await offline.submit(RenderSubmission(templateName: "relay"), actor: "test")
        #expect(!result.published)
        #expect(try await RenderStore(pool: pool).unpublished().map(\.instructionID) == [result.instruction.id])
        let attempts = try await pool.query("SELECT publish_attempts, last_error IS NOT NULL FROM render_outbox WHERE instruction_id = \(result.instruction.id)")
        #expect(try attempts[0].decode(Int.self, at: 0) == 1, "the failed attempt is recorded")
        #expect(try attempts[0].decode(Bool.self, at: 1))
        let redis = try RedisClient(url: endpoints.redisURL)
        let online = RenderQueue(store: RenderStore(pool: pool), redis: redis, dispatch: dispatch)
        try await online.ensureGroup()
        let before = try await redis.xlen(dispatch.stream)
        #expect(try await online.relay() == 1)
        #expect(try await redis.xlen(dispatch.stream) == before + 1)
        #expect(try await RenderStore(pool: pool).unpublished().isEmpty)
        let left = try await pool.query("SELECT count(*) FROM render_outbox WHERE instruction_id = \(result.instruction.id)")
        #expect(try left[0].decode(Int.self, at: 0) == 0, "a published signal leaves the outbox")
        await deadRedis.close()
        await redis.close()
        await pool.close()
    }

    @Test func commandBackendReportsProgressAndWritesTheOutput() async throws {
        let (pool, redis, queue) = try producer()
        let script = try writeScript("""
            test -f "$1" || exit 3
            for i in 1 2 3; do echo "progress: $i/3"; done
            grep -q '"templateName" : "scoreboard"' "$1" || exit 4
            printf 'frame' > "$2"
            """)
        let worker = try WorkerHarness.start(databaseURL: url, redisURL: endpoints.redisURL, dispatch: dispatch,
                                             backend: CommandBackend(executable: script), concurrency: 1, name: "cmd")
        let submitted = try await queue.submit(RenderSubmission(templateName: "scoreboard", outputSettings: OutputSettings(format: .png)), actor: "test")
        try await waitUntil("the render to complete", timeout: 30) {
            try await RenderStore(pool: pool).instruction(submitted.instruction.id).status == .completed
        }
        let rows = try await pool.query("SELECT output_path, file_size FROM render_outputs WHERE instruction_id = \(submitted.instruction.id)")
        let path = try rows[0].decode(String.self, at: 0)
        #expect(path.hasSuffix(".png"))
        #expect(try rows[0].decode(Int.self, at: 1) == 5)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "frame")
        _ = try await worker.stop()
        await pool.close()
        await redis.close()
    }

    @Test func failingRenderIsRetriedLaterWithItsError() async throws {
        let (pool, redis, queue) = try producer()
        let script = try writeScript("echo 'aerender Error: missing footage'; exit 2")
        let worker = try WorkerHarness.start(databaseURL: url, redisURL: endpoints.redisURL, dispatch: dispatch,
                                             backend: CommandBackend(executable: script), concurrency: 1, name: "fail")
        let submitted = try await queue.submit(RenderSubmission(templateName: "broken"), actor: "test")
        let store = RenderStore(pool: pool)
        try await waitUntil("the failed attempt to be recorded", timeout: 30) {
            try await store.instruction(submitted.instruction.id).retryCount == 1
        }
        let now = try await store.instruction(submitted.instruction.id)
        #expect(now.status == .pending)
        #expect(now.errorMessage?.contains("missing footage") == true)
        #expect(now.scheduledAt.timeIntervalSinceNow > 30, "the retry waits for its backoff")
        _ = try await worker.stop()
        try await assertRenderInvariants(pool, outputDirectories: [worker.worker.configuration.outputDirectory])
        await pool.close()
        await redis.close()
    }

    @Test func cancellingARunningRenderStopsItsProcess() async throws {
        let (pool, redis, queue) = try producer()
        let marker = FileManager.default.temporaryDirectory.appendingPathComponent("hub-running-\(UUID())").path
        let script = try writeScript("""
            echo $$ > '\(marker)'
            for i in $(seq 1 600); do echo "progress: $i/600"; sleep 0.1; done
            printf done > "$2"
            """)
        let worker = try WorkerHarness.start(databaseURL: url, redisURL: endpoints.redisURL, dispatch: dispatch,
                                             backend: CommandBackend(executable: script), concurrency: 1, name: "cancel")
        let submitted = try await queue.submit(RenderSubmission(templateName: "long_clip"), actor: "test")
        let store = RenderStore(pool: pool)
        try await waitUntil("the render to start and report progress", timeout: 30) {
            (try await store.instruction(submitted.instruction.id).progressFrame ?? 0) > 0
        }
        let pid = try #require(Int32(try String(contentsOfFile: marker, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(try await store.cancel(submitted.instruction.id, actor: "operator", reason: "wrong player") == .processing)
        try await waitUntil("the instruction to be cancelled", timeout: 15) {
            try await store.instruction(submitted.instruction.id).status == .cancelled
        }
        try await waitUntil("the render process to be gone", timeout: 10) { kill(pid, 0) != 0 }
        let summary = try await worker.stop()
        #expect(summary.cancelled == 1)
        try await assertRenderInvariants(pool, outputDirectories: [worker.worker.configuration.outputDirectory])
        await pool.close()
        await redis.close()
    }

    @Test func silentRendererIsKilledAndTheAttemptFails() async throws {
        let (pool, redis, queue) = try producer()
        let script = try writeScript("sleep 30")
        let worker = try WorkerHarness.start(databaseURL: url, redisURL: endpoints.redisURL, dispatch: dispatch,
                                             backend: CommandBackend(executable: script, inactivityTimeout: .milliseconds(500)),
                                             concurrency: 1, name: "silent")
        let submitted = try await queue.submit(RenderSubmission(templateName: "hang", maxRetries: 0), actor: "test")
        let store = RenderStore(pool: pool)
        try await waitUntil("the hung attempt to fail", timeout: 20) {
            try await store.instruction(submitted.instruction.id).status == .failed
        }
        #expect(try await store.instruction(submitted.instruction.id).errorMessage?.contains("printed nothing") == true)
        _ = try await worker.stop()
        try await assertRenderInvariants(pool, outputDirectories: [worker.worker.configuration.outputDirectory])
        await pool.close()
        await redis.close()
    }

    /// A one-slot worker busy with a minute-long render of a fresh instruction, and the producer's pools.
    struct LongRender {
        let pool: PostgresPool
        let redis: RedisClient
        let worker: WorkerHarness
        let store: RenderStore
        let id: Int64
    }

    func startLongRender(name: String) async throws -> LongRender {
        let (pool, redis, queue) = try producer()
        let script = try writeScript("for i in $(seq 1 600); do echo \"progress: $i/600\"; sleep 0.1; done")
        let worker = try WorkerHarness.start(databaseURL: url, redisURL: endpoints.redisURL, dispatch: dispatch,
                                             backend: CommandBackend(executable: script), concurrency: 1, name: name)
        let id = try await queue.submit(RenderSubmission(templateName: "long_clip"), actor: "test").instruction.id
        let store = RenderStore(pool: pool)
        try await waitUntil("the render to start", timeout: 30) { try await store.instruction(id).status == .processing }
        return LongRender(pool: pool, redis: redis, worker: worker, store: store, id: id)
    }

    /// Expects the render's instruction back in the queue through a hand-back, then closes everything.
    func expectHandedBack(_ render: LongRender) async throws {
        let now = try await render.store.instruction(render.id)
        #expect(now.status == .pending, "handed back at once, not left to wait out its lease")
        #expect(now.retryCount == 0, "a hand-back is not a failure")
        #expect(try await render.store.timeline(render.id).map(\.event).last == "handed_back")
        try await assertRenderInvariants(render.pool, outputDirectories: [render.worker.worker.configuration.outputDirectory])
        await render.worker.pool.close()
        await render.worker.redis.close()
        await render.pool.close()
        await render.redis.close()
    }

    /// Cancelling the worker's task (what happens to every slot when a sibling slot fails) stops
    /// the render at once; the job must still be handed back, although the slot's own task is
    /// cancelled and a cancelled task's statements are refused before they are sent.
    @Test func cancellingTheWorkersTaskHandsBackItsRender() async throws {
        let render = try await startLongRender(name: "cancelled-task")
        render.worker.task.cancel()
        _ = try? await render.worker.task.value
        try await expectHandedBack(render)
    }

    @Test func stoppingWorkerHandsBackAnUnfinishedRender() async throws {
        let render = try await startLongRender(name: "stop")
        render.worker.worker.stop(grace: .milliseconds(300))
        let summary = try await render.worker.task.value
        #expect(summary.handedBack == 1)
        try await expectHandedBack(render)
    }
}
