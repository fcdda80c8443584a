import Foundation
import Hummingbird
import HummingbirdWebSocket
import NIOCore

/// The request context of every hub-server route: HTTP and WebSocket upgrades share one router,
/// so the authentication middleware sees both.
public struct HubRequestContext: RequestContext, WebSocketRequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Where the handler of a WebSocket upgrade is left for the upgrade channel.
    public let webSocket: WebSocketHandlerReference<Self>
    /// The peer's address (throttling is per address).
    public let remoteAddress: SocketAddress?
    /// Who made the request, set by ``AuthMiddleware``: `user:<name>`, `api-key:<n>` or
    /// `session:<name>`; recorded as the actor of what the request changes.
    public var principal: String?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.webSocket = .init()
        self.remoteAddress = source.channel.remoteAddress
    }

    /// Dates as ISO 8601 with fractions, sorted keys: the same JSON every time.
    public var responseEncoder: JSONEncoder { APIJSON.encoder }
    public var requestDecoder: JSONDecoder { APIJSON.decoder }

    /// The peer's IP address as text (`unknown` when the channel has none).
    var clientAddress: String { remoteAddress?.ipAddress ?? "unknown" }
}

/// The JSON coders of the HTTP API.
public enum APIJSON {
    /// Sorted keys, ISO 8601 dates with milliseconds, slashes unescaped.
    public static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(Date.ISO8601FormatStyle(includingFractionalSeconds: true).format(date))
        }
        return encoder
    }

    /// Accepts ISO 8601 dates with or without fractions.
    public static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
