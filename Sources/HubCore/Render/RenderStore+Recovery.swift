import Foundation
import HubPostgres

extension RenderStore {
    /// An instruction taken back from a worker whose lease expired.
    public struct Reaped: Sendable, Hashable, Codable {
        public var id: Int64
        /// `pending` (retried), `failed` (retries exhausted or quarantined) or `cancelled` (an
        /// operator had asked to cancel it).
        public var status: RenderStatus
        /// The worker that held the expired lease.
        public var workerID: String?
        /// How many times a worker has died on this instruction.
        public var crashCount: Int
        /// Whether it was failed because it killed its worker too often (``RenderStore/reapExpiredLeases(actor:legacyTimeout:quarantineAfter:)``).
        public var quarantined: Bool
        /// Why it ended where it did (the error message written to the row).
        public var reason: String?

        /// Creates a record.
        public init(id: Int64, status: RenderStatus, workerID: String?, crashCount: Int, quarantined: Bool = false, reason: String? = nil) {
            self.id = id
            self.status = status
            self.workerID = workerID
            self.crashCount = crashCount
            self.quarantined = quarantined
            self.reason = reason
        }
    }

    /// Advisory lock key for reaping: one reaper acts at a time, the others skip.
    static let reaperLockKey: Int64 = 0x6875_6272_6561_70

    /// Takes back `processing` instructions whose lease expired (their worker died or froze), and
    /// rows without a lease that have been processing longer than `legacyTimeout` (PRD-0001's
    /// "processing > 10 min" rule; the schema gives every processing row a lease, so this only
    /// matters for rows written by other tools with the constraint relaxed).
    ///
    /// Each expiry counts one worker death (`crash_count`) and one retry. The instruction goes
    /// back to `pending` with a fresh outbox row (the relay republishes it) while retries remain;
    /// else it becomes `failed` with "Timeout exceeded max retries" (PRD-0001 §4.2). An instruction
    /// that has now killed its worker `quarantineAfter` times is quarantined instead: `failed`,
    /// with the evidence — the workers that died on it, whether each process exited or went
    /// silent, and the last progress — in the error message and the timeline. An instruction an
    /// operator asked to cancel becomes `cancelled` instead (with a `cancelled` timeline entry):
    /// a pending row with `cancel_requested` would never be claimed. A live lease is
    /// never touched, however old the render. Safe to run from every worker at once: while one
    /// reaps, the others skip (an advisory lock), and `SKIP LOCKED` keeps it off rows being written.
    /// - Returns: what was reaped (empty when another reaper holds the lock).
    @discardableResult
    public func reapExpiredLeases(actor: String, legacyTimeout: Duration = .seconds(600), quarantineAfter: Int = 3) async throws -> [Reaped] {
        let legacySeconds = Double(legacyTimeout.components.seconds)
        let rows = try await pool.query("""
            WITH guard AS (
                SELECT pg_try_advisory_xact_lock(\(Self.reaperLockKey)) AS acquired
            ), expired AS (
                SELECT r.id, r.worker_id, r.lease_token, r.attempt, r.progress_frame, r.progress_total, r.cancel_requested,
                       r.crash_count + 1 AS crashes,
                       s.last_heartbeat AS process_heartbeat, s.stopped_at AS process_stopped,
                       CASE WHEN s.id IS NULL THEN 'unregistered'
                            WHEN s.stopped_at IS NOT NULL THEN 'exited'
                            WHEN s.last_heartbeat < now() - interval '15 seconds' THEN 'silent'
                            ELSE 'alive' END AS process_state
                FROM render_instructions r
                CROSS JOIN guard
                LEFT JOIN service_registry s ON s.id = 'hub-worker:' || regexp_replace(r.worker_id, '-[0-9]+$', '')
                WHERE guard.acquired AND r.status = 'processing'
                  AND (r.lease_expires_at < now()
                       OR (r.lease_expires_at IS NULL AND r.started_at < now() - make_interval(secs => \(legacySeconds))))
                FOR UPDATE OF r SKIP LOCKED
            ), evidence AS (
                SELECT e.id, e.cancel_requested AS cancel,
                       e.crashes >= \(quarantineAfter) AND NOT e.cancel_requested AS quarantine,
                       'worker ' || coalesce(e.worker_id, '?') || ' (process ' || e.process_state ||
                           coalesce(', last heartbeat ' || to_char(e.process_heartbeat AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), '') ||
                           ') at frame ' || coalesce(e.progress_frame::text, '?') || '/' || coalesce(e.progress_total::text, '?') AS this_death,
                       (SELECT string_agg(DISTINCT t.worker_id, ', ') FROM render_timeline t
                        WHERE t.instruction_id = e.id AND t.event = 'lease_expired') AS earlier_workers
                FROM expired e
            ), reaped AS (
                UPDATE render_instructions r
                SET status = CASE WHEN v.cancel THEN 'cancelled' WHEN v.quarantine OR r.retry_count >= r.max_retries THEN 'failed' ELSE 'pending' END,
                    retry_count = CASE WHEN v.cancel OR v.quarantine OR r.retry_count >= r.max_retries THEN r.retry_count ELSE r.retry_count + 1 END,
                    crash_count = r.crash_count + 1,
                    error_message = CASE
                        WHEN v.cancel THEN 'cancel requested; lease expired: ' || v.this_death || ' stopped heartbeating'
                        WHEN v.quarantine THEN 'quarantined: killed its worker ' || (r.crash_count + 1) || ' times (last: ' || v.this_death ||
                             coalesce('; before: ' || v.earlier_workers, '') || ')'
                        WHEN r.retry_count >= r.max_retries THEN 'Timeout exceeded max retries'
                        ELSE 'lease expired: ' || v.this_death || ' stopped heartbeating' END,
                    completed_at = CASE WHEN v.cancel OR v.quarantine OR r.retry_count >= r.max_retries THEN now() ELSE NULL END,
                    -- keeps its place in line: a reaped job is not sent behind the backlog
                    scheduled_at = least(r.scheduled_at, now()), lease_token = NULL, lease_expires_at = NULL, updated_at = now()
                FROM expired, evidence v
                WHERE r.id = expired.id AND v.id = expired.id
                RETURNING r.id, r.status, r.crash_count, r.error_message, v.quarantine, expired.worker_id, expired.lease_token,
                          expired.attempt, expired.progress_frame, expired.progress_total, expired.process_state,
                          expired.process_heartbeat, expired.process_stopped
            ), timeline AS (
                INSERT INTO render_timeline (instruction_id, event, from_status, to_status, actor, worker_id, lease_token, attempt, reason, details)
                SELECT id, 'lease_expired', 'processing', status, \(actor),
                       worker_id, lease_token, attempt, 'the lease expired without a heartbeat',
                       jsonb_build_object('crash_count', crash_count, 'process', process_state, 'process_heartbeat', process_heartbeat,
                                          'process_stopped', process_stopped, 'progress_frame', progress_frame, 'progress_total', progress_total)
                FROM reaped
                UNION ALL
                SELECT id, 'quarantined', 'processing', 'failed', \(actor), worker_id, lease_token, attempt, error_message,
                       jsonb_build_object('crash_count', crash_count)
                FROM reaped WHERE quarantine
                UNION ALL
                SELECT id, 'cancelled', 'processing', 'cancelled', \(actor), worker_id, lease_token, attempt,
                       'cancel requested; the worker died before it stopped the render', jsonb_build_object('crash_count', crash_count)
                FROM reaped WHERE status = 'cancelled'
            ), republish AS (
                INSERT INTO render_outbox (instruction_id) SELECT id FROM reaped WHERE status = 'pending'
            )
            SELECT id, status, worker_id, crash_count, quarantine, error_message,
                   CASE WHEN status = 'pending' THEN pg_notify(\(Self.pendingChannel), id::text)::text END
            FROM reaped ORDER BY id
            """)
        return try rows.map { row in
            Reaped(id: try row.decode(Int64.self, at: 0), status: RenderStatus(rawValue: try row.decode(String.self, at: 1)) ?? .pending,
                   workerID: try row.decode(String?.self, at: 2), crashCount: try row.decode(Int.self, at: 3),
                   quarantined: try row.decode(Bool.self, at: 4), reason: try row.decode(String?.self, at: 5))
        }
    }
}
