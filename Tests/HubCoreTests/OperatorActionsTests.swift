import Foundation
import HubCore
import HubPostgres
import HubRedis
import HubTestSupport
import Testing

@Suite struct OperatorActionsTests {
    let pool: PostgresPool
    let queue: RenderQueue
    let actions: OperatorActions

    init() async throws {
        pool = try PostgresPool(url: try await scratchDatabaseURL(), maxConnections: 6)
        try await Migrator(pool: pool).up()
        let redis = try RedisClient(url: try await TestServices.endpoints().redisURL)
        queue = RenderQueue(store: RenderStore(pool: pool), redis: redis, dispatch: DispatchConfiguration(stream: "test:actions:\(UUID().uuidString.prefix(8))"))
        try await queue.ensureGroup()
        actions = OperatorActions(queue: queue)
    }

    func submit(_ template: String = "leaderboard") async throws -> RenderInstruction {
        try await queue.submit(RenderSubmission(templateName: template, maxRetries: 0), actor: "test").instruction
    }

    /// Runs the instruction to `failed` with `error`.
    func fail(_ job: RenderInstruction, error: String) async throws {
        let claim = try #require(try await queue.store.claim(job.id, worker: "w-1-0", lease: .seconds(30)))
        try await queue.store.fail(claim, error: error)
    }

    @Test func retryRecordsActorAndReasonAndSignalsTheWorkers() async throws {
        let job = try await submit()
        try await fail(job, error: "aerender Error: missing footage")
        let retried = try await actions.retry(job.id, actor: "kim", reason: "footage restored")
        #expect(retried.status == .pending)
        #expect(retried.retryCount == 0)
        #expect(retried.errorMessage == nil)
        let entry = try #require(try await queue.store.timeline(job.id).last)
        #expect(entry.event == "operator_retry")
        #expect(entry.actor == "kim")
        #expect(entry.reason == "footage restored")
        #expect(entry.fromStatus == "failed")
        #expect(try await queue.store.unpublished().isEmpty, "the retry's dispatch signal went out")
        let log = try await pool.query("SELECT actor, action, entity_id, reason FROM activity_log")
        #expect(try log[0].decode(String.self, at: 0) == "kim")
        #expect(try log[0].decode(String.self, at: 1) == "retry")
        #expect(try log[0].decode(String.self, at: 2) == String(job.id))
    }

    @Test func wrongStatesAreRefusedWithTheReason() async throws {
        let done = try await submit()
        let claim = try #require(try await queue.store.claim(done.id, worker: "w-1-0", lease: .seconds(30)))
        try await queue.store.complete(claim, output: .init(path: "/tmp/x.png"))
        let completed = await #expect(throws: HubError.self) { try await actions.retry(done.id, actor: "kim", reason: nil) }
        #expect(completed?.code == .conflict)
        #expect(completed?.message.contains("is completed") == true)
        let waiting = try await submit()
        #expect(await (#expect(throws: HubError.self) { try await actions.retry(waiting.id, actor: "kim", reason: nil) })?.code == .conflict)
        try await actions.cancel(waiting.id, actor: "kim", reason: "not needed")
        let twice = await #expect(throws: HubError.self) { try await actions.cancel(waiting.id, actor: "kim", reason: nil) }
        #expect(twice?.code == .conflict)
        #expect(twice?.message.contains("already cancelled") == true)
        let priority = await #expect(throws: HubError.self) { try await actions.changePriority(done.id, to: 1, actor: "kim", reason: nil) }
        #expect(priority?.code == .conflict)
        let unknown = await #expect(throws: HubError.self) { try await actions.retry(999_999, actor: "kim", reason: nil) }
        #expect(unknown?.code == .notFound)
        #expect(await (#expect(throws: HubError.self) { try await actions.changePriority(waiting.id, to: 11, actor: "kim", reason: nil) })?.code == .usage)
        // Refusals change nothing.
        #expect(try await queue.store.instruction(done.id).status == .completed)
        #expect(try await queue.store.timeline(done.id).map(\.event) == ["submitted", "claimed", "completed"])
    }

    @Test func priorityChangeMovesTheJobAheadAndIsRecorded() async throws {
        let first = try await submit()
        let second = try await submit()
        try await actions.changePriority(second.id, to: 1, actor: "director", reason: "on air next")
        let claim = try #require(try await queue.store.claimNext(worker: "w-1-0", lease: .seconds(30)))
        #expect(claim.instruction.id == second.id, "the raised job is started first")
        #expect(first.id != second.id)
        let entry = try #require(try await queue.store.timeline(second.id).first { $0.event == "priority_changed" })
        #expect(entry.actor == "director")
        #expect(entry.reason == "on air next")
    }

    @Test func bulkRetryFiltersAndDryRunChangesNothing() async throws {
        let a = try await submit("leaderboard")
        let b = try await submit("leaderboard")
        let c = try await submit("chip_count")
        try await fail(a, error: "aerender Error: missing footage")
        try await fail(b, error: "out of memory")
        try await fail(c, error: "aerender Error: Missing Footage")
        try await pool.query("UPDATE render_instructions SET completed_at = now() - interval '3 hours' WHERE id = \(b.id)")
        let filter = OperatorActions.BulkRetryFilter(errorContains: "missing footage")
        let dry = try await actions.bulkRetry(filter, dryRun: true, actor: "kim", reason: nil)
        #expect(dry.matched.map(\.id) == [a.id, c.id], "error text matches case-insensitively")
        #expect(dry.retried.isEmpty)
        #expect(try await queue.store.instruction(a.id).status == .failed, "a dry run changes nothing")
        let byTemplate = try await actions.bulkRetry(.init(template: "leaderboard", since: Date().addingTimeInterval(-3600)), dryRun: true, actor: "kim", reason: nil)
        #expect(byTemplate.matched.map(\.id) == [a.id], "the window leaves out the one that failed 3 hours ago")
        let done = try await actions.bulkRetry(filter, dryRun: false, actor: "kim", reason: "footage restored")
        #expect(done.retried == [a.id, c.id])
        #expect(try await queue.store.instruction(c.id).status == .pending)
        #expect(try await queue.store.instruction(b.id).status == .failed)
        #expect(try await queue.store.timeline(a.id).last?.event == "bulk_retry")
        #expect(try await queue.store.timeline(a.id).last?.actor == "kim")
        let refused = await #expect(throws: HubError.self) {
            try await actions.bulkRetry(.init(statuses: [.completed]), dryRun: true, actor: "kim", reason: nil)
        }
        #expect(refused?.code == .usage)
    }
}
