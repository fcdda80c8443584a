import Foundation
import HubCore
import HubPostgres
import HubRedis
import HubTestSupport
import Testing

/// The reconciler against stream and pending-list states made by hand: fake consumers that read
/// entries and "die", entries of finished instructions, trimmed entries, unsignalled rows.
@Suite struct ReconcilerTests {
    let pool: PostgresPool
    let redis: RedisClient
    let queue: RenderQueue

    init() async throws {
        pool = try PostgresPool(url: try await scratchDatabaseURL(), maxConnections: 6)
        try await Migrator(pool: pool).up()
        redis = try RedisClient(url: try await TestServices.endpoints().redisURL)
        queue = RenderQueue(store: RenderStore(pool: pool), redis: redis,
                            dispatch: DispatchConfiguration(stream: "test:reconcile:\(UUID().uuidString.prefix(8))"))
        try await queue.ensureGroup()
    }

    var stream: String { queue.dispatch.stream }
    var group: String { queue.dispatch.group }

    /// Reads `count` new entries as `consumer` without acknowledging them.
    func read(as consumer: String, count: Int) async throws -> [RedisStreamEntry] {
        try await redis.xreadgroup(group: group, consumer: consumer, stream: stream, count: count, block: nil)
    }

    @Test func settlesTheEntriesOfDeadConsumersAndLeavesLiveOnesAlone() async throws {
        let done = try await queue.submit(RenderSubmission(templateName: "done"), actor: "test").instruction
        let waiting = try await queue.submit(RenderSubmission(templateName: "waiting"), actor: "test").instruction
        let live = try await queue.submit(RenderSubmission(templateName: "live"), actor: "test").instruction
        // A registered worker process reads two entries and dies (its heartbeat stops).
        try await ServiceRegistry(pool: pool).heartbeat(id: "hub-worker:ghost-7", kind: "hub-worker", mode: "redis")
        try await pool.query("UPDATE service_registry SET last_heartbeat = now() - interval '10 minutes' WHERE id = 'hub-worker:ghost-7'")
        let ghostEntries = try await read(as: "ghost-7-0", count: 2)
        #expect(ghostEntries.map { $0["instruction"] } == [String(done.id), String(waiting.id)])
        // A healthy worker holds the third.
        try await ServiceRegistry(pool: pool).heartbeat(id: "hub-worker:alive-8", kind: "hub-worker", mode: "redis")
        let liveEntries = try await read(as: "alive-8-0", count: 1)
        #expect(liveEntries.map { $0["instruction"] } == [String(live.id)])
        // The first instruction finished meanwhile (by another worker).
        let claim = try #require(try await queue.store.claim(done.id, worker: "other-9-0", lease: .seconds(30)))
        try await queue.store.complete(claim, output: .init(path: "/tmp/done.png"))
        let lengthBefore = try await redis.xlen(stream)

        let report = try await Reconciler(queue: queue).reconcile()
        #expect(report.acknowledged == 1, "the finished instruction's entry is acknowledged")
        #expect(report.reclaimed == 1, "the unfinished one is taken from the dead consumer")
        #expect(report.removedConsumers == ["ghost-7-0"])
        #expect(report.resignalled == 1)
        #expect(report.published == 1)
        let pending = try await redis.xpending(stream, group: group, count: 100)
        #expect(pending.map(\.consumer) == ["alive-8-0"], "only the live consumer's entry stays pending")
        let consumers = try await redis.xinfoConsumers(stream, group: group).map(\.name)
        #expect(!consumers.contains("ghost-7-0"))
        #expect(consumers.contains("alive-8-0"))
        let entries = try await redis.xrange(stream)
        #expect(entries.count == lengthBefore + 1)
        #expect(entries.last?["instruction"] == String(waiting.id), "the waiting instruction is signalled again")
        // A second pass finds nothing more to do.
        let again = try await Reconciler(queue: queue).reconcile()
        #expect(again.acknowledged == 0 && again.reclaimed == 0 && again.resignalled == 0 && again.removedConsumers.isEmpty)
    }

    @Test func unregisteredIdleConsumersTrimmedEntriesAndUnsignalledRows() async throws {
        let job = try await queue.submit(RenderSubmission(templateName: "trimmed"), actor: "test").instruction
        _ = try await read(as: "script-1-0", count: 1)
        // The entry is deleted while still pending (as a trim does), and the instruction is cancelled.
        let entry = try #require(try await redis.xrange(stream).first)
        _ = try await redis.xdel(stream, ids: [entry.id])
        try await queue.store.cancel(job.id, actor: "test", reason: nil)
        // A row written by another tool, with no outbox row at all.
        try await pool.query("""
            INSERT INTO render_instructions (template_name, output_settings, data_hash)
            VALUES ('bulk', '{"format":"png"}', repeat('b', 64))
            """)
        var settings = Reconciler.Settings()
        settings.unregisteredConsumerIdle = .zero
        settings.maxLength = 0
        let report = try await Reconciler(queue: queue, settings: settings).reconcile()
        #expect(report.acknowledged == 1, "the trimmed entry is acknowledged")
        #expect(report.removedConsumers == ["script-1-0"], "an unregistered idle consumer is gone")
        #expect(report.resignalled == 1, "the never-signalled row gets an outbox row")
        #expect(report.published == 1)
        #expect(try await redis.xpendingSummary(stream, group: group).count == 0)
        #expect(try await queue.store.unpublished().isEmpty)
        #expect(report.trimmed >= 0)
    }

    @Test func trimsTheStream() async throws {
        for n in 0..<300 { _ = try await redis.xadd(stream, fields: [("instruction", String(n))]) }
        var settings = Reconciler.Settings()
        settings.maxLength = 10
        let report = try await Reconciler(queue: queue, settings: settings).reconcile()
        #expect(report.trimmed > 0)
        #expect(try await redis.xlen(stream) < 300)
        #expect(try await redis.xlen(stream) >= 10)
    }
}
