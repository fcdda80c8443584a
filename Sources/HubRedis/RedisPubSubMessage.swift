/// One message received on a Pub/Sub subscription.
public struct RedisPubSubMessage: Sendable, Hashable {
    /// The channel it was published to.
    public var channel: String
    /// The pattern that matched the channel, for `PSUBSCRIBE` subscriptions; nil otherwise.
    public var pattern: String?
    /// The message, byte for byte.
    public var payload: [UInt8]
    /// The message decoded as UTF-8 (invalid sequences become U+FFFD).
    public var string: String { String(decoding: payload, as: UTF8.self) }

    /// Creates a message.
    public init(channel: String, pattern: String? = nil, payload: [UInt8]) {
        self.channel = channel
        self.pattern = pattern
        self.payload = payload
    }

    /// What a reply on a subscribed connection means.
    enum Event {
        case message(RedisPubSubMessage)
        case confirmation
        case other
    }

    private static let kindMessage = Array("message".utf8)
    private static let kindPatternMessage = Array("pmessage".utf8)
    private static let kindSubscribe = Array("subscribe".utf8)
    private static let kindPatternSubscribe = Array("psubscribe".utf8)

    /// Classifies a push reply: `message`, `pmessage`, or a (p)subscribe confirmation.
    static func event(from reply: RedisValue) -> Event {
        guard case .array(let parts) = reply, let kind = parts.first?.bytes else { return .other }
        switch kind {
        case kindMessage where parts.count == 3:
            guard let channel = parts[1].string, let payload = parts[2].bytes else { return .other }
            return .message(RedisPubSubMessage(channel: channel, payload: payload))
        case kindPatternMessage where parts.count == 4:
            guard let pattern = parts[1].string, let channel = parts[2].string, let payload = parts[3].bytes else {
                return .other
            }
            return .message(RedisPubSubMessage(channel: channel, pattern: pattern, payload: payload))
        case kindSubscribe, kindPatternSubscribe:
            return .confirmation
        default:
            return .other
        }
    }
}
