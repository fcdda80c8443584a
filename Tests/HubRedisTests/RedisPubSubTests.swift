import HubRedis
import HubTestSupport
import Testing

@Suite(.timeLimit(.minutes(3))) struct RedisPubSubTests {
    /// Consumes `subscription` in the background, recording every message.
    static func collect(_ subscription: RedisSubscription, into received: Received<RedisPubSubMessage>) -> Task<Void, Never> {
        Task {
            for await message in subscription { received.append(message) }
        }
    }

    @Test func publishedMessagesReachTheSubscriber() async throws {
        let redis = try await RedisTestSupport.client()
        let channel = RedisTestSupport.unique("channel")
        let subscription = try await redis.subscribe(channels: [channel])
        let received = Received<RedisPubSubMessage>()
        let consumer = Self.collect(subscription, into: received)

        // The subscription is confirmed before subscribe returns: the first publish is delivered.
        #expect(try await redis.publish(channel, "hello") == 1)
        #expect(try await redis.publish(channel, RedisTestSupport.awkwardBytes) == 1)
        try await waitUntil("two messages") { received.all.count == 2 }
        #expect(received.all.map(\.channel) == [channel, channel])
        #expect(received.all.first?.string == "hello")
        #expect(received.all.first?.pattern == nil)
        #expect(received.all.last?.payload == RedisTestSupport.awkwardBytes)

        consumer.cancel()
        try await waitUntil("the subscription to close after the consumer was cancelled") {
            try await redis.publish(channel, "anyone?") == 0
        }
        await redis.close()
    }

    @Test func patternSubscriptionsReportTheMatchingPattern() async throws {
        let redis = try await RedisTestSupport.client()
        let prefix = RedisTestSupport.unique("pattern")
        let subscription = try await redis.psubscribe(patterns: ["\(prefix).*"])
        let received = Received<RedisPubSubMessage>()
        let consumer = Self.collect(subscription, into: received)

        #expect(try await redis.publish("\(prefix).render", "r") == 1)
        #expect(try await redis.publish("\(prefix)-other", "x") == 0)
        #expect(try await redis.publish("\(prefix).sync", "s") == 1)
        try await waitUntil("two pattern messages") { received.all.count == 2 }
        #expect(received.all.map(\.channel) == ["\(prefix).render", "\(prefix).sync"])
        #expect(received.all.map(\.pattern) == ["\(prefix).*", "\(prefix).*"])
        #expect(received.all.map(\.string) == ["r", "s"])
        consumer.cancel()
        await redis.close()
    }

    @Test func leavingTheLoopClosesTheSubscription() async throws {
        let redis = try await RedisTestSupport.client()
        let channel = RedisTestSupport.unique("leave")
        let subscription = try await redis.subscribe(channels: [channel])
        let firstMessage = Task { () -> String? in
            for await message in subscription { return message.string }
            return nil
        }
        #expect(try await redis.publish(channel, "only one") == 1)
        #expect(await firstMessage.value == "only one")
        try await waitUntil("the server to drop the subscriber") {
            try await redis.publish(channel, "gone") == 0
        }
        await redis.close()
    }

    @Test func cancelEndsTheSequence() async throws {
        let redis = try await RedisTestSupport.client()
        let channel = RedisTestSupport.unique("cancel")
        let subscription = try await redis.subscribe(channels: [channel, channel + ".b"])
        let received = Received<RedisPubSubMessage>()
        let consumer = Self.collect(subscription, into: received)
        #expect(try await redis.publish(channel + ".b", "b") == 1)
        try await waitUntil("the message on the second channel") { received.all.map(\.string) == ["b"] }
        subscription.cancel()
        await consumer.value  // the loop ends by itself once the subscription is closed
        try await waitUntil("the server to drop the subscriber") {
            try await redis.publish(channel, "late") == 0
        }
        await redis.close()
    }
}
