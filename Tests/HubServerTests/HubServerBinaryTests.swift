import AsyncHTTPClient
import Foundation
import HubCore
import HubPostgres
import HubTestSupport
import NIOCore
import NIOHTTP1
import Testing

/// The `hub-server` executable as an operator runs it: flags, configuration errors, start-up,
/// SIGTERM.
@Suite struct HubServerBinaryTests {
    static let binary: String = {
        var candidates: [String] = []
        if let executable = Bundle.main.executableURL {
            candidates.append(executable.deletingLastPathComponent().appendingPathComponent("hub-server").path)
        }
        candidates.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("hub-server").path)
        candidates.append(TestServices.repositoryRoot.appendingPathComponent(".build/debug/hub-server").path)
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[candidates.count - 1]
    }()

    static let workDirectory: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("hub-server-tests-\(UUID())")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    func environment(_ extra: [String: String]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("HUB_") }
        environment.merge(extra) { $1 }
        return environment
    }

    @Test(arguments: [
        (["--port", "70000"], [String: String](), Int32(2), "--port"),
        (["--bogus"], [:], 2, "--bogus"),
        ([], ["HUB_DATABASE_URL": "postgres://hub:pw@127.0.0.1:1/hub"], 1, "HUB_DASHBOARD_USERNAME"),
        ([], ["HUB_DATABASE_URL": "postgres://hub:pw@127.0.0.1:1/hub", "HUB_DASHBOARD_USERNAME": "operator"], 1, "HUB_DASHBOARD_PASSWORD"),
        ([], ["HUB_DATABASE_URL": "postgres://hub:pw@127.0.0.1:1/hub", "HUB_API_KEYS": "k-123456", "HUB_SERVER_ADDRESS": "8080"], 1, "HUB_SERVER_ADDRESS"),
        ([], ["HUB_DATABASE_URL": "postgres://hub:pw@127.0.0.1:1/hub", "HUB_API_KEYS": "k-123456", "HUB_WEBHOOK_URL": "hooks.example"], 1, "HUB_WEBHOOK_URL"),
    ])
    func badConfigurationIsOneLineWithTheRightStatus(arguments: [String], env: [String: String], status: Int32, mentions: String) async throws {
        let result = try await ProcessRunner.run(Self.binary, arguments, environment: environment(env), currentDirectory: Self.workDirectory)
        #expect(result.status == status)
        #expect(result.stderr.contains(mentions), "\(result.stderr)")
    }

    @Test func startsServesAndStopsOnSIGTERM() async throws {
        let databaseURL = try await scratchDatabaseURL()
        let endpoints = try await TestServices.endpoints()
        let pool = try PostgresPool(url: databaseURL, maxConnections: 1)
        try await Migrator(pool: pool).up()
        await pool.close()

        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["--address", "127.0.0.1", "--port", "0"]
        process.environment = environment(["HUB_DATABASE_URL": databaseURL, "HUB_REDIS_URL": endpoints.redisURL,
                                           "HUB_API_KEYS": "binary-test-key-1", "HUB_LOG_LEVEL": "warning"])
        process.currentDirectoryURL = Self.workDirectory
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let lines = LockedBox("")
        output.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            lines.withLock { $0 += String(decoding: data, as: UTF8.self) }
        }
        try await waitUntil("hub-server prints its address", timeout: 30) { lines.withLock { $0.contains("listening on") } }
        let text = lines.withLock { $0 }
        let url = try #require(text.split(separator: " ").last?.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(url.hasPrefix("http://127.0.0.1:"))

        let http = HTTPClient()
        do {
            let health = try await http.execute(HTTPClientRequest(url: url + "api/health"), timeout: .seconds(10))
            #expect(health.status == .ok)
            let refused = try await http.execute(HTTPClientRequest(url: url + "api/dashboard"), timeout: .seconds(10))
            #expect(refused.status == .unauthorized)
            var request = HTTPClientRequest(url: url + "api/dashboard")
            request.headers.add(name: "X-API-Key", value: "binary-test-key-1")
            let dashboard = try await http.execute(request, timeout: .seconds(10))
            #expect(dashboard.status == .ok)
            let body = try await dashboard.body.collect(upTo: 1 << 20)
            #expect(String(buffer: body).contains("\"render_queue\""))
        } catch {
            try await http.shutdown()
            process.terminate()
            throw error
        }
        try await http.shutdown()
        process.terminate()
        try await waitUntil("hub-server exits after SIGTERM", timeout: 30) { !process.isRunning }
        #expect(process.terminationStatus == 0)
        output.fileHandleForReading.readabilityHandler = nil
    }
}
