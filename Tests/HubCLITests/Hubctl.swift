import Foundation
import HubTestSupport
import Testing

/// `hubctl` run with a test database's settings and none of the caller's own `HUB_` variables.
enum Hubctl {
    static func run(_ arguments: [String], env: [String: String]) async throws -> ProcessRunner.Result {
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("HUB_") }
        environment.merge(env) { $1 }
        return try await ProcessRunner.run(HubctlTests.hubctl, arguments, environment: environment, currentDirectory: HubctlTests.workDirectory)
    }

    /// Its standard output, trimmed; records an issue when it does not exit 0.
    static func ok(_ arguments: [String], env: [String: String]) async throws -> String {
        let result = try await run(arguments, env: env)
        #expect(result.status == 0, "hubctl \(arguments.joined(separator: " ")): \(result.stderr)")
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
