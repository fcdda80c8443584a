/// The messages of a Pub/Sub subscription, as an `AsyncSequence`.
///
/// Created by ``RedisClient/subscribe(channels:)`` or ``RedisClient/psubscribe(patterns:)``; it
/// runs on its own connection and thread, outside the client's pool. Iterate it once:
///
/// ```swift
/// let subscription = try await redis.subscribe(channels: ["render-events"])
/// for await message in subscription { handle(message.string) }
/// ```
///
/// Leaving the loop, cancelling the iterating task, calling ``cancel()`` or dropping every copy
/// of the subscription closes its connection and stops its thread; the sequence then ends.
///
/// Pub/Sub is a signal channel, not a queue: if the connection drops (for example when Redis
/// restarts) the subscription reconnects with backoff and subscribes again, but messages
/// published while it was disconnected are lost; so are the oldest buffered messages when more
/// than ``bufferLimit`` are waiting to be consumed. Keep the source of truth elsewhere
/// (PostgreSQL) and treat a message as "go and look".
public struct RedisSubscription: AsyncSequence, Sendable {
    /// The element type: one received message.
    public typealias Element = RedisPubSubMessage
    /// Iteration never throws; the sequence just ends.
    public typealias Failure = Never

    /// How many received but unconsumed messages are kept before the oldest are dropped.
    public static let bufferLimit = 4096

    /// Stops the subscriber when the last copy of its owner (the subscription, or an iterator)
    /// goes away.
    final class Lifetime: Sendable {
        let subscriber: RedisSubscriber
        init(_ subscriber: RedisSubscriber) { self.subscriber = subscriber }
        deinit { subscriber.stop() }
    }

    private let messages: AsyncStream<RedisPubSubMessage>
    private let lifetime: Lifetime

    init(messages: AsyncStream<RedisPubSubMessage>, subscriber: RedisSubscriber) {
        self.messages = messages
        self.lifetime = Lifetime(subscriber)
    }

    /// Closes the subscription's connection; iteration ends after the messages already received.
    public func cancel() {
        lifetime.subscriber.stop()
    }

    /// Returns the iterator. Iterating ends the subscription when the iterator goes away (the
    /// `for await` loop is left), so a subscription is iterated once.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: messages.makeAsyncIterator(), lifetime: Lifetime(lifetime.subscriber), owner: lifetime)
    }

    /// Iterates the messages; ends when the subscription is closed.
    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: AsyncStream<RedisPubSubMessage>.AsyncIterator
        /// The iterator's own lifetime: leaving the loop stops the subscriber.
        let lifetime: Lifetime
        /// Keeps the subscription's lifetime too, so `for await m in try await subscribe(…)` (where
        /// the subscription itself is a temporary) keeps running.
        let owner: Lifetime

        /// The next message, or nil once the subscription is closed.
        public mutating func next() async -> RedisPubSubMessage? {
            await base.next()
        }

        /// The next message, or nil once the subscription is closed.
        public mutating func next(isolation actor: isolated (any Actor)?) async -> RedisPubSubMessage? {
            await base.next(isolation: actor)
        }
    }
}
