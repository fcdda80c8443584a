import Foundation
import HubPostgres
import Logging

/// The operator actions of SPEC §7.3 — retry one, bulk-retry by condition with a dry run, change
/// priority, cancel — for `hubctl` and the HTTP server alike. Every action records its actor and
/// reason in the instruction's timeline and in `activity_log`, and refuses a job in the wrong
/// state with a ``HubError`` `.conflict` that says why (an unknown id is `.notFound`).
package struct OperatorActions: Sendable {
    /// The queue: the store, and Redis to signal retried instructions.
    package let queue: RenderQueue
    let logger: Logger

    /// Creates the actions on `queue`.
    package init(queue: RenderQueue, logger: Logger = Logger(label: "hub.actions")) {
        self.queue = queue
        self.logger = logger
    }

    var pool: PostgresPool { queue.store.pool }

    /// The timeline events that operator actions write (besides `cancelled` with no worker).
    package static let timelineEvents: Set<String> = ["operator_retry", "bulk_retry", "priority_changed", "cancel_requested"]

    /// What an operator retry sets: due now, with a fresh set of retries and worker deaths.
    static let retryAssignments: PostgresQuery = """
        status = 'pending', retry_count = 0, crash_count = 0, error_message = NULL, completed_at = NULL,
        scheduled_at = now(), cancel_requested = false, updated_at = now()
        """

    private func lockedStatus(_ id: Int64, _ connection: PostgresConnection) async throws -> (RenderStatus, Date, String?, Int) {
        let rows = try await connection.query("SELECT status, scheduled_at, worker_id, priority FROM render_instructions WHERE id = \(id) FOR UPDATE")
        guard let row = rows.first else { throw HubError(.notFound, "render instruction \(id) does not exist: `hubctl jobs list` shows the instructions") }
        guard let status = RenderStatus(rawValue: try row.decode(String.self, at: 0)) else {
            throw HubError(.unavailable, "render instruction \(id) has a status this build does not know")
        }
        return (status, try row.decode(Date.self, at: 1), try row.decode(String?.self, at: 2), try row.decode(Int.self, at: 3))
    }

    /// Puts a `failed`, `cancelled` or `stale` instruction back to `pending` with a fresh set of
    /// retries, or makes a `pending` one waiting for its backoff due now.
    /// - Throws: ``HubError`` `.notFound`; `.conflict` for a completed, running or already due instruction.
    @discardableResult
    package func retry(_ id: Int64, actor: String, reason: String?) async throws -> RenderInstruction {
        let instruction = try await pool.withTransaction { connection -> RenderInstruction in
            let (status, scheduledAt, worker, _) = try await lockedStatus(id, connection)
            switch status {
            case .completed:
                throw HubError(.conflict, "render instruction \(id) is completed: there is nothing to retry (submit a new instruction to render it again)")
            case .processing:
                throw HubError(.conflict, "render instruction \(id) is running on \(worker ?? "a worker"): cancel it first or wait for it to finish")
            case .pending where scheduledAt <= Date():
                throw HubError(.conflict, "render instruction \(id) is already pending and due: the next free worker takes it")
            case .pending, .failed, .cancelled, .stale:
                break
            }
            let rows = try await connection.query("""
                WITH prior AS (
                    SELECT id, status, error_message, retry_count, crash_count FROM render_instructions WHERE id = \(id)
                ), retried AS (
                    UPDATE render_instructions r
                    SET \(fragment: Self.retryAssignments)
                    FROM prior WHERE r.id = prior.id
                    RETURNING r.*
                ), outbox AS (
                    INSERT INTO render_outbox (instruction_id) SELECT id FROM retried
                ), timeline AS (
                    INSERT INTO render_timeline (instruction_id, event, from_status, to_status, actor, reason, details)
                    SELECT id, 'operator_retry', status, 'pending', \(actor), \(reason),
                           jsonb_build_object('previous_error', error_message, 'retry_count', retry_count, 'crash_count', crash_count)
                    FROM prior
                ), activity AS (
                    INSERT INTO activity_log (actor, action, entity_type, entity_id, reason, details)
                    SELECT \(actor), 'retry', 'render_instruction', id::text, \(reason), jsonb_build_object('from_status', status) FROM prior
                )
                SELECT \(fragment: RenderStore.columns), pg_notify(\(RenderStore.pendingChannel), id::text)::text FROM retried
                """)
            return try RenderStore.decodeInstruction(rows[0])
        }
        _ = try? await queue.relay()
        await queue.events.render("instruction_updated", instruction, extra: ["action": .string("retry"), "actor": .string(actor)])
        return instruction
    }

    /// Which instructions a bulk retry takes.
    package struct BulkRetryFilter: Sendable, Hashable, Codable {
        /// Statuses to retry: any of `failed`, `cancelled`, `stale` (default `failed`).
        package var statuses: [RenderStatus] = [.failed]
        /// Only this template.
        package var template: String?
        /// Only instructions that finished (or last changed) at or after this time.
        package var since: Date?
        /// Only those whose error message contains this text (case-insensitive).
        package var errorContains: String?
        /// At most this many, oldest first.
        package var limit = 1000

        /// A filter; the defaults take every failed instruction.
        package init(statuses: [RenderStatus] = [.failed], template: String? = nil, since: Date? = nil, errorContains: String? = nil, limit: Int = 1000) {
            self.statuses = statuses
            self.template = template
            self.since = since
            self.errorContains = errorContains
            self.limit = limit
        }

        /// - Throws: ``HubError`` `.usage` for a status that cannot be retried or a bad limit.
        package func validate() throws {
            let allowed: Set<RenderStatus> = [.failed, .cancelled, .stale]
            if let bad = statuses.first(where: { !allowed.contains($0) }) {
                throw HubError(.usage, "bulk retry takes failed, cancelled or stale instructions, not \(bad.rawValue)")
            }
            guard !statuses.isEmpty else { throw HubError(.usage, "bulk retry needs at least one status") }
            guard (1...100_000).contains(limit) else { throw HubError(.usage, "the bulk retry limit must be 1…100000") }
        }
    }

    /// One instruction a bulk retry matched.
    package struct Match: Sendable, Hashable, Codable {
        package var id: Int64
        package var status: RenderStatus
        package var template: String
        package var errorMessage: String?
        package var finishedAt: Date?
    }

    /// What a bulk retry did (or, on a dry run, would do).
    package struct BulkRetryResult: Sendable, Hashable, Codable {
        package var dryRun: Bool
        package var matched: [Match]
        /// The ids put back to `pending` (empty on a dry run).
        package var retried: [Int64]
    }

    /// Retries every instruction `filter` matches, in one transaction; with `dryRun` it only lists them.
    package func bulkRetry(_ filter: BulkRetryFilter, dryRun: Bool, actor: String, reason: String?) async throws -> BulkRetryResult {
        try filter.validate()
        let statuses = filter.statuses.map(\.rawValue)
        let selection: PostgresQuery = """
            SELECT id FROM render_instructions
            WHERE status = ANY(\(statuses))
              AND (\(filter.template)::text IS NULL OR template_name = \(filter.template))
              AND (\(filter.since)::timestamptz IS NULL OR coalesce(completed_at, updated_at) >= \(filter.since))
              AND (\(filter.errorContains)::text IS NULL OR strpos(lower(coalesce(error_message, '')), lower(\(filter.errorContains))) > 0)
            ORDER BY id LIMIT \(filter.limit)
            """
        if dryRun {
            let rows = try await pool.query("""
                SELECT id, status, template_name, error_message, completed_at FROM render_instructions
                WHERE id IN (\(fragment: selection)) ORDER BY id
                """)
            return BulkRetryResult(dryRun: true, matched: try rows.map(Self.decodeMatch), retried: [])
        }
        let rows = try await pool.query("""
            WITH target AS (\(fragment: selection) FOR UPDATE SKIP LOCKED),
            prior AS (
                SELECT r.id, r.status, r.template_name, r.error_message, r.completed_at, r.retry_count, r.crash_count
                FROM render_instructions r JOIN target USING (id)
            ), retried AS (
                UPDATE render_instructions r
                SET \(fragment: Self.retryAssignments)
                FROM prior WHERE r.id = prior.id
                RETURNING r.id
            ), outbox AS (
                INSERT INTO render_outbox (instruction_id) SELECT id FROM retried
            ), timeline AS (
                INSERT INTO render_timeline (instruction_id, event, from_status, to_status, actor, reason, details)
                SELECT id, 'bulk_retry', status, 'pending', \(actor), \(reason),
                       jsonb_build_object('previous_error', error_message, 'retry_count', retry_count, 'crash_count', crash_count)
                FROM prior
            ), activity AS (
                INSERT INTO activity_log (actor, action, entity_type, reason, details)
                SELECT \(actor), 'bulk_retry', 'render_instruction', \(reason),
                       jsonb_build_object('count', count(*), 'ids', coalesce(jsonb_agg(id ORDER BY id), '[]'::jsonb),
                                          'statuses', \(PostgresJSON(statuses)), 'template', \(filter.template)::text,
                                          'since', \(filter.since)::timestamptz, 'error_contains', \(filter.errorContains)::text)
                FROM prior
            )
            SELECT id, status, template_name, error_message, completed_at, pg_notify(\(RenderStore.pendingChannel), id::text)::text
            FROM prior ORDER BY id
            """)
        let matched = try rows.map(Self.decodeMatch)
        if !matched.isEmpty {
            _ = try? await queue.relay(limit: max(500, matched.count))
            await queue.events.publish("instruction_updated", data: [
                "action": .string("bulk_retry"), "actor": .string(actor), "count": .integer(Int64(matched.count)),
                "instruction_ids": .array(matched.map { .integer($0.id) }),
            ], channels: ["render-progress"])
        }
        return BulkRetryResult(dryRun: false, matched: matched, retried: matched.map(\.id))
    }

    static func decodeMatch(_ row: PostgresRow) throws -> Match {
        Match(id: try row.decode(Int64.self, at: 0), status: RenderStatus(rawValue: try row.decode(String.self, at: 1)) ?? .failed,
              template: try row.decode(String.self, at: 2), errorMessage: try row.decode(String?.self, at: 3), finishedAt: try row.decode(Date?.self, at: 4))
    }

    /// Changes the priority (1 highest … 10 lowest) of an unfinished instruction.
    /// - Throws: ``HubError`` `.usage` for a priority outside 1…10, `.notFound`, `.conflict` for a
    ///   finished instruction or one that already has that priority.
    @discardableResult
    package func changePriority(_ id: Int64, to priority: Int, actor: String, reason: String?) async throws -> RenderInstruction {
        guard (1...10).contains(priority) else { throw HubError(.usage, "priority must be 1 (highest) … 10 (lowest), not \(priority)") }
        let instruction = try await pool.withTransaction { connection -> RenderInstruction in
            let (status, _, _, current) = try await lockedStatus(id, connection)
            if status.isFinished {
                throw HubError(.conflict, "render instruction \(id) is already \(status.rawValue): its priority no longer matters (retry it first)")
            }
            if current == priority { throw HubError(.conflict, "render instruction \(id) already has priority \(priority)") }
            let rows = try await connection.query("""
                WITH changed AS (
                    UPDATE render_instructions SET priority = \(priority), updated_at = now() WHERE id = \(id) RETURNING *
                ), timeline AS (
                    INSERT INTO render_timeline (instruction_id, event, from_status, to_status, actor, reason, details)
                    SELECT id, 'priority_changed', status, status, \(actor), \(reason), jsonb_build_object('from', \(current), 'to', \(priority))
                    FROM changed
                ), activity AS (
                    INSERT INTO activity_log (actor, action, entity_type, entity_id, reason, details)
                    SELECT \(actor), 'change_priority', 'render_instruction', id::text, \(reason), jsonb_build_object('from', \(current), 'to', \(priority))
                    FROM changed
                )
                SELECT \(fragment: RenderStore.columns) FROM changed
                """)
            return try RenderStore.decodeInstruction(rows[0])
        }
        await queue.events.render("instruction_updated", instruction, extra: ["action": .string("change_priority"), "actor": .string(actor)])
        return instruction
    }

    /// Cancels an instruction: a pending one at once, a running one on its worker within a heartbeat.
    /// - Returns: the status it had.
    /// - Throws: ``HubError`` `.notFound`; `.conflict` when it is finished or already being cancelled.
    @discardableResult
    package func cancel(_ id: Int64, actor: String, reason: String?) async throws -> RenderStatus {
        let before = try await queue.store.cancel(id, actor: actor, reason: reason)
        try await pool.query("""
            INSERT INTO activity_log (actor, action, entity_type, entity_id, reason, details)
            VALUES (\(actor), 'cancel', 'render_instruction', \(String(id)), \(reason), jsonb_build_object('from_status', \(before.rawValue)::text))
            """)
        if let instruction = try? await queue.store.instruction(id) {
            await queue.events.render("instruction_updated", instruction, extra: ["action": .string("cancel"), "actor": .string(actor)])
        }
        return before
    }
}
