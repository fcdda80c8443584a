import Foundation
import HubCore
import Testing

@Suite struct DotEnvTests {
    @Test func parsesTheUsualForms() throws {
        let text = """
            # local services
            HUB_DATABASE_URL=postgres://hub:pw@127.0.0.1:5432/hub
            export HUB_REDIS_URL = redis://:pw@127.0.0.1:6379/0
            HUB_LOG_LEVEL=debug # trailing comment
            HUB_SINGLE='literal $value # not a comment'
            HUB_DOUBLE="line\\none \\"quoted\\""
            HUB_EMPTY=

            """
        let values = try DotEnv.parse(text)
        #expect(values["HUB_DATABASE_URL"] == "postgres://hub:pw@127.0.0.1:5432/hub")
        #expect(values["HUB_REDIS_URL"] == "redis://:pw@127.0.0.1:6379/0")
        #expect(values["HUB_LOG_LEVEL"] == "debug")
        #expect(values["HUB_SINGLE"] == "literal $value # not a comment")
        #expect(values["HUB_DOUBLE"] == "line\none \"quoted\"")
        #expect(values["HUB_EMPTY"] == "")
        #expect(values.count == 6)
    }

    @Test func acceptsCRLF() throws {
        let values = try DotEnv.parse("HUB_A=1\r\nHUB_B=2\r\n")
        #expect(values == ["HUB_A": "1", "HUB_B": "2"])
    }

    @Test(arguments: [
        ("HUB_OK=1\nthis line has no equals sign secret123", "line 2"),
        ("1HUB=x", "not a valid variable name"),
        ("HUB_Q=\"unterminated secret123", "unterminated double quote"),
        ("HUB_Q='unterminated secret123", "unterminated single quote"),
    ])
    func malformedLinesAreReportedWithoutTheirValue(text: String, mentions: String) throws {
        let error = try #require(throws: HubError.self) { try DotEnv.parse(text, source: "test.env") }
        #expect(error.code == .configuration)
        #expect(error.message.contains(mentions))
        #expect(error.message.contains("test.env"))
        #expect(!error.message.contains("secret123"))
    }
}

@Suite struct HubConfigurationTests {
    func writeEnvFile(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("hub-\(UUID()).env").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func flagsBeatEnvironmentBeatsDotEnvBeatsDefaults() throws {
        let path = try writeEnvFile("HUB_DATABASE_URL=postgres://file@h/db\nHUB_REDIS_URL=redis://file:1/0\nHUB_LEASE_SECONDS=45\nOTHER=ignored\n")
        let configuration = try HubConfiguration(
            environment: ["HUB_REDIS_URL": "redis://env:2/0", "HUB_DATABASE_URL": "postgres://env@h/db", "PATH": "/bin"],
            dotEnvPath: path,
            overrides: ["HUB_DATABASE_URL": "postgres://flag@h/db"]
        )
        #expect(configuration.value(.databaseURL) == "postgres://flag@h/db")
        #expect(configuration.source(.databaseURL) == .flag)
        #expect(configuration.value(.redisURL) == "redis://env:2/0")
        #expect(configuration.source(.redisURL) == .environment)
        #expect(configuration.value(.leaseSeconds) == "45")
        #expect(configuration.source(.leaseSeconds) == .dotEnv)
        #expect(configuration.value(.consumerGroup) == "ae-workers")
        #expect(configuration.source(.consumerGroup) == .defaultValue)
    }

    @Test func missingDatabaseURLSaysHowToSetIt() throws {
        let configuration = try HubConfiguration(environment: [:], dotEnvPath: nil)
        let error = try #require(throws: HubError.self) { try configuration.databaseURL() }
        #expect(error.code == .configuration)
        #expect(error.message.contains("HUB_DATABASE_URL"))
        #expect(error.message.contains(".env"))
    }

    @Test func secretsAreRedacted() throws {
        let configuration = try HubConfiguration(
            environment: [
                "HUB_DATABASE_URL": "postgres://hub:Sup3rSecret@db:5432/hub",
                "HUB_REDIS_URL": "redis://:R3disPass@cache:6379/0",
                "HUB_DASHBOARD_PASSWORD": "hunter2",
                "HUB_API_KEYS": "k1,k2",
                "HUB_DASHBOARD_USERNAME": "director",
            ],
            dotEnvPath: nil
        )
        let shown = HubSetting.all.compactMap { configuration.redactedValue($0) }.joined(separator: " ")
        for secret in ["Sup3rSecret", "R3disPass", "hunter2", "k1,k2"] {
            #expect(!shown.contains(secret))
        }
        #expect(configuration.redactedValue(.databaseURL) == "postgres://hub:***@db:5432/hub")
        #expect(configuration.redactedValue(.dashboardUsername) == "director")
    }

    /// Issue 13: the webhook's secret is its path (Slack, Teams, Discord), so `hubctl config` shows
    /// only where it goes; a password in any URL, secret or not, is masked; every secret setting is
    /// masked whatever its shape.
    @Test func webhookPathAndEverySecretAreMasked() throws {
        let configuration = try HubConfiguration(
            environment: [
                "HUB_WEBHOOK_URL": "https://hooks.slack.com/services/T0001/B0002/HookSecret4",
                "HUB_NEXRENDER_URL": "http://render:NexPass5@render-01:3050/api?token=NexToken6",
                "HUB_NEXRENDER_SECRET": "NexSecret7",
                "HUB_API_KEYS": "KeyOne8,KeyTwo9",
                "HUB_DATABASE_URL": "postgres://hub:PgPass10@db:5432/hub?sslpassword=Ssl11",
            ],
            dotEnvPath: nil
        )
        #expect(configuration.redactedValue(.webhookURL) == "https://hooks.slack.com/***")
        #expect(configuration.redactedValue(.nexrenderURL) == "http://render:***@render-01:3050/api?token=***")
        #expect(configuration.redactedValue(.databaseURL) == "postgres://hub:***@db:5432/hub?sslpassword=***")
        let shown = HubSetting.all.compactMap { configuration.redactedValue($0) }.joined(separator: " ")
        for secret in ["HookSecret4", "B0002", "NexPass5", "NexToken6", "NexSecret7", "KeyOne8", "KeyTwo9", "PgPass10", "Ssl11"] {
            #expect(!shown.contains(secret), "\(secret) printed")
        }
        // A secret that is no URL at all, or a malformed one, is masked whole.
        #expect(HubConfiguration.redact("https//hooks.slack.com/services/T/B/S", secret: true) == "***")
        #expect(HubConfiguration.redact("https://hooks.example.com:8443/hook?x=1#frag", secret: true) == "https://hooks.example.com:8443/***")
        #expect(HubConfiguration.redact("https://hooks.example.com", secret: true) == "https://hooks.example.com")
    }

    @Test func integersAreRangeChecked() throws {
        let configuration = try HubConfiguration(environment: ["HUB_DATABASE_POOL_SIZE": "zero"], dotEnvPath: nil)
        let error = try #require(throws: HubError.self) { try configuration.integer(.databasePoolSize, in: 1...200) }
        #expect(error.message.contains("HUB_DATABASE_POOL_SIZE"))
        #expect(error.message.contains("1 to 200"))
    }

    @Test func malformedURLsBecomeConfigurationErrors() throws {
        let configuration = try HubConfiguration(environment: ["HUB_DATABASE_URL": "mysql://x:Secret9@h/db"], dotEnvPath: nil)
        let error = try #require(throws: HubError.self) { try HubClients(configuration: configuration) }
        #expect(error.code == .configuration)
        #expect(error.message.contains("HUB_DATABASE_URL"))
        #expect(!error.message.contains("Secret9"))
    }
}
