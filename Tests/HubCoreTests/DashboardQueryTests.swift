import Foundation
@testable import HubCore
import HubPostgres
import HubTestSupport
import Testing

/// The dashboard's aggregate agrees with a direct count, over old (settled) and new rows, and
/// picks up changes to settled rows when it is rebuilt; the sync rows and the alerts read the
/// sync tables and the open monitor events.
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

    /// Sets one `sync_status` row.
    func entity(_ source: String, _ entity: String, _ status: String, lastSync: Date?, nextSync: Date?, error: String? = nil,
                updated: Date = Date()) async throws {
        let rows = try await pool.query("""
            UPDATE sync_status SET status = \(status), last_sync_at = \(lastSync), next_sync_at = \(nextSync),
                last_error = \(error), updated_at = \(updated)
            WHERE source = \(source) AND entity = \(entity) RETURNING 1
            """)
        #expect(rows.count == 1, "sync_status has \(source)/\(entity)")
    }

    /// Inserts `count` `sync_history` runs of `source` with `status`, started `hoursAgo` hours ago.
    func runs(_ source: String, _ status: String, count: Int = 1, hoursAgo: Double) async throws {
        for _ in 0..<count {
            let started = Date().addingTimeInterval(-hoursAgo * 3600)
            try await pool.query("""
                INSERT INTO sync_history (correlation_id, source, status, started_at, finished_at, duration_ms)
                VALUES (\(UUID()), \(source), \(status), \(started),
                        CASE WHEN \(status) = 'running' THEN NULL ELSE \(started.addingTimeInterval(2)) END, 2000)
                """)
        }
    }

    static func close(_ a: Date?, _ b: Date) -> Bool { a.map { abs($0.timeIntervalSince(b)) < 0.01 } ?? false }

    @Test func syncRowsShowTheWorstEntityTheWindowsHealthAndTheLatestError() async throws {
        let now = Date()
        let minute: TimeInterval = 60
        // gfx: two entities synced and not due, one synced past its next sync (reads outdated).
        try await entity("gfx", "sessions", "synced", lastSync: now - 10 * minute, nextSync: now + 50 * minute)
        try await entity("gfx", "hands", "synced", lastSync: now - 5 * minute, nextSync: now + 55 * minute)
        try await entity("gfx", "players", "synced", lastSync: now - 70 * minute, nextSync: now - 10 * minute)
        // wsop: two failed (the newer error wins), one never scheduled, one synced.
        try await entity("wsop", "events", "failed", lastSync: now - 40 * minute, nextSync: now + minute,
                         error: "Events.json: line 3: not JSON", updated: now - 2 * minute)
        try await entity("wsop", "standings", "failed", lastSync: nil, nextSync: now + 2 * minute,
                         error: "Standings.csv: row 7: no rank column", updated: now - minute)
        try await entity("wsop", "players", "pending", lastSync: nil, nextSync: nil)
        try await entity("wsop", "chip_counts", "synced", lastSync: now - 3 * minute, nextSync: now + 12 * minute)
        // gfx: 3 completed and 1 failed in the window; skipped, running, old and other sources do not count.
        try await runs("gfx", "completed", count: 3, hoursAgo: 2)
        try await runs("gfx", "failed", hoursAgo: 3)
        try await runs("gfx", "skipped", count: 4, hoursAgo: 1)
        try await runs("gfx", "running", hoursAgo: 0.01)
        try await runs("gfx", "failed", count: 5, hoursAgo: 30)
        try await runs("link", "failed", count: 2, hoursAgo: 1)
        try await runs("wsop", "completed", hoursAgo: 0.5)
        try await runs("wsop", "failed", count: 2, hoursAgo: 0.2)

        let query = DashboardQuery(pool: pool, windowHours: 24)
        let rows = try await query.syncRows()
        #expect(rows.map(\.source) == ["gfx", "wsop"])
        let gfx = rows[0], wsop = rows[1]
        #expect(gfx.status == "outdated")
        #expect(gfx.entities == ["sessions": "synced", "hands": "synced", "players": "outdated"])
        #expect(Self.close(gfx.lastSync, now - 5 * minute), "the latest sync of any entity")
        #expect(Self.close(gfx.nextSync, now - 10 * minute), "the earliest next sync")
        #expect(gfx.due)
        #expect(gfx.runs == 4 && gfx.failedRuns == 1)
        #expect(gfx.healthPercent == 75)
        #expect(gfx.lastError == nil)

        #expect(wsop.status == "failed")
        #expect(wsop.entities["players"] == "pending" && wsop.entities["events"] == "failed")
        #expect(Self.close(wsop.lastSync, now - 3 * minute))
        #expect(wsop.nextSync == nil, "an entity was never scheduled")
        #expect(wsop.due)
        #expect(wsop.runs == 3 && wsop.failedRuns == 2)
        #expect(wsop.healthPercent == 33.3)
        #expect(wsop.lastError == "standings: Standings.csv: row 7: no rank column")

        // The snapshot carries the same rows.
        #expect(try await query.snapshot().sync == rows)

        // A narrower window holds no gfx run: no health figure, rather than 0 % or 100 %.
        let hour = try await DashboardQuery(pool: pool, windowHours: 1).syncRows()
        #expect(hour[0].runs == 0 && hour[0].healthPercent == nil)
        #expect(hour[1].runs == 3 && hour[1].healthPercent == 33.3)

        // All synced and scheduled: synced, not due, next sync the earliest; a run in progress wins over that.
        try await entity("gfx", "players", "synced", lastSync: now - minute, nextSync: now + 30 * minute)
        var again = try await query.syncRows()[0]
        #expect(again.status == "synced")
        #expect(!again.due)
        #expect(Self.close(again.nextSync, now + 30 * minute))
        #expect(Self.close(again.lastSync, now - minute))
        try await entity("gfx", "hands", "in_progress", lastSync: now - 5 * minute, nextSync: now - minute)
        again = try await query.syncRows()[0]
        #expect(again.status == "in_progress")
        #expect(!again.due, "a source with a run in progress is not due")
        await pool.close()
    }

    @Test func alertsAreTheOpenEventsNewestFirstCapped() async throws {
        let store = MonitorEventStore(pool: pool)
        let now = Date()
        let delay = try await store.raise(rule: "delay", level: .warning, message: "3 instructions pending for 31 min",
                                          at: now - 3 * 3600).event
        let orphan = try await store.raise(rule: "orphan_hand", subject: "42", level: .warning, message: "premium hand 42 has no render",
                                           at: now - 2 * 3600).event
        let again = try await store.raise(rule: "orphan_hand", subject: "42", level: .warning, message: "premium hand 42 has no render",
                                          at: now - 600)
        #expect(!again.opened)
        let silent = try await store.raise(rule: "service_silent", subject: "hub-worker:render-02", level: .error,
                                           message: "render-02 sent no heartbeat for 45 s", at: now - 3600).event
        let resolved = try await store.raise(rule: "error_spike", level: .error, message: "40 % failed", at: now - 60).event
        _ = try await store.resolve(resolved.id, actor: "test", reason: "fixed")
        // Resolved history does not show, however new.
        let old = try await store.raise(rule: "queue_length", level: .warning, message: "12 pending", at: now - 7200 - 1).event
        _ = try await store.resolve(old.id, actor: "test", reason: nil)

        let query = DashboardQuery(pool: pool)
        let (alerts, open) = try await query.openAlerts()
        #expect(open == 3)
        #expect(alerts.map(\.id) == [silent.id, orphan.id, delay.id], "newest first by first_seen")
        let orphanRow = try #require(alerts.first { $0.id == orphan.id })
        #expect(orphanRow.rule == "orphan_hand" && orphanRow.subject == "42" && orphanRow.level == "warning")
        #expect(orphanRow.occurrences == 2)
        #expect(Self.close(orphanRow.firstSeen, now - 2 * 3600))
        #expect(Self.close(orphanRow.lastSeen, now - 600))
        #expect(alerts[0].level == "error" && alerts[0].message == "render-02 sent no heartbeat for 45 s")

        // Capped: the newest `limit`, with the count of all open ones.
        let capped = try await query.openAlerts(limit: 2)
        #expect(capped.alerts.map(\.id) == [silent.id, orphan.id])
        #expect(capped.open == 3)

        let snapshot = try await query.snapshot()
        #expect(snapshot.alerts == alerts)
        #expect(snapshot.openAlerts == 3)

        // More open alerts than the dashboard lists.
        for i in 0..<(DashboardQuery.alertLimit + 2) {
            _ = try await store.raise(rule: "orphan_hand", subject: "h\(i)", level: .warning, message: "hand h\(i)", at: now - Double(i))
        }
        let full = try await query.snapshot()
        #expect(full.alerts.count == DashboardQuery.alertLimit)
        #expect(full.openAlerts == DashboardQuery.alertLimit + 5)
        #expect(full.alerts.first?.subject == "h0")
        #expect(!full.alerts.contains { $0.id == delay.id }, "the oldest fall off the end")
        await pool.close()
    }
}

extension DashboardQueryTests {
    /// The state a sync source shows, as a table (no database).
    @Suite struct WorstSyncState {
        @Test(arguments: [
            (["synced"], "synced"),
            (["synced", "pending"], "pending"),
            (["pending", "outdated", "synced"], "outdated"),
            (["outdated", "in_progress", "pending"], "in_progress"),
            (["in_progress", "failed", "synced"], "failed"),
            (["failed", "from_a_newer_hub"], "from_a_newer_hub"),
            ([], "pending"),
        ])
        func aSourceShowsItsWorstEntity(states: [String], expected: String) async throws {
            #expect(DashboardQuery.worstSyncState(states) == expected)
        }
    }
}
