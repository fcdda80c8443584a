import Foundation
import HubCore
import HubPostgres
import HubTestSupport
import Testing

/// Runs the real `hubctl` binary (built next to the test bundle) as an operator would.
@Suite struct HubctlTests {
    static let hubctl: String = {
        var candidates: [String] = []
        if let executable = Bundle.main.executableURL {
            candidates.append(executable.deletingLastPathComponent().appendingPathComponent("hubctl").path)
        }
        candidates.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("hubctl").path)
        candidates.append(TestServices.repositoryRoot.appendingPathComponent(".build/debug/hubctl").path)
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[candidates.count - 1]
    }()

    /// A scratch directory with no `.env`, so only the given variables count.
    static let workDirectory: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("hubctl-tests-\(UUID())")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    func run(_ arguments: [String], env: [String: String] = [:], in directory: URL = HubctlTests.workDirectory) async throws -> ProcessRunner.Result {
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("HUB_") }
        environment.merge(env) { $1 }
        return try await ProcessRunner.run(Self.hubctl, arguments, environment: environment, currentDirectory: directory)
    }

    func oneLine(_ text: String) -> Bool {
        text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n").count == 1
    }

    @Test func helpExitsZero() async throws {
        let result = try await run(["--help"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("migrate"))
        let migrateHelp = try await run(["migrate", "up", "--help"])
        #expect(migrateHelp.status == 0)
        #expect(migrateHelp.stdout.contains("--to"))
    }

    @Test(arguments: [["migrate", "up", "--bogus"], ["migrate", "sideways"], ["migrate", "up", "--to", "three"], ["frobnicate"]])
    func usageErrorsExitTwo(arguments: [String]) async throws {
        let result = try await run(arguments, env: ["HUB_DATABASE_URL": "postgres://hub@127.0.0.1:1/hub"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("Usage") || result.stderr.contains("Error"))
    }

    @Test func malformedURLIsOneLineExitOne() async throws {
        let result = try await run(["migrate", "status"], env: ["HUB_DATABASE_URL": "postgres//hub:S3cretPw@localhost/hub"])
        #expect(result.status == 1)
        #expect(oneLine(result.stderr))
        #expect(result.stderr.contains("HUB_DATABASE_URL"))
        #expect(!result.stderr.contains("S3cretPw"))
    }

    @Test func missingURLSaysHowToSetIt() async throws {
        let result = try await run(["migrate", "status"])
        #expect(result.status == 1)
        #expect(oneLine(result.stderr))
        #expect(result.stderr.contains("HUB_DATABASE_URL is not set"))
    }

    @Test func wrongPasswordIsOneLineExitOne() async throws {
        let endpoints = try await TestServices.endpoints()
        let result = try await run(["migrate", "status"], env: ["HUB_DATABASE_URL": "postgres://hub:Wr0ngPassw0rd@127.0.0.1:\(endpoints.postgresPort)/hub"])
        #expect(result.status == 1)
        #expect(oneLine(result.stderr))
        #expect(result.stderr.contains("password authentication failed"))
        #expect(result.stderr.contains("HUB_DATABASE_URL"))
        #expect(!result.stderr.contains("Wr0ngPassw0rd"))
    }

    @Test func unreachableServerIsOneLineExitOne() async throws {
        let result = try await run(["migrate", "up"], env: ["HUB_DATABASE_URL": "postgres://hub:pw@127.0.0.1:1/hub?connect_timeout=2"])
        #expect(result.status == 1)
        #expect(oneLine(result.stderr))
        #expect(result.stderr.contains("127.0.0.1:1"))
        #expect(result.stderr.contains("is the server running"))
    }

    @Test func unknownMigrationVersionIsOneLineExitOne() async throws {
        let url = try await scratchDatabaseURL()
        let result = try await run(["migrate", "up", "--to", "4242"], env: ["HUB_DATABASE_URL": url])
        #expect(result.status == 1)
        #expect(oneLine(result.stderr))
        #expect(result.stderr.contains("unknown migration version 4242"))
        #expect(result.stderr.contains("hubctl migrate status"))
    }

    @Test func migrateUpStatusDownFromTheDotEnvFile() async throws {
        let url = try await scratchDatabaseURL()
        let directory = Self.workDirectory.appendingPathComponent("dotenv-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try "HUB_DATABASE_URL=\(url)\n".write(to: directory.appendingPathComponent(".env"), atomically: true, encoding: .utf8)

        let before = try await run(["migrate", "status"], in: directory)
        #expect(before.status == 0)
        #expect(before.stdout.contains("schema version 0 of \(HubSchema.expectedVersion)"))
        #expect(before.stdout.contains("pending"))

        let up = try await run(["migrate", "up"], in: directory)
        #expect(up.status == 0, "\(up.stderr)")
        for migration in HubSchema.migrations { #expect(up.stdout.contains("applied \(migration.id)")) }

        let json = try await run(["migrate", "status", "--json"], in: directory)
        #expect(json.status == 0)
        let statuses = try JSONDecoder.snakeCase.decode([Migrator.Status].self, from: Data(json.stdout.utf8))
        #expect(statuses.map(\.version) == HubSchema.migrations.map(\.version))
        #expect(statuses.allSatisfy { $0.state == "applied" && $0.appliedAt != nil })

        let again = try await run(["migrate", "up"], in: directory)
        #expect(again.stdout.contains("up to date"))

        let down = try await run(["migrate", "down", "--to", "0", "--yes"], in: directory)
        #expect(down.status == 0)
        #expect(down.stdout.contains("reverted 0001_base"))

        // A flag overrides the .env file.
        let flagged = try await run(["migrate", "status", "--database-url", "postgres://hub:pw@127.0.0.1:1/hub?connect_timeout=2"], in: directory)
        #expect(flagged.status == 1)
        #expect(flagged.stderr.contains("127.0.0.1:1"))
    }

    @Test func statusRefusesASchemaThatIsBehindOrAhead() async throws {
        let url = try await scratchDatabaseURL()
        let endpoints = try await TestServices.endpoints()
        let env = ["HUB_DATABASE_URL": url, "HUB_REDIS_URL": endpoints.redisURL]

        let behind = try await run(["status"], env: env)
        #expect(behind.status == 1)
        #expect(behind.stderr.contains("run `hubctl migrate up`"))

        #expect(try await run(["migrate", "up"], env: env).status == 0)
        let healthy = try await run(["status", "--json"], env: env)
        #expect(healthy.status == 0, "\(healthy.stderr)")
        struct StatusOutput: Decodable { var health: HealthReport }
        let report = try JSONDecoder.snakeCase.decode(StatusOutput.self, from: Data(healthy.stdout.utf8)).health
        #expect(report.status == "healthy")
        #expect(report.dependencies == ["postgres": "connected", "redis": "connected"])
        #expect(report.blocks == ["schema": "healthy"])

        // A newer hub applied version 999: this older binary refuses, naming both versions.
        let pool = try PostgresPool(url: url, maxConnections: 1)
        try await pool.query("INSERT INTO schema_migrations (version, name, checksum) VALUES (999, 'future', 'x')")
        await pool.close()
        let ahead = try await run(["status"], env: env)
        #expect(ahead.status == 1)
        #expect(ahead.stderr.contains("999"))
        #expect(ahead.stderr.contains("schema version \(HubSchema.expectedVersion)"))
        let migrate = try await run(["migrate", "up"], env: env)
        #expect(migrate.status == 1)
        #expect(migrate.stderr.contains("newer than this build"))
    }

    @Test func twoConcurrentMigrateUpRunsApplyEachMigrationOnce() async throws {
        let url = try await scratchDatabaseURL()
        let results = try await withThrowingTaskGroup(of: ProcessRunner.Result.self) { group in
            for _ in 0..<2 {
                group.addTask { try await run(["migrate", "up"], env: ["HUB_DATABASE_URL": url]) }
            }
            var all: [ProcessRunner.Result] = []
            for try await r in group { all.append(r) }
            return all
        }
        #expect(results.allSatisfy { $0.status == 0 })
        let appliedLines = results.flatMap { $0.stdout.split(separator: "\n") }.filter { $0.hasPrefix("applied ") }
        #expect(appliedLines.count == HubSchema.migrations.count)
        let pool = try PostgresPool(url: url, maxConnections: 1)
        let rows = try await pool.query("SELECT count(*) FROM schema_migrations")
        #expect(try rows[0].decode(Int.self, at: 0) == HubSchema.migrations.count)
        await pool.close()
    }

    @Test func configNeverPrintsSecrets() async throws {
        let result = try await run(["config"], env: [
            "HUB_DATABASE_URL": "postgres://hub:PgSecret1@db:5432/hub",
            "HUB_REDIS_URL": "redis://:RedisSecret2@cache:6379/0",
            "HUB_DASHBOARD_PASSWORD": "DashSecret3",
            "HUB_WEBHOOK_URL": "https://hooks.slack.com/services/T0001/B0002/HookSecret4",
            "HUB_API_KEYS": "ApiKey5,ApiKey6",
            "HUB_NEXRENDER_SECRET": "NexSecret7",
            "HUB_NEXRENDER_URL": "http://render:NexPass8@render-01:3050",
        ])
        #expect(result.status == 0)
        #expect(result.stdout.contains("https://hooks.slack.com/***"))
        for secret in ["PgSecret1", "RedisSecret2", "DashSecret3", "HookSecret4", "B0002", "ApiKey5", "ApiKey6", "NexSecret7", "NexPass8"] {
            #expect(!result.stdout.contains(secret))
        }
        #expect(result.stdout.contains("postgres://hub:***@db:5432/hub"))
    }
}

extension JSONDecoder {
    static var iso8601: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
