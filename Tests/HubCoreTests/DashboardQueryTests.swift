import Foundation
import HubCore
import HubPostgres
import HubTestSupport
import Testing

/// The dashboard's aggregate agrees with a direct count, over old (settled) and new rows, and
/// picks up changes to settled rows when it is rebuilt.
@Suite struct DashboardQueryTests {
    let pool: PostgresPool

    init() async throws {
        pool = try PostgresPool(url: try await scratchDatabaseURL(), maxConnections: 4)
        try await Migrator(pool: pool).up()
    }

    /// Inserts `count` finished instructions of `template` that completed `minutesAgo` minutes ago.
    func finished(_ template: String, _ status: String, count: Int, minutesAgo: Int) async throws {
        try await pool.query("""
            INSERT INTO render_instructions (template_name, output_settings, status, data_hash, created_at, started_at, completed_at)
            SELECT \(template), '{}'::jsonb, \(status), md5(i::text) || md5(i::text),
                   now() - make_interval(mins => \(minutesAgo)::int) - interval '30 seconds',
                   now() - make_interval(mins => \(minutesAgo)::int) - interval '20 seconds',
                   now() - make_interval(mins => \(minutesAgo)::int)
            FROM generate_series(1, \(count)) AS i
            """)
    }

    func direct(_ template: String, _ status: String, hours: Int = 24) async throws -> Int {
        try await pool.query("""
            SELECT count(*)::bigint FROM render_instructions
            WHERE template_name = \(template) AND status = \(status) AND completed_at > now() - make_interval(hours => \(hours)::int)
            """)[0].decode(Int.self, at: 0)
    }

    @Test func rollupMatchesADirectCountAndFollowsRetries() async throws {
        try await finished("leaderboard", "completed", count: 40, minutesAgo: 300)
        try await finished("leaderboard", "completed", count: 5, minutesAgo: 0)
        try await finished("leaderboard", "failed", count: 3, minutesAgo: 120)
        try await finished("chip_count", "cancelled", count: 2, minutesAgo: 60)
        try await finished("chip_count", "completed", count: 7, minutesAgo: 26 * 60) // outside the window

        let rollup = FinishedRollup(refreshInterval: .seconds(3600))
        let query = DashboardQuery(pool: pool, windowHours: 24, rollup: rollup)
        var snapshot = try await query.snapshot()
        let leaderboard = try #require(snapshot.renderQueue.first { $0.template == "leaderboard" })
        #expect(leaderboard.completed == (try await direct("leaderboard", "completed")))
        #expect(leaderboard.completed == 45)
        #expect(leaderboard.failed == 3)
        #expect(leaderboard.averageDurationSeconds == 20)
        #expect(leaderboard.averageQueueSeconds == 10)
        let chip = try #require(snapshot.renderQueue.first { $0.template == "chip_count" })
        #expect(chip.cancelled == 2)
        #expect(chip.completed == 0)
        #expect(snapshot.totals.completed == 45)

        // A completion now is counted at once (the unsettled part is read every time).
        try await finished("leaderboard", "completed", count: 1, minutesAgo: 0)
        snapshot = try await query.snapshot()
        #expect(snapshot.renderQueue.first { $0.template == "leaderboard" }?.completed == 46)

        // An operator retries the old failures: settled buckets change after a rebuild.
        try await pool.query("""
            UPDATE render_instructions SET status = 'pending', completed_at = NULL, started_at = NULL
            WHERE template_name = 'leaderboard' AND status = 'failed'
            """)
        rollup.invalidate()
        snapshot = try await query.snapshot()
        let retried = try #require(snapshot.renderQueue.first { $0.template == "leaderboard" })
        #expect(retried.failed == 0)
        #expect(retried.pending == 3)
        #expect(try await direct("leaderboard", "failed") == 0)

        // A wider window reaches the older rows.
        let week = try await DashboardQuery(pool: pool, windowHours: 48, rollup: FinishedRollup()).snapshot()
        #expect(week.renderQueue.first { $0.template == "chip_count" }?.completed == 7)
        await pool.close()
    }
}
