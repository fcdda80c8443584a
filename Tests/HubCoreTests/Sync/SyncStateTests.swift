import Foundation
import HubCore
import HubPostgres
import HubTestSupport
import Testing

@Suite struct SyncStateTests {
    /// Every (state, transition) pair: the allowed ones and where they lead; all others refused.
    @Test func theStateMachineAsATable() {
        let allowed: [SyncState: [SyncState.Transition: SyncState]] = [
            .pending: [.start: .inProgress],
            .inProgress: [.succeed: .synced, .fail: .failed],
            .synced: [.start: .inProgress, .intervalPassed: .outdated],
            .failed: [.start: .inProgress, .retryDue: .pending],
            .outdated: [.start: .inProgress, .schedule: .pending],
        ]
        for state in SyncState.allCases {
            for transition in SyncState.Transition.allCases {
                #expect(state.applying(transition) == allowed[state]?[transition], "\(state) + \(transition)")
            }
        }
        // A second run cannot start while one is in progress.
        #expect(SyncState.inProgress.applying(.start) == nil)
    }

    @Test func retryPolicyBacksOffExponentiallyThenStops() {
        #expect(SyncRetryPolicy.wsop.delay(afterFailures: 0) == .seconds(60))
        #expect(SyncRetryPolicy.wsop.delay(afterFailures: 1) == .seconds(120))
        #expect(SyncRetryPolicy.wsop.delay(afterFailures: 2) == .seconds(240))
        #expect(SyncRetryPolicy.wsop.delay(afterFailures: 3) == nil)
        #expect(SyncRetryPolicy.gfx.delay(afterFailures: 0) == .seconds(30))
    }

    @Test func circuitBreakerOpensAfterTheThresholdAndHalfOpensAfterTheCooldown() {
        let breaker = SyncCircuitBreaker(threshold: 3, cooldown: .seconds(300))
        let now = Date()
        #expect(breaker.state(consecutiveFailures: 2, lastFailure: now, now: now) == .closed)
        #expect(breaker.state(consecutiveFailures: 3, lastFailure: now.addingTimeInterval(-10), now: now) == .open)
        #expect(breaker.state(consecutiveFailures: 3, lastFailure: now.addingTimeInterval(-301), now: now) == .halfOpen)
    }

    /// A source whose folder is gone fails run after run; once its breaker is open it is skipped,
    /// while the other source of the full sync still imports.
    @Test func anOpenBreakerSkipsOneSourceAndTheOtherStillSyncs() async throws {
        let pool = try PostgresPool(url: try await scratchDatabaseURL(), maxConnections: 8)
        try await Migrator(pool: pool).up()
        let samples = TestServices.repositoryRoot.appendingPathComponent("Samples")
        var runner = SyncRunner(pool: pool, events: nil)
        runner.breaker = SyncCircuitBreaker(threshold: 2, cooldown: .seconds(3600))
        let gone = FileManager.default.temporaryDirectory.appendingPathComponent("gone-\(UUID())").path
        for _ in 0..<2 {
            let failed = await runner.syncGFX(directories: [gone])
            #expect(failed.status == "failed")
            #expect(failed.reason?.contains("does not exist") == true)
        }
        let statuses = try await SyncStore(pool: pool).statuses().filter { $0.source == "gfx" }
        #expect(statuses.allSatisfy { $0.status == "failed" && $0.consecutiveFailures == 2 && $0.retryCount == 2 && $0.nextSyncAt != nil })

        let full = await runner.full(gfx: [samples.appendingPathComponent("gfx").path], table: nil,
                                     wsop: samples.appendingPathComponent("wsop").path, queue: nil, template: "premium_hand")
        let gfx = try #require(full.sources.first { $0.source == "gfx" })
        #expect(gfx.status == "skipped" && gfx.reason?.hasPrefix("circuit open") == true)
        #expect(full.sources.first { $0.source == "wsop" }?.status == "completed")
        #expect(!full.succeeded, "an open breaker is a failure for the exit status")
        let history = try await SyncStore(pool: pool).history(source: "gfx")
        #expect(history.map(\.status) == ["skipped", "failed", "failed"])
        #expect(history.allSatisfy { $0.correlationID == runner.correlationID.uuidString.lowercased() })
        // SPEC §7.2: each failed run is a warning (critical from the third in a row), a completed one info.
        let notifications = try await Notifier(pool: pool, events: nil).list()
        #expect(notifications.filter { $0.rule == "sync_failed" }.map(\.level) == [.warning, .warning])
        #expect(notifications.filter { $0.rule == "sync_completed" }.count == 1, "the WSOP+ run")
        await pool.close()
    }
}

@Suite struct SyncStoreTests {
    /// A run whose process died leaves its entities in_progress without a lock holder: refresh
    /// marks them failed (and due), while a run that still holds the lock stays in progress.
    @Test func interruptedRunsAreFailedOnlyWhenNobodyHoldsTheLock() async throws {
        let pool = try PostgresPool(url: try await scratchDatabaseURL(), maxConnections: 4)
        try await Migrator(pool: pool).up()
        try await pool.query("UPDATE sync_status SET status = 'in_progress'")
        try await pool.withConnection { connection in
            try await connection.query("SELECT pg_advisory_lock(\(SyncSource.wsop.lockKey))")
            try await SyncStore(pool: pool).refresh()
            try await connection.query("SELECT pg_advisory_unlock(\(SyncSource.wsop.lockKey))")
        }
        let statuses = try await SyncStore(pool: pool).statuses()
        #expect(statuses.filter { $0.source == "gfx" }.allSatisfy { $0.status == "pending" && $0.lastError?.contains("interrupted") == true },
                "failed, then pending because its retry is due at once")
        #expect(statuses.filter { $0.source == "wsop" }.allSatisfy { $0.status == "in_progress" })
        #expect(try await SyncStore(pool: pool).isDue(.gfx))
        await pool.close()
    }
}

/// Restarts a PostgreSQL server of its own in the middle of an import.
@Suite(.serialized, .timeLimit(.minutes(3))) struct SyncRestartTests {
    static let instance = "sync-restart"

    @Test func anImportSurvivesAPostgreSQLRestartAndImportsEveryFileOnce() async throws {
        let endpoints = try await TestServices.endpoints(instance: Self.instance)
        let admin = try PostgresPool(url: endpoints.adminDatabaseURL, maxConnections: 1)
        let name = "sync_restart_\(UUID().uuidString.prefix(8).lowercased())"
        try await admin.query("CREATE DATABASE \(identifier: name)")
        await admin.close()
        let pool = try PostgresPool(url: endpoints.adminDatabaseURL.replacingOccurrences(of: "/postgres", with: "/\(name)"), maxConnections: 8)
        try await Migrator(pool: pool).up()

        // 40 exports; the restart happens (synchronously, on an import thread) once 5 are done,
        // so the other imports are in flight when the server goes away.
        let root = try SyncFixtures.temporaryDirectory()
        let template = try String(decoding: SyncFixtures.sample(SyncFixtures.secondName), as: UTF8.self)
        for i in 0..<40 {
            let id = 500_000_000_000_000_000 + Int64(i)
            try SyncFixtures.write(Data(template.replacingOccurrences(of: "\"ID\":638961999170907267", with: "\"ID\":\(id)").utf8),
                                   to: "GG/PGFX_live_data_export GameID=\(id).json", under: root)
        }
        let restarted = LockedBox(false)
        let before = try await pool.query("SELECT pg_postmaster_start_time()")[0].decode(Date.self, at: 0)
        var runner = SyncRunner(pool: pool, events: nil)
        runner.progress = { phase, done, _ in
            guard phase == "gfx", done >= 5, restarted.withLock({ state in defer { state = true }; return !state }) else { return }
            _ = try? ProcessRunner.runBlocking("/bin/bash", [TestServices.repositoryRoot.appendingPathComponent("scripts/hub-services").path,
                                                             "restart-postgres", "--name", Self.instance])
        }
        let result = await runner.syncGFX(directories: [root.path])
        #expect(restarted.withLock { $0 })
        let after = try await pool.query("SELECT pg_postmaster_start_time()")[0].decode(Date.self, at: 0)
        #expect(after > before, "the server really restarted during the import")
        #expect(result.status == "completed", "\(result.reason ?? "") \(result.counts.errors)")
        #expect(result.counts.filesImported == 40)
        #expect(try await pool.query("SELECT count(*) FROM gfx_sessions")[0].decode(Int.self, at: 0) == 40)
        #expect(try await pool.query("SELECT count(*) FROM gfx_hands")[0].decode(Int.self, at: 0) == 80, "no file half-written or written twice")
        #expect(try await pool.query("SELECT count(*) FROM gfx_files")[0].decode(Int.self, at: 0) == 40)
        await pool.close()
    }
}
