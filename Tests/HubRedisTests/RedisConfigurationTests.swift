import HubRedis
import Testing

@Suite struct RedisConfigurationTests {
    @Test func parsesTCPURLWithPasswordAndDatabase() throws {
        let configuration = try RedisConfiguration(url: "redis://:s3cret@127.0.0.1:6390/3")
        #expect(configuration.endpoint == .tcp(host: "127.0.0.1", port: 6390))
        #expect(configuration.user == nil)
        #expect(configuration.password == "s3cret")
        #expect(configuration.database == 3)
        #expect(configuration.redactedURL == "redis://:***@127.0.0.1:6390/3")
        #expect(!"\(configuration)".contains("s3cret"))
    }

    @Test func appliesDefaults() throws {
        let configuration = try RedisConfiguration(url: "redis://localhost")
        #expect(configuration.endpoint == .tcp(host: "localhost", port: 6379))
        #expect(configuration.password == nil)
        #expect(configuration.database == 0)
        #expect(configuration.connectTimeout == .seconds(2))
        #expect(configuration.commandTimeout == .seconds(5))
        #expect(configuration.poolSize == 4)
    }

    @Test func parsesACLUserAndPercentEncodedPassword() throws {
        let configuration = try RedisConfiguration(url: "redis://worker:p%40ss%2Fword@redis.internal:7000/15")
        #expect(configuration.user == "worker")
        #expect(configuration.password == "p@ss/word")
        #expect(configuration.database == 15)
        #expect(configuration.redactedURL == "redis://worker:***@redis.internal:7000/15")
    }

    @Test func parsesUnixSocketURL() throws {
        let configuration = try RedisConfiguration(url: "unix:///var/run/redis/redis.sock?db=2&password=pw")
        #expect(configuration.endpoint == .unix(path: "/var/run/redis/redis.sock"))
        #expect(configuration.database == 2)
        #expect(configuration.password == "pw")
        #expect(configuration.redactedURL == "unix:///var/run/redis/redis.sock?db=2&password=***")
    }

    @Test(arguments: [
        ("redis://:pw@host:notaport/0", "port"),
        ("redis://:pw@host:70000/0", "port"),
        ("redis://:pw@host:6379/16", "0 to 15"),
        ("redis://:pw@host:6379/-1", "0 to 15"),
        ("redis://:pw@host:6379/abc", "0 to 15"),
        ("127.0.0.1:6379", "://"),
        ("rediss://:pw@host:6379/0", "TLS"),
        ("http://host/0", "unsupported scheme"),
        ("unix://", "socket path"),
        ("redis://host/0?timeout=3", "unknown query parameter"),
        ("redis://user@host/0", "without a password"),
    ])
    func rejectsMalformedURLs(url: String, expected: String) {
        let error = #expect(throws: RedisError.self) { try RedisConfiguration(url: url) }
        #expect(error?.code == .invalidURL)
        #expect(error?.description.contains(expected) == true, "\(error.map(String.init(describing:)) ?? "")")
        #expect(error?.description.contains("\n") == false)
    }

    @Test(arguments: [
        "redis://:hunter2hunter2@host:abc/0",
        "redis://:hunter2hunter2@host:6379/99",
        "redis://:hunter2/hunter2@host:6379/0",
        "redis://:hunter2?hunter2@host:6379/0",
        "rediss://:hunter2hunter2@host:6379/0",
        "redis://u:hunter2hunter2@host:6379/0?x=1",
    ])
    func errorNeverShowsThePassword(url: String) {
        let error = #expect(throws: RedisError.self) { try RedisConfiguration(url: url) }
        let text = error.map(String.init(describing:)) ?? ""
        #expect(!text.isEmpty)
        #expect(!text.contains("hunter2"), "\(text)")
    }
}
