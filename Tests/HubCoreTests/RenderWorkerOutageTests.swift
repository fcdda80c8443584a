import Foundation
import HubCore
import HubPostgres
import HubRedis
import HubTestSupport
import Testing

/// A PostgreSQL outage while a worker renders (issue 13, item 2), on a service instance of its own
/// so that stopping its server disturbs no other suite.
@Suite(.serialized, .timeLimit(.minutes(4))) struct RenderWorkerOutageTests {
    static let instance = "render-outage"

    @Test func aDatabaseOutageNeitherStopsTheWorkerNorCountsAgainstTheJobs() async throws {
        let endpoints = try await TestServices.endpoints(instance: Self.instance)
        let url = try await scratchDatabaseURL(instance: Self.instance)
        let pool = try PostgresPool(url: url, maxConnections: 2)
        try await Migrator(pool: pool).up()
        let dispatch = DispatchConfiguration(stream: "outage:\(UUID().uuidString.prefix(8))", group: "ae-workers")
        // Renders of 8 s: the outage lands mid-render. Each render notes in `finished` that it is
        // done, so the outage lasts until every render has tried to record itself without PostgreSQL.
        let finished = FileManager.default.temporaryDirectory.appendingPathComponent("hub-outage-\(UUID().uuidString).log").path
        let render = try writeScript("""
            echo "progress: 1/2"
            sleep 8
            echo "progress: 2/2"
            printf done > "$2"
            echo done >> '\(finished)'
            """)
        let worker = try WorkerHarness.start(databaseURL: url, redisURL: endpoints.redisURL, dispatch: dispatch,
                                             backend: CommandBackend(executable: render), concurrency: 4,
                                             name: "outage-\(UUID().uuidString.prefix(6))")
        // Three jobs for four slots: one slot stays idle and keeps looking for work during the outage.
        let queue = RenderQueue(store: RenderStore(pool: pool), redis: worker.redis, dispatch: dispatch)
        for n in 0..<3 {
            _ = try await queue.submit(RenderSubmission(templateName: "outage", layerData: ["n": .integer(Int64(n))]), actor: "test")
        }
        try await waitUntil("three renders to start", timeout: 30) {
            try await countByStatus(pool)["processing"] == 3
        }
        try await TestServices.runScript(["stop-postgres", "--name", Self.instance])
        // The outage lasts until the three renders are done and their completions have met the
        // stopped server (at least the ~8 s of a render).
        try await waitUntil("the three renders to finish while PostgreSQL is down", timeout: 60) {
            let lines = (try? String(contentsOfFile: finished, encoding: .utf8))?.split(separator: "\n").count ?? 0
            return lines == 3
        }
        #expect(!worker.task.isCancelled)
        try await TestServices.runScript(["start-postgres", "--name", Self.instance])
        try? FileManager.default.removeItem(atPath: finished)

        try await waitUntil("the three renders to be recorded", timeout: 60) {
            (try? await countByStatus(pool)["completed"]) == 3
        }
        // The worker is still running: it takes new work.
        _ = try await queue.submit(RenderSubmission(templateName: "outage", layerData: ["n": .integer(99)]), actor: "test")
        try await waitUntil("a job submitted after the outage to complete", timeout: 60) {
            (try? await countByStatus(pool)["completed"]) == 4
        }
        let retried = try await pool.query("SELECT count(*) FROM render_instructions WHERE retry_count > 0 OR crash_count > 0")
        #expect(try retried[0].decode(Int.self, at: 0) == 0, "no job was counted as failed or crashed")
        let events = try await pool.query("""
            SELECT count(*) FROM render_timeline WHERE event NOT IN ('submitted', 'claimed', 'completed', 'resignalled')
            """)
        #expect(try events[0].decode(Int.self, at: 0) == 0, "no lease expired, no failure, no hand-back")
        let outputs = try await pool.query("SELECT output_path FROM render_outputs WHERE status = 'completed'")
        #expect(outputs.count == 4)
        for row in outputs {
            let path = try row.decode(String.self, at: 0)
            #expect(FileManager.default.fileExists(atPath: path), "output \(path) is on disk")
        }
        let summary = try await worker.stop()
        #expect(summary.completed == 4)
        #expect(summary.leaseLost == 0 && summary.failed == 0)
        try await assertRenderInvariants(pool, outputDirectories: [worker.worker.configuration.outputDirectory])
        await pool.close()
    }
}
