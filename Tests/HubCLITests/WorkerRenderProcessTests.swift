import Foundation
import HubCore
import HubPostgres
import HubTestSupport
import Testing

/// The render processes of a real `hub-worker` (issue 13, items 5 and 6): they die with a killed
/// worker, leave no partial file at the final path, are swept by the next worker and never see
/// the hub's secrets. On a service instance of its own.
@Suite(.serialized, .timeLimit(.minutes(5))) struct WorkerRenderProcessTests {
    static let instance = "worker-proc"

    func prepare() async throws -> (env: [String: String], pool: PostgresPool) {
        let endpoints = try await TestServices.endpoints(instance: Self.instance)
        let url = try await scratchDatabaseURL(instance: Self.instance)
        let pool = try PostgresPool(url: url, maxConnections: 2)
        try await Migrator(pool: pool).up()
        let env = ["HUB_DATABASE_URL": url, "HUB_REDIS_URL": endpoints.redisURL, "HUB_LOG_LEVEL": "info",
                   "HUB_RENDER_STREAM": "proc:\(UUID().uuidString.prefix(8))"]
        return (env, pool)
    }

    func script(_ body: String) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("hub-proc-\(UUID()).sh")
        try ("#!/bin/bash\n" + body).write(to: url, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path)
        return url.path
    }

    func count(_ pool: PostgresPool, _ sql: PostgresQuery) async -> Int {
        (try? await pool.query(sql)[0].decode(Int.self, at: 0)) ?? -1
    }

    /// Whether `pid` is a live (not zombie) process.
    static func isRunning(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        let state = stat[stat.index(close, offsetBy: 2)]
        return state != "Z" && state != "X"
    }

    static func readPID(_ path: String) -> Int32? {
        (try? String(contentsOfFile: path, encoding: .utf8)).flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    @Test func rendererEnvironmentHoldsNoSecret() async throws {
        var (env, pool) = try await prepare()
        env["HUB_API_KEYS"] = "key-one,key-two"
        env["HUB_DASHBOARD_PASSWORD"] = "dash-pass"
        env["HUB_WEBHOOK_URL"] = "https://hooks.example/secret-path"
        env["HUB_NEXRENDER_SECRET"] = "nx-secret"
        env["HUB_ADMIN_DATABASE_URL"] = "postgres://admin:pw@127.0.0.1:1/postgres"
        env["HUB_SITE_SECRET_TOKEN"] = "site-secret"
        env["HUB_SMTP_PASSWORD"] = "smtp-pass"
        env["HUB_RENDER_HARMLESS"] = "kept"
        let render = try script("env > \"$2\"\n")
        try await pool.query("""
            INSERT INTO render_instructions (template_name, output_settings, data_hash)
            VALUES ('env', '{"format":"png"}', repeat('e', 64))
            """)
        let output = NSTemporaryDirectory() + "hub-env-\(UUID())"
        let worker = try ChaosTests.Worker(["--backend", "command", "--command", render, "--output-dir", output, "--once"], environment: env)
        try await waitUntil("the worker to render and exit", timeout: 60) { !worker.process.isRunning }
        #expect(await count(pool, "SELECT count(*) FROM render_instructions WHERE status = 'completed'") == 1, "\(worker.output)")
        let path = try #require(try await pool.query("SELECT output_path FROM render_outputs WHERE status = 'completed'").first).decode(String.self, at: 0)
        let seen = try String(contentsOfFile: path, encoding: .utf8)
        let names = Set(seen.split(separator: "\n").compactMap { $0.split(separator: "=", maxSplits: 1).first.map(String.init) })
        for secret in ["HUB_DATABASE_URL", "HUB_ADMIN_DATABASE_URL", "HUB_REDIS_URL", "HUB_API_KEYS", "HUB_DASHBOARD_PASSWORD",
                       "HUB_WEBHOOK_URL", "HUB_NEXRENDER_SECRET", "HUB_SITE_SECRET_TOKEN", "HUB_SMTP_PASSWORD"] {
            #expect(!names.contains(secret), "\(secret) reached the renderer")
        }
        for value in ["key-one", "dash-pass", "nx-secret", "site-secret", "smtp-pass", "secret-path"] {
            #expect(!seen.contains(value), "a secret value reached the renderer")
        }
        #expect(names.contains("HUB_RENDER_HARMLESS"), "other settings are kept")
        #expect(names.contains("PATH"))
        try await assertRenderInvariants(pool, outputDirectories: [URL(fileURLWithPath: output)])
        await pool.close()
    }

    @Test func aKilledWorkersRenderDiesWithItAndLeavesNothingAtTheFinalPath() async throws {
        let (env, pool) = try await prepare()
        let marks = FileManager.default.temporaryDirectory.appendingPathComponent("hub-proc-marks-\(UUID())")
        try FileManager.default.createDirectory(at: marks, withIntermediateDirectories: true)
        // The render writes part of its output, starts a helper of its own and waits.
        let render = try script("""
            echo $$ > "\(marks.path)/render.pid"
            printf partial > "$2"
            sleep 300 &
            echo $! > "\(marks.path)/helper.pid"
            echo "progress: 1/2"
            wait
            """)
        try await pool.query("""
            INSERT INTO render_instructions (template_name, output_settings, data_hash)
            VALUES ('killed', '{"format":"mp4"}', repeat('b', 64))
            """)
        let output = NSTemporaryDirectory() + "hub-killed-\(UUID())"
        let arguments = ["--backend", "command", "--command", render, "--output-dir", output]
        let worker = try ChaosTests.Worker(arguments, environment: env)
        try await waitUntil("the render to start", timeout: 60) {
            Self.readPID(marks.appendingPathComponent("helper.pid").path) != nil
        }
        let renderPID = try #require(Self.readPID(marks.appendingPathComponent("render.pid").path))
        let helperPID = try #require(Self.readPID(marks.appendingPathComponent("helper.pid").path))
        #expect(Self.isRunning(renderPID))
        worker.signal(SIGKILL)
        try await waitUntil("the render process to die with its worker", timeout: 3) { !Self.isRunning(renderPID) }
        // The program the render started (its process group) goes too.
        try await waitUntil("the render's helper to die with its worker", timeout: 3) { !Self.isRunning(helperPID) }
        // Nothing at a final path: only the attempt's temporary file.
        let visible = try FileManager.default.contentsOfDirectory(atPath: output).filter { !$0.hasPrefix(".") }
        #expect(visible.isEmpty, "no file at a final path: \(visible)")

        // A render process that escaped anyway (here: a process group of its own that a pid file
        // names, as a worker on a system without the parent-death signal would leave it).
        let stray = Process()
        // (Foundation starts it as the leader of a process group of its own.)
        stray.executableURL = URL(fileURLWithPath: "/bin/sleep")
        stray.arguments = ["300"]
        try stray.run()
        let strayPID = stray.processIdentifier
        try await waitUntil("the stray render to run in a group of its own", timeout: 5) { Self.processGroup(strayPID) == strayPID }
        let host = String(ProcessInfo.processInfo.hostName.map { $0.isLetter || $0.isNumber || $0 == "." || $0 == "_" ? $0 : "_" })
        let boot = try String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        try """
            host=\(host.isEmpty ? "host" : host)
            boot=\(boot)
            worker_pid=\(worker.pid)
            worker_start=1
            pid=\(strayPID)
            start=\(Self.startTime(strayPID))

            """.write(toFile: output + "/.hub-worker/render-stray.pid", atomically: true, encoding: .utf8)

        // The next worker on this machine sweeps what is left of the killed one's render.
        let next = try ChaosTests.Worker(arguments + ["--once"], environment: env)
        try await waitUntil("the next worker to start and exit", timeout: 60) { !next.process.isRunning }
        try await waitUntil("the stray render to be swept", timeout: 5) { !Self.isRunning(strayPID) }
        let left = try FileManager.default.contentsOfDirectory(atPath: output).filter { $0 != ".hub-worker" }
        #expect(left.isEmpty, "the abandoned temporary file was removed: \(left) \(next.output)")
        let pidFiles = try FileManager.default.contentsOfDirectory(atPath: output + "/.hub-worker")
        #expect(pidFiles.isEmpty, "the pid files were removed: \(pidFiles)")
        try await assertRenderInvariants(pool, outputDirectories: [URL(fileURLWithPath: output)])
        await pool.close()
    }

    /// Only a crash of the worker counts against the job it held: a worker whose own code raises
    /// a fatal signal (here SIGSEGV; a Swift trap is SIGILL) notes it, the next worker started on
    /// the machine reports it, and the job's crash count rises with a `worker_crashed` entry naming
    /// the signal. A worker killed from outside (SIGKILL) leaves nothing to count.
    @Test func aCrashOfTheWorkerCountsAgainstItsJobAndAKillFromOutsideDoesNot() async throws {
        let (env, pool) = try await prepare()
        let render = try script("echo 'progress: 1/2'\nexec sleep 300\n")
        let output = NSTemporaryDirectory() + "hub-crash-\(UUID())"
        let arguments = ["--backend", "command", "--command", render, "--output-dir", output]
        @Sendable func processing() async -> Int { await count(pool, "SELECT count(*) FROM render_instructions WHERE status = 'processing'") }

        try await pool.query("""
            INSERT INTO render_instructions (template_name, output_settings, data_hash) VALUES ('crashes', '{"format":"png"}', repeat('1', 64))
            """)
        // (Without Swift's backtracer, which symbolicates the debug binary for tens of seconds on a
        // busy machine: the record is written before it would run either way.)
        let crashing = try ChaosTests.Worker(arguments, environment: env.merging(["SWIFT_BACKTRACE": "enable=no"]) { $1 })
        try await waitUntil("the first worker to claim", timeout: 60) { await processing() == 1 }
        crashing.signal(SIGSEGV)
        try await waitUntil("the crashed worker to end", timeout: 30) { !crashing.process.isRunning }
        #expect(crashing.process.terminationReason == .uncaughtSignal, "the signal took its course after the record: \(crashing.output.suffix(500))")
        #expect(crashing.process.terminationStatus == SIGSEGV)

        try await pool.query("""
            INSERT INTO render_instructions (template_name, output_settings, data_hash) VALUES ('killed', '{"format":"png"}', repeat('2', 64))
            """)
        let killed = try ChaosTests.Worker(arguments, environment: env)
        try await waitUntil("the second worker to claim", timeout: 60) { await processing() == 2 }
        killed.signal(SIGKILL)
        try await waitUntil("the killed worker to end", timeout: 30) { !killed.process.isRunning }

        // Another start on the machine: nothing more to report.
        let next = try ChaosTests.Worker(arguments + ["--once"], environment: env)
        try await waitUntil("the next worker to start and exit", timeout: 60) { !next.process.isRunning }
        let rows = try await pool.query("""
            SELECT i.template_name, i.crash_count,
                   (SELECT string_agg(t.details->>'signal', ',') FROM render_timeline t WHERE t.instruction_id = i.id AND t.event = 'worker_crashed')
            FROM render_instructions i ORDER BY i.id
            """)
        let counts = try rows.map { "\(try $0.decode(String.self, at: 0)): \(try $0.decode(Int.self, at: 1)) \(try $0.decode(String?.self, at: 2) ?? "-")" }
        #expect(counts == ["crashes: 1 \(SIGSEGV)", "killed: 0 -"], "\(next.output)")
        // (The worker started after the crash — the one then killed — reported it at its start.)
        #expect(killed.output.contains("crashed with signal \(SIGSEGV)"), "the worker that reported it says so: \(killed.output)")
        let left = (try? FileManager.default.contentsOfDirectory(atPath: output + "/.hub-worker")) ?? []
        #expect(left.filter { $0.hasPrefix("crash-") }.isEmpty, "the crash record was reported and removed: \(left)")
        try await assertRenderInvariants(pool, outputDirectories: [URL(fileURLWithPath: output)])
        await pool.close()
    }

    /// A worker started while PostgreSQL is down (a restart, a failover, a machine booting before
    /// its database) waits for it instead of exiting: a supervisor that restarts an exiting worker
    /// in a tight loop gives up after a few tries (systemd's start limit), and the machine would
    /// render nothing until someone noticed. Found by the chaos test at real settings, where the
    /// workers started during the PostgreSQL restart exited with "the database system is shutting down".
    @Test func aWorkerStartedWhilePostgreSQLIsDownWaitsForIt() async throws {
        let (env, pool) = try await prepare()
        let render = try script("printf done > \"$2\"\n")
        let output = NSTemporaryDirectory() + "hub-wait-\(UUID())"
        try await pool.query("""
            INSERT INTO render_instructions (template_name, output_settings, data_hash) VALUES ('waits', '{"format":"png"}', repeat('3', 64))
            """)
        try await TestServices.stopPostgres(instance: Self.instance)
        let worker: ChaosTests.Worker
        do {
            worker = try ChaosTests.Worker(["--backend", "command", "--command", render, "--output-dir", output], environment: env)
            try await waitUntil("the worker to wait for the database (or exit)", timeout: 60) {
                worker.output.contains("waiting for it") || !worker.process.isRunning
            }
            #expect(worker.process.isRunning, "the worker waits instead of exiting: \(worker.output)")
        } catch {
            try? await TestServices.startPostgres(instance: Self.instance)
            throw error
        }
        try await TestServices.startPostgres(instance: Self.instance)
        if worker.process.isRunning {
            try await waitUntil("the job to complete once the database is back", timeout: 60) {
                await count(pool, "SELECT count(*) FROM render_instructions WHERE status = 'completed'") == 1
            }
            #expect(worker.output.contains("the database answers"), "\(worker.output)")
            worker.signal(SIGTERM)
            try await waitUntil("the worker to exit", timeout: 60) { !worker.process.isRunning }
        }
        try await assertRenderInvariants(pool, outputDirectories: [URL(fileURLWithPath: output)])
        await pool.close()
    }

    /// `hub-worker --once` must not take a due instruction that another transaction holds a lock
    /// on for an empty queue: the claim skips locked rows, and the worker's own reconciler, signalling
    /// a row written with SQL, holds one while it inserts the row's timeline entry — the flake of
    /// rendererEnvironmentHoldsNoSecret ("0 completed" from a --once worker that had just started).
    @Test func aOnceWorkerWaitsForADueInstructionAnotherTransactionHolds() async throws {
        let (env, pool) = try await prepare()
        let render = try script("printf done > \"$2\"\n")
        let output = NSTemporaryDirectory() + "hub-held-\(UUID())"
        try await pool.query("""
            INSERT INTO render_instructions (template_name, output_settings, data_hash) VALUES ('held', '{"format":"png"}', repeat('4', 64))
            """)
        let holder = try PostgresPool(url: env["HUB_DATABASE_URL"]!, maxConnections: 1)
        let worker = try await holder.withConnection { connection in
            // The lock an INSERT of a row referencing the instruction takes (the reconciler's timeline entry).
            try await connection.query("BEGIN")
            try await connection.query("SELECT id FROM render_instructions FOR KEY SHARE")
            let worker = try ChaosTests.Worker(["--backend", "command", "--command", render, "--output-dir", output, "--once"], environment: env)
            try await waitUntil("the worker to find the due instruction held (or to exit)", timeout: 60) {
                worker.output.contains("held by another transaction") || !worker.process.isRunning
            }
            #expect(worker.process.isRunning, "a --once worker exited with a due instruction left: \(worker.output)")
            try await connection.query("COMMIT")
            return worker
        }
        try await waitUntil("the worker to render and exit", timeout: 60) { !worker.process.isRunning }
        #expect(await count(pool, "SELECT count(*) FROM render_instructions WHERE status = 'completed'") == 1, "\(worker.output)")
        try await assertRenderInvariants(pool, outputDirectories: [URL(fileURLWithPath: output)])
        await holder.close()
        await pool.close()
    }

    /// Field `n` (1-based) of /proc/PID/stat.
    static func statField(_ pid: Int32, _ n: Int) -> String? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return n >= 3 && n - 3 < fields.count ? String(fields[n - 3]) : nil
    }

    static func processGroup(_ pid: Int32) -> Int32? { statField(pid, 5).flatMap { Int32($0) } }
    static func startTime(_ pid: Int32) -> String { statField(pid, 22) ?? "0" }
}
