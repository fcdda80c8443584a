import Foundation

/// Addresses of one local PostgreSQL + Redis pair started by `scripts/hub-services`.
public struct ServiceEndpoints: Sendable {
    /// The instance name (`.hub/<instance>/` holds its data).
    public var instance: String
    /// `HUB_DATABASE_URL`: the `hub` role on the `hub` database, over TCP with a password.
    public var databaseURL: String
    /// A URL for the same role on the `postgres` maintenance database (used to create scratch databases).
    public var adminDatabaseURL: String
    /// `HUB_REDIS_URL`: the Redis server, with its password.
    public var redisURL: String
    /// The PostgreSQL TCP port.
    public var postgresPort: Int
    /// The Redis TCP port.
    public var redisPort: Int
}

/// Starts (once per process and instance) and controls the throwaway local services the
/// integration tests run against. Nothing is mocked: these are real PostgreSQL 15 and Redis 7
/// processes started by the project's own script.
public enum TestServices {
    private static let cache = LockedBox<[String: ServiceEndpoints]>([:])

    /// The repository root (the directory holding `Package.swift`).
    public static let repositoryRoot: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) {
                return url
            }
        }
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    }()

    /// The shared instance: `HUB_TEST_INSTANCE` when set (so two work trees or engineers on one
    /// machine can each run tests on servers of their own), else `test`.
    public static let sharedInstance: String = {
        let name = ProcessInfo.processInfo.environment["HUB_TEST_INSTANCE"] ?? ""
        return name.isEmpty ? "test" : name
    }()

    /// The endpoints of `instance`, starting its servers if they are not running.
    ///
    /// The shared instance is ``sharedInstance``; tests that restart a server use an instance of
    /// their own so that other suites running in parallel are not disturbed.
    public static func endpoints(instance: String = sharedInstance) async throws -> ServiceEndpoints {
        if let known = cache.withLock({ $0[instance] }) { return known }
        let output = try await runScript(["start", "--name", instance])
        let endpoints = try parse(output, instance: instance)
        cache.withLock { $0[instance] = endpoints }
        return endpoints
    }

    /// Restarts the PostgreSQL server of `instance` (fast shutdown: every connection is dropped).
    public static func restartPostgres(instance: String) async throws {
        _ = try await runScript(["restart-postgres", "--name", instance])
    }

    /// Restarts the Redis server of `instance` on the same port (every connection is dropped).
    public static func restartRedis(instance: String) async throws {
        _ = try await runScript(["restart-redis", "--name", instance])
    }

    /// Stops the PostgreSQL server of `instance` (fast shutdown) until ``startPostgres(instance:)``.
    public static func stopPostgres(instance: String) async throws {
        _ = try await runScript(["stop-postgres", "--name", instance])
    }

    /// Starts the PostgreSQL server of `instance` again (same port and data) and waits until it accepts connections.
    public static func startPostgres(instance: String) async throws {
        _ = try await runScript(["start-postgres", "--name", instance])
    }

    /// Stops the Redis server of `instance` until ``startRedis(instance:)``.
    public static func stopRedis(instance: String) async throws {
        _ = try await runScript(["stop-redis", "--name", instance])
    }

    /// Starts the Redis server of `instance` again (same port and password) and waits until it answers.
    public static func startRedis(instance: String) async throws {
        _ = try await runScript(["start-redis", "--name", instance])
    }

    /// Runs `scripts/hub-services` with `arguments` (on a thread of its own, never blocking the
    /// cooperative pool) and returns its standard output.
    /// - Throws: ``ScriptError`` with the script's standard error when it exits non-zero.
    @discardableResult
    public static func runScript(_ arguments: [String]) async throws -> String {
        let script = repositoryRoot.appendingPathComponent("scripts/hub-services").path
        let result = try await ProcessRunner.run("/bin/bash", [script] + arguments, currentDirectory: repositoryRoot)
        guard result.status == 0 else {
            throw ScriptError(arguments: arguments, status: result.status, stderr: result.stderr)
        }
        return result.stdout
    }

    /// A failed `scripts/hub-services` call.
    public struct ScriptError: Error, CustomStringConvertible {
        public var arguments: [String]
        public var status: Int32
        public var stderr: String
        public var description: String {
            "scripts/hub-services \(arguments.joined(separator: " ")) exited \(status): \(stderr)"
        }
    }

    static func parse(_ output: String, instance: String) throws -> ServiceEndpoints {
        var values: [String: String] = [:]
        for line in output.split(whereSeparator: \.isNewline) {
            guard let eq = line.firstIndex(of: "=") else { continue }
            values[String(line[..<eq])] = String(line[line.index(after: eq)...])
        }
        guard let db = values["HUB_DATABASE_URL"], let admin = values["HUB_ADMIN_DATABASE_URL"],
              let redis = values["HUB_REDIS_URL"],
              let pgPort = values["HUB_POSTGRES_PORT"].flatMap(Int.init),
              let redisPort = values["HUB_REDIS_PORT"].flatMap(Int.init)
        else {
            throw ScriptError(arguments: ["start", "--name", instance], status: 0, stderr: "unexpected output: \(output)")
        }
        return ServiceEndpoints(instance: instance, databaseURL: db, adminDatabaseURL: admin, redisURL: redis,
                                postgresPort: pgPort, redisPort: redisPort)
    }
}
