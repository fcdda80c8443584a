import ArgumentParser
import HubCore

/// Flags every subcommand accepts.
package struct GlobalOptions: ParsableArguments {
    package init() {}

    @Option(name: .customLong("database-url"), help: "PostgreSQL URL (overrides HUB_DATABASE_URL).")
    package var databaseURL: String?

    @Option(name: .customLong("redis-url"), help: "Redis URL (overrides HUB_REDIS_URL).")
    package var redisURL: String?

    @Option(name: .customLong("env-file"), help: "The .env file to read.")
    package var envFile: String = ".env"

    /// Read by `HubLogging.bootstrap()` before parsing (logging starts first); declared here so
    /// that every executable accepts it and lists it in its help.
    @Option(name: .customLong("log-format"), help: "Log lines on standard error (overrides HUB_LOG_FORMAT).")
    package var logFormat: HubLogging.Format?

    /// The effective configuration.
    package func configuration() throws -> HubConfiguration {
        var overrides: [String: String] = [:]
        if let databaseURL { overrides[HubSetting.databaseURL.name] = databaseURL }
        if let redisURL { overrides[HubSetting.redisURL.name] = redisURL }
        return try HubConfiguration(dotEnvPath: envFile, overrides: overrides)
    }

    /// Builds the clients, runs `body`, and closes them.
    package func withClients<T>(
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

