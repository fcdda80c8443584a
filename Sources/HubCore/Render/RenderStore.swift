import Foundation
import HubPostgres

/// The render job lifecycle in PostgreSQL (SPEC §3): submit with its outbox row, claim with a new
/// lease token, fenced heartbeats, completion, failure with backoff, hand-back, cancellation, and
/// the timeline of every transition.
///
/// Every method is one statement or one transaction: a crash between two calls never leaves a
/// half-made transition. Every write a worker makes presents its lease token; a worker whose
/// lease was taken over gets ``HubError`` `.leaseLost` and its write changes nothing.
package struct RenderStore: Sendable {
    /// The database.
    package let pool: PostgresPool
    /// Where images and clips in submitted layer data may come from; a submission referring to
    /// anything else is refused (``HubError`` `.refused`, naming the field). nil: not checked here
    /// (the worker still checks before it renders).
    package let media: MediaPolicy?

    /// The `NOTIFY` channel that announces instructions ready to claim (the fallback's wake-up).
    package static let pendingChannel = "hub_render_pending"

    /// Creates a store on `pool`; `media` checks the media references of every submission.
    package init(pool: PostgresPool, media: MediaPolicy? = nil) {
        self.pool = pool
        self.media = media
    }

    /// Refuses a submission whose layer data refers to media ``media`` does not allow.
    /// - Throws: ``HubError`` `.refused` naming the field, the reference and what is allowed.
    package func checkMedia(_ submission: RenderSubmission) throws {
        try media?.check(layerData: submission.layerData)
    }

    /// ``checkMedia(_:)`` for every submission of a batch, naming the one refused.
    func checkMedia(_ batch: [(submission: RenderSubmission, actor: String)]) throws {
        guard media != nil else { return }
        for (index, item) in batch.enumerated() {
            do {
                try checkMedia(item.submission)
            } catch let error as HubError where batch.count > 1 {
                throw HubError(error.code, "submission \(index + 1) of \(batch.count): \(error.message)")
            }
        }
    }

    /// The columns every instruction read selects, in the order ``decodeInstruction(_:)`` reads.
    static let columns: PostgresQuery = """
        id, template_name, composition, layer_data, output_settings, status, priority, trigger_type, trigger_id,
        cue_item_id, retry_count, max_retries, attempt, error_message, data_hash, created_at, scheduled_at,
        started_at, completed_at, worker_id, lease_expires_at, progress_frame, progress_total, cancel_requested
        """

    static func decodeInstruction(_ row: PostgresRow) throws -> RenderInstruction {
        guard let status = RenderStatus(rawValue: try row.decode(String.self, at: 5)),
              let trigger = RenderTrigger(rawValue: try row.decode(String.self, at: 7))
        else { throw HubError(.unavailable, "render_instructions holds a status or trigger this build does not know") }
        return RenderInstruction(
            id: try row.decode(Int64.self, at: 0),
            templateName: try row.decode(String.self, at: 1),
            composition: try row.decode(String.self, at: 2),
            layerData: try row.decode(PostgresJSON<[String: JSONValue]>.self, at: 3).value,
            outputSettings: try row.decode(PostgresJSON<OutputSettings>.self, at: 4).value,
            status: status,
            priority: try row.decode(Int.self, at: 6),
            trigger: trigger,
            triggerID: try row.decode(String?.self, at: 8),
            cueItemID: try row.decode(Int64?.self, at: 9),
            retryCount: try row.decode(Int.self, at: 10),
            maxRetries: try row.decode(Int.self, at: 11),
            attempt: try row.decode(Int.self, at: 12),
            errorMessage: try row.decode(String?.self, at: 13),
            dataHash: try row.decode(String.self, at: 14),
            createdAt: try row.decode(Date.self, at: 15),
            scheduledAt: try row.decode(Date.self, at: 16),
            startedAt: try row.decode(Date?.self, at: 17),
            completedAt: try row.decode(Date?.self, at: 18),
            workerID: try row.decode(String?.self, at: 19),
            leaseExpiresAt: try row.decode(Date?.self, at: 20),
            progressFrame: try row.decode(Int?.self, at: 21),
            progressTotal: try row.decode(Int?.self, at: 22),
            cancelRequested: try row.decode(Bool.self, at: 23)
        )
    }

    // MARK: Submit

    /// What ``submit(_:actor:)`` created.
    package struct Submitted: Sendable {
        /// The new instruction (status `pending`).
        package var instruction: RenderInstruction
        /// Its outbox row: publish it to Redis, then ``markPublished(_:)``.
        package var outboxID: Int64
    }

    /// Inserts the instruction, its outbox row and its first timeline entry in one statement, and
    /// notifies ``pendingChannel`` when it commits.
    /// - Throws: ``HubError`` `.usage` for a submission the database would refuse.
    package func submit(_ submission: RenderSubmission, actor: String) async throws -> Submitted {
        try await submit([(submission, actor)])[0]
    }

    /// Inserts several instructions with their outbox rows and timeline entries in one statement
    /// (one commit, one `NOTIFY`); the answers are in the order of `batch`.
    /// - Throws: ``HubError`` `.usage` naming the first submission the database would refuse;
    ///   then nothing is inserted.
    ///
    /// With `notify` (the default) the statement also notifies ``pendingChannel``. ``RenderQueue``
    /// passes false and notifies only when the Redis signal cannot be sent: a transaction that
    /// notifies holds PostgreSQL's notification-queue lock through its commit, which serializes
    /// concurrent submits.
    ///
    /// `deletingPublished` names outbox rows whose signals went out since (``markPublished(_:)``
    /// done in the same statement, so a busy producer pays no statement and no commit of its own
    /// for it).
    package func submit(_ batch: [(submission: RenderSubmission, actor: String)], notify: Bool = true,
                       deletingPublished published: [Int64] = []) async throws -> [Submitted] {
        guard !batch.isEmpty else { return [] }
        try checkMedia(batch)
        let (statement, hashes) = try Self.submitStatement(batch, notify: notify, deletingPublished: published)
        do {
            return try Self.decodeSubmitted(try await pool.query(statement), batch, hashes)
        } catch let error as PostgresError where error.constraint == "render_instructions_cue_item_fk" {
            throw Self.unknownCueItem(batch)
        }
    }

    /// ``submit(_:notify:)`` inside the caller's transaction on `connection` (a cue trigger
    /// commits its item and its instruction together). The caller publishes after its commit.
    package func submit(_ batch: [(submission: RenderSubmission, actor: String)], notify: Bool = true,
                       on connection: PostgresConnection) async throws -> [Submitted] {
        guard !batch.isEmpty else { return [] }
        try checkMedia(batch)
        let (statement, hashes) = try Self.submitStatement(batch, notify: notify)
        do {
            return try Self.decodeSubmitted(try await connection.query(statement), batch, hashes)
        } catch let error as PostgresError where error.constraint == "render_instructions_cue_item_fk" {
            throw Self.unknownCueItem(batch)
        }
    }

    static func unknownCueItem(_ batch: [(submission: RenderSubmission, actor: String)]) -> HubError {
        let ids = batch.compactMap(\.submission.cueItemID).map(String.init)
        return HubError(.usage, "cue item \(ids.count == 1 ? ids[0] : "(one of \(ids.joined(separator: ", ")))") does not exist: a render instruction can only name an existing cue item (hubctl cue item list SHEET)")
    }

    /// The one statement that inserts a batch with its outbox and timeline rows.
    /// - Returns: the statement and the data hash of each submission.
    static func submitStatement(_ batch: [(submission: RenderSubmission, actor: String)], notify: Bool,
                                deletingPublished published: [Int64] = []) throws -> (PostgresQuery, [String]) {
        for (index, item) in batch.enumerated() {
            do {
                try item.submission.validate()
            } catch let error as HubError where batch.count > 1 {
                throw HubError(error.code, "submission \(index + 1) of \(batch.count): \(error.message)")
            }
        }
        func json<T: Codable & Sendable>(_ value: T) -> String {
            String(decoding: PostgresJSON(value).postgresBind.bytes ?? [], as: UTF8.self)
        }
        let submissions = batch.map(\.submission)
        let hashes = submissions.map(\.dataHash)
        let statement: PostgresQuery = """
            WITH input AS (
                SELECT * FROM unnest(\(submissions.map(\.templateName)), \(submissions.map(\.composition)),
                                     \(submissions.map { json($0.layerData) })::jsonb[],
                                     \(submissions.map { json($0.outputSettings) })::jsonb[],
                                     \(submissions.map(\.priority)), \(submissions.map(\.trigger.rawValue)),
                                     \(PostgresNullableArray(submissions.map(\.triggerID))),
                                     \(PostgresNullableArray(submissions.map(\.cueItemID))),
                                     \(submissions.map(\.maxRetries)), \(hashes), \(batch.map(\.actor)))
                    WITH ORDINALITY AS t(template_name, composition, layer_data, output_settings, priority, trigger_type,
                                         trigger_id, cue_item_id, max_retries, data_hash, actor, ord)
            ), numbered AS (
                -- ids drawn here, once per row (a CTE is evaluated once), tie each answer to its input
                SELECT input.*, nextval(pg_get_serial_sequence('render_instructions', 'id')) AS id FROM input
            ), ins AS (
                INSERT INTO render_instructions (id, template_name, composition, layer_data, output_settings, priority,
                                                 trigger_type, trigger_id, cue_item_id, max_retries, data_hash)
                SELECT id, template_name, composition, layer_data, output_settings, priority,
                       trigger_type, trigger_id, cue_item_id, max_retries, data_hash
                FROM numbered ORDER BY ord
                RETURNING *
            ), outbox AS (
                INSERT INTO render_outbox (instruction_id) SELECT id FROM ins ORDER BY id RETURNING id, instruction_id
            ), timeline AS (
                INSERT INTO render_timeline (instruction_id, event, to_status, actor, details)
                SELECT ins.id, 'submitted', 'pending', n.actor, jsonb_build_object('priority', ins.priority, 'trigger', ins.trigger_type)
                FROM ins JOIN numbered n ON n.id = ins.id
            ), notified AS (
                SELECT CASE WHEN \(notify) THEN pg_notify(\(Self.pendingChannel), max(id)::text) END AS sent FROM ins
            )\(fragment: published.isEmpty ? "" : """
            , published AS (
                -- earlier signals that reached Redis: their rows leave the outbox (a statement of
                -- its own, prepared apart; without them the statement is the plain submit)
                DELETE FROM render_outbox WHERE id = ANY(\(published)::bigint[])
            )
            """)
            SELECT ins.id, ins.created_at, ins.scheduled_at, outbox.id, n.ord
            FROM ins JOIN outbox ON outbox.instruction_id = ins.id JOIN numbered n ON n.id = ins.id CROSS JOIN notified
            ORDER BY n.ord
            """
        return (statement, hashes)
    }

    static func decodeSubmitted(_ rows: PostgresResult, _ batch: [(submission: RenderSubmission, actor: String)], _ hashes: [String]) throws -> [Submitted] {
        let submissions = batch.map(\.submission)
        guard rows.count == batch.count else {
            throw HubError(.unavailable, "the database answered \(rows.count) rows for \(batch.count) submitted instructions")
        }
        // The stored instruction is the submission plus what the database assigned: built here
        // rather than decoded back from JSON.
        return try zip(rows, zip(submissions, hashes)).map { row, item in
            let (submission, hash) = item
            let instruction = RenderInstruction(
                id: try row.decode(Int64.self, at: 0), templateName: submission.templateName, composition: submission.composition,
                layerData: submission.layerData, outputSettings: submission.outputSettings, status: .pending,
                priority: submission.priority, trigger: submission.trigger, triggerID: submission.triggerID,
                cueItemID: submission.cueItemID, retryCount: 0, maxRetries: submission.maxRetries, attempt: 0,
                errorMessage: nil, dataHash: hash, createdAt: try row.decode(Date.self, at: 1),
                scheduledAt: try row.decode(Date.self, at: 2), startedAt: nil, completedAt: nil, workerID: nil,
                leaseExpiresAt: nil, progressFrame: nil, progressTotal: nil, cancelRequested: false)
            return Submitted(instruction: instruction, outboxID: try row.decode(Int64.self, at: 3))
        }
    }

    // MARK: Reads

    /// The instruction with `id`.
    /// - Throws: ``HubError`` `.notFound`.
    package func instruction(_ id: Int64) async throws -> RenderInstruction {
        let rows = try await pool.query("SELECT \(fragment: Self.columns) FROM render_instructions WHERE id = \(id)")
        guard let row = rows.first else { throw HubError(.notFound, "render instruction \(id) does not exist") }
        return try Self.decodeInstruction(row)
    }

    /// Instructions, newest first, optionally only those in `status`.
    package func list(status: RenderStatus? = nil, limit: Int = 50) async throws -> [RenderInstruction] {
        let rows = try await pool.query("""
            SELECT \(fragment: Self.columns) FROM render_instructions
            WHERE (\(status?.rawValue)::text IS NULL OR status = \(status?.rawValue))
            ORDER BY id DESC LIMIT \(max(1, min(limit, 10_000)))
            """)
        return try rows.map(Self.decodeInstruction)
    }

    /// One entry of an instruction's timeline.
    package struct TimelineEntry: Sendable, Hashable, Codable {
        package var occurredAt: Date
        package var event: String
        package var fromStatus: String?
        package var toStatus: String
        package var actor: String
        package var workerID: String?
        package var leaseToken: UUID?
        package var attempt: Int?
        package var reason: String?
    }

    /// Every transition of instruction `id`, oldest first.
    package func timeline(_ id: Int64) async throws -> [TimelineEntry] {
        let rows = try await pool.query("""
            SELECT occurred_at, event, from_status, to_status, actor, worker_id, lease_token, attempt, reason
            FROM render_timeline WHERE instruction_id = \(id) ORDER BY id
            """)
        return try rows.map { row in
            TimelineEntry(occurredAt: try row.decode(Date.self, at: 0), event: try row.decode(String.self, at: 1),
                          fromStatus: try row.decode(String?.self, at: 2), toStatus: try row.decode(String.self, at: 3),
                          actor: try row.decode(String.self, at: 4), workerID: try row.decode(String?.self, at: 5),
                          leaseToken: try row.decode(UUID?.self, at: 6), attempt: try row.decode(Int?.self, at: 7),
                          reason: try row.decode(String?.self, at: 8))
        }
    }

    /// Instruction counts per template and status (the render queue of SPEC §7.5), with the mean
    /// wait of pending ones in seconds.
    package struct QueueCount: Sendable, Hashable, Codable {
        package var template: String
        package var status: RenderStatus
        package var count: Int
        package var oldestPendingSeconds: Double?
    }

    /// The render queue by template and status (finished ones from the last 24 hours).
    package func queueCounts() async throws -> [QueueCount] {
        let rows = try await pool.query("""
            SELECT template_name, status, count(*)::bigint,
                   max(extract(epoch FROM now() - created_at)) FILTER (WHERE status = 'pending')
            FROM render_instructions
            WHERE status IN ('pending', 'processing', 'stale') OR updated_at > now() - interval '24 hours'
            GROUP BY template_name, status ORDER BY template_name, status
            """)
        return try rows.compactMap { row in
            guard let status = RenderStatus(rawValue: try row.decode(String.self, at: 1)) else { return nil }
            return QueueCount(template: try row.decode(String.self, at: 0), status: status, count: try row.decode(Int.self, at: 2),
                              oldestPendingSeconds: try row.decode(Double?.self, at: 3))
        }
    }

    // MARK: Outbox

    /// Outbox rows not yet published, oldest first: (outbox id, instruction id).
    package func unpublished(limit: Int = 500) async throws -> [(outboxID: Int64, instructionID: Int64)] {
        let rows = try await pool.query("""
            SELECT o.id, o.instruction_id FROM render_outbox o
            WHERE o.published_at IS NULL ORDER BY o.id LIMIT \(max(1, limit))
            """)
        return try rows.map { (try $0.decode(Int64.self, at: 0), try $0.decode(Int64.self, at: 1)) }
    }

    /// Records that the outbox rows were published to Redis: they are deleted, since the outbox
    /// holds only the signals still owed (a delete writes no new row version and no index entry,
    /// which matters at thousands of instructions a second; the timeline keeps the history).
    package func markPublished(_ outboxIDs: [Int64]) async throws {
        guard !outboxIDs.isEmpty else { return }
        try await pool.query("DELETE FROM render_outbox WHERE id = ANY(\(outboxIDs))")
    }

    /// Wakes workers in fallback mode (`NOTIFY` on ``pendingChannel``).
    package func notifyPending() async throws {
        try await pool.query("SELECT pg_notify(\(Self.pendingChannel), '')")
    }

    /// Records a failed publish attempt (Redis down) so the relay can report it.
    package func markPublishFailed(_ outboxIDs: [Int64], error: String) async throws {
        guard !outboxIDs.isEmpty else { return }
        try await pool.query("""
            UPDATE render_outbox SET publish_attempts = publish_attempts + 1, last_error = \(error)
            WHERE id = ANY(\(outboxIDs)) AND published_at IS NULL
            """)
    }
}
