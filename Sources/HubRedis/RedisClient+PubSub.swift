extension RedisClient {
    /// Publishes `message` on `channel`; returns how many subscribers received it.
    @discardableResult
    public nonisolated(nonsending) func publish(_ channel: String, _ message: RedisArgument) async throws -> Int {
        try await integer("PUBLISH", send(["PUBLISH", RedisArgument(channel), message]))
    }

    /// Publishes the text `message` on `channel`; returns how many subscribers received it.
    @discardableResult
    public nonisolated(nonsending) func publish(_ channel: String, _ message: String) async throws -> Int {
        try await publish(channel, RedisArgument(message))
    }

    /// Publishes the bytes `message` on `channel`; returns how many subscribers received it.
    @discardableResult
    public nonisolated(nonsending) func publish(_ channel: String, _ message: [UInt8]) async throws -> Int {
        try await publish(channel, RedisArgument(message))
    }

    /// Subscribes to `channels` on a dedicated connection.
    ///
    /// Returns once Redis has confirmed every channel, so a message published after this returns
    /// is delivered. See ``RedisSubscription`` for reconnection and lifetime.
    /// - Throws: ``RedisError`` when the connection or the subscription fails.
    public func subscribe(channels: [String]) async throws -> RedisSubscription {
        try await subscribe(channels: channels, patterns: [])
    }

    /// Subscribes to channel `patterns` (`PSUBSCRIBE`, glob style: `render.*`) on a dedicated
    /// connection; messages carry the matching ``RedisPubSubMessage/pattern``.
    public func psubscribe(patterns: [String]) async throws -> RedisSubscription {
        try await subscribe(channels: [], patterns: patterns)
    }

    /// Subscribes to `channels` and `patterns` together on one dedicated connection.
    public func subscribe(channels: [String], patterns: [String]) async throws -> RedisSubscription {
        guard !channels.isEmpty || !patterns.isEmpty else {
            throw RedisError(code: .invalidCommand, message: "a subscription needs at least one channel or pattern")
        }
        let (messages, output) = AsyncStream.makeStream(
            of: RedisPubSubMessage.self, bufferingPolicy: .bufferingNewest(RedisSubscription.bufferLimit))
        let subscriber = RedisSubscriber(
            configuration: configuration, channels: channels, patterns: patterns, logger: logger, output: output)
        output.onTermination = { _ in subscriber.stop() }
        try await withCheckedThrowingContinuation { (ready: CheckedContinuation<Void, any Error>) in
            subscriber.start(ready: ready)
        }
        return RedisSubscription(messages: messages, subscriber: subscriber)
    }
}
