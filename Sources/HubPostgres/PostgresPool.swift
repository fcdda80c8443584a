import Foundation
import HubDriverSupport

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

    private let pool: ConnectionPool<PostgresConnection>

    /// Creates a pool. No connection is opened until the first call.
    public init(configuration: PostgresConfiguration, maxConnections: Int = 8, acquireTimeout: Duration = .seconds(10)) {
        self.configuration = configuration
        self.maxConnections = maxConnections
        self.acquireTimeout = acquireTimeout
        pool = ConnectionPool(
            maxConnections: maxConnections,
            acquireTimeout: acquireTimeout,
            errors: .init(
                closed: { PostgresError(.poolClosed, "the PostgreSQL pool was closed") },
                timeout: { timeout, size in
                    PostgresError(.poolTimeout, "no PostgreSQL connection became free within \(timeout) (pool of \(size))",
                                  hint: "raise the pool size or find what holds connections")
                }
            ),
            connect: { try await PostgresConnection.connect(configuration) }
        )
    }

    /// Creates a pool from a `postgres://` URL.
    /// - Throws: ``PostgresError`` `.invalidURL`.
    public convenience init(url: String, maxConnections: Int = 8, acquireTimeout: Duration = .seconds(10)) throws {
        self.init(configuration: try PostgresConfiguration(url: url), maxConnections: maxConnections, acquireTimeout: acquireTimeout)
    }

    /// Borrows a connection for the duration of `body`.
    public func withConnection<T>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        let connection = try await pool.acquire()
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
        let connection = try await pool.acquire(forAffinity: true)
        pool.adopt(connection, by: 1)
        release(connection)
        defer { pool.adopt(connection, by: -1) }
        return try await withTaskExecutorPreference(connection.taskExecutor) {
            try await body()
        }
    }

    /// Runs one statement on a pooled connection and returns its rows.
    @discardableResult
    public func query(_ query: PostgresQuery) async throws -> PostgresResult {
        let connection = try await pool.acquire()
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
        for connection in pool.close() { await connection.close() }
    }

    /// Connections currently open (idle or in use).
    public var openConnections: Int { pool.openConnections }

    // MARK: Acquire and release

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
        if !pool.release(connection) {
            Task { await connection.close() }
        }
    }
}
