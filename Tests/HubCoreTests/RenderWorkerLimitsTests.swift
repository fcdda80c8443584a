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

    /// A worker killed after its completion was recorded but before it moved the output to its
    /// final name: the next worker's start-up sweep moves it there (the completed row names it).
    /// A dead worker's temporary output that no completion names is removed.
    @Test func theStartUpSweepMovesARecordedOutputAndRemovesAnUnrecordedOne() async throws {
        let pool = try PostgresPool(url: url, maxConnections: 2)
        let store = RenderStore(pool: pool)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hub-sweep-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        // A worker process of this machine that is gone: a real pid that exited, a start time that is not its.
        let gone = Process()
        gone.executableURL = URL(fileURLWithPath: "/bin/true")
        try gone.run()
        gone.waitUntilExit()
        let host = String(ProcessInfo.processInfo.hostName.map { $0.isLetter || $0.isNumber || $0 == "." || $0 == "_" ? $0 : "_" })
        let owner = ".partial-\(host.isEmpty ? "host" : host)-\(gone.processIdentifier)-1-"

        let job = try await store.submit(RenderSubmission(templateName: "swept"), actor: "test").instruction
        let claim = try #require(try await store.claim(job.id, worker: "dead-\(gone.processIdentifier)-0", lease: .seconds(30)))
        let final = directory.appendingPathComponent("swept-\(job.id)-a1-\(claim.leaseToken.uuidString.prefix(8).lowercased()).png")
        try await store.complete(claim, output: .init(path: final.path, fileSize: 8))
        try Data("rendered".utf8).write(to: directory.appendingPathComponent(owner + final.lastPathComponent))
        let unrecorded = directory.appendingPathComponent(owner + "swept-999-a1-0badf00d.png")
        try Data("half".utf8).write(to: unrecorded)

        let worker = try WorkerHarness.start(databaseURL: url, redisURL: endpoints.redisURL, dispatch: dispatch, backend: NoopBackend(),
                                             concurrency: 1, name: "sweeper-\(UUID().uuidString.prefix(6))") {
            $0.outputDirectory = directory
            $0.once = true
        }
        _ = try await worker.task.value
        #expect((try? String(contentsOf: final, encoding: .utf8)) == "rendered", "the recorded output is at its final name")
        #expect(!FileManager.default.fileExists(atPath: unrecorded.path), "the unrecorded temporary output is removed")
        try await assertRenderInvariants(pool, outputDirectories: [directory])
        await worker.pool.close()
        await worker.redis.close()
        await pool.close()
    }
}
