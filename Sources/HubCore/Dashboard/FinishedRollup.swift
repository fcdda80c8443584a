import Foundation
import HubDriverSupport
import HubPostgres

/// A maintained aggregate of finished render instructions in five-minute buckets, so the
/// dashboard's window ("finished in the last 24 hours") costs a sum over at most 289 buckets plus
/// one small indexed read, whatever the table and the window hold.
///
/// - Buckets older than two bucket lengths are *settled*: read once from
///   `render_instructions_finished_idx` and then kept; each request extends them by the buckets
///   that settled since the last one (a read of minutes, not of the day).
/// - The newest, unsettled part is read on every request, so a completion shows at once.
/// - An operator can turn an old failed instruction back into a pending one (retry); so that such
///   changes reach the settled buckets, the whole aggregate is rebuilt in the background every
///   ``refreshInterval`` (requests keep using the previous one meanwhile).
///
/// The window starts at the beginning of the bucket that holds `now − window`, so it spans up to
/// five minutes more than the nominal hours.
package final class FinishedRollup: Sendable {
    /// Bucket length in seconds.
    package static let bucketSeconds: Int64 = 300
    /// How often the settled buckets are rebuilt from the table.
    package let refreshInterval: Duration

    /// One group of finished instructions.
    package struct Key: Hashable, Sendable {
        package var template: String
        package var composition: String
        package var status: String
        package var trigger: String
    }

    /// Counts and sums of one group.
    package struct Totals: Sendable, Hashable {
        package var count = 0
        /// Completed ones with a start time (the ones the averages are over).
        package var timed = 0
        package var durationSeconds = 0.0
        package var queueSeconds = 0.0

        mutating func add(_ other: Totals) {
            count += other.count
            timed += other.timed
            durationSeconds += other.durationSeconds
            queueSeconds += other.queueSeconds
        }
    }

    struct State {
        var buckets: [Int64: [Key: Totals]] = [:]
        /// Buckets below this index are loaded.
        var settledUntil: Int64?
        /// How many buckets back the loaded ones reach (the widest window asked for so far).
        var covered: Int64 = 0
        var builtAt: ContinuousClock.Instant?
        var refreshing = false
    }

    private let state = PThreadLocked(State())

    /// Creates an empty aggregate; the first request builds it.
    package init(refreshInterval: Duration = .seconds(300)) {
        self.refreshInterval = refreshInterval
    }

    /// The finished instructions of the last `windowHours` hours, by group.
    package func totals(pool: PostgresPool, windowHours: Int) async throws -> [Key: Totals] {
        let now = try await pool.query("SELECT floor(date_part('epoch', now()))::bigint")[0].decode(Int64.self, at: 0)
        let current = now / Self.bucketSeconds
        // Buckets below `settled` ended at least one bucket length ago: no transaction still open
        // then can add to them (a completion is stamped when its transaction starts).
        let settled = current - 1
        let first = (now - Int64(windowHours) * 3600) / Self.bucketSeconds
        let needed = Int64(windowHours) * 3600 / Self.bucketSeconds + 2

        let snapshot = state.withLock { $0 }
        let covered = max(needed, snapshot.covered)
        if snapshot.settledUntil == nil || needed > snapshot.covered {
            try await rebuild(pool: pool, covering: covered, current: current, until: settled)
        } else if let from = snapshot.settledUntil, from < settled {
            let extra = try await read(pool: pool, from: from, until: settled)
            state.withLock { state in
                guard state.settledUntil == from else { return }
                for (bucket, groups) in extra { state.buckets[bucket] = groups }
                state.settledUntil = settled
                state.buckets = state.buckets.filter { $0.key >= current - state.covered }
            }
        }
        if let builtAt = snapshot.builtAt, ContinuousClock.now - builtAt > refreshInterval {
            let start = state.withLock { state -> Bool in
                defer { state.refreshing = true }
                return !state.refreshing
            }
            if start {
                Task {
                    try? await self.rebuild(pool: pool, covering: covered, current: current, until: settled)
                    self.state.withLock { $0.refreshing = false }
                }
            }
        }

        var result: [Key: Totals] = [:]
        let (buckets, loadedUntil) = state.withLock { ($0.buckets, $0.settledUntil ?? settled) }
        for (bucket, groups) in buckets where bucket >= first && bucket < loadedUntil {
            for (key, totals) in groups { result[key, default: Totals()].add(totals) }
        }
        for (_, groups) in try await read(pool: pool, from: max(first, loadedUntil), until: nil) {
            for (key, totals) in groups { result[key, default: Totals()].add(totals) }
        }
        return result
    }

    /// Replaces the settled buckets: `covering` buckets back from `current`, up to `until`.
    func rebuild(pool: PostgresPool, covering: Int64, current: Int64, until: Int64) async throws {
        let buckets = try await read(pool: pool, from: current - covering, until: until)
        state.withLock { state in
            state.buckets = buckets
            state.covered = covering
            state.settledUntil = until
            state.builtAt = ContinuousClock.now
        }
    }

    /// Reads buckets `from ..< until` (nil: to the present) through the finished index.
    func read(pool: PostgresPool, from: Int64, until: Int64?) async throws -> [Int64: [Key: Totals]] {
        let lower = Double(from * Self.bucketSeconds)
        let upper = until.map { Double($0 * Self.bucketSeconds) }
        let rows = try await pool.query("""
            SELECT floor(date_part('epoch', completed_at) / \(Double(Self.bucketSeconds)))::bigint AS bucket,
                   template_name, composition, status, trigger_type, count(*)::bigint,
                   count(*) FILTER (WHERE status = 'completed' AND started_at IS NOT NULL)::bigint,
                   coalesce(sum(date_part('epoch', completed_at - started_at)) FILTER (WHERE status = 'completed' AND started_at IS NOT NULL), 0)::float8,
                   coalesce(sum(date_part('epoch', started_at - created_at)) FILTER (WHERE status = 'completed' AND started_at IS NOT NULL), 0)::float8
            FROM render_instructions
            WHERE status IN ('completed', 'failed', 'cancelled')
              AND completed_at >= to_timestamp(\(lower))
              AND (\(upper)::float8 IS NULL OR completed_at < to_timestamp(\(upper)::float8))
            GROUP BY 1, 2, 3, 4, 5
            """)
        var buckets: [Int64: [Key: Totals]] = [:]
        for row in rows {
            let key = Key(template: try row.decode(String.self, at: 1), composition: try row.decode(String.self, at: 2),
                          status: try row.decode(String.self, at: 3), trigger: try row.decode(String.self, at: 4))
            let totals = Totals(count: try row.decode(Int.self, at: 5), timed: try row.decode(Int.self, at: 6),
                                durationSeconds: try row.decode(Double.self, at: 7), queueSeconds: try row.decode(Double.self, at: 8))
            buckets[try row.decode(Int64.self, at: 0), default: [:]][key, default: Totals()].add(totals)
        }
        return buckets
    }

    /// Drops everything; the next request rebuilds (tests, and after bulk changes).
    package func invalidate() {
        state.withLock { $0 = State() }
    }
}
