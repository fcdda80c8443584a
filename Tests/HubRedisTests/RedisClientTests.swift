import Foundation
import HubRedis
import HubTestSupport
import Testing

@Suite struct RedisClientTests {
    @Test func pingAnswersPong() async throws {
        let redis = try await RedisTestSupport.client()
        #expect(try await redis.ping() == "PONG")
        await redis.close()
    }

    @Test func wrongPasswordIsAnAuthenticationFailure() async throws {
        let port = try await TestServices.endpoints(instance: RedisTestSupport.sharedInstance).redisPort
        let redis = try RedisClient(url: "redis://:not-the-password-42@127.0.0.1:\(port)/0")
        let error = await #expect(throws: RedisError.self) { try await redis.ping() }
        #expect(error?.code == .authenticationFailed)
        let text = error.map(String.init(describing:)) ?? ""
        #expect(text.contains("127.0.0.1:\(port)"))
        #expect(!text.contains("not-the-password-42"))
        #expect(!text.contains("\n"))
        await redis.close()
    }

    @Test func missingPasswordIsAnAuthenticationFailure() async throws {
        let port = try await TestServices.endpoints(instance: RedisTestSupport.sharedInstance).redisPort
        let redis = try RedisClient(url: "redis://127.0.0.1:\(port)/0")
        let error = await #expect(throws: RedisError.self) { try await redis.set("k", "v") }
        #expect(error?.code == .authenticationFailed)
        await redis.close()
    }

    @Test func unreachablePortIsAConnectionFailureNamingTheAddress() async throws {
        let port = try RedisTestSupport.unusedPort()
        let redis = try RedisClient(url: "redis://:pw-secret@127.0.0.1:\(port)/0")
        let error = await #expect(throws: RedisError.self) { try await redis.ping() }
        #expect(error?.code == .connectionFailed)
        let text = error.map(String.init(describing:)) ?? ""
        #expect(text.contains("cannot connect to Redis at 127.0.0.1:\(port)"), "\(text)")
        #expect(text.contains("Connection refused"), "\(text)")
        #expect(text.contains("HUB_REDIS_URL"))
        #expect(!text.contains("pw-secret"))
        await redis.close()
    }

    @Test func binaryValuesRoundTripThroughSetAndGet() async throws {
        let redis = try await RedisTestSupport.client()
        let key = RedisTestSupport.unique("binary")
        try await redis.set(key, RedisTestSupport.awkwardBytes, expiresIn: .seconds(60))
        #expect(try await redis.get(key) == RedisTestSupport.awkwardBytes)
        try await redis.set(key, "line one\r\nline two\0end")
        #expect(try await redis.getString(key) == "line one\r\nline two\0end")
        #expect(try await redis.del(key) == 1)
        #expect(try await redis.get(key) == nil)
        await redis.close()
    }

    @Test func setWithOnlyIfAbsentKeepsTheFirstValue() async throws {
        let redis = try await RedisTestSupport.client()
        let key = RedisTestSupport.unique("nx")
        #expect(try await redis.set(key, "first", expiresIn: .seconds(60), onlyIfAbsent: true))
        #expect(try await !redis.set(key, "second", expiresIn: .seconds(60), onlyIfAbsent: true))
        #expect(try await redis.getString(key) == "first")
        let ttl = try await redis.send("PTTL", RedisArgument(key)).int
        #expect((1...60_000).contains(ttl ?? -1))
        try await redis.del(key)
        await redis.close()
    }

    @Test func decodesEveryReplyType() async throws {
        let redis = try await RedisTestSupport.client()
        let key = RedisTestSupport.unique("types")
        let list = RedisTestSupport.unique("list")
        #expect(try await redis.send("SET", RedisArgument(key), "10") == .status("OK"))
        #expect(try await redis.send("INCRBY", RedisArgument(key), 5) == .integer(15))
        #expect(try await redis.send("GET", RedisArgument(key)) == .bulk(Array("15".utf8)))
        #expect(try await redis.send("GET", RedisArgument(RedisTestSupport.unique("missing"))) == .null)
        try await redis.send("RPUSH", RedisArgument(list), "a", RedisArgument([0, 1, 2]), 3)
        let range = try await redis.send("LRANGE", RedisArgument(list), 0, -1)
        #expect(range == .array([.bulk(Array("a".utf8)), .bulk([0, 1, 2]), .bulk(Array("3".utf8))]))
        #expect(range.array?.first?.string == "a")
        #expect(range.array?.last?.int == 3)
        #expect(try await redis.send("LRANGE", RedisArgument(RedisTestSupport.unique("none")), 0, -1) == .array([]))
        let replies = try await redis.pipeline([["LPUSH", RedisArgument(key), "x"], ["PING"]])
        #expect(replies.first?.errorMessage?.hasPrefix("WRONGTYPE") == true)
        #expect(replies.last == .status("PONG"))
        let empty = await #expect(throws: RedisError.self) { try await redis.pipeline([["PING"], []]) }
        #expect(empty?.code == .invalidCommand)
        #expect(try await redis.pipeline([["ECHO", "still"], ["ECHO", "aligned"]]).map(\.string) == ["still", "aligned"])
        try await redis.del(key, list)
        await redis.close()
    }

    @Test func errorRepliesAreThrownWithTheirPrefixButWithoutArguments() async throws {
        let redis = try await RedisTestSupport.client()
        let key = RedisTestSupport.unique("wrongtype")
        try await redis.set(key, "plain", expiresIn: .seconds(60))
        let wrongType = await #expect(throws: RedisError.self) {
            try await redis.send("LPUSH", RedisArgument(key), "secret-value-1")
        }
        #expect(wrongType?.code == .server)
        #expect(wrongType?.serverErrorPrefix == "WRONGTYPE")
        #expect(wrongType?.description.contains("LPUSH") == true)
        #expect(wrongType?.description.contains("secret-value-1") == false)

        let unknown = await #expect(throws: RedisError.self) { try await redis.send("NOSUCHCOMMAND", "secret-value-2") }
        #expect(unknown?.serverErrorPrefix == "ERR")
        #expect(unknown?.description.contains("secret-value-2") == false, "\(unknown.map(String.init(describing:)) ?? "")")
        // The connection is still usable after error replies.
        #expect(try await redis.ping() == "PONG")
        try await redis.del(key)
        await redis.close()
    }

    @Test func pipelinesAThousandCommands() async throws {
        let redis = try await RedisTestSupport.client()
        let key = RedisTestSupport.unique("pipeline")
        let commands = (0..<1000).map { _ in ["INCR", RedisArgument(key)] as [RedisArgument] }
        let replies = try await redis.pipeline(commands)
        #expect(replies.count == 1000)
        #expect(replies.map(\.int) == (1...1000).map { Int64($0) })
        #expect(try await redis.getString(key) == "1000")
        try await redis.del(key)
        await redis.close()
    }

    @Test func commandsFromManyTasksShareTheSmallPool() async throws {
        let redis = try await RedisTestSupport.client(poolSize: 2)
        let key = RedisTestSupport.unique("parallel")
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<50 { group.addTask { try await redis.incr(key) } }
            try await group.waitForAll()
        }
        #expect(try await redis.getString(key) == "50")
        let clients = try await redis.send("CLIENT", "LIST").string ?? ""
        #expect(!clients.isEmpty)
        try await redis.del(key)
        await redis.close()
        let error = await #expect(throws: RedisError.self) { try await redis.ping() }
        #expect(error?.code == .poolClosed)
    }

    @Test func argumentsOfEveryKindAreSentAsTheirText() async throws {
        let redis = try await RedisTestSupport.client()
        let key = RedisTestSupport.unique("arguments")
        try await redis.send("SET", RedisArgument(key), RedisArgument(Data([0, 1, 2])), "PX", RedisArgument(60_000))
        #expect(try await redis.get(key) == [0, 1, 2])
        try await redis.send("SET", RedisArgument(key), RedisArgument(1.5))
        #expect(try await redis.send("INCRBYFLOAT", RedisArgument(key), RedisArgument(0.25)).string == "1.75")
        try await redis.send("SET", RedisArgument(key), RedisArgument(Int64.min))
        #expect(try await redis.send("GET", RedisArgument(key)).int == Int64.min)
        #expect(try await redis.incr(key, by: 5) == Int64.min + 5)
        #expect(try await redis.incr(key, by: -1) == Int64.min + 4)
        try await redis.del(key)
        await redis.close()
    }

    @Test func aSlowReplyTimesOutAndTheConnectionIsReplaced() async throws {
        var configuration = try RedisConfiguration(url: await TestServices.endpoints(instance: RedisTestSupport.sharedInstance).redisURL)
        configuration.commandTimeout = .milliseconds(200)
        configuration.poolSize = 1
        let redis = RedisClient(configuration: configuration)
        let key = RedisTestSupport.unique("slow")
        // BLPOP sent as an ordinary command keeps the server silent longer than the timeout.
        let error = await #expect(throws: RedisError.self) { try await redis.send("BLPOP", RedisArgument(key), 5) }
        #expect(error?.code == .timeout)
        #expect(error?.description.contains("did not answer in time") == true)
        #expect(try await redis.ping() == "PONG")
        await redis.close()
    }

    @Test func isolatedConnectionRunsASequenceWithoutHops() async throws {
        let redis = try await RedisTestSupport.client()
        let key = RedisTestSupport.unique("isolated")
        let values = try await redis.withIsolatedConnection { connection in
            try (0..<100).map { _ in try connection.send(["INCR", RedisArgument(key)]).int ?? -1 }
        }
        #expect(values == Array(1...100))
        try await redis.del(key)
        await redis.close()
    }

    @Test func withConnectionKeepsOneConnectionForATransaction() async throws {
        let redis = try await RedisTestSupport.client()
        let key = RedisTestSupport.unique("multi")
        let replies = try await redis.withConnection { connection in
            _ = try await connection.send(["MULTI"])
            _ = try await connection.send(["INCR", RedisArgument(key)])
            _ = try await connection.send(["INCR", RedisArgument(key)])
            return try await connection.send(["EXEC"])
        }
        #expect(replies == .array([.integer(1), .integer(2)]))
        try await redis.del(key)
        await redis.close()
    }
}
