import Foundation
import HubDriverSupport
import HubPostgres
import HubRedis
import Logging

/// How a worker learns that instructions are ready.
public enum DispatchMode: String, Sendable, Codable {
    /// Blocking reads on the Redis stream's consumer group.
    case redis
    /// Redis is unreachable: `LISTEN/NOTIFY` wake-ups from PostgreSQL plus a short poll.
    case databaseFallback = "db-fallback"
}

/// Settings of a ``RenderWorker``.
public struct RenderWorkerConfiguration: Sendable {
    /// Render slots (parallel renders) in this process.
    public var concurrency: Int = 1
    /// How long a claim lasts without a heartbeat.
    public var lease: Duration = .seconds(30)
    /// How often a rendering slot extends its lease and reports progress.
    public var heartbeatInterval: Duration = .seconds(5)
    /// The longest an idle slot sleeps before looking at the queue again.
    public var idleWait: Duration = .seconds(1)
    /// How often a slot in fallback mode checks whether Redis is back.
    public var redisRetryInterval: Duration = .seconds(5)
    /// Backoff of failed attempts.
    public var retryPolicy = RetryPolicy()
    /// How long a stopping worker lets running renders finish before handing them back.
    public var shutdownGrace: Duration = .seconds(30)
    /// Where outputs are written.
    public var outputDirectory: URL = URL(fileURLWithPath: ".hub/output")
    /// Consumer names are `<prefix>-<slot>`; by default host and process id.
    public var consumerPrefix: String = "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)"
    /// Exit when no instruction is due instead of waiting for more (`hub-worker --once`).
    public var once = false
    /// How often the worker takes back instructions whose lease expired (the Zombie Hunter's
    /// lease rule; every worker runs it, one acts at a time).
    public var hunterInterval: Duration = .seconds(60)
    /// The hunter's, reconciler's, monitor's and notifier's settings (RenderWorker+Operations.swift).
    public var operations = WorkerOperations()

    /// The defaults.
    public init() {}
}

/// Counts of what a worker did.
public struct RenderWorkerSummary: Sendable, Hashable {
    public var completed = 0
    public var failed = 0
    public var cancelled = 0
    public var handedBack = 0
    public var leaseLost = 0
}

/// The render worker (`hub-worker`): slots that wait for a dispatch signal, claim the next due
/// instruction from PostgreSQL, render it with the backend while heartbeating, and record the
/// outcome — switching to PostgreSQL wake-ups while Redis is unreachable and back when it returns.
public final class RenderWorker: Sendable {
    /// The queue (store, Redis, names).
    public let queue: RenderQueue
    /// The backend that renders.
    public let backend: any RenderBackend
    /// The settings.
    public let configuration: RenderWorkerConfiguration
    let logger: Logger
    private let board = WakeUpBoard()
    let state = PThreadLocked(State())

    struct State {
        var mode: DispatchMode = .redis
        var lastHeartbeat: [UUID: ContinuousClock.Instant] = [:]
        var stopDeadline: ContinuousClock.Instant?
        var summary = RenderWorkerSummary()
    }

    /// Creates a worker.
    public init(queue: RenderQueue, backend: any RenderBackend, configuration: RenderWorkerConfiguration,
                logger: Logger = Logger(label: "hub.worker")) {
        self.queue = queue
        self.backend = backend
        self.configuration = configuration
        self.logger = logger
    }

    /// The current dispatch mode.
    public var mode: DispatchMode { state.withLock { $0.mode } }
    /// What the worker has done so far.
    public var summary: RenderWorkerSummary { state.withLock { $0.summary } }

    /// Asks the worker to stop claiming; running renders get `grace` to finish, then are handed back.
    public func stop(grace: Duration? = nil) {
        let deadline = ContinuousClock.now + (grace ?? configuration.shutdownGrace)
        state.withLock { $0.stopDeadline = $0.stopDeadline ?? deadline }
        Task { await board.signal() }
    }

    var isStopping: Bool { state.withLock { $0.stopDeadline != nil } }

    /// Runs the slots until ``stop(grace:)`` (or, with `once`, until nothing is due).
    public func run() async throws -> RenderWorkerSummary {
        try FileManager.default.createDirectory(at: configuration.outputDirectory, withIntermediateDirectories: true)
        do {
            try await queue.ensureGroup()
            try await queue.relay()
        } catch {
            switchMode(to: .databaseFallback, because: error)
        }
        let notifications = try await queue.store.pool.listen(to: [RenderStore.pendingChannel])
        let listener = Task { [board] in
            do {
                for try await _ in notifications { await board.signal() }
            } catch {
                // The LISTEN connection was lost: slots still poll every idleWait.
            }
        }
        defer { listener.cancel() }
        let registry = ServiceRegistry(pool: queue.store.pool)
        let registryID = "hub-worker:\(configuration.consumerPrefix)"
        let registration = Task {
            while !Task.isCancelled {
                try? await registry.heartbeat(id: registryID, kind: "hub-worker", mode: self.mode.rawValue, details: [
                    "slots": .integer(Int64(self.configuration.concurrency)), "backend": .string(self.backend.name),
                    "completed": .integer(Int64(self.summary.completed)),
                ])
                try? await Task.sleep(for: .seconds(5))
            }
        }
        let hunter = Task {
            while !Task.isCancelled {
                await self.runOperationsPass()
                try? await Task.sleep(for: self.configuration.hunterInterval)
            }
        }
        defer {
            registration.cancel()
            hunter.cancel()
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for slot in 0..<max(1, configuration.concurrency) {
                group.addTask { try await self.runSlot(consumer: "\(self.configuration.consumerPrefix)-\(slot)") }
            }
            try await group.waitForAll()
        }
        registration.cancel()
        hunter.cancel()
        try? await registry.deregister(id: registryID)
        return summary
    }

    private func runSlot(consumer: String) async throws {
        var lastRedisCheck = ContinuousClock.now
        while !isStopping && !Task.isCancelled {
            if let claim = try await queue.store.claimNext(worker: consumer, lease: configuration.lease) {
                await process(claim)
                continue
            }
            if configuration.once { return }
            switch mode {
            case .redis:
                do {
                    let entries = try await queue.redis.xreadgroup(
                        group: queue.dispatch.group, consumer: consumer, stream: queue.dispatch.stream,
                        count: 1, block: configuration.idleWait)
                    if !entries.isEmpty {
                        _ = try await queue.redis.xack(queue.dispatch.stream, group: queue.dispatch.group, ids: entries.map(\.id))
                    }
                } catch is CancellationError {
                    return
                } catch let error as RedisError where error.serverErrorPrefix == "NOGROUP" {
                    try? await queue.ensureGroup()
                } catch {
                    switchMode(to: .databaseFallback, because: error)
                }
            case .databaseFallback:
                await board.wait(timeout: configuration.idleWait)
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
    }

    private func switchMode(to newMode: DispatchMode, because error: (any Error)?) {
        let changed = state.withLock { state -> Bool in
            defer { state.mode = newMode }
            return state.mode != newMode
        }
        guard changed else { return }
        if let error {
            logger.warning("dispatch mode \(newMode.rawValue): Redis is unreachable (\(error)); claiming from PostgreSQL with LISTEN/NOTIFY wake-ups")
        } else {
            logger.notice("dispatch mode \(newMode.rawValue): Redis is back")
        }
    }

    func count(_ update: (inout RenderWorkerSummary) -> Void) {
        state.withLock { update(&$0.summary) }
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
