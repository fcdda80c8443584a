import HubDriverSupport
import Logging

/// The front door to Redis: a small pool of connections plus typed helpers.
///
/// ```swift
/// let redis = try RedisClient(url: environment["HUB_REDIS_URL"]!)
/// try await redis.set("greeting", "hello")
/// let id = try await redis.xadd("jobs", fields: [("job", "42")])
/// await redis.close()
/// ```
///
/// Each command borrows a pooled connection for its duration (at most
/// ``RedisConfiguration/poolSize`` at once; further callers wait). Connections reconnect by
/// themselves after a Redis restart. Pub/Sub uses dedicated connections, see
/// ``subscribe(channels:)``.
public final class RedisClient: Sendable {
    /// The configuration the client was created with.
    public let configuration: RedisConfiguration
    let logger: Logger
    private let pool: RedisConnectionPool

    /// Creates a client. No connection is made until the first command.
    public init(configuration: RedisConfiguration, logger: Logger = Logger(label: "hub.redis")) {
        self.configuration = configuration
        self.logger = logger
        self.pool = RedisConnectionPool(configuration: configuration, logger: logger)
    }

    /// Creates a client from a `redis://` or `unix://` URL (see ``RedisConfiguration/init(url:)``).
    /// - Throws: ``RedisError`` `.invalidURL`.
    public convenience init(url: String, logger: Logger = Logger(label: "hub.redis")) throws {
        try self.init(configuration: RedisConfiguration(url: url), logger: logger)
    }

    /// Sends one command and returns its reply; an error reply is thrown as ``RedisError``
    /// with code ``RedisError/Code/server``.
    @discardableResult
    public nonisolated(nonsending) func send(_ arguments: [RedisArgument]) async throws -> RedisValue {
        let connection = try await pool.acquire()
        defer { pool.release(connection) }
        return try await connection.send(arguments)
    }

    /// Sends one command given as separate arguments: `send("INCRBY", "counter", 5)`.
    @discardableResult
    public nonisolated(nonsending) func send(_ arguments: RedisArgument...) async throws -> RedisValue {
        try await send(arguments)
    }

    /// Sends a command that blocks on the server for up to `block` (see
    /// ``RedisConnection/send(_:blockingFor:)``); cancelling the task interrupts it.
    @discardableResult
    public nonisolated(nonsending) func send(_ arguments: [RedisArgument], blockingFor block: Duration) async throws -> RedisValue {
        let connection = try await pool.acquire()
        defer { pool.release(connection) }
        return try await connection.send(arguments, blockingFor: block)
    }

    /// Sends all `commands` at once on one connection and returns every reply in order; error
    /// replies come back as ``RedisValue/error(_:)`` values.
    public nonisolated(nonsending) func pipeline(_ commands: [[RedisArgument]]) async throws -> [RedisValue] {
        let connection = try await pool.acquire()
        defer { pool.release(connection) }
        return try await connection.pipeline(commands)
    }

    /// Runs `body` with one connection to itself (for several commands in a row, e.g.
    /// `WATCH`/`MULTI`/`EXEC`). The connection goes back to the pool when `body` returns; do not
    /// keep it.
    public nonisolated(nonsending) func withConnection<Result>(
        _ body: nonisolated(nonsending) (RedisConnection) async throws -> Result
    ) async throws -> Result {
        let connection = try await pool.acquire()
        defer { pool.release(connection) }
        return try await body(connection)
    }

    /// Runs `body` synchronously on one connection's own thread, with the connection isolated.
    ///
    /// Each ``RedisConnection/send(_:)`` inside is a plain call: a sequence of dependent commands
    /// pays one executor hop in all instead of one per command. `body` blocks that connection's
    /// thread while it runs, so keep it to Redis work.
    public nonisolated(nonsending) func withIsolatedConnection<Result: Sendable>(
        _ body: @Sendable (isolated RedisConnection) throws -> Result
    ) async throws -> Result {
        let connection = try await pool.acquire()
        defer { pool.release(connection) }
        return try await connection.run(body)
    }

    /// Runs `body` on the thread of one of the client's connections without holding it.
    ///
    /// Sequential loops use this: each command they send through the client gets that same
    /// connection when it is free and then costs no thread switch, because the caller already runs
    /// where hiredis blocks. Without it a command issued from Swift's cooperative pool needs two
    /// thread hand-offs, which on a 2-core machine is a third of a loopback round trip.
    /// Concurrent affinity loops are spread over the connections, one each while they last.
    public func withAffinity<Result>(_ body: () async throws -> Result) async throws -> Result {
        let connection = try await pool.acquire(forAffinity: true)
        pool.adopt(connection, by: 1)
        pool.release(connection)
        defer { pool.adopt(connection, by: -1) }
        return try await withTaskExecutorPreference(connection.executor.taskExecutor) {
            try await body()
        }
    }

    /// Closes idle connections now and busy ones when they are released; waiting and later
    /// calls fail with ``RedisError/Code/poolClosed``. Open subscriptions are not affected.
    public func close() async {
        await pool.close()
    }
}
