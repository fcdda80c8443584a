import Foundation
import HubCore
import HubPostgres
import HubRedis
import HubTestSupport
import Testing

/// Idempotent submission (issue 16): the same idempotency key returns the existing instruction
/// instead of a second one — under concurrency, through the group-commit submitter, inside one
/// batch, and across processes (the unique index decides); the same key with another request is
/// refused.
@Suite(.timeLimit(.minutes(3))) struct IdempotentSubmitTests {
    let pool: PostgresPool
    let redis: RedisClient
    let url: String
    let dispatch = DispatchConfiguration(stream: "test:idempotent:\(UUID().uuidString.prefix(8))", group: "ae-workers")

    init() async throws {
        url = try await scratchDatabaseURL()
        pool = try PostgresPool(url: url, maxConnections: 10)
        try await Migrator(pool: pool).up()
        redis = try RedisClient(url: try await TestServices.endpoints().redisURL)
    }

    func rows(_ key: String) async throws -> Int {
        try await pool.query("SELECT count(*) FROM render_instructions WHERE idempotency_key = \(key)")[0].decode(Int.self, at: 0)
    }

    func count(_ table: PostgresQuery) async throws -> Int {
        try await pool.query("SELECT count(*) FROM \(fragment: table)")[0].decode(Int.self, at: 0)
    }

    func submission(_ key: String?, template: String = "leaderboard", priority: Int = 5) -> RenderSubmission {
        RenderSubmission(templateName: template, layerData: ["Name 1": .string("Kim")], priority: priority, idempotencyKey: key)
    }

    @Test func fiftyConcurrentSubmissionsWithOneKeyMakeOneInstruction() async throws {
        let queue = RenderQueue(store: RenderStore(pool: pool), redis: redis, dispatch: dispatch)
        try await queue.ensureGroup()
        // 50 at once through the group-commit submitter: several statements, and several
        // submissions of the key inside one statement.
        let results = try await withThrowingTaskGroup(of: RenderQueue.Result.self) { group in
            for _ in 0..<50 { group.addTask { try await queue.submit(submission("order-4711"), actor: "test") } }
            var all: [RenderQueue.Result] = []
            for try await result in group { all.append(result) }
            return all
        }
        #expect(results.count == 50)
        #expect(Set(results.map(\.instruction.id)).count == 1)
        #expect(results.filter { !$0.replayed }.count == 1)
        #expect(results.filter(\.replayed).count == 49)
        #expect(results.allSatisfy { $0.instruction.idempotencyKey == "order-4711" })
        #expect(try await rows("order-4711") == 1)
        #expect(try await count("render_instructions") == 1)
        // One timeline entry, one dispatch signal.
        let id = results[0].instruction.id
        #expect(try await RenderStore(pool: pool).timeline(id).map(\.event) == ["submitted"])
        #expect(try await redis.xlen(dispatch.stream) == 1)
        // The stored instruction shows its key.
        #expect(try await RenderStore(pool: pool).instruction(id).idempotencyKey == "order-4711")
    }

    @Test func fiftySubmissionsFromFiveProcessesMakeOneInstruction() async throws {
        // Five queues on five pools: separate statements from separate sessions race on the
        // unique index, as five hub-server or hubctl processes would.
        var queues: [RenderQueue] = []
        var pools: [PostgresPool] = []
        for _ in 0..<5 {
            let own = try PostgresPool(url: url, maxConnections: 4)
            pools.append(own)
            queues.append(RenderQueue(store: RenderStore(pool: own), redis: redis, dispatch: dispatch))
        }
        let results = try await withThrowingTaskGroup(of: RenderQueue.Result.self) { group in
            for index in 0..<50 {
                let queue = queues[index % 5]
                group.addTask { try await queue.submit(submission("shared-key"), actor: "p\(index % 5)") }
                // unkeyed ones in the same batches are all inserted
                group.addTask { try await queue.submit(submission(nil), actor: "p\(index % 5)") }
            }
            var all: [RenderQueue.Result] = []
            for try await result in group { all.append(result) }
            return all
        }
        let keyed = results.filter { $0.instruction.idempotencyKey == "shared-key" }
        #expect(keyed.count == 50)
        #expect(Set(keyed.map(\.instruction.id)).count == 1)
        #expect(keyed.filter { !$0.replayed }.count == 1)
        #expect(try await rows("shared-key") == 1)
        #expect(try await count("render_instructions") == 51)
        for own in pools { await own.close() }
    }

    @Test func repeatedKeysInOneBatchYieldOneInstructionEach() async throws {
        let store = RenderStore(pool: pool)
        let batch: [(submission: RenderSubmission, actor: String)] = [
            (submission("b"), "t"), (submission("a"), "t"), (submission(nil), "t"), (submission("b"), "t"),
            (submission("a"), "t"), (submission(nil), "t"),
        ]
        let answers = try await store.submitEach(batch)
        let submitted = try answers.map { try $0.get() }
        #expect(submitted.map(\.replayed) == [false, false, false, true, true, false])
        #expect(submitted[0].instruction.id == submitted[3].instruction.id)
        #expect(submitted[1].instruction.id == submitted[4].instruction.id)
        #expect(Set(submitted.map(\.instruction.id)).count == 4)
        #expect(try await count("render_instructions") == 4)
        #expect(try await count("render_outbox") == 4)
        // A later batch with a taken key: the existing instruction, nothing inserted.
        let again = try await store.submit([(submission("a"), "t"), (submission(nil), "t")])
        #expect(again[0].replayed && again[0].instruction.id == submitted[1].instruction.id)
        #expect(!again[1].replayed)
        #expect(try await count("render_instructions") == 5)
    }

    @Test func theSameKeyWithAnotherRequestIsAConflict() async throws {
        let queue = RenderQueue(store: RenderStore(pool: pool), redis: redis, dispatch: dispatch)
        let first = try await queue.submit(submission("k-1"), actor: "test")
        #expect(!first.replayed)
        let error = await #expect(throws: HubError.self) {
            try await queue.submit(submission("k-1", template: "other"), actor: "test")
        }
        #expect(error?.code == .conflict)
        #expect(error?.message.contains("render instruction \(first.instruction.id)") == true)
        await #expect(throws: HubError.self) { try await queue.submit(submission("k-1", priority: 1), actor: "test") }
        // The conflicting one fails alone in its batch: the others are committed.
        let answers = try await queue.store.submitEach([(submission("k-1", template: "other"), "t"), (submission("k-2"), "t")])
        #expect(throws: HubError.self) { try answers[0].get() }
        #expect(try answers[1].get().replayed == false)
        // Who submits does not count: the same request from another actor is a replay.
        let replay = try await queue.submit(submission("k-1"), actor: "someone else")
        #expect(replay.replayed && replay.instruction.id == first.instruction.id)
        #expect(try await count("render_instructions") == 2)
    }

    @Test func badKeysAreRefused() async throws {
        let store = RenderStore(pool: pool)
        for key in ["", String(repeating: "k", count: 256), "line\nbreak"] {
            await #expect(throws: HubError.self) { try await store.submit(submission(key), actor: "t") }
        }
        // The database refuses what the check would have, too.
        await #expect(throws: PostgresError.self) {
            try await pool.query("INSERT INTO render_instructions (template_name, output_settings, data_hash, idempotency_key) VALUES ('x', '{}', repeat('a', 64), 'k')")
        }
        #expect(try await count("render_instructions") == 0)
    }
}
