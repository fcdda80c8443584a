import Foundation
import HubPostgres

extension RenderStore {
    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// Decodes the rows of ``claimQuery(target:workers:lease:)``: one claim per row.
    private func decodeClaims(_ rows: PostgresResult) throws -> [RenderClaim] {
        try rows.compactMap { row in
            // The row of ``complete(_:thenClaimFor:lease:)`` when nothing was claimed.
            if try row.decode(Int64?.self, at: 0) == nil { return nil }
            let instruction = try Self.decodeInstruction(row)
            var claim = RenderClaim(instruction: instruction, leaseToken: try row.decode(UUID.self, at: 24),
                                    workerID: instruction.workerID ?? "", attempt: instruction.attempt)
            if let path = try row.decode(String?.self, at: 25) {
                claim.cacheCandidate = Output(path: path, fileSize: try row.decode(Int64?.self, at: 26),
                                              frameCount: try row.decode(Int?.self, at: 27), cacheHit: true)
            }
            return claim
        }
    }

    /// The common table expressions of a claim: `target` selects `(id, ord)` rows that are pending
    /// and due, and locks them (`FOR UPDATE`); the row numbered `ord` goes to `workers[ord - 1]`.
    /// Defines `claimed` (the rows, now processing with new leases) and their timeline entries;
    /// ``claimSelect`` reads them back.
    private func claimCTEs(target: PostgresQuery, workers: [String], lease: Duration) -> PostgresQuery {
        """
        want AS (
            -- hub_batch (migration 0009): one cached plan for every batch size
            SELECT worker, ord FROM unnest(hub_batch(\(workers)::text[])) WITH ORDINALITY AS w(worker, ord)
        ), target AS (\(fragment: target)),
        claimed AS (
            UPDATE render_instructions r
            SET status = 'processing', lease_token = gen_random_uuid(), worker_id = want.worker,
                lease_expires_at = now() + make_interval(secs => \(Self.seconds(lease))),
                started_at = now(), updated_at = now(), attempt = r.attempt + 1,
                progress_frame = NULL, progress_total = NULL,
                template_version = (SELECT v.version FROM render_template_versions v WHERE v.template = r.template_name)
            FROM target JOIN want USING (ord)
            WHERE r.id = target.id -- target locked the row and checked it is pending; repeating the
                                   -- check here makes the planner scan every pending row instead
            RETURNING r.*
        ), claimed_timeline AS (
            INSERT INTO render_timeline (instruction_id, event, from_status, to_status, actor, worker_id, lease_token, attempt)
            SELECT id, 'claimed', 'pending', 'processing', worker_id, worker_id, lease_token, attempt FROM claimed
        )
        """
    }

    /// Reads the rows of ``claimCTEs(target:workers:lease:)`` back, one claim per row, each with
    /// the render cache's first candidate (the newest completed output with the same data hash),
    /// so a cache hit costs no extra query. Columns 0–23 are ``columns``, 24 the lease token,
    /// 25–27 the candidate.
    private static let claimSelect: PostgresQuery = """
        SELECT \(fragment: columns), lease_token, cache.output_path, cache.file_size, cache.frame_count
        FROM claimed c
        LEFT JOIN LATERAL (
            SELECT o.output_path, o.file_size, o.frame_count
            FROM render_instructions p JOIN render_outputs o ON o.instruction_id = p.id AND o.status = 'completed'
            WHERE p.data_hash = c.data_hash AND p.status = 'completed' AND p.id <> c.id AND NOT c.no_cache
              -- rendered with the template's current version (migration 0017)
              AND o.template_version IS NOT DISTINCT FROM (SELECT v.version FROM render_template_versions v WHERE v.template = c.template_name)
            ORDER BY o.completed_at DESC LIMIT 1
        ) cache ON true
        """

    /// The statement that claims the rows `target` selects for `workers` (see ``claimCTEs(target:workers:lease:)``).
    private func claimQuery(target: PostgresQuery, workers: [String], lease: Duration) -> PostgresQuery {
        """
        WITH \(fragment: claimCTEs(target: target, workers: workers, lease: lease))
        \(fragment: Self.claimSelect)
        """
    }

    /// The claim target of ``claimNext(workers:lease:tags:)``: up to `count` due instructions,
    /// highest priority first, then earliest due, then oldest, skipping rows other claimers hold,
    /// those that require a tag not in `tags`, and those of a composition at its concurrency limit
    /// — read through the claim index by `render_claimable` (migrations 0009, 0018), which returns
    /// them in that order.
    private static func nextDue(_ count: Int, tags: [String]) -> PostgresQuery {
        "SELECT id, ord FROM render_claimable(\(count)::integer, \(tags)::text[]) WITH ORDINALITY AS due(id, ord)"
    }

    /// Claims instruction `id` for `worker` if it is still pending and due. Exactly one of any
    /// number of concurrent claimers wins; the others get nil. A directed claim (tools and tests
    /// that stage an instruction): it does not look at required tags or concurrency limits.
    package func claim(_ id: Int64, worker: String, lease: Duration) async throws -> RenderClaim? {
        // FOR UPDATE (not SKIP LOCKED): a concurrent claimer waits, then sees the row processing.
        let target: PostgresQuery = """
            SELECT id, 1::bigint AS ord FROM render_instructions
            WHERE id = \(id) AND status = 'pending' AND NOT cancel_requested AND scheduled_at <= now()
            FOR UPDATE
            """
        return try decodeClaims(try await pool.query(claimQuery(target: target, workers: [worker], lease: lease))).first
    }

    /// Claims the next due instruction — highest priority first, then earliest due, then oldest —
    /// skipping rows other claimers hold (`FOR UPDATE SKIP LOCKED`). Nil when none is due.
    package func claimNext(worker: String, lease: Duration, tags: [String] = []) async throws -> RenderClaim? {
        try await claimNext(workers: [worker], lease: lease, tags: tags)[worker]
    }

    /// Claims up to one due instruction for each of `workers` (distinct names, one machine: they
    /// share its `tags`) in one statement, in claim order: the first worker gets the
    /// highest-priority instruction. Only instructions whose required tags are all in `tags`
    /// (normalized: ``RenderTags``) are taken. Workers left without one are absent from the result.
    package func claimNext(workers: [String], lease: Duration, tags: [String] = []) async throws -> [String: RenderClaim] {
        guard !workers.isEmpty else { return [:] }
        let claims = try decodeClaims(try await pool.query(claimQuery(target: Self.nextDue(workers.count, tags: tags), workers: workers, lease: lease)))
        return Dictionary(claims.map { ($0.workerID, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Extends the lease and records frame progress.
    /// - Returns: the new expiry and whether an operator asked to cancel.
    /// - Throws: ``HubError`` `.leaseLost` when the claim is no longer current.
    @discardableResult
    package func heartbeat(_ claim: RenderClaim, lease: Duration, frame: Int? = nil, totalFrames: Int? = nil) async throws -> LeaseStatus {
        // Progress is what a renderer printed: kept inside the integer columns, so a wild number
        // never makes the heartbeat fail (and the lease expire).
        let frame = frame.map { min(max($0, 0), Int(Int32.max)) }
        let totalFrames = totalFrames.map { min(max($0, 0), Int(Int32.max)) }
        let rows = try await pool.query("""
            UPDATE render_instructions
            SET lease_expires_at = now() + make_interval(secs => \(Self.seconds(lease))), updated_at = now(),
                progress_frame = COALESCE(\(frame), progress_frame), progress_total = COALESCE(\(totalFrames), progress_total)
            WHERE id = \(claim.instruction.id) AND lease_token = \(claim.leaseToken) AND status = 'processing'
            RETURNING lease_expires_at, cancel_requested
            """)
        guard let row = rows.first else { throw leaseLost(claim) }
        return LeaseStatus(expiresAt: try row.decode(Date.self, at: 0), cancelRequested: try row.decode(Bool.self, at: 1))
    }

    /// What a finished render produced.
    package struct Output: Sendable, Hashable {
        package var path: String
        package var fileSize: Int64?
        package var frameCount: Int?
        package var cacheHit: Bool
        package var renderMilliseconds: Int?

        /// Describes an output file.
        package init(path: String, fileSize: Int64? = nil, frameCount: Int? = nil, cacheHit: Bool = false, renderMilliseconds: Int? = nil) {
            self.path = path
            self.fileSize = fileSize
            self.frameCount = frameCount
            self.cacheHit = cacheHit
            self.renderMilliseconds = renderMilliseconds
        }
    }

    /// Marks the claimed instruction completed and records its output, in one statement.
    /// - Returns: the output row's id.
    /// - Throws: ``HubError`` `.leaseLost` (nothing is written) when the claim is no longer current.
    @discardableResult
    package func complete(_ claim: RenderClaim, output: Output) async throws -> Int64 {
        try await complete([(claim, output)])[0].get()
    }

    /// Completes several claims in one statement (one commit). Each answer is the output row's id,
    /// or ``HubError`` `.leaseLost` for a claim that is no longer current (nothing is written for
    /// it; the others are unaffected).
    package func complete(_ batch: [(claim: RenderClaim, output: Output)]) async throws -> [Result<Int64, any Error>] {
        guard !batch.isEmpty else { return [] }
        let rows = try await pool.query("""
            WITH \(fragment: Self.completionCTEs(batch))
            SELECT instruction_id, id FROM output
            """)
        var outputs: [Int64: Int64] = [:]
        for row in rows { outputs[try row.decode(Int64.self, at: 0)] = try row.decode(Int64.self, at: 1) }
        return Self.completionAnswers(batch, outputs)
    }

    /// Completes `batch` and, in the same statement (one round trip, one commit), claims up to one
    /// due instruction for each of `next` (distinct worker names), as ``claimNext(workers:lease:tags:)``
    /// would: a busy worker slot hands in its finished render and takes its next job at once.
    /// - Returns: one answer per completion (the output row's id, or ``HubError`` `.leaseLost` —
    ///   nothing is written for that one, the others are unaffected), and the claims by worker.
    package func complete(_ batch: [(claim: RenderClaim, output: Output)], thenClaimFor next: [String],
                         lease: Duration, tags: [String] = []) async throws -> (outputs: [Result<Int64, any Error>], claims: [String: RenderClaim]) {
        guard !next.isEmpty else { return (try await complete(batch), [:]) }
        guard !batch.isEmpty else { return ([], try await claimNext(workers: next, lease: lease, tags: tags)) }
        // One row: the completions as two arrays, joined to every claim (or to none: then the
        // claim columns are NULL). Columns 0–27 are the claim's (``claimSelect``), 28–29 the arrays.
        let rows = try await pool.query("""
            WITH \(fragment: Self.completionCTEs(batch)),
            \(fragment: claimCTEs(target: Self.nextDue(next.count, tags: tags), workers: next, lease: lease)),
            finished AS (
                SELECT coalesce(array_agg(instruction_id), '{}') AS ids, coalesce(array_agg(id), '{}') AS outputs FROM output
            )
            SELECT claims.*, finished.ids, finished.outputs
            FROM finished LEFT JOIN (\(fragment: Self.claimSelect)) claims ON true
            """)
        var outputs: [Int64: Int64] = [:]
        if let row = rows.first {
            let ids = try row.decode([Int64].self, at: 28)
            let outputIDs = try row.decode([Int64].self, at: 29)
            for (id, output) in zip(ids, outputIDs) { outputs[id] = output }
        }
        let claims = try decodeClaims(rows)
        return (Self.completionAnswers(batch, outputs),
                Dictionary(claims.map { ($0.workerID, $0) }, uniquingKeysWith: { first, _ in first }))
    }

    /// The common table expressions of a completion: `done` (the instructions now completed —
    /// only those whose lease is still current), `output` (their output rows: instruction id and
    /// output id) and their timeline entries.
    private static func completionCTEs(_ batch: [(claim: RenderClaim, output: Output)]) -> PostgresQuery {
        """
        input AS (
            -- hub_batch (migration 0009): one cached plan for every batch size
            SELECT * FROM unnest(hub_batch(\(batch.map(\.claim.instruction.id))), hub_batch(\(batch.map(\.claim.leaseToken))),
                                 hub_batch(\(batch.map(\.claim.workerID))), hub_batch(\(batch.map(\.output.path))),
                                 hub_batch(\(PostgresNullableArray(batch.map(\.output.fileSize)))),
                                 hub_batch(\(PostgresNullableArray(batch.map(\.output.frameCount)))),
                                 hub_batch(\(batch.map(\.output.cacheHit))),
                                 hub_batch(\(PostgresNullableArray(batch.map(\.output.renderMilliseconds)))))
                AS t(id, token, worker, path, size, frames, hit, ms)
        ), done AS (
            UPDATE render_instructions r
            SET status = 'completed', completed_at = now(), updated_at = now(), lease_token = NULL,
                lease_expires_at = NULL, error_message = NULL, progress_frame = COALESCE(r.progress_total, r.progress_frame)
            FROM input i
            -- Only a processing row has a lease token (a CHECK constraint), so the token match is
            -- the status check too. Spelling out status = 'processing' makes the planner read
            -- every processing row through the partial index (dead entries included) and hash them
            -- instead of looking each id up in the primary key.
            WHERE r.id = i.id AND r.lease_token = i.token
            RETURNING r.id, r.attempt, r.started_at, i.token, i.worker, i.path, i.size, i.frames, i.hit, i.ms, r.template_name,
                      r.template_version
        ), delivery AS (
            -- A template with a delivery folder owes a delivery of this output (migration 0016),
            -- written with the completion so that no crash in between leaves it undelivered. (An
            -- instruction completes once; the conflict clause only guards a row left by hand.)
            INSERT INTO render_deliveries (instruction_id, template, source_path, directory, host)
            SELECT d.id, d.template_name, d.path, t.directory, \(WorkerProcessIdentity.current.host)
            FROM done d JOIN render_delivery_targets t ON t.template = d.template_name
            ON CONFLICT (instruction_id) DO UPDATE
            SET source_path = EXCLUDED.source_path, directory = EXCLUDED.directory, host = EXCLUDED.host, status = 'pending',
                attempts = 0, last_error = NULL, next_attempt_at = now(), delivered_path = NULL, checksum = NULL, bytes = NULL,
                delivered_at = NULL, created_at = now()
        ), output AS (
            INSERT INTO render_outputs (instruction_id, attempt, lease_token, status, output_path, file_size,
                                        frame_count, cache_hit, started_at, render_ms, template_version)
            SELECT id, attempt, token, 'completed', path, size, frames, hit, started_at, ms, template_version
            FROM done RETURNING instruction_id, id
        ), done_timeline AS (
            INSERT INTO render_timeline (instruction_id, event, from_status, to_status, actor, worker_id, lease_token, attempt, details)
            SELECT id, 'completed', 'processing', 'completed', worker, worker, token, attempt,
                   jsonb_build_object('output', path, 'cache_hit', hit)
            FROM done
        )
        """
    }

    /// One answer per completion: its output id, or lease lost when the statement wrote nothing for it.
    private static func completionAnswers(_ batch: [(claim: RenderClaim, output: Output)], _ outputs: [Int64: Int64]) -> [Result<Int64, any Error>] {
        batch.map { item in
            if let id = outputs[item.claim.instruction.id] { return .success(id) }
            return .failure(leaseLostError(item.claim))
        }
    }

    /// Records a failed attempt: back to `pending` after `policy`'s delay while retries remain,
    /// else `failed` with the reason. An instruction an operator asked to cancel becomes
    /// `cancelled` instead (a pending row with `cancel_requested` would never be claimed).
    /// - Parameter retryable: false for a failure another attempt would meet the same way (media
    ///   the policy refuses): `failed` at once, retries left or not.
    /// - Returns: the instruction as it is now.
    /// - Throws: ``HubError`` `.leaseLost` when the claim is no longer current.
    @discardableResult
    package func fail(_ claim: RenderClaim, error message: String, policy: RetryPolicy = RetryPolicy(),
                     retryable: Bool = true) async throws -> RenderInstruction {
        let rows = try await pool.query("""
            WITH failed AS (
                UPDATE render_instructions
                SET status = CASE WHEN cancel_requested THEN 'cancelled' WHEN \(retryable) AND retry_count < max_retries THEN 'pending' ELSE 'failed' END,
                    scheduled_at = CASE WHEN NOT cancel_requested AND \(retryable) AND retry_count < max_retries
                        THEN now() + make_interval(secs => least(\(Self.seconds(policy.base)) * power(2, retry_count), \(Self.seconds(policy.maximum))))
                        ELSE scheduled_at END,
                    completed_at = CASE WHEN NOT cancel_requested AND \(retryable) AND retry_count < max_retries THEN NULL ELSE now() END,
                    retry_count = CASE WHEN NOT cancel_requested AND \(retryable) AND retry_count < max_retries THEN retry_count + 1 ELSE retry_count END,
                    error_message = \(message), lease_token = NULL, lease_expires_at = NULL, updated_at = now()
                WHERE id = \(claim.instruction.id) AND lease_token = \(claim.leaseToken) AND status = 'processing'
                RETURNING *
            ), output AS (
                INSERT INTO render_outputs (instruction_id, attempt, lease_token, status, error_message, started_at)
                SELECT id, attempt, \(claim.leaseToken), 'failed', \(message), started_at FROM failed
            ), timeline AS (
                INSERT INTO render_timeline (instruction_id, event, from_status, to_status, actor, worker_id, lease_token, attempt, reason, details)
                SELECT id, CASE status WHEN 'pending' THEN 'retry_scheduled' WHEN 'cancelled' THEN 'cancelled' ELSE 'failed' END,
                       'processing', status, \(claim.workerID), \(claim.workerID), \(claim.leaseToken), attempt,
                       CASE WHEN status = 'cancelled' THEN 'cancel requested; the render failed: ' || \(message) ELSE \(message) END,
                       jsonb_build_object('retry_count', retry_count, 'scheduled_at', scheduled_at)
                FROM failed
            )
            SELECT \(fragment: Self.columns) FROM failed
            """)
        guard let row = rows.first else { throw leaseLost(claim) }
        return try Self.decodeInstruction(row)
    }

    /// Gives the instruction back unrendered (graceful shutdown): `pending` at once, no retry
    /// counted — or `cancelled` when an operator asked to cancel it (a pending row with
    /// `cancel_requested` would never be claimed).
    /// - Returns: the status it has now: `pending` or `cancelled`.
    /// - Throws: ``HubError`` `.leaseLost` when the claim is no longer current.
    @discardableResult
    package func handBack(_ claim: RenderClaim, reason: String) async throws -> RenderStatus {
        let rows = try await pool.query("""
            WITH back AS (
                UPDATE render_instructions
                SET status = CASE WHEN cancel_requested THEN 'cancelled' ELSE 'pending' END,
                    completed_at = CASE WHEN cancel_requested THEN now() ELSE completed_at END,
                    scheduled_at = CASE WHEN cancel_requested THEN scheduled_at ELSE now() END,
                    lease_token = NULL, lease_expires_at = NULL,
                    progress_frame = NULL, progress_total = NULL, updated_at = now()
                WHERE id = \(claim.instruction.id) AND lease_token = \(claim.leaseToken) AND status = 'processing'
                RETURNING id, attempt, status
            ), timeline AS (
                INSERT INTO render_timeline (instruction_id, event, from_status, to_status, actor, worker_id, lease_token, attempt, reason)
                SELECT id, CASE WHEN status = 'cancelled' THEN 'cancelled' ELSE 'handed_back' END, 'processing', status,
                       \(claim.workerID), \(claim.workerID), \(claim.leaseToken), attempt,
                       CASE WHEN status = 'cancelled' THEN 'cancel requested; ' || \(reason) ELSE \(reason) END
                FROM back
            )
            SELECT id, status, CASE WHEN status = 'pending' THEN pg_notify(\(Self.pendingChannel), id::text)::text END FROM back
            """)
        guard let row = rows.first else { throw leaseLost(claim) }
        return RenderStatus(rawValue: try row.decode(String.self, at: 1)) ?? .pending
    }

    /// Cancels instruction `id`: a pending one at once; a processing one is flagged, its worker
    /// sees the flag on its next heartbeat, stops rendering and calls ``acknowledgeCancel(_:)``.
    /// - Returns: the status the instruction had.
    /// - Throws: ``HubError`` `.notFound`, or `.conflict` when it is already finished.
    @discardableResult
    package func cancel(_ id: Int64, actor: String, reason: String?) async throws -> RenderStatus {
        try await pool.withTransaction { connection in
            let rows = try await connection.query("SELECT status, cancel_requested FROM render_instructions WHERE id = \(id) FOR UPDATE")
            guard let row = rows.first else { throw HubError(.notFound, "render instruction \(id) does not exist") }
            guard let status = RenderStatus(rawValue: try row.decode(String.self, at: 0)) else {
                throw HubError(.unavailable, "render instruction \(id) has a status this build does not know")
            }
            switch status {
            case .pending, .stale:
                try await connection.query("""
                    UPDATE render_instructions SET status = 'cancelled', completed_at = now(), updated_at = now()
                    WHERE id = \(id)
                    """)
                try await connection.query("""
                    INSERT INTO render_timeline (instruction_id, event, from_status, to_status, actor, reason)
                    VALUES (\(id), 'cancelled', \(status.rawValue), 'cancelled', \(actor), \(reason))
                    """)
            case .processing:
                if try row.decode(Bool.self, at: 1) {
                    throw HubError(.conflict, "render instruction \(id) is already being cancelled")
                }
                try await connection.query("UPDATE render_instructions SET cancel_requested = true, updated_at = now() WHERE id = \(id)")
                try await connection.query("""
                    INSERT INTO render_timeline (instruction_id, event, from_status, to_status, actor, reason)
                    VALUES (\(id), 'cancel_requested', 'processing', 'processing', \(actor), \(reason))
                    """)
            case .completed, .failed, .cancelled:
                throw HubError(.conflict, "render instruction \(id) is already \(status.rawValue): there is nothing to cancel")
            }
            return status
        }
    }

    /// The worker's answer to a cancel request: the claimed instruction becomes `cancelled`.
    /// - Throws: ``HubError`` `.leaseLost` when the claim is no longer current.
    package func acknowledgeCancel(_ claim: RenderClaim) async throws {
        let rows = try await pool.query("""
            WITH cancelled AS (
                UPDATE render_instructions
                SET status = 'cancelled', completed_at = now(), lease_token = NULL, lease_expires_at = NULL, updated_at = now()
                WHERE id = \(claim.instruction.id) AND lease_token = \(claim.leaseToken) AND status = 'processing'
                RETURNING id, attempt
            ), timeline AS (
                INSERT INTO render_timeline (instruction_id, event, from_status, to_status, actor, worker_id, lease_token, attempt, reason)
                SELECT id, 'cancelled', 'processing', 'cancelled', \(claim.workerID), \(claim.workerID), \(claim.leaseToken), attempt,
                       'render stopped on request'
                FROM cancelled
            )
            SELECT id FROM cancelled
            """)
        guard !rows.isEmpty else { throw leaseLost(claim) }
    }

    /// A completed output of another instruction with the same data hash whose file still exists:
    /// the render cache (identical template, composition, bound data and output settings).
    package func cachedOutput(dataHash: String, excluding id: Int64) async throws -> Output? {
        let rows = try await pool.query("""
            SELECT o.output_path, o.file_size, o.frame_count
            FROM render_instructions r JOIN render_outputs o ON o.instruction_id = r.id AND o.status = 'completed'
            WHERE r.data_hash = \(dataHash) AND r.status = 'completed' AND r.id <> \(id)
              AND o.template_version IS NOT DISTINCT FROM (SELECT v.version FROM render_template_versions v WHERE v.template = r.template_name)
            ORDER BY o.completed_at DESC LIMIT 5
            """)
        for row in rows {
            let path = try row.decode(String.self, at: 0)
            if FileManager.default.fileExists(atPath: path) {
                return Output(path: path, fileSize: try row.decode(Int64?.self, at: 1), frameCount: try row.decode(Int?.self, at: 2), cacheHit: true)
            }
        }
        return nil
    }

    private func leaseLost(_ claim: RenderClaim) -> HubError { Self.leaseLostError(claim) }

    private static func leaseLostError(_ claim: RenderClaim) -> HubError {
        HubError(.leaseLost,
                 "render instruction \(claim.instruction.id): the lease of \(claim.workerID) (attempt \(claim.attempt)) is no longer current; another attempt owns the job, so this write was refused")
    }
}
