import Foundation
import HubCore
import HubPostgres
import HubRedis
import HubTestSupport
import Testing

/// The template's version is part of the render cache key, and `noCache` forces a render
/// (issue 16), through a real worker whose renderer counts its runs.
@Suite(.timeLimit(.minutes(3))) struct TemplateVersionCacheTests {
    let url: String
    let endpoints: ServiceEndpoints
    let dispatch = DispatchConfiguration(stream: "test:versions:\(UUID().uuidString.prefix(8))", group: "ae-workers")

    init() async throws {
        url = try await scratchDatabaseURL()
        endpoints = try await TestServices.endpoints()
        let pool = try PostgresPool(url: url, maxConnections: 1)
        try await Migrator(pool: pool).up()
        await pool.close()
    }

    static func description(title: String, version: String? = nil) -> Data {
        let declared = version.map { #""version": "\#($0)", "# } ?? ""
        return Data("""
            {\(declared)"project": "Leaderboard_v2", "compositions": [{"name": "Main", "description": "\(title)",
              "fields": [{"key": "name", "pattern": "single", "layer": "Name"}]}]}
            """.utf8)
    }

    @Test func aChangedTemplateRetiresItsCachedRendersAndNoCacheRendersAnew() async throws {
        let pool = try PostgresPool(url: url, maxConnections: 4)
        let redis = try RedisClient(url: endpoints.redisURL)
        let queue = RenderQueue(store: RenderStore(pool: pool), redis: redis, dispatch: dispatch)
        let aep = AEPStore(pool: pool)
        let first = try await aep.importDescription(try AEPDescription.parse(Self.description(title: "first cut")), sourceFile: "a.json", actor: "test")
        #expect(first.retired.isEmpty, "nothing was rendered yet")
        let counter = FileManager.default.temporaryDirectory.appendingPathComponent("hub-count-\(UUID())").path
        let script = try writeScript("echo run >> '\(counter)'\nprintf 'render' > \"$2\"")
        let worker = try WorkerHarness.start(databaseURL: url, redisURL: endpoints.redisURL, dispatch: dispatch,
                                             backend: CommandBackend(executable: script), concurrency: 1, name: "versions")
        func runs() -> Int { ((try? String(contentsOfFile: counter, encoding: .utf8)) ?? "").split(separator: "\n").count }
        func render(_ submission: RenderSubmission) async throws -> (RenderInstruction, Bool) {
            let instruction = try await queue.submit(submission, actor: "test").instruction
            try await waitUntil("instruction \(instruction.id)", timeout: 30) { try await queue.store.instruction(instruction.id).status == .completed }
            let hit = try await pool.query("SELECT cache_hit FROM render_outputs WHERE instruction_id = \(instruction.id) AND status = 'completed'")[0]
            return (instruction, try hit.decode(Bool.self, at: 0))
        }
        let same = RenderSubmission(templateName: "Leaderboard_v2", layerData: ["name": .string("Kim")])
        let (original, _) = try await render(same)
        #expect(try await render(same).1 == true, "same version, same data: served from the cache")
        #expect(runs() == 1)

        // The template changes: its cached render is retired and reported.
        let changed = try await aep.importDescription(try AEPDescription.parse(Self.description(title: "new look")), sourceFile: "a.json", actor: "test")
        let retired = try #require(changed.retired.first)
        #expect(retired.template == "Leaderboard_v2")
        #expect(retired.previousVersion != nil && retired.previousVersion != retired.version)
        #expect(retired.outputs == 2 && retired.instructions.contains(original.id))
        #expect(try await render(same).1 == false, "a new version renders anew")
        #expect(runs() == 2)
        #expect(try await render(same).1 == true, "and is cached again under its version")
        // Importing the same file again changes nothing.
        #expect(try await aep.importDescription(try AEPDescription.parse(Self.description(title: "new look")), sourceFile: "a.json", actor: "test").retired.isEmpty)

        // --no-cache: rendered anew although the cache holds it.
        var fresh = same
        fresh.noCache = true
        #expect(try await render(fresh).1 == false)
        #expect(runs() == 3)

        // A declared version wins over the hash: a cosmetic edit with the same declared version keeps the cache.
        _ = try await aep.importDescription(try AEPDescription.parse(Self.description(title: "v3", version: "2026.12")), sourceFile: "a.json", actor: "test")
        #expect(try await render(same).1 == false)
        let kept = try await aep.importDescription(try AEPDescription.parse(Self.description(title: "v3, typo fixed", version: "2026.12")), sourceFile: "a.json", actor: "test")
        #expect(kept.retired.isEmpty)
        #expect(try await render(same).1 == true)
        #expect(runs() == 4)
        _ = try await worker.stop()
        await pool.close()
        await redis.close()
    }
}
