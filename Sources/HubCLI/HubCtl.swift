import ArgumentParser
import Foundation
import HubCore

/// `hubctl`: the operator's command line (SPEC §8.2).
struct HubCtl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hubctl",
        abstract: "Operate the Automation Hub: migrations, status and configuration.",
        discussion: """
            Configuration comes from flags, then the environment, then a .env file in the working \
            directory (HUB_DATABASE_URL, HUB_REDIS_URL, …; `hubctl config` lists them).
            Exit status: 0 success, 1 failure, 2 usage error, 3 not found.
            """,
        version: HubVersion.current,
        subcommands: [MigrateCommand.self, StatusCommand.self, ConfigCommand.self]
    )
}

/// Flags every subcommand accepts.
struct GlobalOptions: ParsableArguments {
    @Option(name: .customLong("database-url"), help: "PostgreSQL URL (overrides HUB_DATABASE_URL).")
    var databaseURL: String?

    @Option(name: .customLong("redis-url"), help: "Redis URL (overrides HUB_REDIS_URL).")
    var redisURL: String?

    @Option(name: .customLong("env-file"), help: "The .env file to read.")
    var envFile: String = ".env"

    /// The effective configuration.
    func configuration() throws -> HubConfiguration {
        var overrides: [String: String] = [:]
        if let databaseURL { overrides[HubSetting.databaseURL.name] = databaseURL }
        if let redisURL { overrides[HubSetting.redisURL.name] = redisURL }
        return try HubConfiguration(dotEnvPath: envFile, overrides: overrides)
    }

    /// Builds the clients, runs `body`, and closes them.
    func withClients<T>(_ body: (HubClients) async throws -> T) async throws -> T {
        let clients = try HubClients(configuration: try configuration())
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

@main
enum HubCtlMain {
    static func main() async {
        HubLogging.bootstrap()
        await CommandRunner.run(HubCtl.self, program: "hubctl")
    }
}
