import HubPostgres
import HubRedis
import Logging

/// The PostgreSQL pool and Redis client of one hub process, built from its configuration.
///
/// Connections open lazily: creating this never touches the network, so a command that only needs
/// PostgreSQL works while Redis is down, and the first statement reports an unreachable server
/// with a clear error.
package final class HubClients: Sendable {
    /// The configuration the clients were built from.
    package let configuration: HubConfiguration
    /// The PostgreSQL pool (the source of truth).
    package let database: PostgresPool
    /// The Redis client (dispatch signals and live events).
    package let redis: RedisClient
    /// Where images and clips in render data may come from (HUB_TEMPLATE_DIR, HUB_MEDIA_ROOTS,
    /// HUB_MEDIA_URL_PREFIXES): stores built from these clients refuse anything else.
    package let media: MediaPolicy

    /// Builds the clients.
    /// - Throws: ``HubError`` `.configuration` for a missing or malformed URL or pool size, or a
    ///   media URL prefix that is not an http(s) URL.
    package init(configuration: HubConfiguration, logger: Logger = Logger(label: "hub")) throws {
        self.configuration = configuration
        media = try MediaPolicy(configuration: configuration)
        do {
            let poolSize = try configuration.integer(.databasePoolSize, in: 1...256)
            database = PostgresPool(configuration: try PostgresConfiguration(url: try configuration.databaseURL()), maxConnections: poolSize)
        } catch let error as PostgresError {
            throw HubError(.configuration, "HUB_DATABASE_URL: \(error.message)" + (error.hint.map { " — \($0)" } ?? ""))
        }
        do {
            var redisConfiguration = try RedisConfiguration(url: try configuration.redisURL())
            redisConfiguration.poolSize = try configuration.integer(.redisPoolSize, in: 1...256)
            redis = RedisClient(configuration: redisConfiguration, logger: logger)
        } catch let error as RedisError {
            throw HubError(.configuration, "HUB_REDIS_URL: \(error.message)" + (error.hint.map { " — \($0)" } ?? ""))
        }
    }

    /// A render store on the database that checks media references with ``media``.
    package var renderStore: RenderStore { RenderStore(pool: database, media: media) }

    /// Closes every connection.
    package func shutdown() async {
        await database.close()
        await redis.close()
    }
}
