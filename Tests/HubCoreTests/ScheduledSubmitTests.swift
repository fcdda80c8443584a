import Foundation
import HubCore
import HubPostgres
import HubRedis
import HubTestSupport
import Testing

/// Scheduled submission (issue 16): an instruction with a due time is not claimed before it, and
/// an idle worker takes it when it falls due — not at its next idle poll — in both dispatch modes.
@Suite(.timeLimit(.minutes(3))) struct ScheduledSubmitTests {
    let url: String
    let endpoints: ServiceEndpoints
    let dispatch = DispatchConfiguration(stream: "test:scheduled:\(UUID().uuidString.prefix(8))", group: "ae-workers")

    init() async throws {
        url = try await scratchDatabaseURL()
        endpoints = try await TestServices.endpoints()
        let pool = try PostgresPool(url: url, maxConnections: 1)
        try await Migrator(pool: pool).up()
        await pool.close()
    }

    /// The claim time and due time of `id`, by PostgreSQL's clock.
    func times(_ pool: PostgresPool, _ id: Int64) async throws -> (due: Date, claimed: Date?) {
        let row = try await pool.query("""
            SELECT r.scheduled_at, (SELECT min(t.occurred_at) FROM render_timeline t WHERE t.instruction_id = r.id AND t.event = 'claimed')
            FROM render_instructions r WHERE r.id = \(id)
            """)[0]
        return (try row.decode(Date.self, at: 0), try row.decode(Date?.self, at: 1))
    }

    @Test(arguments: [false, true])
    func aScheduledInstructionStartsWhenDueNotAtTheNextIdlePoll(fallback: Bool) async throws {
        let pool = try PostgresPool(url: url, maxConnections: 4)
        // In fallback mode Redis is unreachable (port 1) for the worker and the producer alike: the
        // worker claims from PostgreSQL, woken by NOTIFY, as in a Redis outage.
        let redisURL = fallback ? "redis://127.0.0.1:1/0" : endpoints.redisURL
        let redis = try RedisClient(url: redisURL)
        let queue = RenderQueue(store: RenderStore(pool: pool), redis: redis, dispatch: dispatch)
        let script = try writeScript("printf 'x' > \"$2\"")
        // An idle poll of a minute: only the due-time wake-up can start the job within the test.
        let worker = try WorkerHarness.start(databaseURL: url, redisURL: redisURL, dispatch: dispatch,
                                             backend: CommandBackend(executable: script), concurrency: 2,
                                             name: fallback ? "sched-db" : "sched-redis") { $0.idleWait = .seconds(60) }
        try await WorkerHarness.waitUntilIdle([worker], fallback: fallback, pool: pool) // idle, its reader blocked
        let due = Date().addingTimeInterval(2)
        let instruction = try await queue.submit(RenderSubmission(templateName: "schedule_card", outputSettings: OutputSettings(format: .png),
                                                                  scheduledAt: due), actor: "test").instruction
        #expect(abs(instruction.scheduledAt.timeIntervalSince(due)) < 0.01, "stored as given")
        #expect(try await queue.store.instruction(instruction.id).status == .pending)
        try await waitUntil("the scheduled instruction completed", timeout: 15) {
            try await queue.store.instruction(instruction.id).status == .completed
        }
        let (stored, claimed) = try await times(pool, instruction.id)
        let start = try #require(claimed)
        #expect(start >= stored, "never claimed before it was due")
        // The reader may be blocked on the stream for its minute-long idle wait: cancel it.
        worker.task.cancel()
        _ = try? await worker.stop()
        await pool.close()
        await redis.close()
    }

    @Test func beforeItIsDueItCanBeCancelledOrReprioritisedAndAPastTimeIsNow() async throws {
        let pool = try PostgresPool(url: url, maxConnections: 4)
        let redis = try RedisClient(url: endpoints.redisURL)
        let queue = RenderQueue(store: RenderStore(pool: pool), redis: redis, dispatch: dispatch)
        let later = try await queue.submit(RenderSubmission(templateName: "later", scheduledAt: Date().addingTimeInterval(3600)), actor: "test").instruction
        let other = try await queue.submit(RenderSubmission(templateName: "later2", scheduledAt: Date().addingTimeInterval(3600)), actor: "test").instruction
        let past = try await queue.submit(RenderSubmission(templateName: "past", scheduledAt: Date(timeIntervalSince1970: 0)), actor: "test").instruction
        #expect(past.scheduledAt > Date().addingTimeInterval(-60), "a past due time is now: it does not jump its priority's queue")
        let actions = OperatorActions(queue: queue)
        _ = try await actions.changePriority(other.id, to: 1, actor: "test", reason: nil)
        #expect(try await queue.store.instruction(other.id).priority == 1)
        #expect(try await actions.cancel(later.id, actor: "test", reason: "show moved") == .pending)
        #expect(try await queue.store.instruction(later.id).status == .cancelled)
        let worker = try WorkerHarness.start(databaseURL: url, redisURL: endpoints.redisURL, dispatch: dispatch,
                                             backend: NoopBackend(), concurrency: 1, name: "sched-idle")
        try await waitUntil("the past-due instruction ran", timeout: 20) { try await queue.store.instruction(past.id).status == .completed }
        #expect(try await queue.store.instruction(other.id).status == .pending, "not due for an hour")
        _ = try await worker.stop()
        let tooFar = #expect(throws: HubError.self) {
            try RenderSubmission(templateName: "t", scheduledAt: Date().addingTimeInterval(400 * 86_400)).validate()
        }
        #expect(tooFar?.code == .usage)
        await pool.close()
        await redis.close()
    }
}
