import Synchronization

/// A connection owned by a ``ConnectionPool``: something with a thread of its own.
public protocol PooledConnection: AnyObject, Sendable {
    /// The thread the connection's C calls run on.
    var executor: ThreadExecutor { get }
}

/// The bounded pool both drivers use: a lock-protected free list, a FIFO line of waiters, lazy
/// creation up to `maxConnections`, and affinity (see ``acquire(forAffinity:)``).
///
/// Taking an idle connection is a plain function call under a mutex: no executor hop. A caller
/// that finds every connection busy waits in line, up to `acquireTimeout` when one is set.
public final class ConnectionPool<Connection: PooledConnection>: Sendable {
    /// What the pool says when it must fail a caller; each driver words these in its own error type.
    public struct Errors: Sendable {
        /// The pool was closed.
        public var closed: @Sendable () -> any Error
        /// No connection became free within the acquire timeout (the timeout, the pool size).
        public var timeout: @Sendable (Duration, Int) -> any Error

        /// Creates the error factories.
        public init(closed: @escaping @Sendable () -> any Error, timeout: @escaping @Sendable (Duration, Int) -> any Error) {
            self.closed = closed
            self.timeout = timeout
        }
    }

    @usableFromInline
    enum Grant {
        case connection(Connection)
        case create
    }

    @usableFromInline
    enum ReleaseStep {
        case wake(Waiter)
        case keep
        case drop
    }

    @usableFromInline
    struct Waiter {
        @usableFromInline var id: UInt64
        @usableFromInline var continuation: CheckedContinuation<Grant, any Error>
    }

    @usableFromInline
    struct State {
        @usableFromInline var idle: [Connection] = []
        @usableFromInline var open = 0
        @usableFromInline var waiters: [Waiter] = []
        @usableFromInline var nextWaiterID: UInt64 = 0
        @usableFromInline var closed = false
        /// How many affinity loops run on each connection's thread.
        @usableFromInline var adopted: [ObjectIdentifier: Int] = [:]
        @usableFromInline init() {}
    }

    /// The most connections the pool opens.
    public let maxConnections: Int
    /// How long a caller waits for a free connection (nil = until cancelled).
    public let acquireTimeout: Duration?
    @usableFromInline let connect: @Sendable () async throws -> Connection
    @usableFromInline let errors: Errors
    @usableFromInline let state = PThreadLocked(State())

    /// Creates a pool; `connect` opens one new connection when the pool grows.
    public init(
        maxConnections: Int,
        acquireTimeout: Duration?,
        errors: Errors,
        connect: @escaping @Sendable () async throws -> Connection
    ) {
        precondition(maxConnections > 0, "a pool needs at least one connection")
        self.maxConnections = maxConnections
        self.acquireTimeout = acquireTimeout
        self.errors = errors
        self.connect = connect
    }

    /// Connections currently open (idle or in use).
    public var openConnections: Int { state.withLock { $0.open } }

    /// Takes a connection: an idle one (the one whose thread the caller runs on, if any), a new one
    /// while below the limit, or the next one released.
    ///
    /// With `forAffinity`, prefers a connection no affinity loop has adopted yet and grows the
    /// pool for it, so concurrent affinity loops are spread over the connections.
    @inlinable
    public func acquire(forAffinity: Bool = false) async throws -> Connection {
        let grant: Grant? = try state.withLock { state in
            try Self.immediateGrant(&state, maxConnections: maxConnections, forAffinity: forAffinity, errors: errors)
        }
        switch grant {
        case .connection(let connection): return connection
        case .create: return try await create()
        case nil:
            switch try await waitInLine(forAffinity: forAffinity) {
            case .connection(let connection): return connection
            case .create: return try await create()
            }
        }
    }

    /// Returns a connection taken with ``acquire(forAffinity:)``.
    /// - Returns: false when the pool is closed and the connection was dropped from it (the
    ///   caller closes it).
    @inlinable @discardableResult
    public func release(_ connection: Connection) -> Bool {
        let next: ReleaseStep = state.withLock { state in
            if state.closed {
                state.open -= 1
                return .drop
            }
            if !state.waiters.isEmpty { return .wake(state.waiters.removeFirst()) }
            state.idle.append(connection)
            return .keep
        }
        switch next {
        case .wake(let waiter):
            waiter.continuation.resume(returning: .connection(connection))
            return true
        case .keep: return true
        case .drop: return false
        }
    }

    /// Counts one more (`by: 1`) or one fewer (`by: -1`) affinity loop on `connection`'s thread.
    public func adopt(_ connection: Connection, by delta: Int) {
        let key = ObjectIdentifier(connection)
        state.withLock { state in
            let count = state.adopted[key, default: 0] + delta
            state.adopted[key] = count > 0 ? count : nil
        }
    }

    /// Refuses new work, fails every waiter, and hands back the idle connections for the caller
    /// to close; connections in use are dropped when released.
    public func close() -> [Connection] {
        let (idle, waiters) = state.withLock { state in
            state.closed = true
            defer {
                state.open -= state.idle.count
                state.idle = []
                state.waiters = []
            }
            return (state.idle, state.waiters)
        }
        for waiter in waiters { waiter.continuation.resume(throwing: errors.closed()) }
        return idle
    }

    // MARK: Internals

    @inlinable
    static func immediateGrant(_ state: inout State, maxConnections: Int, forAffinity: Bool, errors: Errors) throws -> Grant? {
        if state.closed { throw errors.closed() }
        if forAffinity {
            if let index = state.idle.lastIndex(where: { state.adopted[ObjectIdentifier($0)] == nil }) {
                return .connection(state.idle.remove(at: index))
            }
            if state.open < maxConnections {
                state.open += 1
                return .create
            }
            if let index = state.idle.indices.min(by: {
                state.adopted[ObjectIdentifier(state.idle[$0]), default: 0] < state.adopted[ObjectIdentifier(state.idle[$1]), default: 0]
            }) {
                return .connection(state.idle.remove(at: index))
            }
        }
        if !state.idle.isEmpty {
            // A caller already running on an idle connection's thread (an affinity loop) gets that
            // connection: its call then needs no thread switch at all.
            if let index = state.idle.lastIndex(where: { $0.executor.isCurrent }) {
                return .connection(state.idle.remove(at: index))
            }
            // Others prefer connections no affinity loop lives on: a blocking call on such a
            // connection would stall the whole loop sharing its thread.
            if let index = state.idle.lastIndex(where: { state.adopted[ObjectIdentifier($0)] == nil }) {
                return .connection(state.idle.remove(at: index))
            }
            return .connection(state.idle.removeLast())
        }
        if state.open < maxConnections {
            state.open += 1
            return .create
        }
        return nil
    }

    /// Opens a connection for a slot already counted in `open`; on failure the slot goes to the
    /// next waiter (who tries for itself) or is freed.
    @usableFromInline
    func create() async throws -> Connection {
        do {
            return try await connect()
        } catch {
            let waiter: Waiter? = state.withLock { state in
                if state.waiters.isEmpty {
                    state.open -= 1
                    return nil
                }
                return state.waiters.removeFirst()
            }
            waiter?.continuation.resume(returning: .create)
            throw error
        }
    }

    @usableFromInline
    func waitInLine(forAffinity: Bool) async throws -> Grant {
        let id = state.withLock { state in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        var timer: Task<Void, any Error>?
        if let timeout = acquireTimeout {
            let maxConnections = maxConnections
            let errors = errors
            timer = Task { [weak self] in
                try await Task.sleep(for: timeout)
                self?.abandon(id, with: errors.timeout(timeout, maxConnections))
            }
        }
        defer { timer?.cancel() }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Grant, any Error>) in
                let immediate: Result<Grant, any Error>? = state.withLock { state in
                    do {
                        if let grant = try Self.immediateGrant(&state, maxConnections: maxConnections, forAffinity: forAffinity, errors: errors) {
                            return .success(grant)
                        }
                    } catch {
                        return .failure(error)
                    }
                    // Cancelled before joining the line: the cancellation handler found nothing to remove.
                    if Task.isCancelled { return .failure(CancellationError()) }
                    state.waiters.append(Waiter(id: id, continuation: continuation))
                    return nil
                }
                if let immediate { continuation.resume(with: immediate) }
            }
        } onCancel: {
            self.abandon(id, with: CancellationError())
        }
    }

    private func abandon(_ id: UInt64, with error: any Error) {
        let waiter: Waiter? = state.withLock { state in
            guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return state.waiters.remove(at: index)
        }
        waiter?.continuation.resume(throwing: error)
    }
}
