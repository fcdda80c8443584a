import Foundation
import HubCore
import HubPostgres
import HubRedis
import HubTestSupport
import Testing

/// A maximum render time per template (issue 13, Build): a composition's description or the
/// graphics catalog declares `max_render_seconds`; the worker's own limit
/// (`HUB_MAX_RENDER_SECONDS`) holds where none is declared.
@Suite(.timeLimit(.minutes(3))) struct TemplateRenderLimitTests {
    let url: String
    let endpoints: ServiceEndpoints
    let dispatch = DispatchConfiguration(stream: "test:template-limits:\(UUID().uuidString.prefix(8))", group: "ae-workers")

    init() async throws {
        url = try await scratchDatabaseURL()
        endpoints = try await TestServices.endpoints()
        let pool = try PostgresPool(url: url, maxConnections: 1)
        try await Migrator(pool: pool).up()
        await pool.close()
    }

    func describe(_ pool: PostgresPool, project: String, _ compositions: String, top: String = "") async throws {
        let json = #"{"project": "\#(project)", \#(top) "compositions": [\#(compositions)]}"#
        let description = try AEPDescription.parse(Data(json.utf8), file: "test.json")
        _ = try await AEPStore(pool: pool).importDescription(description, sourceFile: "test.json", actor: "test")
    }

    static func processIsGone(_ pid: Int32) -> Bool { kill(pid, 0) == -1 && errno == ESRCH }

    @Test func aTemplatesLimitStopsItsRenderAndKillsTheProcess() async throws {
        let pool = try PostgresPool(url: url, maxConnections: 2)
        try await describe(pool, project: "limits", #"{"name": "Main", "max_render_seconds": 2, "fields": [{"key": "title"}]}"#)
        let pidFile = FileManager.default.temporaryDirectory.appendingPathComponent("hub-limit-\(UUID()).pid").path
        // Writes part of its output, then prints for ever.
        let render = try writeScript("""
            echo $$ > \(pidFile)
            printf partial > "$2"
            while true; do echo "progress: 1/2"; sleep 0.2; done
            """)
        let worker = try WorkerHarness.start(databaseURL: url, redisURL: endpoints.redisURL, dispatch: dispatch,
                                             backend: CommandBackend(executable: render, inactivityTimeout: .seconds(60)),
                                             concurrency: 1, name: "tlimits-\(UUID().uuidString.prefix(6))") {
            $0.maxRenderTime = .seconds(600) // the worker's own limit is far away
        }
        let queue = RenderQueue(store: RenderStore(pool: pool), redis: worker.redis, dispatch: dispatch)
        let submitted = try await queue.submit(RenderSubmission(templateName: "limits", composition: "Main", maxRetries: 1), actor: "test")
        try await waitUntil("the attempt to fail", timeout: 60) {
            try await pool.query("SELECT count(*) FROM render_outputs WHERE status = 'failed'")[0].decode(Int.self, at: 0) == 1
        }
        let row = try await pool.query("""
            SELECT i.status, i.retry_count, o.error_message FROM render_instructions i
            JOIN render_outputs o ON o.instruction_id = i.id WHERE i.id = \(submitted.instruction.id)
            """)[0]
        #expect(try row.decode(String.self, at: 0) == "pending", "retried within the instruction's retries")
        #expect(try row.decode(Int.self, at: 1) == 1)
        let message = try row.decode(String.self, at: 2)
        #expect(message.contains("exceeded template limits/Main's maximum render time of 2 s"), "\(message)")
        let pid = try #require(Int32(try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        try await waitUntil("the render process to be gone", timeout: 30) { Self.processIsGone(pid) }
        _ = try await worker.stop()
        let files = (try? FileManager.default.contentsOfDirectory(atPath: worker.worker.configuration.outputDirectory.path)) ?? []
        #expect(files.filter { $0 != ".hub-worker" }.isEmpty, "no output and no temporary file left: \(files)")
        await pool.close()
    }

    @Test func aTemplatesLimitMayBeLongerThanTheWorkers() async throws {
        let pool = try PostgresPool(url: url, maxConnections: 2)
        try await describe(pool, project: "slow", #"{"name": "Main", "fields": [{"key": "title"}]}"#, top: #""max_render_seconds": 120,"#)
        let render = try writeScript("""
            sleep 3
            printf done > "$2"
            """)
        let worker = try WorkerHarness.start(databaseURL: url, redisURL: endpoints.redisURL, dispatch: dispatch,
                                             backend: CommandBackend(executable: render, inactivityTimeout: .seconds(60)),
                                             concurrency: 1, name: "tlimits-\(UUID().uuidString.prefix(6))") {
            $0.maxRenderTime = .seconds(1)
        }
        let queue = RenderQueue(store: RenderStore(pool: pool), redis: worker.redis, dispatch: dispatch)
        let slow = try await queue.submit(RenderSubmission(templateName: "slow", composition: "Main", maxRetries: 0), actor: "test")
        let other = try await queue.submit(RenderSubmission(templateName: "undescribed", composition: "Main", maxRetries: 0), actor: "test")
        try await waitUntil("both to end", timeout: 60) {
            let counts = try await countByStatus(pool)
            return counts["completed", default: 0] + counts["failed", default: 0] == 2
        }
        #expect(try await queue.store.instruction(slow.instruction.id).status == .completed, "its template allows 120 s")
        let undescribed = try await queue.store.instruction(other.instruction.id)
        #expect(undescribed.status == .failed, "no template limit: the worker's 1 s holds")
        #expect(undescribed.errorMessage?.contains("maximum render time of 1 s") == true, "\(undescribed.errorMessage ?? "")")
        _ = try await worker.stop()
        await pool.close()
    }

    /// Who declares the limit: a composition description beats the graphics catalog's
    /// composition, which beats the catalog's own; a template nobody describes has none.
    @Test func theDeclaredLimitComesFromTheDescriptionThenTheCatalog() async throws {
        let pool = try PostgresPool(url: url, maxConnections: 2)
        var catalog = try GraphicsFixtures.catalog()
        catalog.maxRenderSeconds = 45
        let chipCount = try #require(catalog.compositions.firstIndex { $0.name == "_MAIN Mini Chip Count" })
        catalog.compositions[chipCount].maxRenderSeconds = 20
        #expect(catalog.problems().isEmpty)
        _ = try await GraphicsStore(pool: pool).load(catalog, sourceFile: nil, actor: "test")
        let store = RenderStore(pool: pool)
        let project = catalog.project
        #expect(try await store.templateRenderLimit(template: project, composition: "_MAIN Mini Chip Count")
                == TemplateRenderLimit(seconds: 20, declaredBy: "the graphics catalog"))
        #expect(try await store.templateRenderLimit(template: project, composition: "_SUB_Mini Chip Count")
                == TemplateRenderLimit(seconds: 45, declaredBy: "the graphics catalog"))
        try await describe(pool, project: project, #"{"name": "_MAIN Mini Chip Count", "max_render_seconds": 90, "fields": [{"key": "name"}]}"#)
        #expect(try await store.templateRenderLimit(template: project, composition: "_MAIN Mini Chip Count")
                == TemplateRenderLimit(seconds: 90, declaredBy: "its composition description"))
        #expect(try await store.templateRenderLimit(template: "other", composition: "Main") == nil)

        catalog.compositions[chipCount].maxRenderSeconds = 0
        #expect(catalog.problems().contains("\"_MAIN Mini Chip Count\": max_render_seconds must be 1…604800 seconds, not 0"))
        await pool.close()
    }

    @Test func anOutOfRangeLimitIsRefusedWhenTheDescriptionIsRead() throws {
        for value in ["0", "-5", "604801", "1e12", "\"ten\""] {
            let json = #"{"project": "p", "compositions": [{"name": "Main", "max_render_seconds": \#(value), "fields": [{"key": "title"}]}]}"#
            let error = #expect(throws: HubError.self, "\(value)") { try AEPDescription.parse(Data(json.utf8), file: "bad.json") }
            #expect(error?.message.contains("max_render_seconds") == true, "\(value): \(error?.message ?? "")")
        }
    }
}
