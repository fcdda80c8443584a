import Foundation
import HTTPTypes
import HubCore
import Hummingbird
import HummingbirdWebSocket
import NIOWebSocket

extension HubServer {
    /// `GET /ws/dashboard`: the live feed (SPEC §6). See ``EventHub`` for the slow-client policy.
    ///
    /// The client chooses channels with `?channels=render-progress,broadcast-*` (default: all) and
    /// may change them later by sending `{"channels":[…]}` (`null` for all). The first message is
    /// `{"type":"hello","channels":[…],"buffer":N}`; then one message per event:
    /// `{"channel","type","data","timestamp","source","correlation_id"}`.
    ///
    /// A plain GET (no `Upgrade: websocket`) is answered 426 `UPGRADE_REQUIRED`.
    func addLiveFeedRoutes(to router: Router<HubRequestContext>) {
        router.ws("/ws/dashboard") { request, _ in
            guard Self.asksForWebSocket(request.headers) else {
                throw APIError(.upgradeRequired, code: "UPGRADE_REQUIRED",
                               "/ws/dashboard is a WebSocket: open it with a WebSocket client (Upgrade: websocket)",
                               headers: [.upgrade: "websocket", .connection: "Upgrade"])
            }
            return .upgrade([:])
        } onUpgrade: { inbound, outbound, context in
            let requested = context.request.uri.queryParameters["channels"].map { text in
                Set(text.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
            }
            let subscription = self.events.register(channels: requested)
            defer { self.events.unregister(subscription) }
            try await outbound.write(.text(Self.hello(subscription, buffer: self.events.clientBufferLimit)))
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for try await message in inbound.messages(maxSize: 1 << 16) {
                        guard case .text(let text) = message, let change = try? JSONDecoder().decode(ChannelChange.self, from: Data(text.utf8))
                        else { continue }
                        subscription.setChannels(change.channels.map(Set.init))
                        try await outbound.write(.text(Self.hello(subscription, buffer: self.events.clientBufferLimit)))
                    }
                }
                group.addTask {
                    for await text in subscription.events {
                        try await outbound.write(.text(text))
                        self.metrics.messageSent()
                    }
                    if subscription.overflowed {
                        try await outbound.close(.policyViolation,
                                                 reason: "slow consumer: more than \(self.events.clientBufferLimit) events queued; reconnect")
                    }
                }
                _ = try await group.next()
                group.cancelAll()
            }
        }
    }

    /// Whether the request asks to switch to the WebSocket protocol (`Upgrade: websocket`).
    static func asksForWebSocket(_ headers: HTTPFields) -> Bool {
        headers[values: .upgrade].contains { value in
            value.split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces).lowercased() == "websocket" }
        }
    }

    static func hello(_ subscription: EventHub.Subscription, buffer: Int) -> String {
        let channels = subscription.channels.map { Array($0).sorted() } ?? EventHub.channels + EventHub.patterns
        let body = Hello(channels: channels, buffer: buffer)
        return String(decoding: (try? APIJSON.encoder.encode(body)) ?? Data(), as: UTF8.self)
    }
}

/// `{"channels":[…]}` or `{"channels":null}` sent by a client.
struct ChannelChange: Decodable {
    var channels: [String]?
}

struct Hello: Encodable {
    var type = "hello"
    var channels: [String]
    var buffer: Int
}
