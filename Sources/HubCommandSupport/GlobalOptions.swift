import ArgumentParser
import HubCore

/// Flags every subcommand accepts.
public struct GlobalOptions: ParsableArguments {
    public init() {}

    @Option(name: .customLong("database-url"), help: "PostgreSQL URL (overrides HUB_DATABASE_URL).")
    public var databaseURL: String?

    @Option(name: .customLong("redis-url"), help: "Redis URL (overrides HUB_REDIS_URL).")
    public var redisURL: String?

    @Option(name: .customLong("env-file"), help: "The .env file to read.")
    public var envFile: String = ".env"

    /// Read by `HubLogging.bootstrap()` before parsing (logging starts first); declared here so
    /// that every executable accepts it and lists it in its help.
    @Option(name: .customLong("log-format"), help: "Log lines on standard error (overrides HUB_LOG_FORMAT).")
    public var logFormat: HubLogging.Format?

    /// The effective configuration.
    public func configuration() throws -> HubConfiguration {
        var overrides: [String: String] = [:]
        if let databaseURL { overrides[HubSetting.databaseURL.name] = databaseURL }
        if let redisURL { overrides[HubSetting.redisURL.name] = redisURL }
        return try HubConfiguration(dotEnvPath: envFile, overrides: overrides)
    }

    /// Builds the clients, runs `body`, and closes them.
    public func withClients<T>(
        adjust: (HubConfiguration) -> HubConfiguration = { $0 },
        _ body: (HubClients) async throws -> T
    ) async throws -> T {
        let clients = try HubClients(configuration: adjust(try configuration()))
        do {
            let value = try await body(clients)
            await clients.shutdown()
            return value
        } catch {
            await clients.shutdown()
            throw error
        }
    }
}

