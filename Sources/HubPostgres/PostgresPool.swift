import Foundation
import Synchronization

/// A pool of PostgreSQL connections with a maximum size.
///
/// Callers borrow a connection for the length of a closure (`withConnection`, `withTransaction`)
/// or run one statement (`query`, `execute`). When all connections are busy, callers wait in line
/// up to `acquireTimeout`, then fail with `.poolTimeout`. Connections are opened lazily and
/// re-open themselves after a server restart.
public final class PostgresPool: Sendable {
    /// How connections reach the server.
    public let configuration: PostgresConfiguration
    /// The most connections this pool opens.
    public let maxConnections: Int
    /// How long a caller waits for a free connection.
    public let acquireTimeout: Duration

    private enum Grant {
        case connection(PostgresConnection)
        case create
    }

    private struct Waiter {
        var id: UInt64
        var continuation: CheckedContinuation<Grant, any Error>
    }

    private struct State {
        var idle: [PostgresConnection] = []
        var open = 0
        var waiters: [Waiter] = []
        var nextWaiterID: UInt64 = 0
        var closed = false
        /// How many `withAffinity` loops run on each connection's thread.
        var adopted: [ObjectIdentifier: Int] = [:]
    }

    private let state = Mutex(State())

    /// Creates a pool. No connection is opened until the first call.
    public init(configuration: PostgresConfiguration, maxConnections: Int = 8, acquireTimeout: Duration = .seconds(10)) {
        precondition(maxConnections > 0, "a pool needs at least one connection")
        self.configuration = configuration
        self.maxConnections = maxConnections
        self.acquireTimeout = acquireTimeout
    }

    /// Creates a pool from a `postgres://` URL.
    /// - Throws: ``PostgresError`` `.invalidURL`.
    public convenience init(url: String, maxConnections: Int = 8, acquireTimeout: Duration = .seconds(10)) throws {
        self.init(configuration: try PostgresConfiguration(url: url), maxConnections: maxConnections, acquireTimeout: acquireTimeout)
    }

    /// Borrows a connection for the duration of `body`.
    public func withConnection<T>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        let connection = try await acquire()
        do {
            let value = try await withTaskExecutorPreference(connection.taskExecutor) {
                try await body(connection)
            }
            release(connection)
            return value
        } catch {
            release(connection)
            throw error
        }
    }

    /// Runs `body` inside `BEGIN … COMMIT`; if `body` throws (or the task is cancelled) the
    /// transaction is rolled back and the error rethrown.
    public func withTransaction<T>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await withConnection { connection in
            try await connection.withTransaction(body)
        }
    }

    /// Runs `body` on the thread of one of the pool's connections without holding that connection.
    ///
    /// Long-running sequential loops (a worker slot, an import) use this: each `query`,
    /// `withConnection` or `withTransaction` they make through the pool gets that same connection
    /// when it is free, and then costs no thread switch — the caller already runs where libpq
    /// blocks. Without it, a statement issued from Swift's cooperative pool needs two thread
    /// hand-offs (there and back), which on a 2-core machine is a third of a loopback round trip.
    ///
    /// Concurrent affinity loops are spread over the connections (a new one is opened while the
    /// pool is below its size), so N loops on a pool of N connections each get their own.
    public func withAffinity<T>(_ body: () async throws -> T) async throws -> T {
        let connection = try await acquire(forAffinity: true)
        let key = ObjectIdentifier(connection)
        state.withLock { $0.adopted[key, default: 0] += 1 }
        release(connection)
        defer {
            state.withLock { state in
                let remaining = (state.adopted[key] ?? 1) - 1
                state.adopted[key] = remaining > 0 ? remaining : nil
            }
        }
        return try await withTaskExecutorPreference(connection.taskExecutor) {
            try await body()
        }
    }

    /// Runs one statement on a pooled connection and returns its rows.
    @discardableResult
    public func query(_ query: PostgresQuery) async throws -> PostgresResult {
        let connection = try await acquire()
        do {
            let result = try await connection.query(query)
            release(connection)
            return result
        } catch {
            release(connection)
            throw error
        }
    }

    /// Runs one statement and returns the number of rows it affected.
    @discardableResult
    public func execute(_ query: PostgresQuery) async throws -> Int {
        try await self.query(query).affectedRows
    }

    /// Sends `NOTIFY channel, payload` with both values bound (through `pg_notify`).
    public func notify(_ channel: String, payload: String = "") async throws {
        try await query("SELECT pg_notify(\(channel), \(payload))")
    }

    /// Closes idle connections and refuses new work; connections in use close when returned.
    public func close() async {
        let (idle, waiters) = state.withLock { state in
            state.closed = true
            let idle = state.idle
            let waiters = state.waiters
            state.open -= idle.count
            state.idle = []
            state.waiters = []
            return (idle, waiters)
        }
        for waiter in waiters {
            waiter.continuation.resume(throwing: PostgresError(.poolClosed, "the PostgreSQL pool was closed"))
        }
        for connection in idle { await connection.close() }
    }

    /// Connections currently open (idle or in use).
    public var openConnections: Int { state.withLock { $0.open } }

    // MARK: Acquire and release

    private func acquire(forAffinity: Bool = false) async throws -> PostgresConnection {
        let grant: Grant? = try state.withLock { state in
            if state.closed { throw PostgresError(.poolClosed, "the PostgreSQL pool was closed") }
            if forAffinity {
                // Prefer a connection no other affinity loop runs on; open one if allowed.
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
                // A caller already running on an idle connection's thread (see withAffinity) gets
                // that connection: its statements then need no thread switch at all.
                if let index = state.idle.lastIndex(where: { $0.isCurrentThread }) {
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
        switch grant {
        case .connection(let connection): return connection
        case .create: return try await create()
        case nil:
            switch try await waitInLine() {
            case .connection(let connection): return connection
            case .create: return try await create()
            }
        }
    }

    /// Opens a new connection for a slot already counted in `open`.
    private func create() async throws -> PostgresConnection {
        do {
            return try await PostgresConnection.connect(configuration)
        } catch {
            // Give the slot to the next waiter so it can try for itself, or free it.
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

    private func waitInLine() async throws -> Grant {
        let id = state.withLock { state in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        let timeout = acquireTimeout
        let maxConnections = maxConnections
        let timer = Task { [weak self] in
            try await Task.sleep(for: timeout)
            self?.abandon(id, with: PostgresError(.poolTimeout,
                "no PostgreSQL connection became free within \(timeout) (pool of \(maxConnections))",
                hint: "raise the pool size or find what holds connections"))
        }
        defer { timer.cancel() }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Grant, any Error>) in
                let immediate: Result<Grant, any Error>? = state.withLock { state in
                    if state.closed { return .failure(PostgresError(.poolClosed, "the PostgreSQL pool was closed")) }
                    if let connection = state.idle.popLast() { return .success(.connection(connection)) }
                    if state.open < maxConnections {
                        state.open += 1
                        return .success(.create)
                    }
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

    private func release(_ connection: PostgresConnection) {
        if connection.isInTransaction {
            // A caller left a transaction open (or a statement failed inside one): roll it back
            // before anyone else gets this connection.
            Task {
                await connection.rollbackIfOpen()
                self.checkIn(connection)
            }
            return
        }
        checkIn(connection)
    }

    private func checkIn(_ connection: PostgresConnection) {
        enum Next { case wake(Waiter), keep, drop }
        let next: Next = state.withLock { state in
            if state.closed {
                state.open -= 1
                return .drop
            }
            if !state.waiters.isEmpty { return .wake(state.waiters.removeFirst()) }
            state.idle.append(connection)
            return .keep
        }
        switch next {
        case .wake(let waiter): waiter.continuation.resume(returning: .connection(connection))
        case .keep: break
        case .drop: Task { await connection.close() }
        }
    }
}
