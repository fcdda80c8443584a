import Foundation
import HubCore
import HubPostgres
import HubRedis
import HubTestSupport
import Testing

/// Issue 13 item 3: a cancel requested while the worker hands back, fails or dies must end the
/// instruction `cancelled` — never `pending` with `cancel_requested`, which no claim takes and a
/// retry refuses.
@Suite struct RenderStoreCancelRaceTests {
    let pool: PostgresPool
    let redis: RedisClient
    let queue: RenderQueue
    var store: RenderStore { queue.store }

    init() async throws {
        pool = try PostgresPool(url: try await scratchDatabaseURL(), maxConnections: 8)
        try await Migrator(pool: pool).up()
        redis = try RedisClient(url: try await TestServices.endpoints().redisURL)
        queue = RenderQueue(store: RenderStore(pool: pool), redis: redis,
                            dispatch: DispatchConfiguration(stream: "test:cancelrace:\(UUID().uuidString.prefix(8))"))
        try await queue.ensureGroup()
    }

    /// A submitted instruction, claimed by `worker`, with an operator's cancel request pending.
    func claimedWithCancelRequested(_ template: String, worker: String = "render-09-1") async throws -> RenderClaim {
        let job = try await queue.submit(RenderSubmission(templateName: template, maxRetries: 3), actor: "test").instruction
        let claim = try #require(try await store.claim(job.id, worker: worker, lease: .seconds(30)))
        #expect(try await store.cancel(job.id, actor: "director", reason: "wrong graphic") == .processing)
        return claim
    }

    /// Retrying the cancelled instruction works as for any cancelled job: pending, flag cleared, claimable.
    func retryWorks(_ id: Int64) async throws {
        let retried = try await OperatorActions(queue: queue).retry(id, actor: "director", reason: "render it after all")
        #expect(retried.status == .pending)
        #expect(!retried.cancelRequested)
        let again = try await store.claim(id, worker: "render-10-1", lease: .seconds(30))
        #expect(again != nil, "the retried instruction is claimable")
    }

    @Test func cancelThenHandBackOnShutdownEndsCancelled() async throws {
        let claim = try await claimedWithCancelRequested("handback")
        try await store.handBack(claim, reason: "worker render-09 stopped before the render finished")
        let now = try await store.instruction(claim.instruction.id)
        #expect(now.status == .cancelled)
        #expect(now.completedAt != nil)
        let timeline = try await store.timeline(claim.instruction.id)
        #expect(timeline.last?.event == "cancelled")
        #expect(timeline.last?.toStatus == "cancelled")
        try await assertRenderInvariants(pool)
        try await retryWorks(claim.instruction.id)
        try await assertRenderInvariants(pool)
    }

    @Test func cancelThenFailureWithRetriesLeftEndsCancelled() async throws {
        let claim = try await claimedWithCancelRequested("failure")
        let now = try await store.fail(claim, error: "aerender exited with status 1")
        #expect(now.status == .cancelled)
        #expect(now.retryCount == 0, "a cancelled job uses no retry")
        #expect(try await store.instruction(claim.instruction.id).status == .cancelled)
        let timeline = try await store.timeline(claim.instruction.id)
        #expect(timeline.last?.event == "cancelled")
        #expect(timeline.last?.reason?.contains("aerender exited with status 1") == true)
        try await assertRenderInvariants(pool)
        try await retryWorks(claim.instruction.id)
        try await assertRenderInvariants(pool)
    }

    @Test func cancelThenLeaseExpiryReapedByTheHunterEndsCancelled() async throws {
        let claim = try await claimedWithCancelRequested("reaped", worker: "dead-9-0")
        try await pool.query("UPDATE render_instructions SET lease_expires_at = now() - interval '1 second' WHERE id = \(claim.instruction.id)")
        let report = try await ZombieHunter(queue: queue).pass(actor: "hunter", force: true)
        #expect(report.reaped.map(\.status) == [.cancelled])
        #expect(report.reaped.first?.quarantined == false)
        let now = try await store.instruction(claim.instruction.id)
        #expect(now.status == .cancelled)
        #expect(now.completedAt != nil)
        #expect(now.retryCount == 0)
        let events = try await store.timeline(claim.instruction.id).map(\.event)
        #expect(events.suffix(2) == ["lease_expired", "cancelled"])
        #expect(try await store.unpublished().isEmpty, "nothing is signalled for a cancelled job")
        try await assertRenderInvariants(pool)
        try await retryWorks(claim.instruction.id)
        try await assertRenderInvariants(pool)
    }

    /// The database itself refuses a stranded row (migration 0011), whoever writes it.
    @Test func theDatabaseRefusesAPendingRowWithCancelRequested() async throws {
        let claim = try await claimedWithCancelRequested("constraint")
        let error = await #expect(throws: PostgresError.self) {
            try await pool.query("""
                UPDATE render_instructions SET status = 'pending', lease_token = NULL, lease_expires_at = NULL
                WHERE id = \(claim.instruction.id)
                """)
        }
        #expect(error?.sqlState == SQLState.checkViolation)
        try await assertRenderInvariants(pool)
    }

    /// Rows stranded before the fix are repaired by migration 0011: cancelled, with a timeline entry.
    @Test func migration0011CancelsRowsStrandedBeforeIt() async throws {
        let scratch = try PostgresPool(url: try await scratchDatabaseURL(), maxConnections: 2)
        try await Migrator(pool: scratch).up(to: 10)
        let rows = try await scratch.query("""
            INSERT INTO render_instructions (template_name, output_settings, data_hash, cancel_requested)
            VALUES ('stranded', '{}', repeat('a', 64), true), ('fine', '{}', repeat('b', 64), false) RETURNING id
            """)
        let stranded = try rows[0].decode(Int64.self, at: 0), fine = try rows[1].decode(Int64.self, at: 0)
        try await Migrator(pool: scratch).up()
        let store = RenderStore(pool: scratch)
        #expect(try await store.instruction(stranded).status == .cancelled)
        #expect(try await store.instruction(stranded).completedAt != nil)
        #expect(try await store.timeline(stranded).last?.event == "cancelled")
        #expect(try await store.instruction(fine).status == .pending)
        try await assertRenderInvariants(scratch)
        await scratch.close()
    }

    /// A cancel requested on the last crash a quarantine would count still ends cancelled.
    @Test func cancelWinsOverQuarantineAndExhaustedRetries() async throws {
        let claim = try await claimedWithCancelRequested("quarantine", worker: "dead-8-0")
        try await pool.query("""
            UPDATE render_instructions SET crash_count = 5, retry_count = max_retries,
                   lease_expires_at = now() - interval '1 second' WHERE id = \(claim.instruction.id)
            """)
        let reaped = try await store.reapExpiredLeases(actor: "hunter", quarantineAfter: 3)
        #expect(reaped.map(\.status) == [.cancelled])
        #expect(reaped.first?.quarantined == false)
        try await assertRenderInvariants(pool)
    }
}
