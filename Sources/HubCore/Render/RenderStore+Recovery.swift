import Foundation
import HubPostgres

extension RenderStore {
    /// An instruction taken back from a worker whose lease expired, or counted for a worker's crash.
    package struct Reaped: Sendable, Hashable, Codable {
        package var id: Int64
        /// `pending` (back in line), `failed` (quarantined, its lease lost too often, a legacy
        /// row's retries exhausted) or `cancelled` (an operator had asked to cancel it); for a
        /// crash report, the status after it.
        package var status: RenderStatus
        /// The worker that held the expired lease (or crashed).
        package var workerID: String?
        /// How many times a worker process crashed while it held this instruction.
        package var crashCount: Int
        /// Whether it was failed because it crashed its workers too often (``RenderStore/reapExpiredLeases(actor:legacyTimeout:quarantineAfter:lostLeaseLimit:)``).
        package var quarantined: Bool
        /// Why it ended where it did (the error message written to the row).
        package var reason: String?

        /// Creates a record.
        package init(id: Int64, status: RenderStatus, workerID: String?, crashCount: Int, quarantined: Bool = false, reason: String? = nil) {
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

    /// Takes back `processing` instructions whose lease expired (their worker died, froze or lost
    /// the database), and rows without a lease that have been processing longer than
    /// `legacyTimeout` (PRD-0001's "processing > 10 min" rule; the schema gives every processing
    /// row a lease, so this only matters for rows written by other tools with the constraint relaxed).
    ///
    /// A lease that expired is no evidence against the job: a worker killed from outside (an
    /// operator, a supervisor, the OOM killer), frozen or cut off from PostgreSQL loses its leases
    /// whatever it was rendering. So an expiry counts neither a retry nor a crash: the instruction
    /// goes back to `pending` with a fresh outbox row (the relay republishes it) and keeps its place
    /// in line. Crashes count when a worker process reports them — its own code raised a fatal
    /// signal while it held the job (``recordWorkerCrash(process:signal:actor:quarantineAfter:)``);
    /// an instruction whose workers crashed `quarantineAfter` times is quarantined here instead:
    /// `failed`, with the evidence — the workers that crashed on it and their signals, whether the
    /// last one's process exited or went silent, its last progress — in the error message and the
    /// timeline. Two limits stop a job that loops for other reasons: an instruction whose lease
    /// expired `lostLeaseLimit` times fails ("lease expired N times …"), and a row without a lease
    /// follows PRD-0001: each timeout is a retry, and with none left it fails with "Timeout exceeded
    /// max retries". An instruction an operator asked to cancel becomes `cancelled` instead (with a
    /// `cancelled` timeline entry): a pending row with `cancel_requested` would never be claimed. A
    /// live lease is never touched, however old the render. Safe to run from every worker at once:
    /// while one reaps, the others skip (an advisory lock), and `SKIP LOCKED` keeps it off rows being written.
    /// - Returns: what was reaped (empty when another reaper holds the lock).
    @discardableResult
    package func reapExpiredLeases(actor: String, legacyTimeout: Duration = .seconds(600), quarantineAfter: Int = 3,
                                  lostLeaseLimit: Int = RenderStore.lostLeaseLimit) async throws -> [Reaped] {
        let legacySeconds = Double(legacyTimeout.components.seconds)
        let rows = try await pool.query("""
            WITH guard AS (
                SELECT pg_try_advisory_xact_lock(\(Self.reaperLockKey)) AS acquired
            ), expired AS (
                SELECT r.id, r.worker_id, r.lease_token, r.attempt, r.progress_frame, r.progress_total, r.cancel_requested,
                       r.crash_count, r.retry_count, r.max_retries, r.lease_expires_at IS NULL AS legacy,
                       (SELECT count(*) FROM render_timeline t WHERE t.instruction_id = r.id AND t.event = 'lease_expired') + 1 AS expiries,
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
                SELECT e.id, e.legacy, e.expiries,
                       CASE WHEN e.cancel_requested THEN 'cancelled'
                            WHEN e.crash_count >= \(quarantineAfter) THEN 'quarantined'
                            WHEN e.legacy AND e.retry_count >= e.max_retries THEN 'timed_out'
                            WHEN e.legacy THEN 'retried'
                            WHEN e.expiries >= \(lostLeaseLimit) THEN 'lost'
                            ELSE 'returned' END AS verdict,
                       'worker ' || coalesce(e.worker_id, '?') || ' (process ' || e.process_state ||
                           coalesce(', last heartbeat ' || to_char(e.process_heartbeat AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), '') ||
                           ') at frame ' || coalesce(e.progress_frame::text, '?') || '/' || coalesce(e.progress_total::text, '?') AS this_death,
                       (SELECT string_agg(t.worker_id || ' (signal ' || coalesce(t.details->>'signal', '?') || ')', ', ' ORDER BY t.id)
                        FROM render_timeline t WHERE t.instruction_id = e.id AND t.event = 'worker_crashed') AS crashes
                FROM expired e
            ), reaped AS (
                UPDATE render_instructions r
                SET status = CASE v.verdict WHEN 'cancelled' THEN 'cancelled' WHEN 'retried' THEN 'pending' WHEN 'returned' THEN 'pending'
                                  ELSE 'failed' END,
                    retry_count = CASE WHEN v.verdict = 'retried' THEN r.retry_count + 1 ELSE r.retry_count END,
                    error_message = CASE v.verdict
                        WHEN 'cancelled' THEN 'cancel requested; lease expired: ' || v.this_death || ' stopped heartbeating'
                        WHEN 'quarantined' THEN 'quarantined: killed its worker ' || r.crash_count || ' times (last: ' || v.this_death ||
                             coalesce('; crashes: ' || v.crashes, '') || ')'
                        WHEN 'timed_out' THEN 'Timeout exceeded max retries'
                        WHEN 'lost' THEN 'lease expired ' || v.expiries || ' times with no crash of its workers reported (killed, frozen or cut off from the database; last: ' ||
                             v.this_death || ')'
                        ELSE 'lease expired: ' || v.this_death || ' stopped heartbeating' END,
                    completed_at = CASE WHEN v.verdict IN ('retried', 'returned') THEN NULL ELSE now() END,
                    -- keeps its place in line: a reaped job is not sent behind the backlog
                    scheduled_at = least(r.scheduled_at, now()), lease_token = NULL, lease_expires_at = NULL, updated_at = now()
                FROM expired, evidence v
                WHERE r.id = expired.id AND v.id = expired.id
                RETURNING r.id, r.status, r.crash_count, r.error_message, v.verdict, v.expiries, expired.worker_id, expired.lease_token,
                          expired.attempt, expired.progress_frame, expired.progress_total, expired.process_state,
                          expired.process_heartbeat, expired.process_stopped
            ), timeline AS (
                INSERT INTO render_timeline (instruction_id, event, from_status, to_status, actor, worker_id, lease_token, attempt, reason, details)
                SELECT id, 'lease_expired', 'processing', status, \(actor),
                       worker_id, lease_token, attempt, 'the lease expired without a heartbeat',
                       jsonb_build_object('crash_count', crash_count, 'lease_expiries', expiries, 'process', process_state,
                                          'process_heartbeat', process_heartbeat, 'process_stopped', process_stopped,
                                          'progress_frame', progress_frame, 'progress_total', progress_total)
                FROM reaped
                UNION ALL
                SELECT id, 'quarantined', 'processing', 'failed', \(actor), worker_id, lease_token, attempt, error_message,
                       jsonb_build_object('crash_count', crash_count)
                FROM reaped WHERE verdict = 'quarantined'
                UNION ALL
                SELECT id, 'cancelled', 'processing', 'cancelled', \(actor), worker_id, lease_token, attempt,
                       'cancel requested; the worker died before it stopped the render', jsonb_build_object('crash_count', crash_count)
                FROM reaped WHERE status = 'cancelled'
            ), republish AS (
                INSERT INTO render_outbox (instruction_id) SELECT id FROM reaped WHERE status = 'pending'
            )
            SELECT id, status, worker_id, crash_count, verdict = 'quarantined', error_message,
                   CASE WHEN status = 'pending' THEN pg_notify(\(Self.pendingChannel), id::text)::text END
            FROM reaped ORDER BY id
            """)
        return try rows.map { row in
            Reaped(id: try row.decode(Int64.self, at: 0), status: RenderStatus(rawValue: try row.decode(String.self, at: 1)) ?? .pending,
                   workerID: try row.decode(String?.self, at: 2), crashCount: try row.decode(Int.self, at: 3),
                   quarantined: try row.decode(Bool.self, at: 4), reason: try row.decode(String?.self, at: 5))
        }
    }

    /// How many times an instruction's lease may expire — its workers killed, frozen or cut off,
    /// none reporting a crash — before the hunter fails it: a backstop for a job that wedges
    /// whole workers without crashing them; far above what a fault takes from an innocent job.
    package static let lostLeaseLimit = 10

    /// Counts a crash of the worker process whose slots claimed as `<process>-<n>` (its consumer
    /// prefix) against every instruction it held when it died: those still `processing` under its
    /// lease, and those the hunter already took back from it (their `lease_expired` entry names
    /// it). Each gets one more `crash_count` and a `worker_crashed` timeline entry with the signal;
    /// one that waits in `pending` and has now crashed its workers `quarantineAfter` times is
    /// quarantined at once (a `processing` one is when its lease expires, by
    /// ``reapExpiredLeases(actor:legacyTimeout:quarantineAfter:lostLeaseLimit:)``). Reporting the
    /// same crash again counts nothing.
    /// - Returns: the instructions counted, with their status and crash count after it.
    @discardableResult
    package func recordWorkerCrash(process: String, signal: Int, actor: String, quarantineAfter: Int = 3) async throws -> [Reaped] {
        let rows = try await pool.query("""
            WITH held AS (
                SELECT r.id, r.worker_id, r.attempt, r.lease_token FROM render_instructions r
                WHERE r.status = 'processing' AND starts_with(r.worker_id, \(process)::text || '-')
                  AND substr(r.worker_id, length(\(process)::text) + 2) ~ '^[0-9]+$'
                UNION ALL
                SELECT t.instruction_id, t.worker_id, t.attempt, t.lease_token FROM render_timeline t
                WHERE t.event = 'lease_expired' AND starts_with(t.worker_id, \(process)::text || '-')
                  AND substr(t.worker_id, length(\(process)::text) + 2) ~ '^[0-9]+$'
            ), fresh AS (
                SELECT DISTINCT ON (h.id) h.id, h.worker_id, h.attempt, h.lease_token FROM held h
                WHERE NOT EXISTS (SELECT 1 FROM render_timeline c
                                  WHERE c.instruction_id = h.id AND c.event = 'worker_crashed' AND c.details->>'process' = \(process)::text)
                ORDER BY h.id, h.attempt DESC
            ), locked AS (
                SELECT r.id, r.status AS before, r.crash_count + 1 AS crashes, f.worker_id, f.attempt, f.lease_token,
                       r.status = 'pending' AND r.crash_count + 1 >= \(quarantineAfter) AS quarantine,
                       (SELECT string_agg(t.worker_id || ' (signal ' || coalesce(t.details->>'signal', '?') || ')', ', ' ORDER BY t.id)
                        FROM render_timeline t WHERE t.instruction_id = r.id AND t.event = 'worker_crashed') AS earlier
                FROM render_instructions r JOIN fresh f ON f.id = r.id
                FOR UPDATE OF r
            ), updated AS (
                UPDATE render_instructions r
                SET crash_count = l.crashes,
                    status = CASE WHEN l.quarantine THEN 'failed' ELSE r.status END,
                    error_message = CASE WHEN l.quarantine
                        THEN 'quarantined: killed its worker ' || l.crashes || ' times (last: worker ' || l.worker_id || ' crashed with signal ' ||
                             \(signal)::text || coalesce('; crashes before: ' || l.earlier, '') || ')'
                        ELSE r.error_message END,
                    completed_at = CASE WHEN l.quarantine THEN now() ELSE r.completed_at END,
                    updated_at = now()
                FROM locked l
                WHERE r.id = l.id
                RETURNING r.id, l.before, r.status, r.crash_count, l.quarantine, l.worker_id, l.attempt, l.lease_token, r.error_message
            ), timeline AS (
                INSERT INTO render_timeline (instruction_id, event, from_status, to_status, actor, worker_id, lease_token, attempt, reason, details)
                SELECT id, 'worker_crashed', before, status, \(actor), worker_id, lease_token, attempt,
                       'its worker process ' || \(process)::text || ' crashed (signal ' || \(signal)::text || ') while it held the job',
                       jsonb_build_object('process', \(process)::text, 'signal', \(signal)::int, 'crash_count', crash_count)
                FROM updated
                UNION ALL
                SELECT id, 'quarantined', 'pending', 'failed', \(actor), worker_id, lease_token, attempt, error_message,
                       jsonb_build_object('crash_count', crash_count)
                FROM updated WHERE quarantine
            )
            SELECT id, status, worker_id, crash_count, quarantine, error_message FROM updated ORDER BY id
            """)
        return try rows.map { row in
            Reaped(id: try row.decode(Int64.self, at: 0), status: RenderStatus(rawValue: try row.decode(String.self, at: 1)) ?? .pending,
                   workerID: try row.decode(String?.self, at: 2), crashCount: try row.decode(Int.self, at: 3),
                   quarantined: try row.decode(Bool.self, at: 4), reason: try row.decode(String?.self, at: 5))
        }
    }
}
