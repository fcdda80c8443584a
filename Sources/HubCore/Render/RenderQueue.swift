import Foundation
import HubDriverSupport
import HubPostgres
import HubRedis
import Logging

/// One dispatch signal: the outbox row, its instruction, and its due time in Unix milliseconds
/// when it is scheduled later.
/// One dispatch signal: the outbox row, the instruction, its due time when it is scheduled (Unix
/// ms), the tags it requires (comma-separated; nil or empty: any worker), and the text of an
/// `instruction_updated` event to publish on the instruction's render channels just before it, in
/// the same pipeline (nil: none).
package typealias DispatchSignal = (outboxID: Int64, instructionID: Int64, due: Int64?, requires: String?, event: String?)

/// Names and limits of the dispatch stream (SPEC §1: stream `render:queue`, group `ae-workers`).
package struct DispatchConfiguration: Sendable, Hashable {
    /// The Redis stream that carries dispatch signals.
    package var stream: String
    /// The consumer group of the render workers.
    package var group: String
    /// Approximate cap on the stream's length (`XADD … MAXLEN ~`).
    package var maxLength: Int

    /// The defaults of SPEC §1.
    package init(stream: String = "render:queue", group: String = "ae-workers", maxLength: Int = 100_000) {
        self.stream = stream
        self.group = group
        self.maxLength = maxLength
    }

    /// Reads `HUB_RENDER_STREAM` and `HUB_CONSUMER_GROUP`.
    package init(configuration: HubConfiguration) {
        self.init(stream: configuration.value(.renderStream) ?? "render:queue",
                  group: configuration.value(.consumerGroup) ?? "ae-workers")
    }
}

/// The producer side of dispatch: commit the instruction with its outbox row, then signal the
/// workers through the Redis stream.
///
/// A stream entry is only a signal — "one more instruction is ready" — carrying the instruction id.
/// Workers claim from PostgreSQL in priority order (``RenderStore/claimNext(worker:lease:)``), so a
/// priority-1 instruction behind thousands of priority-10 ones is the next one started, and a
/// duplicate or lost signal can never make a job run twice or not at all. With Redis down, the
/// commit still succeeds; the outbox row stays unpublished and a `NOTIFY` wakes workers
/// in fallback mode; ``relay(limit:)`` publishes the backlog when Redis returns.
package struct RenderQueue: Sendable {
    /// The PostgreSQL side.
    package let store: RenderStore
    /// The Redis side.
    package let redis: RedisClient
    /// Stream and group names.
    package let dispatch: DispatchConfiguration
    /// Publishes the render events (SPEC §6).
    package let events: EventPublisher
    let logger: Logger
    /// Concurrent ``submit(_:actor:)`` calls share one insert statement (group commit).
    private let submitter: Coalescer<(submission: RenderSubmission, actor: String), RenderStore.Submitted>
    /// Concurrent publishes share one XADD pipeline; their outbox rows are deleted together
    /// (see ``PendingDeletes``).
    private let publisher: Coalescer<DispatchSignal, Bool>
    /// Published outbox rows handed to the next submit statement instead of a `DELETE` (and a
    /// commit) of their own, and how many ``submit(_:actor:)`` calls are under way.
    private let outbox: PThreadLocked<PendingDeletes>
    /// Whether the last dispatch signal failed to reach Redis: while it did, submits also
    /// `NOTIFY` at commit, so fallback workers wake without waiting for Redis to time out.
    private let redisFailing: PThreadLocked<Bool>
    /// While Redis is unreachable, signals are tried again only every half second (the rows stay
    /// in the outbox for the relay, and submits `NOTIFY` meanwhile).
    private let redisGate: OutageGate

    /// Creates a queue front end; `source` names this process in the events it publishes.
    /// After a failed publish, signals are not tried again for `outagePause` (the relay and the
    /// first publish after the pause retry them).
    package init(store: RenderStore, redis: RedisClient, dispatch: DispatchConfiguration = DispatchConfiguration(),
                source: String = "hub", outagePause: Duration = .milliseconds(500),
                logger: Logger = Logger(label: "hub.render.queue")) {
        self.store = store
        self.redis = redis
        self.dispatch = dispatch
        self.events = EventPublisher(redis: redis, source: source, cueItems: CueStore(pool: store.pool))
        self.logger = logger
        let redisFailing = PThreadLocked(false)
        self.redisFailing = redisFailing
        let outbox = PThreadLocked(PendingDeletes())
        self.outbox = outbox
        // One submit statement at a time: the submits that arrive meanwhile go in the next one.
        // Two at a time made batches half as large for the same commits, and cost 20 % more CPU
        // per instruction (hub-bench dispatch, Docs/performance.md).
        self.submitter = Coalescer(maxBatch: 200, maxConcurrentFlushes: 1) { [store] batch in
            let notify = redisFailing.withLock { $0 }
            // The rows published since the last statement go along (deleted in this one).
            let published = outbox.withLock { $0.take() }
            do {
                return try await store.submitEach(batch, notify: notify, deletingPublished: published)
            } catch where batch.count > 1 {
                try? await store.markPublished(published)
                // One bad row fails the whole statement: answer each submission on its own.
                var results: [Swift.Result<RenderStore.Submitted, any Error>] = []
                for item in batch {
                    do { results.append(try await store.submitEach([item], notify: notify)[0]) } catch { results.append(.failure(error)) }
                }
                return results
            } catch {
                try? await store.markPublished(published)
                return [.failure(error)]
            }
        }
        let redisGate = OutageGate(pause: outagePause)
        self.redisGate = redisGate
        let publish = Self.publisher(store: store, redis: redis, dispatch: dispatch, logger: logger, failing: redisFailing,
                                     gate: redisGate, deferDeletesTo: outbox)
        self.publisher = Coalescer(maxBatch: 500, maxConcurrentFlushes: 1) { rows in
            let published = Set(await publish(rows))
            return rows.map { .success(published.contains($0.outboxID)) }
        }
    }

    /// Creates the consumer group (and the stream) if they do not exist yet: the base group of
    /// untagged workers, or a group of tagged workers (``RenderTags/group(base:tags:)``).
    ///
    /// The base group starts at the stream's beginning, so signals sent before the first worker
    /// ever started are read. A tagged group starts at its end: its workers claim when they
    /// start anyway, and must not read the stream's whole history as new signals.
    package func ensureGroup(_ group: String? = nil) async throws {
        let name = group ?? dispatch.group
        _ = try await redis.xgroupCreate(dispatch.stream, group: name, startID: name == dispatch.group ? "0" : "$", makeStream: true)
    }

    /// What ``submit(_:actor:)`` did.
    package struct Result: Sendable {
        /// The committed instruction.
        package var instruction: RenderInstruction
        /// Whether the dispatch signal reached Redis (false: Redis was unreachable; the relay
        /// publishes it later and fallback workers claim it meanwhile). True for a replay, which
        /// owes no signal.
        package var published: Bool
        /// Whether the submission's idempotency key named an existing instruction: `instruction`
        /// is that one (as stored now) and nothing new was submitted.
        package var replayed = false
    }

    /// Commits the instruction and its outbox row, then publishes the signal.
    ///
    /// Concurrent calls are committed together (one statement for all that arrive while the
    /// previous commit is in flight), so many producers cost few commits; a lone call is committed
    /// at once.
    /// - Throws: only when the commit fails; a Redis failure after the commit is logged and
    ///   reported as `published == false`.
    package func submit(_ submission: RenderSubmission, actor: String) async throws -> Result {
        try submission.validate() // an invalid submission fails alone, before it joins a batch
        try store.checkMedia(submission)
        outbox.withLock { $0.inFlight += 1 }
        defer { outbox.withLock { $0.inFlight -= 1 } }
        let submitted = try await submitter.submit((submission, actor))
        if submitted.replayed { return Result(instruction: submitted.instruction, published: true, replayed: true) }
        // The event goes out before the dispatch signal, so a watcher sees the instruction
        // submitted before any worker can report it started: in the signal's own pipeline (one
        // round trip between the commit and the XADD, not two), unless a cue item follows the
        // instruction (its cue_item_updated event needs a read first).
        let instruction = submitted.instruction
        // Redis failed a moment ago: the publisher would leave the signal to the relay (fallback
        // workers were woken by the submit's NOTIFY) — no event text, no trip through it.
        guard redisGate.shouldAttempt else {
            if instruction.cueItemID != nil { await events.render("instruction_updated", instruction) }
            return Result(instruction: instruction, published: false)
        }
        var event: String?
        if instruction.cueItemID == nil {
            event = events.renderEventText("instruction_updated", instruction)
        } else {
            await events.render("instruction_updated", instruction)
        }
        let published = try await publisher.submit((submitted.outboxID, instruction.id, Self.dueMillis(instruction),
                                                    Self.requires(instruction), event))
        return Result(instruction: submitted.instruction, published: published)
    }

    /// Commits several instructions in one statement, then publishes their signals in one
    /// pipeline: the bulk path for producers that have many at once (a sync run's premium hands).
    /// - Throws: when the commit fails (then none was inserted), or ``HubError`` `.usage` naming
    ///   the first invalid submission; ``HubError`` `.conflict` when an idempotency key names an
    ///   instruction made for a different request (the other submissions are committed and
    ///   signalled).
    package func submit(_ submissions: [RenderSubmission], actor: String) async throws -> [Result] {
        guard !submissions.isEmpty else { return [] }
        let answers = try await store.submitEach(submissions.map { ($0, actor) }, notify: notifiesAtCommit)
        let results = await announce(answers.compactMap { try? $0.get() })
        for answer in answers { _ = try answer.get() }
        return results
    }

    /// Whether a submit should `NOTIFY` at commit (while Redis signals fail).
    package var notifiesAtCommit: Bool { redisFailing.withLock { $0 } }

    /// Publishes instructions the caller committed in its own transaction
    /// (``RenderStore/submit(_:notify:on:)``): their events, then their dispatch signals.
    package func announce(_ submitted: [RenderStore.Submitted]) async -> [Result] {
        guard !submitted.isEmpty else { return [] }
        let new = submitted.filter { !$0.replayed }
        var published: Set<Int64> = []
        if !new.isEmpty {
            await events.render("instruction_updated", new.map(\.instruction))
            published = Set(await publish(new.map { ($0.outboxID, $0.instruction.id, Self.dueMillis($0.instruction), Self.requires($0.instruction), nil) }))
        }
        return submitted.map {
            $0.replayed ? Result(instruction: $0.instruction, published: true, replayed: true)
                : Result(instruction: $0.instruction, published: published.contains($0.outboxID))
        }
    }

    /// A scheduled instruction's due time in Unix milliseconds, for its dispatch signal (nil when
    /// it is due at once): the worker reading the signal wakes then without asking PostgreSQL.
    static func dueMillis(_ instruction: RenderInstruction) -> Int64? {
        instruction.scheduledAt > instruction.createdAt.addingTimeInterval(0.001)
            ? Int64((instruction.scheduledAt.timeIntervalSince1970 * 1000).rounded(.up)) : nil
    }

    /// The tags an instruction requires, for its dispatch signal (nil when any worker may take it):
    /// a reader without them does not wake its slots for it.
    static func requires(_ instruction: RenderInstruction) -> String? {
        instruction.requiredTags.isEmpty ? nil : instruction.requiredTags.joined(separator: ",")
    }

    /// Publishes outbox rows left unpublished (a crash between commit and XADD, or Redis down).
    /// - Returns: how many were published.
    @discardableResult
    package func relay(limit: Int = 500) async throws -> Int {
        let backlog = try await store.unpublished(limit: limit)
        guard !backlog.isEmpty else { return 0 }
        // A relay is a deliberate attempt (Redis is back, or a recovery pass): not skipped.
        redisGate.succeeded()
        // (A relayed signal carries no due time, and no required tags: workers find a scheduled one
        // within a second, and every reader that gets one looks at the queue.)
        let published = await publish(backlog.map { ($0.outboxID, $0.instructionID, nil, nil, nil) }).count
        if published > 0 { logger.info("relayed \(published) unpublished dispatch signals") }
        return published
    }

    /// XADDs one entry per outbox row in one pipeline and marks them published.
    /// - Returns: the outbox ids published (none when Redis is unreachable).
    func publish(_ rows: [DispatchSignal]) async -> [Int64] {
        await Self.publisher(store: store, redis: redis, dispatch: dispatch, logger: logger, failing: redisFailing,
                             gate: redisGate, deferDeletesTo: nil)(rows)
    }

    /// The publish step: one XADD pipeline for `rows`, then their outbox rows are deleted — at
    /// once, or, with `pending` while other submits are under way, by a later submit statement
    /// or the sweep.
    private static func publisher(store: RenderStore, redis: RedisClient, dispatch: DispatchConfiguration, logger: Logger,
                                  failing: PThreadLocked<Bool>, gate: OutageGate,
                                  deferDeletesTo pending: PThreadLocked<PendingDeletes>?) -> @Sendable ([DispatchSignal]) async -> [Int64] {
        { rows in
            guard !rows.isEmpty else { return [] }
            // Redis failed a moment ago: leave the rows to the relay (fallback workers were woken
            // by the NOTIFY of their submit) instead of failing again on every submit.
            guard gate.shouldAttempt else { return [] }
            var commands: [[RedisArgument]] = []
            // Where each row's XADD is in the pipeline (its event's PUBLISHes go just before it).
            var signalAt: [Int] = []
            for row in rows {
                if let event = row.event {
                    for channel in HubEvent.renderChannels(instruction: row.instructionID) {
                        commands.append(["PUBLISH", RedisArgument(channel), RedisArgument(event)])
                    }
                }
                signalAt.append(commands.count)
                commands.append(["XADD", RedisArgument(dispatch.stream), "MAXLEN", "~", RedisArgument(dispatch.maxLength), "*",
                                 "instruction", RedisArgument(row.instructionID), "outbox", RedisArgument(row.outboxID)]
                                + (row.due.map { ["due", RedisArgument($0)] } ?? [])
                                + (row.requires.map { ["requires", RedisArgument($0)] } ?? []))
            }
            let ids = rows.map(\.outboxID)
            let replies: [RedisValue]
            do {
                replies = try await redis.pipeline(commands)
            } catch {
                gate.failed()
                logger.warning("dispatch signal not published (\(ids.count) rows stay in the outbox): \(error)")
                try? await store.markPublishFailed(ids, error: String(describing: error))
                // Workers that cannot reach Redis either are waiting on LISTEN: wake them (and
                // let the next submits notify at commit until a signal gets through again).
                failing.withLock { $0 = true }
                try? await store.notifyPending()
                return []
            }
            gate.succeeded()
            failing.withLock { $0 = false }
            let done = zip(ids, signalAt).filter { $0.1 < replies.count && replies[$0.1].string != nil }.map(\.0)
            if let pending {
                switch pending.withLock({ $0.defer(done, publishedFor: rows.count) }) {
                case .now: break
                case .deferred: return done
                case .deferredWithSweep:
                    // Whatever no submit statement took by then is deleted on its own.
                    Task {
                        try? await Task.sleep(for: PendingDeletes.sweepDelay)
                        let left = pending.withLock { $0.endSweep() }
                        if !left.isEmpty { try? await store.markPublished(left) }
                    }
                    return done
                }
            }
            do {
                try await store.markPublished(done)
            } catch {
                // The signals are out; the rows stay unpublished and the relay sends them again,
                // which is harmless (a signal only says "look at the queue").
                logger.warning("dispatch signals sent but not marked published (\(done.count) rows): \(error)")
            }
            return done
        }
    }
}

/// Published outbox rows waiting to be deleted by the next submit statement.
///
/// Under load a producer's submits follow each other closely: deleting the rows of the signals
/// that went out in the next submit statement saves a statement and a commit per publish. Rows are
/// deferred only while other submits are in flight; a sweep deletes, after ``sweepDelay``, what no
/// statement took (the end of a burst). A lone submit deletes its row at once, so a one-shot
/// `hubctl render submit` leaves nothing behind. A row whose delete is lost (a crash, a failed
/// statement) stays unpublished and the relay sends its signal again, which is harmless.
struct PendingDeletes: Sendable {
    /// How long deferred rows wait for a submit statement before a delete of their own.
    static let sweepDelay: Duration = .milliseconds(20)

    enum Decision: Equatable { case now, deferred, deferredWithSweep }

    /// ``RenderQueue/submit(_:actor:)`` calls under way.
    var inFlight = 0
    /// Outbox rows whose signals reached Redis.
    var published: [Int64] = []
    /// Whether a sweep is scheduled.
    var sweeping = false

    /// Defers `ids` (published for `count` of the submits in flight) when other submits are under
    /// way; `.deferredWithSweep` asks the caller to schedule the sweep.
    mutating func `defer`(_ ids: [Int64], publishedFor count: Int) -> Decision {
        guard inFlight > count, !ids.isEmpty else { return .now }
        published.append(contentsOf: ids)
        guard !sweeping else { return .deferred }
        sweeping = true
        return .deferredWithSweep
    }

    /// A submit statement starts: it takes the deferred rows.
    mutating func take() -> [Int64] {
        defer { published = [] }
        return published
    }

    /// The sweep runs: it takes what is left.
    mutating func endSweep() -> [Int64] {
        sweeping = false
        return take()
    }
}
