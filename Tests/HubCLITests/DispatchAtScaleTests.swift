import Foundation
import HubCore
import HubPostgres
import HubTestSupport
import Testing

/// Real `hub-worker` processes competing for real instructions (issue 3 "Must show").
@Suite(.serialized, .timeLimit(.minutes(5))) struct DispatchAtScaleTests {
    static let binaries = URL(fileURLWithPath: HubctlTests.hubctl).deletingLastPathComponent()

    /// Starts `hub-worker` with `arguments`; the caller stops it with SIGTERM.
    func startWorker(_ arguments: [String], environment: [String: String]) throws -> Process {
        let process = Process()
        process.executableURL = Self.binaries.appendingPathComponent("hub-worker")
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("HUB_") }
        env.merge(environment) { $1 }
        env["HUB_LOG_LEVEL"] = "error"
        process.environment = env
        process.currentDirectoryURL = HubctlTests.workDirectory
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    func stop(_ workers: [Process]) async throws -> [Int32] {
        for worker in workers { worker.terminate() }
        try await waitUntil("the workers to exit", timeout: 60) { workers.allSatisfy { !$0.isRunning } }
        return workers.map(\.terminationStatus)
    }

    func prepare() async throws -> (url: String, env: [String: String], pool: PostgresPool) {
        let url = try await scratchDatabaseURL()
        let endpoints = try await TestServices.endpoints()
        let pool = try PostgresPool(url: url, maxConnections: 8)
        try await Migrator(pool: pool).up()
        let env = ["HUB_DATABASE_URL": url, "HUB_REDIS_URL": endpoints.redisURL,
                   "HUB_RENDER_STREAM": "scale:\(UUID().uuidString.prefix(8))", "HUB_DATABASE_POOL_SIZE": "48"]
        return (url, env, pool)
    }

    @Test func tenThousandInstructionsAcrossProcessesCompleteExactlyOnce() async throws {
        let (_, env, pool) = try await prepare()
        // Submitted in bulk through SQL so the test measures the workers, not the producer.
        try await pool.query("""
            INSERT INTO render_instructions (template_name, output_settings, priority, data_hash)
            SELECT 'bulk', '{"format":"png"}', 1 + g % 10, encode(sha256(g::text::bytea), 'hex') FROM generate_series(1, 10000) g
            """)
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("hub-scale-\(UUID())").path
        // 8 competing slots: 4 processes × 2.
        let workers = try (0..<4).map { _ in
            try startWorker(["--concurrency", "2", "--backend", "noop", "--output-dir", output], environment: env)
        }
        try await waitUntil("10,000 instructions to complete", timeout: 240) {
            try await pool.query("SELECT count(*) FROM render_instructions WHERE status = 'completed'")[0].decode(Int.self, at: 0) == 10_000
        }
        #expect(try await stop(workers) == [0, 0, 0, 0], "SIGTERM stops each worker cleanly")
        let check = try await pool.query("""
            SELECT (SELECT count(*) FROM render_outputs WHERE status = 'completed'),
                   (SELECT count(DISTINCT instruction_id) FROM render_outputs WHERE status = 'completed'),
                   (SELECT count(*) FROM render_timeline WHERE event = 'claimed'),
                   (SELECT count(DISTINCT regexp_replace(worker_id, '-[0-9]+$', '')) FROM render_instructions)
            """)
        #expect(try check[0].decode(Int.self, at: 0) == 10_000)
        #expect(try check[0].decode(Int.self, at: 1) == 10_000, "one output per instruction")
        #expect(try check[0].decode(Int.self, at: 2) == 10_000, "each claimed once")
        #expect(try check[0].decode(Int.self, at: 3) == 4, "all four processes did work")
        await pool.close()
    }

    @Test func oneHundredTwentyRendersInFlightAtOnce() async throws {
        let (_, env, pool) = try await prepare()
        let script = FileManager.default.temporaryDirectory.appendingPathComponent("hub-slow-\(UUID()).sh")
        try "#!/bin/bash\necho 'progress: 1/2'\nsleep 3\necho 'progress: 2/2'\nprintf done > \"$2\"\n"
            .write(to: script, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script.path)
        try await pool.query("""
            INSERT INTO render_instructions (template_name, output_settings, data_hash)
            SELECT 'slow', '{"format":"png"}', encode(sha256(g::text::bytea), 'hex') FROM generate_series(1, 120) g
            """)
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("hub-slow-out-\(UUID())").path
        let workers = try (0..<3).map { _ in
            try startWorker(["--concurrency", "40", "--backend", "command", "--command", script.path, "--output-dir", output], environment: env)
        }
        try await waitUntil("120 slow renders to complete", timeout: 180) {
            try await pool.query("SELECT count(*) FROM render_instructions WHERE status = 'completed'")[0].decode(Int.self, at: 0) == 120
        }
        #expect(try await stop(workers) == [0, 0, 0])
        // The most renders that were running at the same moment, from the outputs' intervals.
        let overlap = try await pool.query("""
            SELECT max(running) FROM (
                SELECT (SELECT count(*) FROM render_outputs b WHERE b.started_at <= a.started_at AND b.completed_at > a.started_at) AS running
                FROM render_outputs a) t
            """)
        #expect(try overlap[0].decode(Int.self, at: 0) == 120, "all 120 were in flight together")
        let once = try await pool.query("SELECT count(DISTINCT instruction_id), count(*) FROM render_outputs WHERE status = 'completed'")
        #expect(try once[0].decode(Int.self, at: 0) == 120)
        #expect(try once[0].decode(Int.self, at: 1) == 120)
        await pool.close()
    }
}
