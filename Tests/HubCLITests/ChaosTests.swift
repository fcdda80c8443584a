import Foundation
import HubCore
import HubPostgres
import HubTestSupport
import Testing

/// Real `hub-worker` processes killed, frozen and cut off from their servers (issue 4 "Must show"),
/// on a service instance of their own so that restarting its servers disturbs no other suite.
@Suite(.serialized, .timeLimit(.minutes(10))) struct ChaosTests {
    static let instance = "chaos"
    static let host = ProcessInfo.processInfo.hostName

    /// A worker process with its log in a file.
    final class Worker: @unchecked Sendable {
        let process = Process()
        let log: URL
        var pid: Int32 { process.processIdentifier }
        /// The consumer prefix the worker uses (`<host>-<pid>`).
        var prefix: String { "\(ChaosTests.host)-\(pid)" }

        init(_ arguments: [String], environment: [String: String]) throws {
            log = FileManager.default.temporaryDirectory.appendingPathComponent("hub-chaos-worker-\(UUID()).log")
            _ = FileManager.default.createFile(atPath: log.path, contents: nil)
            process.executableURL = DispatchAtScaleTests.binaries.appendingPathComponent("hub-worker")
            process.arguments = arguments
            var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("HUB_") }
            env.merge(environment) { $1 }
            process.environment = env
            process.currentDirectoryURL = HubctlTests.workDirectory
            process.standardOutput = FileHandle.nullDevice
            process.standardError = try FileHandle(forWritingTo: log)
            try process.run()
        }

        var output: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }
        func signal(_ number: Int32) { kill(pid, number) }
    }

    func prepare(lease: Int = 5, interval: Int = 5) async throws -> (env: [String: String], pool: PostgresPool) {
        let endpoints = try await TestServices.endpoints(instance: Self.instance)
        let url = try await scratchDatabaseURL(instance: Self.instance)
        let pool = try PostgresPool(url: url, maxConnections: 4)
        try await Migrator(pool: pool).up()
        let env = ["HUB_DATABASE_URL": url, "HUB_REDIS_URL": endpoints.redisURL, "HUB_LOG_LEVEL": "warning",
                   "HUB_RENDER_STREAM": "chaos:\(UUID().uuidString.prefix(8))", "HUB_LEASE_SECONDS": String(lease),
                   "HUB_HUNTER_INTERVAL_SECONDS": String(interval), "HUB_QUARANTINE_CRASHES": "50"]
        return (env, pool)
    }

    func script(_ body: String) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("hub-chaos-\(UUID()).sh")
        try ("#!/bin/bash\n" + body).write(to: url, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path)
        return url.path
    }

    func count(_ pool: PostgresPool, _ sql: PostgresQuery) async -> Int {
        (try? await pool.query(sql)[0].decode(Int.self, at: 0)) ?? -1
    }

    @Test func twoThousandInstructionsSurviveKillsAndServerRestarts() async throws {
        let (env, pool) = try await prepare()
        try await pool.query("""
            INSERT INTO render_instructions (template_name, output_settings, max_retries, data_hash)
            SELECT 'chaos', '{"format":"png"}', 50, encode(sha256(('chaos' || g)::bytea), 'hex') FROM generate_series(1, 2000) g
            """)
        // A render takes a random 0–200 ms.
        let render = try script("ms=$((RANDOM % 201))\nsleep \"$(printf '0.%03d' \"$ms\")\"\nprintf done > \"$2\"\n")
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("hub-chaos-out-\(UUID())").path
        let arguments = ["--concurrency", "2", "--backend", "command", "--command", render, "--output-dir", output]
        // The supervisor (systemd's Restart=always): a worker that exits by itself — as hub-worker
        // does when PostgreSQL goes away under it — is started again.
        let workers = LockedBox(try (0..<4).map { _ in try Worker(arguments, environment: env) })
        let restartsAfterExit = LockedBox(0)
        @Sendable func supervise() throws {
            try workers.withLock { list in
                for index in list.indices where !list[index].process.isRunning {
                    list[index] = try Worker(arguments, environment: env)
                    restartsAfterExit.withLock { $0 += 1 }
                }
            }
        }
        var kills: [(prefix: String, at: Date)] = []
        var redisRestarted = false
        var postgresRestarted = false
        var next = 60
        // Chaos paced by progress, not by the clock: every 60 completions a worker is killed with
        // SIGKILL and a new one started; Redis restarts once past 600, PostgreSQL once past 1,200.
        while true {
            let target = min(next, 2000)
            try await waitUntil("completions to pass \(target)", timeout: 180) {
                try supervise()
                return await count(pool, "SELECT count(*) FROM render_instructions WHERE status = 'completed'") >= target
            }
            if target == 2000 { break }
            let victim = workers.withLock { $0.removeFirst() }
            victim.signal(SIGKILL)
            kills.append((victim.prefix, Date()))
            let replacement = try Worker(arguments, environment: env)
            workers.withLock { $0.append(replacement) }
            if next >= 600 && !redisRestarted {
                try await TestServices.restartRedis(instance: Self.instance)
                redisRestarted = true
            }
            if next >= 1200 && !postgresRestarted {
                try await TestServices.restartPostgres(instance: Self.instance)
                postgresRestarted = true
            }
            next += 60
        }
        let running = workers.withLock { $0 }
        for worker in running { worker.signal(SIGTERM) }
        try await waitUntil("the workers to exit", timeout: 60) { running.allSatisfy { !$0.process.isRunning } }

        let check = try await pool.query("""
            SELECT (SELECT count(*) FROM render_instructions WHERE status = 'completed'),
                   (SELECT count(*) FROM render_outputs WHERE status = 'completed'),
                   (SELECT count(DISTINCT instruction_id) FROM render_outputs WHERE status = 'completed'),
                   (SELECT count(*) FROM render_instructions WHERE status <> 'completed'),
                   (SELECT count(*) FROM render_timeline WHERE event = 'lease_expired')
            """)
        #expect(try check[0].decode(Int.self, at: 0) == 2000, "every instruction completed")
        #expect(try check[0].decode(Int.self, at: 1) == 2000, "exactly one completed output each")
        #expect(try check[0].decode(Int.self, at: 2) == 2000)
        #expect(try check[0].decode(Int.self, at: 3) == 0, "none lost or failed")
        #expect(redisRestarted && postgresRestarted)
        #expect(kills.count >= 30)
        let reaped = try check[0].decode(Int.self, at: 4)
        #expect(reaped > 0, "killed workers held jobs that the hunter took back")

        // Recovery: for every job a killed worker held, the time from its kill to its next claim
        // (and to its return to pending). Workers that exited by themselves during the PostgreSQL
        // restart left jobs too; they are recovered the same way but have no kill time.
        var recoveries: [Double] = []
        var backToPending: [Double] = []
        var heldByKilled = 0
        for kill in kills {
            let rows = try await pool.query("""
                SELECT extract(epoch FROM (SELECT min(c.occurred_at) FROM render_timeline c
                                           WHERE c.instruction_id = e.instruction_id AND c.event = 'claimed' AND c.id > e.id)) - \(kill.at.timeIntervalSince1970),
                       extract(epoch FROM e.occurred_at) - \(kill.at.timeIntervalSince1970)
                FROM render_timeline e
                WHERE e.event = 'lease_expired' AND e.worker_id LIKE \(kill.prefix + "-%")
                """)
            heldByKilled += rows.count
            recoveries += try rows.compactMap { try $0.decode(Double?.self, at: 0) }
            backToPending += try rows.map { try $0.decode(Double.self, at: 1) }
        }
        #expect(heldByKilled > 0, "killed workers held jobs")
        #expect(recoveries.count == heldByKilled, "every job taken back was claimed again")
        let sorted = recoveries.sorted()
        let p95 = sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int((Double(sorted.count) * 0.95).rounded(.up)) - 1)]
        let line = String(format: "chaos: %d kills, %d jobs of killed workers recovered (%d lease expiries in all), kill → claimed again: max %.1f s, p95 %.1f s, median %.1f s; kill → back in pending: max %.1f s (lease 5 s, hunter 5 s); %d worker(s) restarted after exiting by themselves",
                          kills.count, sorted.count, reaped, sorted.last ?? 0, p95, sorted.isEmpty ? 0 : sorted[sorted.count / 2],
                          backToPending.max() ?? 0, restartsAfterExit.withLock { $0 })
        print(line)
        try? line.write(toFile: FileManager.default.temporaryDirectory.appendingPathComponent("hub-chaos-figures.txt").path, atomically: true, encoding: .utf8)
        try await assertRenderInvariants(pool, outputDirectories: [URL(fileURLWithPath: output)])
        await pool.close()
    }

    @Test func aRenderLongerThanTheLeaseIsNeverReaped() async throws {
        let (env, pool) = try await prepare()
        // 12 s of rendering with a 5 s lease and a 5 s hunter: only the heartbeats keep it.
        let render = try script("for i in 1 2 3 4 5 6; do echo \"progress: $i/6\"; sleep 2; done\nprintf done > \"$2\"\n")
        try await pool.query("""
            INSERT INTO render_instructions (template_name, output_settings, data_hash)
            VALUES ('long', '{"format":"png"}', repeat('c', 64))
            """)
        let output = NSTemporaryDirectory() + "hub-long-\(UUID())"
        let arguments = ["--backend", "command", "--command", render, "--output-dir", output]
        let worker = try Worker(arguments, environment: env)
        let other = try Worker(arguments, environment: env) // a second hunter
        try await waitUntil("the long render to complete", timeout: 120) {
            await count(pool, "SELECT count(*) FROM render_instructions WHERE status = 'completed'") == 1
        }
        let events = try await pool.query("SELECT event FROM render_timeline ORDER BY id").map { try $0.decode(String.self, at: 0) }
        // The row was inserted without a submit, so a reconciler pass may signal it ('resignalled')
        // before a worker claims it; what matters is one claim, no lease_expired.
        #expect(events.filter { $0 != "resignalled" } == ["claimed", "completed"], "no lease_expired: the heartbeats kept it")
        let hunterRan = await count(pool, "SELECT count(*) FROM hunter_runs WHERE name = 'zombie_hunter' AND last_run IS NOT NULL")
        #expect(hunterRan == 1, "the hunter ran meanwhile")
        worker.signal(SIGTERM)
        other.signal(SIGTERM)
        try await waitUntil("the workers to exit", timeout: 60) { !worker.process.isRunning && !other.process.isRunning }
        try await assertRenderInvariants(pool, outputDirectories: [URL(fileURLWithPath: output)])
        await pool.close()
    }

    @Test func aFrozenWorkersJobIsRecoveredAndItsLateCompletionRefused() async throws {
        let (env, pool) = try await prepare()
        let render = try script("echo 'progress: 1/2'\nsleep 3\nprintf done > \"$2\"\n")
        try await pool.query("""
            INSERT INTO render_instructions (template_name, output_settings, data_hash)
            VALUES ('frozen', '{"format":"png"}', repeat('d', 64))
            """)
        let output = NSTemporaryDirectory() + "hub-frozen-\(UUID())"
        let arguments = ["--backend", "command", "--command", render, "--output-dir", output]
        var frozenEnv = env
        frozenEnv["HUB_LOG_LEVEL"] = "info"
        let frozen = try Worker(arguments, environment: frozenEnv)
        try await waitUntil("the first worker to claim", timeout: 60) {
            await count(pool, "SELECT count(*) FROM render_instructions WHERE status = 'processing'") == 1
        }
        frozen.signal(SIGSTOP)
        let rescuer = try Worker(arguments, environment: env)
        try await waitUntil("the job to be recovered and completed by the other worker", timeout: 120) {
            await count(pool, "SELECT count(*) FROM render_instructions WHERE status = 'completed' AND attempt = 2") == 1
        }
        frozen.signal(SIGCONT)
        try await waitUntil("the frozen worker to find its lease gone", timeout: 60) {
            frozen.output.contains("lease lost") || frozen.output.contains("no longer current")
        }
        let rows = try await pool.query("""
            SELECT t.worker_id, o.attempt FROM render_outputs o
            JOIN render_timeline t ON t.instruction_id = o.instruction_id AND t.event = 'completed'
            WHERE o.status = 'completed'
            """)
        #expect(rows.count == 1, "one completion only")
        #expect(try rows[0].decode(String.self, at: 0).hasPrefix(rescuer.prefix))
        #expect(try rows[0].decode(Int.self, at: 1) == 2)
        let events = try await pool.query("SELECT event FROM render_timeline ORDER BY id").map { try $0.decode(String.self, at: 0) }
        // A reconciler pass may signal the directly inserted row before the first claim.
        #expect(events.filter { $0 != "resignalled" } == ["claimed", "lease_expired", "claimed", "completed"])
        frozen.signal(SIGTERM)
        rescuer.signal(SIGTERM)
        try await waitUntil("the workers to exit", timeout: 60) { !frozen.process.isRunning && !rescuer.process.isRunning }
        try await assertRenderInvariants(pool, outputDirectories: [URL(fileURLWithPath: output)])
        await pool.close()
    }
}
