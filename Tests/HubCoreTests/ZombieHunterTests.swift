import Foundation
import HubCore
import HubPostgres
import HubRedis
import HubTestSupport
import Testing

/// The Zombie Hunter's guard, lease rule with republishing, quarantine and failure notifications,
/// against real PostgreSQL and Redis.
@Suite struct ZombieHunterTests {
    let pool: PostgresPool
    let redis: RedisClient
    let queue: RenderQueue

    init() async throws {
        pool = try PostgresPool(url: try await scratchDatabaseURL(), maxConnections: 8)
        try await Migrator(pool: pool).up()
        redis = try RedisClient(url: try await TestServices.endpoints().redisURL)
        queue = RenderQueue(store: RenderStore(pool: pool), redis: redis,
                            dispatch: DispatchConfiguration(stream: "test:hunter:\(UUID().uuidString.prefix(8))"))
        try await queue.ensureGroup()
    }

    func hunter(quarantineAfter: Int = 3, interval: Duration = .seconds(60)) -> ZombieHunter {
        var settings = ZombieHunter.Settings()
        settings.interval = interval
        settings.quarantineAfter = quarantineAfter
        return ZombieHunter(queue: queue, settings: settings, notifier: Notifier(pool: pool, events: queue.events))
    }

    func expireLease(_ id: Int64) async throws {
        try await pool.query("UPDATE render_instructions SET lease_expires_at = now() - interval '1 second' WHERE id = \(id)")
    }

    @Test func onlyOneOfManyConcurrentHuntersActsPerInterval() async throws {
        let job = try await queue.submit(RenderSubmission(templateName: "guard"), actor: "test").instruction
        _ = try #require(try await queue.store.claim(job.id, worker: "dead-1-0", lease: .seconds(30)))
        try await expireLease(job.id)
        let reports = try await withThrowingTaskGroup(of: ZombieHunter.Report.self) { group in
            for n in 0..<6 { group.addTask { try await hunter().pass(actor: "hunter-\(n)") } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(reports.filter(\.acted).count == 1, "one pass per interval across processes")
        #expect(reports.flatMap(\.reaped).map(\.id) == [job.id], "the job is reaped exactly once")
        let skipped = try await hunter().pass(actor: "late")
        #expect(!skipped.acted)
        #expect(skipped.lastRun?.actor?.hasPrefix("hunter-") == true, "a skipped pass says who ran the last one")
        #expect(try await hunter().pass(actor: "operator", force: true).acted, "--force runs anyway")
        try await assertRenderInvariants(pool)
    }

    @Test func expiredLeaseIsRepublishedToTheStream() async throws {
        let job = try await queue.submit(RenderSubmission(templateName: "republish"), actor: "test").instruction
        let before = try await redis.xlen(queue.dispatch.stream)
        _ = try #require(try await queue.store.claim(job.id, worker: "dead-2-0", lease: .seconds(30)))
        try await expireLease(job.id)
        let report = try await hunter().pass(actor: "hunter")
        #expect(report.reaped.map(\.status) == [.pending])
        #expect(report.reconcileError == nil)
        #expect(try await queue.store.unpublished().isEmpty, "the new outbox row was published")
        let entries = try await redis.xrange(queue.dispatch.stream)
        #expect(entries.count == before + 1)
        #expect(entries.last?["instruction"] == String(job.id))
        let entry = try #require(try await queue.store.timeline(job.id).last)
        #expect(entry.event == "lease_expired")
        #expect(entry.reason == "the lease expired without a heartbeat")
        try await assertRenderInvariants(pool)
    }

    func crashCount(_ id: Int64) async throws -> Int {
        try await pool.query("SELECT crash_count FROM render_instructions WHERE id = \(id)")[0].decode(Int.self, at: 0)
    }

    /// Workers killed from outside (SIGKILL), frozen or cut off from the database lose their
    /// leases whatever they render: an expiry is no evidence against the job. With the default
    /// limits (quarantine after 3 crashes, 3 retries), five lost leases in a row leave the job
    /// pending with nothing counted — found by the chaos test at real settings, where a job that
    /// happened to sit on three SIGKILLed workers was quarantined as "killed its worker 3 times".
    @Test func lostLeasesCountNeitherARetryNorACrash() async throws {
        let job = try await queue.submit(RenderSubmission(templateName: "unlucky"), actor: "test").instruction
        for round in 1...5 {
            _ = try #require(try await queue.store.claim(job.id, worker: "killed-\(round)-0", lease: .seconds(30)))
            try await expireLease(job.id)
            let report = try await hunter(quarantineAfter: 3).pass(actor: "hunter", force: true)
            #expect(report.reaped.map(\.status) == [.pending], "round \(round): back in line")
            #expect(report.reaped.map(\.quarantined) == [false])
        }
        let now = try await queue.store.instruction(job.id)
        #expect(now.status == .pending)
        #expect(now.retryCount == 0, "a lost lease is not a retry")
        #expect(try await crashCount(job.id) == 0, "a lost lease is not a crash")
        let events = try await queue.store.timeline(job.id).map(\.event)
        #expect(events.filter { $0 == "lease_expired" }.count == 5)
        #expect(!events.contains("quarantined"))
        try await assertRenderInvariants(pool)
    }

    /// A job that crashes its worker (the worker's own code raised a fatal signal and the next
    /// worker on the machine reported it) is quarantined at the limit, with the evidence.
    @Test func anInstructionThatKillsItsWorkerIsQuarantinedWithTheEvidence() async throws {
        let job = try await queue.submit(RenderSubmission(templateName: "poison", maxRetries: 10), actor: "test").instruction
        // The first worker process registered and then went silent; the second never registered.
        try await ServiceRegistry(pool: pool).heartbeat(id: "hub-worker:render-a-101", kind: "hub-worker", mode: "redis")
        try await pool.query("UPDATE service_registry SET last_heartbeat = now() - interval '5 minutes' WHERE id = 'hub-worker:render-a-101'")
        for (round, process) in ["render-a-101", "render-b-202"].enumerated() {
            let claim = try #require(try await queue.store.claim(job.id, worker: "\(process)-\(round)", lease: .seconds(30)))
            try await queue.store.heartbeat(claim, lease: .seconds(30), frame: 40 + round, totalFrames: 90)
            // The crashed process's successor reports the crash before the lease expires.
            let counted = try await queue.store.recordWorkerCrash(process: process, signal: 4, actor: "hub-worker:next", quarantineAfter: 2)
            #expect(counted.map(\.id) == [job.id])
            #expect(counted.map(\.status) == [.processing], "the hunter takes it back when its lease expires")
            try await expireLease(job.id)
            let report = try await hunter(quarantineAfter: 2).pass(actor: "hunter", force: true)
            #expect(report.reaped.map(\.quarantined) == [round == 1])
        }
        let failed = try await queue.store.instruction(job.id)
        #expect(failed.status == .failed)
        let message = try #require(failed.errorMessage)
        #expect(message.hasPrefix("quarantined: killed its worker 2 times"), "\(message)")
        #expect(message.contains("render-b-202-1 (process unregistered)"))
        #expect(message.contains("at frame 41/90"))
        #expect(message.contains("crashes: render-a-101-0 (signal 4), render-b-202-1 (signal 4)"), "\(message)")
        #expect(failed.retryCount == 0, "the quarantine stopped it long before its 10 retries")
        let events = try await queue.store.timeline(job.id).map(\.event)
        #expect(events.suffix(2) == ["lease_expired", "quarantined"])
        let first = try await pool.query("""
            SELECT details->>'process' FROM render_timeline WHERE instruction_id = \(job.id) AND event = 'lease_expired' ORDER BY id LIMIT 1
            """)
        #expect(try first[0].decode(String.self, at: 0) == "silent", "the evidence says the first process went silent")
        let attempts = try await queue.store.attempts(job.id)
        #expect(attempts.map(\.workerID) == ["render-a-101-0", "render-b-202-1"], "jobs show names each attempt's worker")
        #expect(attempts.map(\.outcome) == ["lease_expired", "quarantined"])
        #expect(attempts.map(\.lastProgress) == ["40/90", "41/90"])
        try await assertRenderInvariants(pool)
    }

    /// A crash reported after the hunter took the job back (the crashed worker's machine restarted
    /// its worker late) still counts, once, and quarantines a pending job at the limit at once.
    @Test func aCrashReportedAfterTheReapCountsOnceAndQuarantinesAtTheLimit() async throws {
        let job = try await queue.submit(RenderSubmission(templateName: "late"), actor: "test").instruction
        for (round, process) in ["render-c-301", "render-d-402"].enumerated() {
            _ = try #require(try await queue.store.claim(job.id, worker: "\(process)-0", lease: .seconds(30)))
            try await expireLease(job.id)
            #expect(try await hunter(quarantineAfter: 2).pass(actor: "hunter", force: true).reaped.map(\.status) == [.pending])
            let counted = try await queue.store.recordWorkerCrash(process: process, signal: 11, actor: "hub-worker:next", quarantineAfter: 2)
            #expect(counted.map(\.crashCount) == [round + 1])
            #expect(counted.map(\.status) == [round == 0 ? .pending : .failed])
            #expect(counted.map(\.quarantined) == [round == 1])
            let again = try await queue.store.recordWorkerCrash(process: process, signal: 11, actor: "hub-worker:next", quarantineAfter: 2)
            #expect(again.isEmpty, "the same crash reported twice counts once")
        }
        let failed = try await queue.store.instruction(job.id)
        #expect(failed.status == .failed)
        #expect(failed.errorMessage?.hasPrefix("quarantined: killed its worker 2 times (last: worker render-d-402-0 crashed with signal 11; crashes before: render-c-301-0 (signal 11))") == true,
                "\(failed.errorMessage ?? "")")
        let events = try await queue.store.timeline(job.id).map(\.event)
        #expect(events.suffix(2) == ["worker_crashed", "quarantined"])
        // A process that held nothing counts nothing; one whose name only starts alike is another process.
        #expect(try await queue.store.recordWorkerCrash(process: "render-c-30", signal: 11, actor: "x").isEmpty)
        try await assertRenderInvariants(pool)
    }

    @Test func everyFailureSinceTheLastPassIsNotifiedOnce() async throws {
        _ = try await hunter().pass(actor: "first") // sets the cursor
        let job = try await queue.submit(RenderSubmission(templateName: "broken", maxRetries: 0), actor: "test").instruction
        let claim = try #require(try await queue.store.claim(job.id, worker: "w-1-0", lease: .seconds(30)))
        try await queue.store.fail(claim, error: "aerender Error: missing footage")
        let report = try await hunter().pass(actor: "second", force: true)
        #expect(report.notifiedFailures == [job.id])
        #expect(try await hunter().pass(actor: "third", force: true).notifiedFailures.isEmpty, "not twice")
        let notifications = try await Notifier(pool: pool, events: nil).list()
        #expect(notifications.map(\.rule) == ["job_failed"])
        #expect(notifications.first?.level == .error)
        #expect(notifications.first?.message == "aerender Error: missing footage")
        try await assertRenderInvariants(pool)
    }
}
