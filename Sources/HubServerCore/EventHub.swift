import Foundation
import HubCore
import HubDriverSupport
import HubRedis
import Logging
import ServiceLifecycle

/// The live feed's fan-out: one Redis subscription per server process (SPEC §6 channels
/// `render-progress`, `notifications`, `sync-status` and the pattern `broadcast-*`), copied to
/// every WebSocket client that chose the channel.
///
/// **A slow client never slows the others.** Each client has a bounded queue
/// (``clientBufferLimit`` events). Copying an event into a queue never waits; a client whose queue
/// is full is dropped from the hub at once (it receives what is already queued, then a close
/// frame 1008 "slow consumer" and reconnects to re-read the dashboard). Dropping single events
/// instead would leave its tables silently wrong.
package final class EventHub: Service, Sendable {
    /// The channels subscribed by name.
    package static let channels = ["render-progress", "notifications", "sync-status"]
    /// The channels subscribed by pattern.
    package static let patterns = ["broadcast-*"]

    /// One connected client.
    final class Client: Sendable {
        let id: Int
        let continuation: AsyncStream<String>.Continuation
        /// Channel filters: exact names or prefixes ending in `*`; nil = every channel.
        let filter: PThreadLocked<Set<String>?>
        let overflowed = PThreadLocked(false)

        init(id: Int, continuation: AsyncStream<String>.Continuation, filter: Set<String>?) {
            self.id = id
            self.continuation = continuation
            self.filter = PThreadLocked(filter)
        }

        func wants(_ channel: String) -> Bool {
            filter.withLock { filter in
                guard let filter else { return true }
                return filter.contains(channel) || filter.contains { $0.hasSuffix("*") && channel.hasPrefix($0.dropLast()) }
            }
        }
    }

    /// A client's end: the events to write and a way to change its channels.
    package struct Subscription: Sendable {
        let client: Client
        /// The client's queue of encoded events.
        package let events: AsyncStream<String>
        /// Whether the hub dropped the client because its queue overflowed.
        package var overflowed: Bool { client.overflowed.withLock { $0 } }
        /// Replaces the channel filter (nil = every channel).
        package func setChannels(_ channels: Set<String>?) { client.filter.withLock { $0 = channels } }
        /// The current channel filter.
        package var channels: Set<String>? { client.filter.withLock { $0 } }
    }

    let redis: RedisClient
    let metrics: ServerMetrics
    let logger: Logger
    /// Events a client may have queued before it is dropped.
    package let clientBufferLimit: Int
    private let clients = PThreadLocked<(next: Int, all: [Int: Client])>((0, [:]))
    private let subscribed = PThreadLocked(false)

    /// Creates the hub; ``run()`` subscribes.
    package init(redis: RedisClient, metrics: ServerMetrics, clientBufferLimit: Int = 256,
                logger: Logger = Logger(label: "hub.server.events")) {
        self.redis = redis
        self.metrics = metrics
        self.clientBufferLimit = max(1, clientBufferLimit)
        self.logger = logger
    }

    /// Whether the Redis subscription is established (tests wait for it).
    package var isSubscribed: Bool { subscribed.withLock { $0 } }

    /// Registers a client with its channel filter.
    package func register(channels: Set<String>?) -> Subscription {
        let (stream, continuation) = AsyncStream<String>.makeStream(bufferingPolicy: .bufferingOldest(clientBufferLimit))
        let client = clients.withLock { state -> Client in
            state.next += 1
            let client = Client(id: state.next, continuation: continuation, filter: channels)
            state.all[client.id] = client
            return client
        }
        metrics.clientConnected()
        return Subscription(client: client, events: stream)
    }

    /// Removes a client (its connection closed).
    package func unregister(_ subscription: Subscription) {
        let removed = clients.withLock { $0.all.removeValue(forKey: subscription.client.id) }
        subscription.client.continuation.finish()
        if removed != nil || subscription.overflowed { metrics.clientDisconnected() }
    }

    /// Copies one encoded event to every client that wants `channel`; never waits.
    func broadcast(_ text: String, channel: String) {
        let targets = clients.withLock { Array($0.all.values) }
        for client in targets where client.wants(channel) {
            switch client.continuation.yield(text) {
            case .enqueued: continue
            case .terminated:
                // The connection is closing and unregistering itself.
                continue
            case .dropped:
                client.overflowed.withLock { $0 = true }
                let removed = clients.withLock { $0.all.removeValue(forKey: client.id) }
                client.continuation.finish()
                if removed != nil {
                    metrics.slowClientDisconnected()
                    logger.notice("WebSocket client \(client.id) dropped: more than \(clientBufferLimit) events queued (slow consumer)")
                }
            @unknown default: continue
            }
        }
    }

    /// Subscribes and forwards until the service group shuts down; resubscribes while Redis is
    /// unreachable (the subscription itself reconnects once established).
    package func run() async throws {
        await cancelWhenGracefulShutdown {
            await self.forward()
        }
        subscribed.withLock { $0 = false }
        let remaining = clients.withLock { state -> [Client] in
            defer { state.all = [:] }
            return Array(state.all.values)
        }
        for client in remaining { client.continuation.finish() }
    }

    private func forward() async {
        var warned = false
        while !Task.isCancelled {
            let subscription: RedisSubscription
            do {
                subscription = try await redis.subscribe(channels: Self.channels, patterns: Self.patterns)
            } catch {
                if !warned { logger.warning("live feed: cannot subscribe to Redis (retrying every second): \(error)") }
                warned = true
                try? await Task.sleep(for: .seconds(1))
                continue
            }
            if warned { logger.notice("live feed: subscribed to Redis") }
            subscribed.withLock { $0 = true }
            await withTaskCancellationHandler {
                for await message in subscription {
                    let wire = WireEvent(message: message)
                    metrics.observe(type: wire.type, instructionID: wire.instructionID, status: wire.status, timestamp: wire.timestamp)
                    broadcast(wire.json, channel: message.channel)
                }
            } onCancel: {
                subscription.cancel()
            }
            subscribed.withLock { $0 = false }
        }
    }
}

/// One event as the WebSocket sends it: the SPEC §6 fields plus the channel it came on.
struct WireEvent: Encodable {
    var channel: String
    var type: String
    var data: [String: JSONValue]
    var timestamp: Date
    var source: String?
    var correlationID: String?

    enum CodingKeys: String, CodingKey {
        case channel, type, data, timestamp, source
        case correlationID = "correlation_id"
    }

    init(channel: String, type: String, data: [String: JSONValue], timestamp: Date, source: String?, correlationID: String?) {
        self.channel = channel
        self.type = type
        self.data = data
        self.timestamp = timestamp
        self.source = source
        self.correlationID = correlationID
    }

    /// Decodes a ``HubEvent``; any other payload is forwarded as `{"type":"message","data":{"text":…}}`.
    init(message: RedisPubSubMessage) {
        if let event = try? HubEvent.decode(message.payload) {
            self.init(channel: message.channel, type: event.type, data: event.data, timestamp: event.timestamp,
                      source: event.source, correlationID: event.correlationID)
        } else {
            self.init(channel: message.channel, type: "message", data: ["text": .string(message.string)], timestamp: Date(),
                      source: nil, correlationID: nil)
        }
    }

    var instructionID: Int64? {
        if case .integer(let id) = data["instruction_id"] { return id }
        return nil
    }

    var status: String? {
        if case .string(let status) = data["status"] { return status }
        return nil
    }

    var json: String { String(decoding: (try? APIJSON.encoder.encode(self)) ?? Data(), as: UTF8.self) }
}
