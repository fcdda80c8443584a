import HubDriverSupport
import Logging
import Synchronization

/// The connections of one ``RedisClient``: the shared ``ConnectionPool`` of HubDriverSupport with
/// Redis's errors. Connections are created lazily (they connect on their first command) up to
/// the pool size; further callers wait in FIFO order until a connection is free or their task is
/// cancelled.
final class RedisConnectionPool: Sendable {
    private let pool: ConnectionPool<RedisConnection>

    init(configuration: RedisConfiguration, logger: Logger) {
        let counter = Atomic<Int>(0)
        pool = ConnectionPool(
            maxConnections: max(1, configuration.poolSize),
            acquireTimeout: nil,
            errors: .init(
                closed: { RedisPoolErrors.closed },
                timeout: { timeout, size in
                    RedisError(code: .timeout, message: "no Redis connection became free within \(timeout) (pool of \(size))")
                }
            ),
            connect: {
                let number = counter.add(1, ordering: .relaxed).newValue
                return RedisConnection(configuration: configuration, logger: logger, name: "hub-redis-\(number % 10_000)")
            }
        )
    }

    /// Takes an idle connection, creates one if below the limit, or waits for one.
    func acquire(forAffinity: Bool = false) async throws -> RedisConnection {
        try await pool.acquire(forAffinity: forAffinity)
    }

    /// Returns a connection taken with ``acquire(forAffinity:)``; after ``close()`` it is dropped,
    /// and dropping the last reference closes the socket and stops the thread.
    func release(_ connection: RedisConnection) {
        pool.release(connection)
    }

    /// Counts one more or one fewer affinity loop on `connection`'s thread.
    func adopt(_ connection: RedisConnection, by delta: Int) {
        pool.adopt(connection, by: delta)
    }

    /// Fails every waiter and closes the idle connections; busy ones close when released.
    func close() async {
        for connection in pool.close() { await connection.close() }
    }
}

enum RedisPoolErrors {
    static var closed: RedisError {
        RedisError(code: .poolClosed, message: "the Redis client was closed", hint: "create a new RedisClient")
    }
}
