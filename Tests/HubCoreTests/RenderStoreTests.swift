import Foundation
import HubCore
import HubPostgres
import HubTestSupport
import Testing

@Suite struct RenderStoreTests {
    let pool: PostgresPool
    let store: RenderStore

    init() async throws {
        pool = try PostgresPool(url: try await scratchDatabaseURL(), maxConnections: 10)
        try await Migrator(pool: pool).up()
        store = RenderStore(pool: pool)
    }

    func submit(_ template: String = "leaderboard", priority: Int = 5, maxRetries: Int = 3) async throws -> RenderInstruction {
        try await store.submit(RenderSubmission(templateName: template, layerData: ["Name 1": .string("김민수"), "Chips 1": .integer(1_500_000)],
                                                priority: priority, maxRetries: maxRetries), actor: "test").instruction
    }

    @Test func submitWritesInstructionOutboxAndTimelineTogether() async throws {
        let notifications = try await pool.listen(to: [RenderStore.pendingChannel])
        let submitted = try await store.submit(RenderSubmission(templateName: "player_info", layerData: ["id": .integer(638_961_224_831_992_165)]), actor: "director")
        #expect(submitted.instruction.status == .pending)
        #expect(submitted.instruction.layerData["id"] == .integer(638_961_224_831_992_165))
        #expect(submitted.instruction.outputSettings == OutputSettings())
        #expect(submitted.instruction.dataHash.count == 64)
        let outbox = try await store.unpublished()
        #expect(outbox.map(\.instructionID) == [submitted.instruction.id])
        #expect(outbox.map(\.outboxID) == [submitted.outboxID])
        let timeline = try await store.timeline(submitted.instruction.id)
        #expect(timeline.map(\.event) == ["submitted"])
        #expect(timeline.first?.actor == "director")
        for try await notification in notifications {
            #expect(notification.payload == String(submitted.instruction.id))
            break
        }
        try await store.markPublished([submitted.outboxID])
        #expect(try await store.unpublished().isEmpty)
    }

    @Test func badSubmissionsAreRefusedBeforeAndByTheDatabase() async throws {
        await #expect(throws: HubError.self) { try await submit(priority: 11) }
        await #expect(throws: HubError.self) { try await submit("  ") }
        // The constraints hold even for SQL written by hand.
        let error = await #expect(throws: PostgresError.self) {
            try await pool.query("INSERT INTO render_instructions (template_name, output_settings, priority, data_hash) VALUES ('x', '{}', 0, repeat('a', 64))")
        }
        #expect(error?.sqlState == SQLState.checkViolation)
        let leaseless = await #expect(throws: PostgresError.self) {
            try await pool.query("INSERT INTO render_instructions (template_name, output_settings, status, data_hash) VALUES ('x', '{}', 'processing', repeat('a', 64))")
        }
        #expect(leaseless?.sqlState == SQLState.checkViolation)
        #expect(try await store.list().isEmpty)
    }

    @Test func exactlyOneOfManyConcurrentClaimersWins() async throws {
        let instruction = try await submit()
        let winners = try await withThrowingTaskGroup(of: RenderClaim?.self) { group in
            for slot in 0..<8 {
                group.addTask { try await store.claim(instruction.id, worker: "w-\(slot)", lease: .seconds(30)) }
            }
            var claims: [RenderClaim] = []
            for try await claim in group { if let claim { claims.append(claim) } }
            return claims
        }
        #expect(winners.count == 1)
        let now = try await store.instruction(instruction.id)
        #expect(now.status == .processing)
        #expect(now.workerID == winners.first?.workerID)
        #expect(now.attempt == 1)
    }

    @Test func priorityOneJumpsAThousandPriorityTens() async throws {
        try await pool.query("""
            INSERT INTO render_instructions (template_name, output_settings, priority, data_hash)
            SELECT 'filler', '{}', 10, repeat('b', 64) FROM generate_series(1, 1000)
            """)
        let urgent = try await submit("breaking", priority: 1)
        let claim = try #require(try await store.claimNext(worker: "w", lease: .seconds(30)))
        #expect(claim.instruction.id == urgent.id)
        let following = try #require(try await store.claimNext(worker: "w", lease: .seconds(30)))
        #expect(following.instruction.priority == 10)
        #expect(following.instruction.id < urgent.id, "then the oldest of the rest")
    }

    @Test func concurrentClaimNextNeverHandsOutAJobTwice() async throws {
        try await pool.query("""
            INSERT INTO render_instructions (template_name, output_settings, priority, data_hash)
            SELECT 'bulk', '{}', 1 + (g % 10), repeat('c', 64) FROM generate_series(1, 300) g
            """)
        let claimed = try await withThrowingTaskGroup(of: [Int64].self) { group in
            for slot in 0..<6 {
                group.addTask {
                    var mine: [Int64] = []
                    while let claim = try await store.claimNext(worker: "w-\(slot)", lease: .seconds(30)) {
                        try await store.complete(claim, output: .init(path: "/out/\(claim.instruction.id)-\(claim.attempt).png"))
                        mine.append(claim.instruction.id)
                    }
                    return mine
                }
            }
            var all: [Int64] = []
            for try await ids in group { all += ids }
            return all
        }
        #expect(claimed.count == 300)
        #expect(Set(claimed).count == 300)
        let outputs = try await pool.query("SELECT count(*), count(DISTINCT instruction_id) FROM render_outputs WHERE status = 'completed'")
        #expect(try outputs[0].decode(Int.self, at: 0) == 300)
        #expect(try outputs[0].decode(Int.self, at: 1) == 300)
    }

    @Test func staleLeaseCannotOverwriteTheNewAttempt() async throws {
        let instruction = try await submit()
        let first = try #require(try await store.claim(instruction.id, worker: "dead-worker", lease: .seconds(30)))
        // The first worker is presumed dead: its job goes back (what the Zombie Hunter does) and is claimed again.
        try await store.handBack(first, reason: "lease expired")
        let second = try #require(try await store.claim(instruction.id, worker: "live-worker", lease: .seconds(30)))
        #expect(second.leaseToken != first.leaseToken)
        #expect(second.attempt == 2)

        for write in [
            { try await store.complete(first, output: .init(path: "/out/stale.png")) as Any },
            { try await store.heartbeat(first, lease: .seconds(30), frame: 10) as Any },
            { try await store.fail(first, error: "stale failure") as Any },
        ] {
            let error = await #expect(throws: HubError.self) { try await write() }
            #expect(error?.code == .leaseLost)
        }
        try await store.complete(second, output: .init(path: "/out/live.png", fileSize: 1234, frameCount: 1))
        let done = try await store.instruction(instruction.id)
        #expect(done.status == .completed)
        #expect(done.retryCount == 0, "the stale failure counted nothing")
        let outputs = try await pool.query("SELECT output_path FROM render_outputs WHERE instruction_id = \(instruction.id)")
        #expect(try outputs.map { try $0.decode(String.self, at: 0) } == ["/out/live.png"])
        let events = try await store.timeline(instruction.id).map(\.event)
        #expect(events == ["submitted", "claimed", "handed_back", "claimed", "completed"])
        try await assertRenderInvariants(pool)
    }

    @Test func failuresBackOffThenFail() async throws {
        let instruction = try await submit(maxRetries: 3)
        let policy = RetryPolicy(base: .seconds(60))
        var delays: [Double] = []
        for attempt in 1...4 {
            // Make the retry due now, so the test does not wait for the backoff.
            try await pool.query("UPDATE render_instructions SET scheduled_at = now() WHERE id = \(instruction.id)")
            let claim = try #require(try await store.claim(instruction.id, worker: "w", lease: .seconds(30)))
            #expect(claim.attempt == attempt)
            let before = Date()
            let after = try await store.fail(claim, error: "aerender Error: missing footage (attempt \(attempt))", policy: policy)
            if attempt <= 3 {
                #expect(after.status == .pending)
                #expect(after.retryCount == attempt)
                delays.append(after.scheduledAt.timeIntervalSince(before))
            } else {
                #expect(after.status == .failed)
                #expect(after.retryCount == 3)
                #expect(after.errorMessage == "aerender Error: missing footage (attempt 4)")
                #expect(after.completedAt != nil)
            }
        }
        // 60 s, 120 s, 240 s (schema doc §7.2), within a few seconds of clock skew.
        for (delay, expected) in zip(delays, [60.0, 120.0, 240.0]) { #expect(abs(delay - expected) < 5) }
        let events = try await store.timeline(instruction.id).map(\.event)
        #expect(events.filter { $0 == "retry_scheduled" }.count == 3)
        #expect(events.last == "failed")
        #expect(RetryPolicy(base: .seconds(60), maximum: .seconds(3600)).delay(afterRetries: 10) == .seconds(3600))
    }

    @Test func retryNotDueIsNotClaimed() async throws {
        let instruction = try await submit()
        let claim = try #require(try await store.claim(instruction.id, worker: "w", lease: .seconds(30)))
        try await store.fail(claim, error: "boom")
        #expect(try await store.claim(instruction.id, worker: "w", lease: .seconds(30)) == nil)
        #expect(try await store.claimNext(worker: "w", lease: .seconds(30)) == nil)
    }

    @Test func cancellingPendingAndRunningInstructions() async throws {
        let waiting = try await submit()
        #expect(try await store.cancel(waiting.id, actor: "operator", reason: "wrong template") == .pending)
        #expect(try await store.instruction(waiting.id).status == .cancelled)
        let again = await #expect(throws: HubError.self) { try await store.cancel(waiting.id, actor: "operator", reason: nil) }
        #expect(again?.code == .conflict)
        #expect(again?.message.contains("already cancelled") == true)

        let running = try await submit()
        let claim = try #require(try await store.claim(running.id, worker: "w", lease: .seconds(30)))
        #expect(try await store.cancel(running.id, actor: "operator", reason: "not needed") == .processing)
        let status = try await store.heartbeat(claim, lease: .seconds(30), frame: 5, totalFrames: 90)
        #expect(status.cancelRequested)
        try await store.acknowledgeCancel(claim)
        #expect(try await store.instruction(running.id).status == .cancelled)

        let missing = await #expect(throws: HubError.self) { try await store.cancel(999_999, actor: "operator", reason: nil) }
        #expect(missing?.code == .notFound)
    }

    @Test func heartbeatsExtendTheLeaseAndRecordProgress() async throws {
        let instruction = try await submit()
        let claim = try #require(try await store.claim(instruction.id, worker: "w", lease: .seconds(5)))
        let first = try await store.heartbeat(claim, lease: .seconds(300), frame: 12, totalFrames: 90)
        #expect(first.expiresAt.timeIntervalSinceNow > 200)
        #expect(!first.cancelRequested)
        let now = try await store.instruction(instruction.id)
        #expect(now.progressFrame == 12)
        #expect(now.progressTotal == 90)
    }
}

@Suite struct RenderRecoveryTests {
    let pool: PostgresPool
    let store: RenderStore

    init() async throws {
        pool = try PostgresPool(url: try await scratchDatabaseURL(), maxConnections: 4)
        try await Migrator(pool: pool).up()
        store = RenderStore(pool: pool)
    }

    @Test func expiredLeaseGoesBackAndItsWorkerIsFencedOut() async throws {
        let job = try await store.submit(RenderSubmission(templateName: "crash"), actor: "test").instruction
        let dead = try #require(try await store.claim(job.id, worker: "dead-worker", lease: .seconds(30)))
        let healthy = try await store.submit(RenderSubmission(templateName: "long"), actor: "test").instruction
        let long = try #require(try await store.claim(healthy.id, worker: "busy-worker", lease: .seconds(30)))
        // The dead worker's lease ran out; the busy worker's lease is live, though its render started long ago.
        try await pool.query("UPDATE render_instructions SET lease_expires_at = now() - interval '1 second' WHERE id = \(job.id)")
        try await pool.query("UPDATE render_instructions SET started_at = now() - interval '40 minutes' WHERE id = \(healthy.id)")
        let reaped = try await store.reapExpiredLeases(actor: "hunter")
        #expect(reaped.map(\.id) == [job.id])
        #expect(reaped.first?.status == .pending)
        #expect(reaped.first?.workerID == "dead-worker")
        #expect(reaped.first?.crashCount == 0, "a lost lease is not a crash: only a crash its worker reports is")
        #expect(reaped.first?.quarantined == false)
        #expect(try await store.instruction(healthy.id).status == .processing, "a healthy 40-minute render is never reaped")
        let error = await #expect(throws: HubError.self) { try await store.complete(dead, output: .init(path: "/late.png")) }
        #expect(error?.code == .leaseLost)
        let again = try #require(try await store.claim(job.id, worker: "new-worker", lease: .seconds(30)))
        #expect(again.attempt == 2)
        #expect(try await store.timeline(job.id).map(\.event) == ["submitted", "claimed", "lease_expired", "claimed"])
        try await store.complete(long, output: .init(path: "/long.mov"))
        try await assertRenderInvariants(pool)
    }

    @Test func aJobWhoseLeaseIsLostAgainAndAgainFailsAtTheLimitNotAtMaxRetries() async throws {
        let job = try await store.submit(RenderSubmission(templateName: "crash", maxRetries: 1), actor: "test").instruction
        for expected in [RenderStatus.pending, .pending, .failed] {
            _ = try #require(try await store.claim(job.id, worker: "w-1-0", lease: .seconds(30)))
            try await pool.query("UPDATE render_instructions SET lease_expires_at = now() - interval '1 second' WHERE id = \(job.id)")
            #expect(try await store.reapExpiredLeases(actor: "hunter", lostLeaseLimit: 3).map(\.status) == [expected])
        }
        let failed = try await store.instruction(job.id)
        #expect(failed.retryCount == 0, "lost leases use no retry")
        #expect(failed.errorMessage?.hasPrefix("lease expired 3 times with no crash of its workers reported") == true, "\(failed.errorMessage ?? "")")
        #expect(failed.completedAt != nil)
        try await assertRenderInvariants(pool)
    }
}
