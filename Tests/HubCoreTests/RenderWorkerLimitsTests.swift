import Foundation
import HubCore
import HubPostgres
import HubRedis
import HubTestSupport
import Testing

/// A render that never ends, and a render that fails, leave no file at the final path (issue 13, item 5).
@Suite(.timeLimit(.minutes(3))) struct RenderWorkerLimitsTests {
    let url: String
    let endpoints: ServiceEndpoints
    let dispatch = DispatchConfiguration(stream: "test:limits:\(UUID().uuidString.prefix(8))", group: "ae-workers")

    init() async throws {
        url = try await scratchDatabaseURL()
        endpoints = try await TestServices.endpoints()
        let pool = try PostgresPool(url: url, maxConnections: 1)
        try await Migrator(pool: pool).up()
        await pool.close()
    }

    @Test func aRenderThatKeepsPrintingButNeverEndsIsStoppedAtTheMaximumRenderTime() async throws {
        let pool = try PostgresPool(url: url, maxConnections: 2)
        // Writes part of its output, then prints for ever.
        let render = try writeScript("""
            printf partial > "$2"
            while true; do echo "progress: 1/2"; sleep 0.2; done
            """)
        let worker = try WorkerHarness.start(databaseURL: url, redisURL: endpoints.redisURL, dispatch: dispatch,
                                             backend: CommandBackend(executable: render, inactivityTimeout: .seconds(30)),
                                             concurrency: 1, name: "limits-\(UUID().uuidString.prefix(6))") {
            $0.maxRenderTime = .seconds(2)
        }
        let queue = RenderQueue(store: RenderStore(pool: pool), redis: worker.redis, dispatch: dispatch)
        let submitted = try await queue.submit(RenderSubmission(templateName: "endless"), actor: "test")
        try await waitUntil("the attempt to fail", timeout: 30) {
            try await pool.query("SELECT count(*) FROM render_outputs WHERE status = 'failed'")[0].decode(Int.self, at: 0) == 1
        }
        let row = try await pool.query("""
            SELECT i.status, i.retry_count, o.error_message FROM render_instructions i
            JOIN render_outputs o ON o.instruction_id = i.id WHERE i.id = \(submitted.instruction.id)
            """)[0]
        #expect(try row.decode(String.self, at: 0) == "pending", "a retryable failure")
        #expect(try row.decode(Int.self, at: 1) == 1)
        let message = try row.decode(String.self, at: 2)
        #expect(message.contains("maximum render time"), "\(message)")
        _ = try await worker.stop()
        let files = (try? FileManager.default.contentsOfDirectory(atPath: worker.worker.configuration.outputDirectory.path)) ?? []
        #expect(files.filter { $0 != ".hub-worker" }.isEmpty, "no output and no temporary file left: \(files)")
        try await assertRenderInvariants(pool, outputDirectories: [worker.worker.configuration.outputDirectory])
        await pool.close()
    }

    @Test func aFailedRenderLeavesNoFileAndASuccessfulOneOnlyItsFinalFile() async throws {
        let pool = try PostgresPool(url: url, maxConnections: 2)
        let render = try writeScript("""
            printf partial > "$2"
            grep -q '"fail"' "$1" && exit 3
            printf done >> "$2"
            """)
        let worker = try WorkerHarness.start(databaseURL: url, redisURL: endpoints.redisURL, dispatch: dispatch,
                                             backend: CommandBackend(executable: render), concurrency: 1,
                                             name: "limits-\(UUID().uuidString.prefix(6))")
        let queue = RenderQueue(store: RenderStore(pool: pool), redis: worker.redis, dispatch: dispatch)
        _ = try await queue.submit(RenderSubmission(templateName: "fails", layerData: ["fail": .bool(true)]), actor: "test")
        _ = try await queue.submit(RenderSubmission(templateName: "works"), actor: "test")
        try await waitUntil("one failure and one completion", timeout: 30) {
            let counts = try await countByStatus(pool)
            let failed = try await pool.query("SELECT count(*) FROM render_outputs WHERE status = 'failed'")[0].decode(Int.self, at: 0)
            return counts["completed"] == 1 && counts["pending"] == 1 && failed == 1
        }
        _ = try await worker.stop()
        let path = try await pool.query("SELECT output_path FROM render_outputs WHERE status = 'completed'")[0].decode(String.self, at: 0)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "partialdone")
        let files = try FileManager.default.contentsOfDirectory(atPath: worker.worker.configuration.outputDirectory.path)
        #expect(files.filter { $0 != ".hub-worker" } == [URL(fileURLWithPath: path).lastPathComponent], "only the completed output: \(files)")
        try await assertRenderInvariants(pool, outputDirectories: [worker.worker.configuration.outputDirectory])
        await pool.close()
    }
}
