import HubDriverSupport
import Logging
import Synchronization

/// A bounded set of ``RedisConnection``s shared by one ``RedisClient``.
///
/// The free list sits behind a mutex, so taking an idle connection is a plain function call: the
/// only executor hop a command makes is the one onto its connection's thread. Connections are
/// created lazily (they connect on their first command) up to `maxSize`; further callers wait in
/// FIFO order and are handed connections directly as others are released.
final class RedisConnectionPool: Sendable {
    private struct Waiter {
        var id: Int
        var continuation: CheckedContinuation<RedisConnection, any Error>
    }

    private struct State {
        var idle: [RedisConnection] = []
        var open = 0
        var waiters: [Waiter] = []
        var nextID = 0
        var closed = false
        /// How many `withAffinity` loops run on each connection's thread.
        var adopted: [ObjectIdentifier: Int] = [:]
    }

    private enum Step {
        case use(RedisConnection)
        case create(Int)
        case fail(any Error)
        case waiting
    }

    private let state = Mutex(State())
    private let configuration: RedisConfiguration
    private let logger: Logger
    private let maxSize: Int

    init(configuration: RedisConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        self.maxSize = max(1, configuration.poolSize)
    }

    /// Takes an idle connection, creates one if below the limit, or waits for one.
    nonisolated(nonsending) func acquire(forAffinity: Bool = false) async throws -> RedisConnection {
        let step = state.withLock { state in
            forAffinity ? Self.affinityStep(&state, maxSize: maxSize) : Self.immediateStep(&state, maxSize: maxSize)
        }
        switch step {
        case .use(let connection): return connection
        case .create(let number): return makeConnection(number)
        case .fail(let error): throw error
        case .waiting: return try await waitForConnection()
        }
    }

    /// Returns a connection taken with ``acquire()``.
    func release(_ connection: RedisConnection) {
        let handOff: CheckedContinuation<RedisConnection, any Error>? = state.withLock { state in
            if state.closed {
                state.open -= 1
                return nil
            }
            if !state.waiters.isEmpty { return state.waiters.removeFirst().continuation }
            state.idle.append(connection)
            return nil
        }
        // When closed, dropping the last reference closes the socket and stops the thread.
        handOff?.resume(returning: connection)
    }

    /// Fails every waiter and closes the idle connections; busy ones close when released.
    func close() async {
        let (idle, waiters) = state.withLock { state in
            state.closed = true
            state.open -= state.idle.count
            defer { state.idle = []; state.waiters = [] }
            return (state.idle, state.waiters)
        }
        for waiter in waiters { waiter.continuation.resume(throwing: Self.closedError) }
        for connection in idle { await connection.close() }
    }

    private nonisolated(nonsending) func waitForConnection() async throws -> RedisConnection {
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<RedisConnection, any Error>) in
                let step = state.withLock { state -> Step in
                    let step = Self.immediateStep(&state, maxSize: maxSize)
                    guard case .waiting = step else { return step }
                    if Task.isCancelled { return .fail(CancellationError()) }
                    state.waiters.append(Waiter(id: id, continuation: continuation))
                    return .waiting
                }
                switch step {
                case .use(let connection): continuation.resume(returning: connection)
                case .create(let number): continuation.resume(returning: makeConnection(number))
                case .fail(let error): continuation.resume(throwing: error)
                case .waiting: break
                }
            }
        } onCancel: {
            let cancelled = state.withLock { state -> Waiter? in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: index)
            }
            cancelled?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Marks one more (or, with `by: -1`, one fewer) affinity loop on `connection`'s thread.
    func adopt(_ connection: RedisConnection, by delta: Int) {
        let key = ObjectIdentifier(connection)
        state.withLock { state in
            let count = state.adopted[key, default: 0] + delta
            state.adopted[key] = count > 0 ? count : nil
        }
    }

    /// For `withAffinity`: a connection no other affinity loop runs on, a new one while below the
    /// limit, else the least adopted idle one.
    private static func affinityStep(_ state: inout State, maxSize: Int) -> Step {
        if state.closed { return .fail(closedError) }
        if let index = state.idle.lastIndex(where: { state.adopted[ObjectIdentifier($0)] == nil }) {
            return .use(state.idle.remove(at: index))
        }
        if state.open < maxSize {
            state.open += 1
            state.nextID += 1
            return .create(state.nextID)
        }
        if let index = state.idle.indices.min(by: {
            state.adopted[ObjectIdentifier(state.idle[$0]), default: 0] < state.adopted[ObjectIdentifier(state.idle[$1]), default: 0]
        }) {
            return .use(state.idle.remove(at: index))
        }
        return .waiting
    }

    private static func immediateStep(_ state: inout State, maxSize: Int) -> Step {
        if state.closed { return .fail(closedError) }
        if !state.idle.isEmpty {
            // A caller already on an idle connection's thread (RedisClient.withAffinity) gets that
            // connection, so its command needs no thread switch.
            if let index = state.idle.lastIndex(where: { $0.executor.isCurrent }) {
                return .use(state.idle.remove(at: index))
            }
            return .use(state.idle.removeLast())
        }
        if state.open < maxSize {
            state.open += 1
            state.nextID += 1
            return .create(state.nextID)
        }
        return .waiting
    }

    private func makeConnection(_ number: Int) -> RedisConnection {
        RedisConnection(configuration: configuration, logger: logger, name: "hub-redis-\(number % 10_000)")
    }

    private static var closedError: RedisError {
        RedisError(code: .poolClosed, message: "the Redis client was closed", hint: "create a new RedisClient")
    }
}
