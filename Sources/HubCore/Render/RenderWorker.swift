import Foundation
import HubDriverSupport
import HubPostgres
import HubRedis
import Logging

/// How a worker learns that instructions are ready.
package enum DispatchMode: String, Sendable, Codable {
    /// Blocking reads on the Redis stream's consumer group.
    case redis
    /// Redis is unreachable: `LISTEN/NOTIFY` wake-ups from PostgreSQL plus a short poll.
    case databaseFallback = "db-fallback"
}

extension DispatchMode {
    /// The `mode` label of the claim metrics.
    var metricLabel: String { self == .redis ? "redis" : "database_fallback" }
}

/// Settings of a ``RenderWorker``.
package struct RenderWorkerConfiguration: Sendable {
    /// Render slots (parallel renders) in this process.
    package var concurrency: Int = 1
    /// How long a claim lasts without a heartbeat.
    package var lease: Duration = .seconds(30)
    /// How often a rendering slot extends its lease and reports progress.
    package var heartbeatInterval: Duration = .seconds(5)
    /// The longest an idle slot sleeps before looking at the queue again.
    package var idleWait: Duration = .seconds(1)
    /// How often a slot in fallback mode checks whether Redis is back.
    package var redisRetryInterval: Duration = .seconds(5)
    /// Backoff of failed attempts.
    package var retryPolicy = RetryPolicy()
    /// How long a stopping worker lets running renders finish before handing them back.
    package var shutdownGrace: Duration = .seconds(30)
    /// The longest one render may run, printing or not, unless its template declares its own
    /// (``TemplateRenderLimit``); a render still running then is stopped and the attempt fails
    /// (retryable).
    package var maxRenderTime: Duration = .seconds(3600)
    /// Where images and clips in an instruction's data may come from: checked again right before
    /// the data goes to the renderer; an instruction refused here fails for good (`hub-worker`
    /// builds it from HUB_TEMPLATE_DIR, HUB_MEDIA_ROOTS and HUB_MEDIA_URL_PREFIXES).
    package var media = MediaPolicy()
    /// Where outputs are written.
    package var outputDirectory: URL = URL(fileURLWithPath: ".hub/output")
    /// Consumer names are `<prefix>-<slot>`; by default host and process id.
    package var consumerPrefix: String = HubInstance.id
    /// What this machine can render (`hub-worker --tags`, `HUB_WORKER_TAGS`; normalized by
    /// ``RenderTags``): the worker claims only instructions whose required tags are all here.
    package var tags: [String] = []
    /// Exit when no instruction is due instead of waiting for more (`hub-worker --once`).
    package var once = false
    /// Whether this process notes its own crash (a fatal signal its code raises) in the output
    /// directory, for the next worker started there to count against the instructions it held
    /// (RenderWorker+Crashes.swift). The handler is process-wide: `hub-worker` sets it; tests that
    /// run workers inside their own process leave it off.
    package var recordsCrashes = false
    /// How often the worker takes back instructions whose lease expired (the Zombie Hunter's
    /// lease rule; every worker runs it, one acts at a time).
    package var hunterInterval: Duration = .seconds(30)
    /// The hunter's, reconciler's, monitor's and notifier's settings (RenderWorker+Operations.swift).
    package var operations = WorkerOperations()
    /// Whether ``RenderWorker/run()`` also registers the process in `service_registry` and runs
    /// the operations loop itself. `hub-worker` runs them as services of ``HubRuntime`` instead
    /// (``RenderWorkerService``, ``OperationsLoop``, ``RegistryHeartbeat``) and sets this to false.
    package var standalone = true

    /// The defaults.
    package init() {}
}

extension HubSetting {
    /// `HUB_WORKER_TAGS`: ``RenderWorkerConfiguration/tags`` of `hub-worker` (`--tags` wins).
    package static let workerTags = HubSetting(name: "HUB_WORKER_TAGS", defaultValue: nil,
        summary: "what this render machine has, comma-separated (e.g. ae-2025,gpu): it claims only instructions whose required tags it has all of", isSecret: false)

    /// `HUB_MAX_RENDER_SECONDS`: ``RenderWorkerConfiguration/maxRenderTime`` of `hub-worker`.
    package static let maxRenderSeconds = HubSetting(name: "HUB_MAX_RENDER_SECONDS", defaultValue: "3600",
        summary: "the longest one render may run, printing or not, before it is stopped and the attempt fails (retryable); a template's max_render_seconds wins", isSecret: false)
}

/// Counts of what a worker did.
package struct RenderWorkerSummary: Sendable, Hashable {
    package var completed = 0
    package var failed = 0
    package var cancelled = 0
    package var handedBack = 0
    package var leaseLost = 0
}

/// The render worker (`hub-worker`): slots that wait for a dispatch signal, claim the next due
/// instruction from PostgreSQL, render it with the backend while heartbeating, and record the
/// outcome — switching to PostgreSQL wake-ups while Redis is unreachable and back when it returns.
package final class RenderWorker: Sendable {
    /// The queue (store, Redis, names).
    package let queue: RenderQueue
    /// The backend that renders.
    package let backend: any RenderBackend
    /// The settings.
    package let configuration: RenderWorkerConfiguration
    let logger: Logger
    private let board = WakeUpBoard()
    /// Wakes the delivery loop after a completion while some template has a delivery folder.
    let deliveryBoard = WakeUpBoard()
    /// Whether any template had a delivery folder at the delivery loop's last look.
    let deliveriesConfigured = PThreadLocked(false)
    /// When the next scheduled instruction falls due, as last read from PostgreSQL (at most a
    /// second ago) and from the due times dispatch signals carry: the Redis reader's idle waits
    /// cost no query while signals keep coming.
    let dueCache = PThreadLocked<(checkedAt: ContinuousClock.Instant, next: ContinuousClock.Instant?)?>(nil)
    let state: PThreadLocked<State>
    /// Slots that look for work at the same moment share one claim statement.
    private let claimer: Coalescer<String, RenderClaim?>
    /// Slots that finish at the same moment share one completion statement (one commit), which
    /// also claims the next instruction for each slot that asks for one.
    let completer: Coalescer<Completion, (output: Result<Int64, any Error>, next: RenderClaim?)>

    /// A finished render handed to ``completer``; `next` names the slot that wants its next job
    /// claimed in the same statement (nil when it must not claim: the worker is stopping).
    struct Completion: Sendable {
        var claim: RenderClaim
        var output: RenderStore.Output
        var next: String?
    }

    struct State {
        var mode: DispatchMode = .redis
        /// Whether an idle slot is blocked reading the stream for the others.
        var readerActive = false
        var lastHeartbeat: [UUID: ContinuousClock.Instant] = [:]
        var stopDeadline: ContinuousClock.Instant?
        var summary = RenderWorkerSummary()
    }

    /// Creates a worker.
    package init(queue: RenderQueue, backend: any RenderBackend, configuration: RenderWorkerConfiguration,
                logger: Logger = Logger(label: "hub.worker")) {
        self.queue = queue
        self.backend = backend
        self.configuration = configuration
        self.logger = logger
        let store = queue.store
        let state = PThreadLocked(State())
        self.state = state
        let mode: @Sendable () -> String = { state.withLock { $0.mode.metricLabel } }
        let lease = configuration.lease
        let tags = configuration.tags
        self.claimer = Coalescer(maxBatch: max(1, configuration.concurrency), maxConcurrentFlushes: 1) { consumers in
            do {
                let claims = try await store.claimNext(workers: consumers, lease: lease, tags: tags)
                RenderWorker.measure(Array(claims.values), mode: mode())
                return consumers.map { .success(claims[$0]) }
            } catch {
                return consumers.map { _ in .failure(error) }
            }
        }
        // One completion statement at a time, as the submitter (RenderQueue): larger batches.
        self.completer = Coalescer(maxBatch: max(1, configuration.concurrency), maxConcurrentFlushes: 1) { batch in
            let items = batch.map { (claim: $0.claim, output: $0.output) }
            do {
                let (outputs, claims) = try await store.complete(items, thenClaimFor: batch.compactMap(\.next), lease: lease, tags: tags)
                RenderWorker.measure(Array(claims.values), mode: mode())
                // A slot gets the job claimed for it even when its own completion was refused (a
                // lost lease): the claim is current either way and must not wait for its lease to expire.
                return zip(batch, outputs).map { completion, output in
                    .success((output, completion.next.flatMap { claims[$0] }))
                }
            } catch where batch.count > 1 {
                // The statement failed as a whole: record each completion on its own (the slots
                // then claim their next jobs through the claimer).
                var results: [Result<(output: Result<Int64, any Error>, next: RenderClaim?), any Error>] = []
                for item in items {
                    do { results.append(.success((.success(try await store.complete(item.claim, output: item.output)), nil))) } catch { results.append(.failure(error)) }
                }
                return results
            } catch {
                return [.failure(error)]
            }
        }
    }

    /// The current dispatch mode.
    package var mode: DispatchMode { state.withLock { $0.mode } }
    /// What the worker has done so far.
    package var summary: RenderWorkerSummary { state.withLock { $0.summary } }

    /// Asks the worker to stop claiming; running renders get `grace` to finish, then are handed back.
    /// A later call can only shorten the time left (a second signal: hand back now).
    package func stop(grace: Duration? = nil) {
        let deadline = ContinuousClock.now + (grace ?? configuration.shutdownGrace)
        state.withLock { $0.stopDeadline = min($0.stopDeadline ?? deadline, deadline) }
        Task { await board.signal() }
    }

    var isStopping: Bool { state.withLock { $0.stopDeadline != nil } }

    /// Runs the slots until ``stop(grace:)`` (or, with `once`, until nothing is due).
    package func run() async throws -> RenderWorkerSummary {
        try FileManager.default.createDirectory(at: configuration.outputDirectory, withIntermediateDirectories: true)
        await sweepLeftovers()
        do {
            try await queue.ensureGroup()
            if readGroup != queue.dispatch.group { try await queue.ensureGroup(readGroup) }
            try await queue.relay()
        } catch {
            switchMode(to: .databaseFallback, because: error)
        }
        let notifications = try await queue.store.pool.listen(to: [RenderStore.pendingChannel])
        let listener = Task { [board, self] in
            do {
                // In Redis mode the stream's reader wakes the slots; NOTIFY matters in fallback.
                for try await _ in notifications where self.mode == .databaseFallback { await board.signal() }
            } catch {
                // The LISTEN connection was lost: slots still poll every idleWait.
            }
        }
        defer { listener.cancel() }
        // Standalone (tests, embedding services): the registry heartbeat and the operations loop
        // run beside the slots; under HubRuntime they are services of the process's group.
        let companions = configuration.standalone ? [
            Task { try? await self.registryHeartbeat().run() },
            Task { try? await OperationsLoop(worker: self).run() },
        ] : []
        defer { companions.forEach { $0.cancel() } }
        // Deliveries of completed outputs to the templates' folders (RenderDelivery.swift): woken
        // by completions, and every 2 s for retries and for what an earlier worker left owed.
        let deliveries = Task { [self] in
            while !Task.isCancelled {
                let configured = (try? await DeliveryStore(pool: queue.store.pool).targets().isEmpty == false) ?? false
                deliveriesConfigured.withLock { $0 = configured }
                await deliverDue()
                await deliveryBoard.wait(timeout: .seconds(2))
            }
        }
        defer { deliveries.cancel() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for slot in 0..<max(1, configuration.concurrency) {
                group.addTask { try await self.runSlot(consumer: "\(self.configuration.consumerPrefix)-\(slot)") }
            }
            try await group.waitForAll()
        }
        // The loop stops between deliveries (a copy under way finishes first); `--once` delivers
        // what its renders owe before it exits. What is left stays owed for the next worker here.
        deliveries.cancel()
        await deliveries.value
        if configuration.once { await deliverDue() }
        for companion in companions {
            companion.cancel()
            await companion.value
        }
        return summary
    }

    /// One render slot: claim the next due instruction while there is one; when there is none,
    /// wait for a signal.
    ///
    /// In Redis mode one idle slot at a time (the reader) blocks on the stream with its own
    /// consumer name and reads every signal that has arrived in one go; the other idle slots wait
    /// on the in-process board. When signals arrive the reader wakes as many of them as signals
    /// came, and their claims share one statement (``claimer``). A burst of signals therefore costs one read and one
    /// claim statement, and signals made stale by drain-first claiming cost almost nothing.
    private func runSlot(consumer: String) async throws {
        var lastRedisCheck = ContinuousClock.now
        // The job claimed together with the previous completion, if any.
        var next: RenderClaim?
        // Claims that failed in a row (the database restarting, failing over, the pool exhausted):
        // the slot waits and tries again; it never takes its siblings or the worker down.
        var claimFailures = 0
        // `--once`: how often a due instruction held by another transaction was looked at again.
        var heldRechecks = 0
        // The signals just read were all for instructions this machine cannot take: read again
        // without a claim that would find nothing new.
        var skipClaim = false
        while !isStopping && !Task.isCancelled {
            let claim: RenderClaim?
            if let claimed = next.take() {
                claim = claimed
            } else if skipClaim {
                skipClaim = false
                claim = nil
            } else {
                do {
                    claim = try await claimer.submit(consumer)
                    if claimFailures > 0 {
                        logger.notice("slot \(consumer): claiming works again after \(claimFailures) failed attempt(s)")
                        claimFailures = 0
                    }
                } catch {
                    if Task.isCancelled { break }
                    claimFailures += 1
                    if claimFailures == 1 || claimFailures % 20 == 0 {
                        logger.warning("slot \(consumer): cannot claim (\(error)); trying again with backoff (\(claimFailures) failed so far) — running renders go on")
                    }
                    try? await Task.sleep(for: Self.databaseBackoff(after: claimFailures))
                    continue
                }
            }
            if let claim {
                next = await process(claim, thenClaimFor: consumer)
                continue
            }
            if configuration.once {
                // The claim skips rows another transaction holds a lock on — the reconciler
                // signalling a row written with SQL holds one while it inserts its timeline entry —
                // so nothing claimed is not yet an empty queue: look again while one is due (10 s at most).
                if heldRechecks < 100, (try? await queue.store.hasDueInstruction(tags: configuration.tags)) == true {
                    if heldRechecks == 0 { logger.notice("slot \(consumer): an instruction is due but held by another transaction; looking again") }
                    heldRechecks += 1
                    try? await Task.sleep(for: .milliseconds(100))
                    continue
                }
                return
            }
            switch mode {
            case .redis:
                guard becomeReader() else {
                    await board.wait(timeout: configuration.idleWait)
                    continue
                }
                do {
                    let wake = await nextWake(cached: true)
                    // Redis fires a blocked read's timeout at its server tick (100 ms at the default
                    // hz 10), too coarse for a due time: block until shortly before it, then sleep
                    // out the rest here (the signals that arrive meanwhile are read right after).
                    let margin = Duration.milliseconds(200)
                    if wake.due, wake.timeout <= margin {
                        resignReader()
                        try? await Task.sleep(for: wake.timeout)
                        await board.signal()
                        continue
                    }
                    let entries = try await queue.redis.xreadgroup(
                        group: readGroup, consumer: consumer, stream: queue.dispatch.stream,
                        count: 256, block: wake.due ? wake.timeout - margin : wake.timeout)
                    resignReader()
                    noteDueTimes(entries)
                    if !entries.isEmpty {
                        // As many idle slots as signals this machine can serve arrived: they claim
                        // the rest (this slot claims one), and one left without work becomes the
                        // next reader. Signals of instructions needing tags it lacks wake nobody.
                        let servable = entries.filter(canServe).count
                        if servable > 0 { await board.signal(upTo: servable) } else { skipClaim = true }
                        _ = try await queue.redis.xack(queue.dispatch.stream, group: readGroup, ids: entries.map(\.id))
                    }
                } catch is CancellationError {
                    resignReader()
                    return
                } catch let error as RedisError where error.serverErrorPrefix == "NOGROUP" {
                    resignReader()
                    try? await queue.ensureGroup(readGroup)
                } catch {
                    resignReader()
                    switchMode(to: .databaseFallback, because: error)
                    await board.signal()
                }
            case .databaseFallback:
                await board.wait(timeout: await nextWake(cached: false).timeout)
                if ContinuousClock.now - lastRedisCheck >= configuration.redisRetryInterval {
                    lastRedisCheck = ContinuousClock.now
                    if (try? await queue.redis.ping()) != nil {
                        try? await queue.ensureGroup()
                        _ = try? await queue.relay()
                        switchMode(to: .redis, because: nil)
                    }
                }
            }
        }
        // Claimed together with the last completion as the worker began to stop: give it back —
        // in a task of its own, since this slot's task may be cancelled (a sibling slot failed)
        // and a cancelled task's statement is refused before it is sent.
        if let next { await Task { await self.handBackUnstarted(next) }.value }
    }

    /// How long an idle slot waits for a signal: the idle wait, or until the next scheduled
    /// instruction falls due when that is sooner (`due`; rounded up to the millisecond).
    ///
    /// With `cached` (the Redis reader) a look at PostgreSQL less than a second old, updated by the
    /// due times of the signals read since, stands in for a new one, and the wait ends when it is
    /// a second old. In fallback mode no signal carries a due time: a look less than
    /// ``fallbackLookReuse`` old stands in (the wait then ends when it is that old, so an
    /// instruction scheduled meanwhile is seen at most that late); an older one is taken again.
    /// (One look per wait was a query per claim under load: 7 % of PostgreSQL's time.)
    func nextWake(cached: Bool) async -> (timeout: Duration, due: Bool) {
        let idle = configuration.idleWait
        let refresh = min(idle, cached ? .seconds(1) : Self.fallbackLookReuse)
        var now = ContinuousClock.now
        if let cache = dueCache.withLock({ $0 }), now - cache.checkedAt < refresh {
            let fresh = refresh - (now - cache.checkedAt)
            switch cache.next {
            case .some(let next) where next > now:
                return next - now < fresh ? (max(.milliseconds(1), next - now), true) : (fresh, false)
            case .some:
                break // fell due: look again (another may follow)
            case .none:
                return (max(.milliseconds(1), fresh), false)
            }
        }
        let seconds: Double?
        do {
            seconds = try await queue.store.secondsUntilNextScheduled(tags: configuration.tags)
        } catch {
            return (idle, false)
        }
        now = ContinuousClock.now
        let next = seconds.map { now + .milliseconds(max(1, Int64(($0 * 1000).rounded(.up)))) }
        dueCache.withLock { $0 = (now, next) }
        if let next, next - now < idle { return (next - now, true) }
        return (cached ? refresh : idle, false)
    }

    /// How long a look at the next due time serves the waits of fallback mode (``nextWake(cached:)``).
    static let fallbackLookReuse: Duration = .milliseconds(50)

    /// The consumer group this worker's reader reads in (``RenderTags/group(base:tags:)``).
    var readGroup: String { RenderTags.group(base: queue.dispatch.group, tags: configuration.tags) }

    /// Whether this machine has every tag a dispatch signal says its instruction requires (a
    /// signal without `requires` names an instruction any worker may take, or comes from the relay).
    func canServe(_ entry: RedisStreamEntry) -> Bool {
        guard let requires = entry.fields.first(where: { $0.name == "requires" })?.string, !requires.isEmpty else { return true }
        let mine = Set(configuration.tags)
        return requires.split(separator: ",").allSatisfy { mine.contains(String($0)) }
    }

    /// Takes the due times scheduled instructions' signals carry into ``dueCache``.
    func noteDueTimes(_ entries: [RedisStreamEntry]) {
        let dues = entries.compactMap { entry in entry.fields.first { $0.name == "due" }.flatMap { Int64($0.string) } }
        guard let earliest = dues.min() else { return }
        let now = ContinuousClock.now
        let at = now + .milliseconds(earliest - Int64((Date().timeIntervalSince1970 * 1000).rounded()))
        dueCache.withLock { cache in
            guard let current = cache else { return } // unknown: the next wait looks anyway
            cache = (current.checkedAt, current.next.map { min($0, at) } ?? at)
        }
    }

    /// Gives back a claim that was never rendered (the worker stopped right after claiming it).
    private func handBackUnstarted(_ claim: RenderClaim) async {
        var logger: Logger { self.logger(for: claim) } // built only to log
        do {
            try await queue.store.handBack(claim, reason: "worker \(claim.workerID) stopped before the render started")
            count { $0.handedBack += 1 }
            await queue.events.render("instruction_updated", claim.instruction, status: .pending)
        } catch {
            logger.warning("instruction \(claim.instruction.id): could not hand back (\(error)); the lease will expire and the job be recovered")
        }
    }

    /// Takes the reader role if no slot holds it.
    private func becomeReader() -> Bool {
        state.withLock { state in
            guard !state.readerActive else { return false }
            state.readerActive = true
            return true
        }
    }

    private func resignReader() {
        state.withLock { $0.readerActive = false }
    }

    private func switchMode(to newMode: DispatchMode, because error: (any Error)?) {
        let changed = state.withLock { state -> Bool in
            defer { state.mode = newMode }
            return state.mode != newMode
        }
        guard changed else { return }
        HubMetrics.fallbackMode(newMode == .databaseFallback)
        if let error {
            logger.warning("dispatch mode \(newMode.rawValue): Redis is unreachable (\(error)); claiming from PostgreSQL with LISTEN/NOTIFY wake-ups")
        } else {
            logger.notice("dispatch mode \(newMode.rawValue): Redis is back")
        }
    }

    /// The wait before the next try of a failed database statement: 250 ms, doubling, at most 5 s.
    static func databaseBackoff(after failures: Int) -> Duration {
        .milliseconds(min(5000, 250 << min(max(failures - 1, 0), 5)))
    }

    /// Whether `error` is one a database that restarts, fails over or is busy gives: the statement
    /// may go through when tried again.
    static func isTransientDatabaseError(_ error: any Error) -> Bool {
        if let error = error as? PostgresError {
            switch error.code {
            case .connectionFailed, .connectionClosed, .poolTimeout, .cancelled:
                return true
            case .server:
                guard let state = error.sqlState else { return false }
                // 08: connection exception; 57P0x: shutdown, crash, cannot connect now; 53:
                // insufficient resources; 25006: read-only (a standby during failover); 40001/40P01.
                return state.hasPrefix("08") || state.hasPrefix("57P") || state.hasPrefix("53")
                    || state == "25006" || error.isRetryableTransactionFailure
            default:
                return false
            }
        }
        if let error = error as? HubError { return error.code == .unavailable }
        return false
    }

    /// Runs a statement that records a claimed job's outcome until it goes through. A transient
    /// database error (``isTransientDatabaseError(_:)``) is logged and the statement tried again
    /// with backoff — the lease fencing decides when the database is back: a refused lease
    /// (`leaseLost`) is thrown at once, as is any other error. A worker that is stopping gives up
    /// once its grace and one lease have passed (the job's lease then expires and it is recovered).
    func persisting<T: Sendable>(_ what: String, of claim: RenderClaim, _ body: () async throws -> T) async throws -> T {
        var logger: Logger { self.logger(for: claim) } // built only to log
        var failures = 0
        while true {
            do {
                let result = try await body()
                if failures > 0 {
                    logger.notice("instruction \(claim.instruction.id): \(what) recorded after \(failures) failed attempt(s)")
                }
                return result
            } catch {
                guard Self.isTransientDatabaseError(error), !Task.isCancelled else { throw error }
                if let deadline = state(\.stopDeadline), ContinuousClock.now >= deadline + configuration.lease { throw error }
                failures += 1
                if failures == 1 || failures % 20 == 0 {
                    logger.warning("instruction \(claim.instruction.id): cannot record \(what) (\(error)); trying again until the database answers (\(failures) failed so far)")
                }
                try? await Task.sleep(for: Self.databaseBackoff(after: failures))
            }
        }
    }

    /// Counts claims by dispatch mode and, for first attempts, the dispatch latency: the
    /// instruction's commit (or due time) to its claim, both PostgreSQL timestamps.
    static func measure(_ claims: [RenderClaim], mode: String) {
        HubMetrics.claimed(claims.count, mode: mode)
        for claim in claims where claim.attempt == 1 {
            guard let started = claim.instruction.startedAt else { continue }
            HubMetrics.recordDispatchLatency(seconds: started.timeIntervalSince(max(claim.instruction.createdAt, claim.instruction.scheduledAt)))
        }
    }

    /// Updates the summary and counts what changed in the process's metrics.
    func count(_ update: (inout RenderWorkerSummary) -> Void) {
        let (before, after) = state.withLock { state in
            let before = state.summary
            update(&state.summary)
            return (before, state.summary)
        }
        for (outcome, delta) in [("completed", after.completed - before.completed), ("failed", after.failed - before.failed),
                                 ("cancelled", after.cancelled - before.cancelled), ("handed_back", after.handedBack - before.handedBack),
                                 ("lease_lost", after.leaseLost - before.leaseLost)] where delta > 0 {
            for _ in 0..<delta { HubMetrics.renderFinished(outcome: outcome) }
        }
    }

    func state<T>(_ keyPath: KeyPath<State, T>) -> T {
        state.withLock { $0[keyPath: keyPath] }
    }

    /// Heartbeats go out every `heartbeatInterval`; the watcher wakes more often to notice a stop.
    func shouldHeartbeat(_ claim: RenderClaim) -> Bool {
        let now = ContinuousClock.now
        return state.withLock { state in
            let last = state.lastHeartbeat[claim.leaseToken] ?? .now - configuration.heartbeatInterval * 2
            guard now - last >= configuration.heartbeatInterval else { return false }
            state.lastHeartbeat[claim.leaseToken] = now
            return true
        }
    }
}
