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
            layerData: try row.decode(JSONObjectColumn.self, at: 3).value,
            outputSettings: try row.decode(OutputSettingsColumn.self, at: 4).value,
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

    /// ``decodeInstruction(_:)`` of a row of ``columns`` followed by `idempotency_key, required_tags`.
    static func decodeKeyedInstruction(_ row: PostgresRow) throws -> RenderInstruction {
        var instruction = try decodeInstruction(row)
        instruction.idempotencyKey = try row.decode(String?.self, at: 24)
        instruction.requiredTags = try row.decode([String].self, at: 25)
        return instruction
    }

    // MARK: Submit

    /// What ``submit(_:actor:)`` created.
    package struct Submitted: Sendable {
        /// The new instruction (status `pending`).
        package var instruction: RenderInstruction
        /// Its outbox row: publish it to Redis, then ``markPublished(_:)``. 0 when ``replayed``
        /// (nothing was inserted, nothing is owed to Redis).
        package var outboxID: Int64
        /// Whether the submission's idempotency key named an instruction that already existed:
        /// `instruction` is that one, as stored now, and nothing new was inserted.
        package var replayed = false
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
    ///   then nothing is inserted. ``HubError`` `.conflict` when an idempotency key names an
    ///   instruction made for a different request (the others are committed:
    ///   ``submitEach(_:notify:deletingPublished:)`` answers each one).
    ///
    /// A submission with an ``RenderSubmission/idempotencyKey`` already used gets the existing
    /// instruction (``Submitted/replayed``) instead of a new one.
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
        try await submitEach(batch, notify: notify, deletingPublished: published).map { try $0.get() }
    }

    /// ``submit(_:notify:deletingPublished:)`` with an answer per submission: a submission whose
    /// idempotency key names an instruction made for a different request fails alone
    /// (``HubError`` `.conflict`), the others are committed.
    /// - Throws: when the statement fails (then nothing was inserted).
    ///
    /// Keyed submissions: the first of each key in the batch is inserted with
    /// `ON CONFLICT (idempotency_key) DO NOTHING` (the unique index decides, whatever process or
    /// batch the other one comes from); later ones of the same key in the batch, and one whose key
    /// was taken already, get the existing instruction, read back after the statement (a row a
    /// concurrent transaction committed is visible only to a new snapshot).
    package func submitEach(_ batch: [(submission: RenderSubmission, actor: String)], notify: Bool = true,
                            deletingPublished published: [Int64] = []) async throws -> [Swift.Result<Submitted, any Error>] {
        guard !batch.isEmpty else { return [] }
        try checkMedia(batch)
        let plan = KeyedBatch(batch)
        var answers = [Swift.Result<Submitted, any Error>?](repeating: nil, count: batch.count)
        var toInsert = plan.leaders
        var deleting = published
        // A key whose instruction was deleted between the conflict and the read (a purge) is
        // inserted again; three rounds are plenty.
        for round in 0..<3 where !toInsert.isEmpty {
            let items = toInsert.map { batch[$0] }
            let (statement, hashes) = try Self.submitStatement(items, notify: notify, deletingPublished: deleting)
            deleting = []
            let rows: PostgresResult
            do {
                rows = try await pool.query(statement)
            } catch let error as PostgresError where error.constraint == "render_instructions_cue_item_fk" {
                throw Self.unknownCueItem(items)
            }
            let inserted = try Self.decodeSubmitted(rows, items, hashes)
            var missing: [Int] = []
            for (position, index) in toInsert.enumerated() {
                if let submitted = inserted[position] {
                    answers[index] = .success(submitted)
                } else {
                    missing.append(index)
                }
            }
            guard !missing.isEmpty else { break }
            let keys = missing.compactMap { batch[$0].submission.idempotencyKey }
            let existing = try await instructions(idempotencyKeys: keys)
            toInsert = []
            for index in missing {
                let submission = batch[index].submission
                guard let key = submission.idempotencyKey else {
                    throw HubError(.unavailable, "the database inserted no row for an unkeyed submission")
                }
                guard let found = existing[key] else {
                    if round == 2 { answers[index] = .failure(HubError(.unavailable, "idempotency key '\(key)': its instruction was deleted while this submission was made; submit again")) }
                    toInsert.append(index)
                    continue
                }
                answers[index] = Self.replay(submission, existing: found)
            }
        }
        // Later submissions of a key in this batch follow the first one's answer.
        for (index, leader) in plan.followers {
            switch answers[leader] {
            case .success(let first):
                let fingerprint = plan.fingerprints[leader]
                answers[index] = Self.replay(batch[index].submission, existing: (first.instruction, fingerprint))
            case .failure(let error): answers[index] = .failure(error)
            case nil: answers[index] = .failure(HubError(.unavailable, "no answer for a submission with a repeated idempotency key"))
            }
        }
        return answers.map { $0 ?? .failure(HubError(.unavailable, "no answer for a submission")) }
    }

    /// The answer to a keyed submission whose key names `existing`: a replay when the request is
    /// the same, ``HubError`` `.conflict` when it differs.
    static func replay(_ submission: RenderSubmission, existing: (instruction: RenderInstruction, fingerprint: String?))
        -> Swift.Result<Submitted, any Error> {
        let key = submission.idempotencyKey ?? ""
        guard existing.fingerprint == submission.idempotencyFingerprint else {
            return .failure(HubError(.conflict, "idempotency key '\(key)' was used for render instruction \(existing.instruction.id) with a different request (template, composition, data, output settings, priority, retries, no-cache or required tags); a key names one request: use a new key for a different submission"))
        }
        return .success(Submitted(instruction: existing.instruction, outboxID: 0, replayed: true))
    }

    /// The instructions with these idempotency keys, with their request fingerprints.
    func instructions(idempotencyKeys keys: [String]) async throws -> [String: (instruction: RenderInstruction, fingerprint: String?)] {
        guard !keys.isEmpty else { return [:] }
        let rows = try await pool.query("""
            SELECT \(fragment: Self.columns), idempotency_key, idempotency_fingerprint, required_tags FROM render_instructions
            WHERE idempotency_key = ANY(\(Array(Set(keys))))
            """)
        var found: [String: (instruction: RenderInstruction, fingerprint: String?)] = [:]
        for row in rows {
            var instruction = try Self.decodeInstruction(row)
            guard let key = try row.decode(String?.self, at: 24) else { continue }
            instruction.idempotencyKey = key
            instruction.requiredTags = try row.decode([String].self, at: 26)
            found[key] = (instruction, try row.decode(String?.self, at: 25))
        }
        return found
    }

    /// A batch split by idempotency key: the submissions to insert (every unkeyed one and the
    /// first of each key, in batch order) and the later ones of a key, answered like their first.
    struct KeyedBatch {
        /// Indexes of the submissions to insert.
        var leaders: [Int] = []
        /// Index of a repeated key's submission → index of the first one with that key.
        var followers: [(index: Int, leader: Int)] = []
        /// The request fingerprint of each keyed submission (by index).
        var fingerprints: [Int: String] = [:]

        init(_ batch: [(submission: RenderSubmission, actor: String)]) {
            var first: [String: Int] = [:]
            for (index, item) in batch.enumerated() {
                guard let key = item.submission.idempotencyKey else {
                    leaders.append(index)
                    continue
                }
                fingerprints[index] = item.submission.idempotencyFingerprint
                if let leader = first[key] {
                    followers.append((index, leader))
                } else {
                    first[key] = index
                    leaders.append(index)
                }
            }
            // Keyed rows are inserted in key order, so two statements that share keys wait on
            // each other in one order and never deadlock; unkeyed ones keep their order first.
            let keyed = leaders.filter { batch[$0].submission.idempotencyKey != nil }
            if keyed.count > 1 {
                leaders = leaders.filter { batch[$0].submission.idempotencyKey == nil }
                    + keyed.sorted { batch[$0].submission.idempotencyKey! < batch[$1].submission.idempotencyKey! }
            }
        }
    }

    /// ``submit(_:notify:)`` inside the caller's transaction on `connection` (a cue trigger
    /// commits its item and its instruction together). The caller publishes after its commit.
    package func submit(_ batch: [(submission: RenderSubmission, actor: String)], notify: Bool = true,
                       on connection: PostgresConnection) async throws -> [Submitted] {
        guard !batch.isEmpty else { return [] }
        try checkMedia(batch)
        guard batch.allSatisfy({ $0.submission.idempotencyKey == nil }) else {
            throw HubError(.usage, "an idempotency key is not supported inside a caller's transaction; submit through RenderQueue")
        }
        let (statement, hashes) = try Self.submitStatement(batch, notify: notify)
        do {
            return try Self.decodeSubmitted(try await connection.query(statement), batch, hashes).map { $0! }
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
        // The canonical text (sorted keys) is both the stored value and the hashed one: encoded once.
        let layerTexts = submissions.map { JSONValue.object($0.layerData).canonicalText }
        let hashes = zip(submissions, layerTexts).map { $0.dataHash(layerText: $1) }
        let tags = try submissions.map { try RenderTags.normalize($0.requiredTags).joined(separator: ",") }
        // ON CONFLICT makes every row a speculative insertion (an extra lock and WAL record per
        // row): only a batch with an idempotency key has it (a statement of its own, prepared apart).
        let keyed = submissions.contains { $0.idempotencyKey != nil }
        let statement: PostgresQuery = """
            WITH input AS (
                SELECT * FROM unnest(\(submissions.map(\.templateName)), \(submissions.map(\.composition)),
                                     \(layerTexts)::jsonb[],
                                     \(submissions.map { json($0.outputSettings) })::jsonb[],
                                     \(submissions.map(\.priority)), \(submissions.map(\.trigger.rawValue)),
                                     \(PostgresNullableArray(submissions.map(\.triggerID))),
                                     \(PostgresNullableArray(submissions.map(\.cueItemID))),
                                     \(submissions.map(\.maxRetries)), \(hashes), \(batch.map(\.actor)),
                                     \(PostgresNullableArray(submissions.map(\.idempotencyKey))),
                                     \(PostgresNullableArray(submissions.map { $0.idempotencyKey == nil ? nil : $0.idempotencyFingerprint })),
                                     \(PostgresNullableArray(submissions.map { $0.scheduledAt?.timeIntervalSince1970 })),
                                     \(submissions.map(\.noCache)), \(tags))
                    WITH ORDINALITY AS t(template_name, composition, layer_data, output_settings, priority, trigger_type,
                                         trigger_id, cue_item_id, max_retries, data_hash, actor, idempotency_key,
                                         idempotency_fingerprint, due_epoch, no_cache, requires, ord)
            ), numbered AS (
                -- ids drawn here, once per row (a CTE is evaluated once), tie each answer to its input
                SELECT input.*, nextval(pg_get_serial_sequence('render_instructions', 'id')) AS id FROM input
            ), ins AS (
                INSERT INTO render_instructions (id, template_name, composition, layer_data, output_settings, priority,
                                                 trigger_type, trigger_id, cue_item_id, max_retries, data_hash,
                                                 idempotency_key, idempotency_fingerprint, scheduled_at, no_cache, required_tags)
                SELECT n.id, n.template_name, n.composition, n.layer_data, n.output_settings, n.priority,
                       n.trigger_type, n.trigger_id, n.cue_item_id, n.max_retries, n.data_hash, n.idempotency_key, n.idempotency_fingerprint,
                       -- a due time in the past is now (it must not jump the queue of its priority)
                       CASE WHEN n.due_epoch IS NULL THEN now() ELSE greatest(now(), to_timestamp(n.due_epoch)) END, n.no_cache,
                       -- the submission's tags and its composition's (migration 0018), sorted, once each
                       CASE WHEN n.requires = '' AND c.required_tags IS NULL THEN '{}'::text[]
                            ELSE ARRAY(SELECT DISTINCT tag FROM unnest(string_to_array(nullif(n.requires, ''), ',') || coalesce(c.required_tags, '{}')) AS u(tag)
                                       ORDER BY tag) END
                FROM numbered n
                LEFT JOIN aep_compositions c ON c.project = n.template_name AND c.name = n.composition AND c.required_tags <> '{}'
                ORDER BY n.ord\(fragment: keyed ? """

                -- a key taken already (by a committed row, or one a concurrent statement commits):
                -- no row; the caller reads the existing instruction back
                ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
                """ : "")
                RETURNING id, created_at, scheduled_at, required_tags, priority, trigger_type
            ), outbox AS (
                INSERT INTO render_outbox (instruction_id) SELECT id FROM ins ORDER BY id RETURNING id, instruction_id
            ), timeline AS (
                INSERT INTO render_timeline (instruction_id, event, to_status, actor, details)
                SELECT ins.id, 'submitted', 'pending', n.actor,
                       jsonb_build_object('priority', ins.priority, 'trigger', ins.trigger_type)
                       || CASE WHEN n.due_epoch IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('scheduled_at', ins.scheduled_at) END
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
            SELECT ins.id, ins.created_at, ins.scheduled_at, outbox.id, n.ord, ins.required_tags
            FROM ins JOIN outbox ON outbox.instruction_id = ins.id JOIN numbered n ON n.id = ins.id CROSS JOIN notified
            ORDER BY n.ord
            """
        return (statement, hashes)
    }

    /// The inserted instructions, in the order of `batch`; nil for a keyed submission whose key
    /// was taken already (`ON CONFLICT DO NOTHING` inserted nothing for it).
    static func decodeSubmitted(_ rows: PostgresResult, _ batch: [(submission: RenderSubmission, actor: String)], _ hashes: [String]) throws -> [Submitted?] {
        let submissions = batch.map(\.submission)
        var answers = [Submitted?](repeating: nil, count: batch.count)
        // The stored instruction is the submission plus what the database assigned: built here
        // rather than decoded back from JSON.
        for row in rows {
            let ord = try row.decode(Int.self, at: 4)
            guard (1...batch.count).contains(ord) else {
                throw HubError(.unavailable, "the database answered row \(ord) for \(batch.count) submitted instructions")
            }
            let submission = submissions[ord - 1]
            let instruction = RenderInstruction(
                id: try row.decode(Int64.self, at: 0), templateName: submission.templateName, composition: submission.composition,
                layerData: submission.layerData, outputSettings: submission.outputSettings, status: .pending,
                priority: submission.priority, trigger: submission.trigger, triggerID: submission.triggerID,
                cueItemID: submission.cueItemID, retryCount: 0, maxRetries: submission.maxRetries, attempt: 0,
                errorMessage: nil, dataHash: hashes[ord - 1], createdAt: try row.decode(Date.self, at: 1),
                scheduledAt: try row.decode(Date.self, at: 2), startedAt: nil, completedAt: nil, workerID: nil,
                leaseExpiresAt: nil, progressFrame: nil, progressTotal: nil, cancelRequested: false,
                idempotencyKey: submission.idempotencyKey, requiredTags: try row.decode([String].self, at: 5))
            answers[ord - 1] = Submitted(instruction: instruction, outboxID: try row.decode(Int64.self, at: 3))
        }
        for (index, answer) in answers.enumerated() where answer == nil && submissions[index].idempotencyKey == nil {
            throw HubError(.unavailable, "the database answered \(rows.count) rows for \(batch.count) submitted instructions")
        }
        return answers
    }

    // MARK: Reads

    /// The instruction with `id`.
    /// - Throws: ``HubError`` `.notFound`.
    package func instruction(_ id: Int64) async throws -> RenderInstruction {
        let rows = try await pool.query("SELECT \(fragment: Self.columns), idempotency_key, required_tags FROM render_instructions WHERE id = \(id)")
        guard let row = rows.first else { throw HubError(.notFound, "render instruction \(id) does not exist") }
        return try Self.decodeKeyedInstruction(row)
    }

    /// Instructions, newest first, optionally only those in `status`.
    package func list(status: RenderStatus? = nil, limit: Int = 50) async throws -> [RenderInstruction] {
        let rows = try await pool.query("""
            SELECT \(fragment: Self.columns), idempotency_key, required_tags FROM render_instructions
            WHERE (\(status?.rawValue)::text IS NULL OR status = \(status?.rawValue))
            ORDER BY id DESC LIMIT \(max(1, min(limit, 10_000)))
            """)
        return try rows.map(Self.decodeKeyedInstruction)
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
