import Foundation
import HubCore
import HubPostgres
import HubTestSupport
import Testing

private extension Date {
    func rounded() -> Date { Date(timeIntervalSince1970: timeIntervalSince1970.rounded()) }
}

/// `hubctl jobs submit --at TIME | --in DURATION` and `POST`'s `scheduled_at` share one meaning:
/// the instruction is due then.
@Suite(.timeLimit(.minutes(2))) struct ScheduleCommandTests {
    @Test func atAndInSetTheDueTimeAndBadValuesAreUsageErrors() async throws {
        let (env, pool) = try await HubSyncTests.environment()
        let inTen = try #require(Int64(try await Hubctl.ok(["jobs", "submit", "--template", "card", "--in", "10m"], env: env)))
        let due = ISO8601DateFormatter().string(from: Date().addingTimeInterval(86_400).rounded())
        let at = try #require(Int64(try await Hubctl.ok(["render", "submit", "--template", "card", "--at", due], env: env)))
        let rows = try await pool.query("""
            SELECT extract(epoch FROM scheduled_at - created_at)::float8, scheduled_at = \(due)::timestamptz
            FROM render_instructions WHERE id IN (\(inTen), \(at)) ORDER BY id
            """)
        #expect(rows.count == 2)
        let delay = try rows[0].decode(Double.self, at: 0)
        #expect((540...660).contains(delay), "--in 10m: due about 600 s after it was created, got \(delay)")
        #expect(try rows[1].decode(Bool.self, at: 1), "--at: due exactly then")

        let both = try await Hubctl.run(["jobs", "submit", "--template", "card", "--in", "1m", "--at", "2026-12-07T17:25:00Z"], env: env)
        #expect(both.status == 2 && both.stderr.contains("not both"), "\(both.stderr)")
        let badTime = try await Hubctl.run(["jobs", "submit", "--template", "card", "--at", "tomorrow"], env: env)
        #expect(badTime.status == 2 && badTime.stderr.contains("ISO 8601"), "\(badTime.stderr)")
        let badDuration = try await Hubctl.run(["jobs", "submit", "--template", "card", "--in", "soon"], env: env)
        #expect(badDuration.status == 2, "\(badDuration.stderr)")
        let tooFar = try await Hubctl.run(["jobs", "submit", "--template", "card", "--at", "2099-01-02T03:04:05Z"], env: env)
        #expect(tooFar.status == 2 && tooFar.stderr.contains("366 days"), "\(tooFar.stderr)")
        await pool.close()
    }
}
