import Foundation
import HubCore
import HubPostgres
import HubRedis
import HubTestSupport
import Testing

/// `job_failed` notifications against real PostgreSQL: a failure is notified exactly once, whatever
/// order the transactions that record failures commit in (issue 13: the hunter's cursor moved by
/// timeline id, so a failure whose id was taken before a later one committed first was skipped).
@Suite struct FailureNotificationTests {
    let pool: PostgresPool
    let queue: RenderQueue

    init() async throws {
        pool = try PostgresPool(url: try await scratchDatabaseURL(), maxConnections: 8)
        try await Migrator(pool: pool).up()
        let redis = try RedisClient(url: try await TestServices.endpoints().redisURL)
        queue = RenderQueue(store: RenderStore(pool: pool), redis: redis,
                            dispatch: DispatchConfiguration(stream: "test:notify:\(UUID().uuidString.prefix(8))"))
        try await queue.ensureGroup()
    }

    func hunter() -> ZombieHunter {
        ZombieHunter(queue: queue, notifier: Notifier(pool: pool, events: queue.events))
    }

    func jobFailedNotifications() async throws -> [Int64: Int] {
        let rows = try await pool.query("""
            SELECT (data->>'instruction_id')::bigint, count(*) FROM notifications WHERE rule = 'job_failed' GROUP BY 1
            """)
        var counts: [Int64: Int] = [:]
        for row in rows { counts[try row.decode(Int64.self, at: 0)] = try row.decode(Int.self, at: 1) }
        return counts
    }

    @Test func aFailureThatCommitsAfterALaterOneIsStillNotifiedOnce() async throws {
        _ = try await hunter().pass(actor: "first")
        let slow = try await queue.submit(RenderSubmission(templateName: "slow_commit", maxRetries: 0), actor: "test").instruction
        let fast = try await queue.submit(RenderSubmission(templateName: "fast_commit", maxRetries: 0), actor: "test").instruction
        let slowClaim = try #require(try await queue.store.claim(slow.id, worker: "w-slow-0", lease: .seconds(30)))
        let fastClaim = try #require(try await queue.store.claim(fast.id, worker: "w-fast-0", lease: .seconds(30)))

        // The slow failure takes its timeline id first and commits last.
        let (recorded, recordedSignal) = AsyncStream<Int64>.makeStream()
        let (release, releaseSignal) = AsyncStream<Void>.makeStream()
        let slowTransaction = Task {
            try await pool.withTransaction { connection in
                try await connection.query("""
                    UPDATE render_instructions SET status = 'failed', completed_at = now(), error_message = 'slow commit failure',
                        lease_token = NULL, lease_expires_at = NULL, updated_at = now()
                    WHERE id = \(slow.id) AND lease_token = \(slowClaim.leaseToken)
                    """)
                let rows = try await connection.query("""
                    INSERT INTO render_timeline (instruction_id, event, from_status, to_status, actor, worker_id, reason)
                    VALUES (\(slow.id), 'failed', 'processing', 'failed', 'w-slow-0', 'w-slow-0', 'slow commit failure')
                    RETURNING id
                    """)
                recordedSignal.yield(try rows[0].decode(Int64.self, at: 0))
                for await _ in release { break }
            }
        }
        var slowTimelineID: Int64?
        for await id in recorded { slowTimelineID = id; break }
        _ = try await queue.store.fail(fastClaim, error: "fast commit failure")
        let fastTimelineID = try await pool.query("SELECT max(id) FROM render_timeline WHERE instruction_id = \(fast.id)")[0].decode(Int64.self, at: 0)
        #expect(try #require(slowTimelineID) < fastTimelineID, "the slow failure holds the lower id")

        let whileOpen = try await hunter().pass(actor: "while-open", force: true)
        #expect(whileOpen.notifiedFailures == [fast.id])

        releaseSignal.yield()
        try await slowTransaction.value

        let afterCommit = try await hunter().pass(actor: "after-commit", force: true)
        #expect(afterCommit.notifiedFailures == [slow.id], "the failure that committed late is not skipped")
        #expect(try await hunter().pass(actor: "again", force: true).notifiedFailures.isEmpty, "nothing twice")
        #expect(try await jobFailedNotifications() == [slow.id: 1, fast.id: 1])
    }

    @Test func concurrentPassesNotifyEachFailureExactlyOnce() async throws {
        _ = try await hunter().pass(actor: "first")
        var failed: [Int64] = []
        for n in 0..<5 {
            let job = try await queue.submit(RenderSubmission(templateName: "broken_\(n)", maxRetries: 0), actor: "test").instruction
            let claim = try #require(try await queue.store.claim(job.id, worker: "w-\(n)-0", lease: .seconds(30)))
            _ = try await queue.store.fail(claim, error: "render error \(n)")
            failed.append(job.id)
        }
        let reports = try await withThrowingTaskGroup(of: ZombieHunter.Report.self) { group in
            for n in 0..<4 { group.addTask { try await hunter().pass(actor: "hunter-\(n)", force: true) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(reports.flatMap(\.notifiedFailures).sorted() == failed, "each failure reported by one pass")
        #expect(try await jobFailedNotifications() == Dictionary(uniqueKeysWithValues: failed.map { ($0, 1) }))
    }
}
