import Foundation
import HubCore
import HubPostgres
import HubRedis
import HubTestSupport
import Testing

/// Defence in depth (issue 13 item 6): an instruction whose images point outside the media roots
/// — written by a producer that did not check, or before the roots changed — is refused by the
/// worker before anything reaches the renderer, for good (a retry would be refused the same way).
@Suite(.timeLimit(.minutes(3))) struct MediaReferenceWorkerTests {
    let url: String
    let endpoints: ServiceEndpoints
    let dispatch = DispatchConfiguration(stream: "test:media:\(UUID().uuidString.prefix(8))", group: "ae-workers")

    init() async throws {
        url = try await scratchDatabaseURL()
        endpoints = try await TestServices.endpoints()
        let pool = try PostgresPool(url: url, maxConnections: 1)
        try await Migrator(pool: pool).up()
        await pool.close()
    }

    @Test func theWorkerRefusesMediaOutsideTheRootsBeforeTheRendererRuns() async throws {
        let pool = try PostgresPool(url: url, maxConnections: 2)
        let ran = FileManager.default.temporaryDirectory.appendingPathComponent("hub-media-ran-\(UUID())").path
        try FileManager.default.createDirectory(atPath: ran, withIntermediateDirectories: true)
        // Records every job it was given, then writes its output.
        let render = try writeScript("""
            cp "$1" "\(ran)/$(basename "$2").json"
            printf done > "$2"
            """)
        let worker = try WorkerHarness.start(databaseURL: url, redisURL: endpoints.redisURL, dispatch: dispatch,
                                             backend: CommandBackend(executable: render), concurrency: 1,
                                             name: "media-\(UUID().uuidString.prefix(6))")
        // A store that does not check: as an older producer, or a row written by hand.
        let queue = RenderQueue(store: RenderStore(pool: pool), redis: worker.redis, dispatch: dispatch)
        let bad = try await queue.submit(RenderSubmission(templateName: "card", layerData: ["Name 1": .string("KIM"), "Photo 1": .string("/etc/passwd")],
                                                          maxRetries: 3), actor: "test").instruction
        let good = try await queue.submit(RenderSubmission(templateName: "card", layerData: ["Name 1": .string("KIM"), "Flag 1": .string("Flag/KR.png")]),
                                          actor: "test").instruction
        try await waitUntil("both to end", timeout: 30) {
            let counts = try await countByStatus(pool)
            return counts["completed", default: 0] + counts["failed", default: 0] == 2
        }
        let refused = try await queue.store.instruction(bad.id)
        #expect(refused.status == .failed, "refused for good, not retried")
        #expect(refused.retryCount == 0)
        let message = refused.errorMessage ?? ""
        #expect(message.contains("field \"Photo 1\"") && message.contains("/etc/passwd") && message.contains("not allowed"), "\(message)")
        #expect(try await queue.store.instruction(good.id).status == .completed)
        _ = try await worker.stop()
        let jobs = try FileManager.default.contentsOfDirectory(atPath: ran)
        #expect(jobs.count == 1, "only the allowed instruction reached the renderer: \(jobs)")
        #expect(jobs.allSatisfy { $0.contains("-\(good.id)-") })
        await pool.close()
    }
}
