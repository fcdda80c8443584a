import Foundation
@testable import HubCore
import HubPostgres
import HubRedis
import HubTestSupport
import Testing

/// hub_quarantined_total counts instructions the hunter quarantined (their workers crashed too
/// often), not every instruction it failed: the lost-lease backstop (or a legacy row out of
/// retries) fails it, and is counted in hub_reaped_total only.
@Suite(.serialized) struct HunterMetricsTests {
    static func value(_ name: String) -> Double {
        HubMetrics.exposition().split(separator: "\n").filter { $0.hasPrefix(name) }
            .compactMap { Double($0.split(separator: " ").last ?? "") }.reduce(0, +)
    }

    @Test func aFailureThatIsNotAQuarantineIsNotCountedAsOne() async throws {
        HubMetrics.bootstrap()
        let pool = try PostgresPool(url: try await scratchDatabaseURL(), maxConnections: 4)
        try await Migrator(pool: pool).up()
        let redis = try RedisClient(url: try await TestServices.endpoints().redisURL)
        let queue = RenderQueue(store: RenderStore(pool: pool), redis: redis,
                                dispatch: DispatchConfiguration(stream: "test:huntermetrics:\(UUID().uuidString.prefix(8))"))
        try await queue.ensureGroup()
        // A lease lost for the tenth time (nine expiries before): the backstop fails it, with no
        // crash counted, so it is not a quarantine.
        let job = try await queue.submit(RenderSubmission(templateName: "lost", maxRetries: 3), actor: "test").instruction
        _ = try #require(try await queue.store.claim(job.id, worker: "old-1-0", lease: .seconds(30)))
        try await pool.query("""
            INSERT INTO render_timeline (instruction_id, event, from_status, to_status, actor)
            SELECT \(job.id), 'lease_expired', 'processing', 'pending', 'hunter' FROM generate_series(1, 9)
            """)
        try await pool.query("UPDATE render_instructions SET lease_expires_at = now() - interval '1 second' WHERE id = \(job.id)")
        let reapedBefore = Self.value("hub_reaped_total"), quarantinedBefore = Self.value("hub_quarantined_total")
        let report = try await ZombieHunter(queue: queue).pass(actor: "hunter", force: true)
        #expect(report.reaped.map(\.status) == [.failed] && report.reaped.first?.quarantined == false, "\(report.reaped)")
        #expect(Self.value("hub_reaped_total") == reapedBefore + 1)
        #expect(Self.value("hub_quarantined_total") == quarantinedBefore, "a lease lost ten times is not a quarantine")
        await pool.close()
        await redis.close()
    }
}
