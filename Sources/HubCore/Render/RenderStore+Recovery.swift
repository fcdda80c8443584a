import Foundation
import HubPostgres

extension RenderStore {
    /// An instruction taken back from a worker whose lease expired.
    public struct Reaped: Sendable, Hashable, Codable {
        public var id: Int64
        /// `pending` (retried) or `failed` (retries exhausted).
        public var status: RenderStatus
        /// The worker that held the expired lease.
        public var workerID: String?
        /// How many times a worker has died on this instruction.
        public var crashCount: Int

        /// Creates a record.
        public init(id: Int64, status: RenderStatus, workerID: String?, crashCount: Int) {
            self.id = id
            self.status = status
            self.workerID = workerID
            self.crashCount = crashCount
        }
    }

    /// Advisory lock key for reaping: one reaper acts at a time, the others skip.
    static let reaperLockKey: Int64 = 0x6875_6272_6561_70

    /// Takes back `processing` instructions whose lease expired (their worker died or hung), and
    /// rows without a lease that have been processing longer than `legacyTimeout` (PRD-0001's
    /// "processing > 10 min" rule; the schema gives every processing row a lease, so this only
    /// matters for rows written by other tools with the constraint relaxed). Each goes back to `pending` while retries remain, else becomes
    /// `failed` with "Timeout exceeded max retries" (PRD-0001 §4.2). A live lease is never touched,
    /// however old the render. Safe to run from every worker at once: while one reaps, the others
    /// skip (an advisory lock), and `SKIP LOCKED` keeps it off rows being written.
    /// - Returns: what was reaped (empty when another reaper holds the lock).
    @discardableResult
    public func reapExpiredLeases(actor: String, legacyTimeout: Duration = .seconds(600)) async throws -> [Reaped] {
        let legacySeconds = Double(legacyTimeout.components.seconds)
        let rows = try await pool.query("""
            WITH guard AS (
                SELECT pg_try_advisory_xact_lock(\(Self.reaperLockKey)) AS acquired
            ), expired AS (
                SELECT r.id, r.worker_id, r.lease_token, r.attempt
                FROM render_instructions r, guard
                WHERE guard.acquired AND r.status = 'processing'
                  AND (r.lease_expires_at < now()
                       OR (r.lease_expires_at IS NULL AND r.started_at < now() - make_interval(secs => \(legacySeconds))))
                FOR UPDATE OF r SKIP LOCKED
            ), reaped AS (
                UPDATE render_instructions r
                SET status = CASE WHEN r.retry_count < r.max_retries THEN 'pending' ELSE 'failed' END,
                    retry_count = CASE WHEN r.retry_count < r.max_retries THEN r.retry_count + 1 ELSE r.retry_count END,
                    crash_count = r.crash_count + 1,
                    error_message = CASE WHEN r.retry_count < r.max_retries
                        THEN 'lease expired: worker ' || coalesce(r.worker_id, '?') || ' stopped heartbeating'
                        ELSE 'Timeout exceeded max retries' END,
                    completed_at = CASE WHEN r.retry_count < r.max_retries THEN NULL ELSE now() END,
                    scheduled_at = now(), lease_token = NULL, lease_expires_at = NULL, updated_at = now()
                FROM expired
                WHERE r.id = expired.id
                RETURNING r.id, r.status, r.crash_count, expired.worker_id, expired.lease_token, expired.attempt
            ), timeline AS (
                INSERT INTO render_timeline (instruction_id, event, from_status, to_status, actor, worker_id, lease_token, attempt, reason)
                SELECT id, 'lease_expired', 'processing', status, \(actor), worker_id, lease_token, attempt,
                       'the lease expired without a heartbeat'
                FROM reaped
            )
            SELECT id, status, worker_id, crash_count, pg_notify(\(Self.pendingChannel), id::text)::text FROM reaped
            """)
        return try rows.map { row in
            Reaped(id: try row.decode(Int64.self, at: 0), status: RenderStatus(rawValue: try row.decode(String.self, at: 1)) ?? .pending,
                   workerID: try row.decode(String?.self, at: 2), crashCount: try row.decode(Int.self, at: 3))
        }
    }
}
