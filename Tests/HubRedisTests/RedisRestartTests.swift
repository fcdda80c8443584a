import HubRedis
import HubTestSupport
import Testing

/// Tests that restart or stop a Redis server. They use an instance of their own and run one at a
/// time, so nothing else sees the server go away.
@Suite(.serialized) struct RedisRestartTests {
    let instance = RedisTestSupport.restartInstance

    @Test func pooledConnectionsSurviveARestart() async throws {
        let redis = try await RedisTestSupport.client(instance: instance, poolSize: 3)
        let key = RedisTestSupport.unique("restart")
        // Open all three pooled connections by using them at the same time.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<3 {
                group.addTask {
                    try await redis.withConnection { connection in
                        _ = try await connection.send(["INCR", RedisArgument(key)])
                        _ = try await connection.send(["BLPOP", RedisArgument(key + ".never"), "0.1"], blockingFor: .milliseconds(100))
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(try await redis.getString(key) == "3")

        try await TestServices.restartRedis(instance: instance)

        // Every idle connection was closed by the server; each is replaced before its next command.
        #expect(try await redis.ping() == "PONG")
        try await withThrowingTaskGroup(of: Int64.self) { group in
            for _ in 0..<6 { group.addTask { try await redis.incr(key) } }
            var results: [Int64] = []
            for try await value in group { results.append(value) }
            let lowest = try #require(results.min())
            #expect(results.sorted() == Array(lowest..<lowest + 6))
        }
        await redis.close()
    }

    @Test func subscriptionSurvivesARestart() async throws {
        let redis = try await RedisTestSupport.client(instance: instance)
        let channel = RedisTestSupport.unique("survivor")
        let subscription = try await redis.subscribe(channels: [channel])
        let received = Received<RedisPubSubMessage>()
        let consumer = Task { for await message in subscription { received.append(message) } }
        #expect(try await redis.publish(channel, "before") == 1)
        try await waitUntil("the message published before the restart") { received.all.map(\.string) == ["before"] }

        try await TestServices.restartRedis(instance: instance)

        // Messages published before the subscription is restored are lost, so keep publishing.
        try await waitUntil("a message published after the restart", timeout: 20) {
            try await redis.publish(channel, "after")
            return received.all.contains { $0.string == "after" }
        }
        #expect(received.all.first?.string == "before")
        consumer.cancel()
        await redis.close()
    }

    @Test func stoppedServerIsAClearConnectionFailureAndStartingItHeals() async throws {
        let endpoints = try await TestServices.endpoints(instance: instance)
        let redis = try await RedisTestSupport.client(instance: instance, poolSize: 2)
        #expect(try await redis.ping() == "PONG")

        try await TestServices.runScript(["stop-redis", "--name", instance])
        do {
            let error = await #expect(throws: RedisError.self) { try await redis.ping() }
            #expect(error?.code == .connectionFailed)
            let text = error.map(String.init(describing:)) ?? ""
            #expect(text.contains("cannot connect to Redis at 127.0.0.1:\(endpoints.redisPort)"), "\(text)")
            #expect(text.contains("is redis-server running?"))
            #expect(!text.contains("\n"))
            let password = try #require(RedisConfiguration(url: endpoints.redisURL).password)
            #expect(!text.contains(password))
        } catch {
            _ = try? await TestServices.runScript(["start-redis", "--name", instance]) // leave the server running for later tests
            throw error
        }

        try await TestServices.runScript(["start-redis", "--name", instance])
        #expect(try await redis.ping() == "PONG")
        #expect(try await redis.incr(RedisTestSupport.unique("healed")) == 1)
        await redis.close()
    }
}
