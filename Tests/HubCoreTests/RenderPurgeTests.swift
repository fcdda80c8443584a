import Foundation
import HubCore
import HubPostgres
import HubRedis
import HubTestSupport
import Testing

/// Retention (issue 16): `RenderPurge` removes exactly the instructions finished before the cutoff
/// with their output, outbox, timeline and failure-notice rows, in batches; a dry run removes
/// nothing; output files go only when asked, only inside the output root, never through a link.
@Suite(.timeLimit(.minutes(3))) struct RenderPurgeTests {
    let pool: PostgresPool
    let store: RenderStore

    init() async throws {
        pool = try PostgresPool(url: try await scratchDatabaseURL(), maxConnections: 6)
        try await Migrator(pool: pool).up()
        store = RenderStore(pool: pool)
    }

    /// An instruction in `status`, finished `daysAgo` days ago (finished statuses), with an output
    /// row at `output` when given.
    @discardableResult
    func instruction(_ status: RenderStatus, daysAgo: Double, output: String? = nil, template: String = "leaderboard",
                     data: String = UUID().uuidString) async throws -> Int64 {
        let id = try await store.submit(RenderSubmission(templateName: template, layerData: ["k": .string(data)]), actor: "test").instruction.id
        let finished = [RenderStatus.completed, .failed, .cancelled].contains(status)
        try await pool.query("""
            UPDATE render_instructions SET status = \(status.rawValue), created_at = now() - make_interval(secs => \((daysAgo + 1) * 86_400)),
                completed_at = CASE WHEN \(finished) THEN now() - make_interval(secs => \(daysAgo * 86_400)) END
            WHERE id = \(id)
            """)
        try await pool.query("""
            INSERT INTO render_timeline (instruction_id, event, from_status, to_status, actor)
            VALUES (\(id), 'test', 'pending', \(status.rawValue), 'test')
            """)
        if let output {
            try await pool.query("""
                INSERT INTO render_outputs (instruction_id, attempt, status, output_path) VALUES (\(id), 1, 'completed', \(output))
                """)
        }
        return id
    }

    func count(_ table: PostgresQuery) async throws -> Int {
        try await pool.query("SELECT count(*) FROM \(fragment: table)")[0].decode(Int.self, at: 0)
    }

    func ids() async throws -> Set<Int64> {
        Set(try await pool.query("SELECT id FROM render_instructions").map { try $0.decode(Int64.self, at: 0) })
    }

    func tableCounts() async throws -> [Int] {
        var counts: [Int] = []
        for table: PostgresQuery in ["render_instructions", "render_outputs", "render_outbox", "render_timeline", "render_failure_notices"] {
            counts.append(try await count(table))
        }
        return counts
    }

    static var cutoff: Date { Date().addingTimeInterval(-30 * 86_400) }

    @Test func dryRunCountsAndRemovesNothing() async throws {
        try await instruction(.completed, daysAgo: 40, output: "/tmp/none-\(UUID()).png")
        try await instruction(.failed, daysAgo: 31)
        try await instruction(.completed, daysAgo: 2, output: "/tmp/none-\(UUID()).png")
        let before = try await tableCounts()
        let report = try await RenderPurge(pool: pool).run(finishedBefore: Self.cutoff, dryRun: true, outputRoot: URL(fileURLWithPath: "/tmp"))
        #expect(report.dryRun)
        #expect(report.removed.instructions == 2)
        #expect(report.removed.outputs == 1)
        #expect(report.removed.outbox == 2)
        #expect(report.removed.timeline == 4) // submitted + test, each
        #expect(report.removed.failureNotices == 1) // the failed one's 'test' entry
        #expect(report.files?.candidates == 1)
        #expect(try await tableCounts() == before)
    }

    @Test func removesExactlyTheInstructionsFinishedBeforeTheCutoff() async throws {
        var doomed: Set<Int64> = []
        doomed.insert(try await instruction(.completed, daysAgo: 45, output: "out/a.png"))
        doomed.insert(try await instruction(.failed, daysAgo: 31))
        doomed.insert(try await instruction(.cancelled, daysAgo: 90))
        doomed.insert(try await instruction(.completed, daysAgo: 30.5))
        doomed.insert(try await instruction(.completed, daysAgo: 400))
        let recent = try await instruction(.completed, daysAgo: 29.5, output: "out/b.png")
        let recentFailed = try await instruction(.failed, daysAgo: 1)
        // Old but unfinished: never touched, whatever their age.
        let oldPending = try await instruction(.pending, daysAgo: 100)
        let oldStale = try await instruction(.stale, daysAgo: 100)
        let kept: Set<Int64> = [recent, recentFailed, oldPending, oldStale]
        let keptTimeline = try await pool.query("SELECT count(*) FROM render_timeline WHERE instruction_id = ANY(\(Array(kept)))")[0].decode(Int.self, at: 0)

        let report = try await RenderPurge(pool: pool, batchSize: 2).run(finishedBefore: Self.cutoff)
        #expect(!report.dryRun)
        #expect(report.removed.instructions == 5)
        #expect(report.removed.outputs == 1)
        #expect(report.removed.outbox == 5)
        #expect(report.removed.timeline == 10)
        #expect(report.removed.failureNotices == 1)
        #expect(report.batches == 3) // 2 + 2 + 1
        #expect(report.files == nil)
        #expect(try await ids() == kept)
        #expect(try await pool.query("SELECT count(*) FROM render_timeline WHERE instruction_id = ANY(\(Array(doomed)))")[0].decode(Int.self, at: 0) == 0)
        #expect(try await count("render_timeline") == keptTimeline)
        #expect(try await count("render_outputs") == 1)
        #expect(try await count("render_failure_notices") == 1) // the recent failure's
        // A second run finds nothing.
        let again = try await RenderPurge(pool: pool).run(finishedBefore: Self.cutoff)
        #expect(again.removed.instructions == 0 && again.batches == 0)
    }

    @Test func aRowSomeoneHoldsIsLeftForTheNextRun() async throws {
        let held = try await instruction(.failed, daysAgo: 60)
        let free = try await instruction(.failed, daysAgo: 60)
        let locked = AsyncStream<Void>.makeStream()
        let release = AsyncStream<Void>.makeStream()
        let holder = Task {
            try await pool.withConnection { connection in
                try await connection.query("BEGIN")
                try await connection.query("SELECT id FROM render_instructions WHERE id = \(held) FOR UPDATE")
                locked.continuation.yield()
                for await _ in release.stream { break }
                try await connection.query("ROLLBACK")
            }
        }
        for await _ in locked.stream { break }
        let report = try await RenderPurge(pool: pool).run(finishedBefore: Self.cutoff)
        #expect(report.removed.instructions == 1)
        #expect(try await ids() == [held])
        release.continuation.yield()
        try await holder.value
        #expect(try await RenderPurge(pool: pool).run(finishedBefore: Self.cutoff).removed.instructions == 1)
        #expect(try await ids().isEmpty)
        _ = free
    }

    @Test func filesGoOnlyWhenAskedOnlyInsideTheRootAndNeverThroughALink() async throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("purge-\(UUID())")
        let root = base.appendingPathComponent("output")
        let outside = base.appendingPathComponent("elsewhere")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("sub"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: base) }
        func file(_ url: URL, _ text: String = "frame") throws -> String {
            try Data(text.utf8).write(to: url)
            return url.path
        }
        let inside = try file(root.appendingPathComponent("sub/a.png"), "12345")
        let victimOutside = try file(outside.appendingPathComponent("b.png"))
        let linkTarget = try file(outside.appendingPathComponent("c.png"))
        let link = root.appendingPathComponent("c-link.png")
        try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: linkTarget)
        let dirLink = root.appendingPathComponent("escape")
        try FileManager.default.createSymbolicLink(atPath: dirLink.path, withDestinationPath: outside.path)
        let throughDirLink = try file(outside.appendingPathComponent("d.png"))
        let shared = try file(root.appendingPathComponent("shared.png"))
        let recentOwn = try file(root.appendingPathComponent("recent.png"))

        try await instruction(.completed, daysAgo: 40, output: inside)
        try await instruction(.completed, daysAgo: 40, output: victimOutside)
        try await instruction(.completed, daysAgo: 40, output: link.path)
        try await instruction(.completed, daysAgo: 40, output: dirLink.appendingPathComponent("d.png").path)
        try await instruction(.completed, daysAgo: 40, output: root.appendingPathComponent("gone.png").path)
        // A render-cache hit: a recent instruction with the same data uses the old one's file.
        try await instruction(.completed, daysAgo: 40, output: shared, data: "same")
        try await instruction(.completed, daysAgo: 1, output: shared, data: "same")
        try await instruction(.completed, daysAgo: 1, output: recentOwn)

        // Without an output root the files stay.
        let dry = try await RenderPurge(pool: pool).run(finishedBefore: Self.cutoff, dryRun: true, outputRoot: root)
        #expect(dry.files?.candidates == 6)
        #expect(FileManager.default.fileExists(atPath: inside))

        let report = try await RenderPurge(pool: pool).run(finishedBefore: Self.cutoff, outputRoot: root)
        #expect(report.removed.instructions == 6)
        let files = try #require(report.files)
        #expect(files.deleted == 1)
        #expect(files.deletedBytes == 5)
        #expect(files.missing == 1)
        #expect(files.outsideRoot == 2) // the file outside, and the one reached through a directory link
        #expect(files.notRegular == 1) // the link itself
        #expect(files.stillUsed == 1)
        #expect(files.failed == 0)
        #expect(!FileManager.default.fileExists(atPath: inside))
        for kept in [victimOutside, linkTarget, throughDirLink, shared, recentOwn, link.path] {
            #expect((try? FileManager.default.attributesOfItem(atPath: kept)) != nil, "\(kept) must stay")
        }
    }

    @Test func aMissingOutputRootIsAClearError() async throws {
        try await instruction(.completed, daysAgo: 40)
        let error = await #expect(throws: HubError.self) {
            try await RenderPurge(pool: pool).run(finishedBefore: Self.cutoff, outputRoot: URL(fileURLWithPath: "/nonexistent-\(UUID())"))
        }
        #expect(error?.message.contains("does not exist") == true)
        #expect(try await count("render_instructions") == 1)
    }

    @Test func theWorkersDailyPassPurgesOncePerInterval() async throws {
        #expect(try PurgeSettings(configuration: HubConfiguration(environment: [:], dotEnvPath: nil)).finishedAfter == nil)
        let settings = try PurgeSettings(configuration: HubConfiguration(environment: ["HUB_PURGE_FINISHED_AFTER": "30d", "HUB_PURGE_FILES": "true"], dotEnvPath: nil))
        #expect(settings.finishedAfter == .seconds(30 * 86_400))
        #expect(settings.files)
        for bad in ["soon", "-3d", "10s"] {
            #expect(throws: HubError.self) { try PurgeSettings(configuration: HubConfiguration(environment: ["HUB_PURGE_FINISHED_AFTER": bad], dotEnvPath: nil)) }
        }

        let old = try await instruction(.completed, daysAgo: 40)
        let recent = try await instruction(.completed, daysAgo: 3)
        var configuration = RenderWorkerConfiguration()
        configuration.operations.purge.finishedAfter = .seconds(30 * 86_400)
        let redis = try RedisClient(url: try await TestServices.endpoints().redisURL)
        let worker = RenderWorker(queue: RenderQueue(store: store, redis: redis), backend: NoopBackend(), configuration: configuration)
        let report = try #require(await worker.runPurgePass())
        #expect(report.removed.instructions == 1)
        #expect(try await ids() == [recent])
        // Another worker (or the next turn) within the day skips.
        try await instruction(.completed, daysAgo: 50)
        #expect(await worker.runPurgePass() == nil)
        #expect(try await count("render_instructions") == 2)
        _ = old
    }
}
