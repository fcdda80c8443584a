import HubPostgres
import Testing

@Suite struct PostgresConfigurationTests {
    @Test func parsesTCPURLWithEveryPart() throws {
        let config = try PostgresConfiguration(url: "postgres://hub:s%40cret@db.example:6543/hub_prod?sslmode=require&connect_timeout=3&application_name=worker")
        #expect(config.host == "db.example")
        #expect(config.port == 6543)
        #expect(config.user == "hub")
        #expect(config.password == "s@cret")
        #expect(config.database == "hub_prod")
        #expect(config.sslMode == "require")
        #expect(config.connectTimeoutSeconds == 3)
        #expect(config.applicationName == "worker")
        #expect(config.endpoint == "db.example:6543")
        #expect(!config.description.contains("s@cret") && !config.description.contains("s%40cret"))
        #expect(config.description.contains("***"))
    }

    @Test func passwordWithReservedCharactersIsTakenWhole() throws {
        let config = try PostgresConfiguration(url: "postgres://hub:pa/ss?w#rd@db.example:5432/hub")
        #expect(config.password == "pa/ss?w#rd")
        #expect(config.host == "db.example")
        #expect(config.database == "hub")
        let error = try #require(throws: PostgresError.self) {
            try PostgresConfiguration(url: "postgres://hub:se/cr:et@db.example:port/hub")
        }
        #expect(!error.description.contains("se/cr"))
        #expect(!error.description.contains("cr:et"))
    }

    @Test func parsesUnixSocketDirectories() throws {
        let encoded = try PostgresConfiguration(url: "postgresql://hub@%2Fvar%2Frun%2Fpostgresql/hub")
        #expect(encoded.host == "/var/run/postgresql")
        #expect(encoded.port == nil)
        let parameter = try PostgresConfiguration(url: "postgres:///hub?host=/tmp/sockets")
        #expect(parameter.host == "/tmp/sockets")
        #expect(parameter.database == "hub")
        #expect(parameter.endpoint.contains("unix socket"))
    }

    @Test(arguments: [
        ("http://hub@localhost/hub", "scheme"),
        ("postgres//localhost/hub", "://"),
        ("postgres://hub@localhost:99999/hub", "port"),
        ("postgres://hub@localhost:abc/hub", "port"),
        ("postgres://hub@localhost/hub?sslmode=sometimes", "sslmode"),
        ("postgres://hub@localhost/hub?colour=blue", "unknown parameter"),
        ("postgres://hub:pa%zzss@localhost/hub", "percent"),
    ])
    func rejectsMalformedURLs(url: String, mentions: String) throws {
        let error = try #require(throws: PostgresError.self) { try PostgresConfiguration(url: url) }
        #expect(error.code == .invalidURL)
        #expect(error.description.contains(mentions))
        #expect(!error.description.contains("\n"))
    }

    @Test func malformedURLErrorNeverShowsThePassword() throws {
        let error = try #require(throws: PostgresError.self) {
            try PostgresConfiguration(url: "postgres://hub:TopSecret99@localhost:70000/hub")
        }
        #expect(!error.description.contains("TopSecret99"))
    }
}
