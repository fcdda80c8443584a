import Foundation
import HubCore
import HubServerCore
import HubTestSupport
import Hummingbird
import HummingbirdTesting
import HummingbirdWSClient
import Logging
import NIOCore
import NIOWebSocket
import Testing

/// The WebSocket live feed: channel choice, event shape, and the slow-client policy.
@Suite struct LiveFeedTests {
    /// Collects the text messages of one WebSocket connection.
    final class Inbox: Sendable {
        let messages = LockedBox<[[String: Any]]>([])
        func append(_ text: String) {
            guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else { return }
            messages.withLock { $0.append(object) }
        }
        var events: [[String: Any]] { messages.withLock { $0.filter { $0["type"] as? String != "hello" } } }
        var hellos: Int { messages.withLock { $0.filter { $0["type"] as? String == "hello" }.count } }
    }

    /// Connects, reads into `inbox` until `done` is true, then closes.
    static func listen(port: Int, path: String, inbox: Inbox, maxFrame: Int = 1 << 16,
                       afterHello: @escaping @Sendable (WebSocketOutboundWriter) async throws -> Void = { _ in },
                       until done: @escaping @Sendable () -> Bool) async throws -> WebSocketCloseFrame? {
        try await WebSocketClient.connect(url: "ws://127.0.0.1:\(port)\(path)",
                                          configuration: .init(maxFrameSize: maxFrame, additionalHeaders: ServerHarness.authorized),
                                          logger: Logger(label: "test.ws")) { inbound, outbound, _ in
            var iterator = inbound.messages(maxSize: maxFrame).makeAsyncIterator()
            var greeted = false
            while let message = try await iterator.next() {
                if case .text(let text) = message { inbox.append(text) }
                if !greeted { greeted = true; try await afterHello(outbound) }
                if done() { break }
            }
            try await outbound.close(.normalClosure, reason: nil)
        }
    }

    @Test func clientsChooseChannelsAndGetTypeDataTimestamp() async throws {
        let harness = try await ServerHarness.make()
        try await harness.run { client in
            let port = try #require(client.port)
            let publisher = harness.server.queue.events
            let marker = UUID().uuidString
            let all = Inbox(), notificationsOnly = Inbox(), switched = Inbox()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    _ = try await Self.listen(port: port, path: "/ws/dashboard", inbox: all) {
                        all.events.contains { ($0["data"] as? [String: Any])?["marker"] as? String == marker && $0["channel"] as? String == "broadcast-77" }
                    }
                }
                group.addTask {
                    _ = try await Self.listen(port: port, path: "/ws/dashboard?channels=notifications", inbox: notificationsOnly) {
                        notificationsOnly.events.contains { $0["type"] as? String == "notification_new" }
                    }
                }
                group.addTask {
                    _ = try await Self.listen(port: port, path: "/ws/dashboard?channels=notifications", inbox: switched,
                                              afterHello: { try await $0.write(.text(#"{"channels":["broadcast-*"]}"#)) }) {
                        switched.events.contains { $0["channel"] as? String == "broadcast-77" }
                    }
                }
                try await waitUntil("three clients connected, one switched channels") {
                    all.hellos == 1 && notificationsOnly.hellos == 1 && switched.hellos == 2
                }
                await publisher.publish("render_progress", data: ["marker": .string(marker), "frame": .integer(12)], channels: ["render-progress"])
                await publisher.publish("notification_new", data: ["marker": .string(marker), "level": .string("info")], channels: ["notifications"])
                await publisher.publish("session_updated", data: ["marker": .string(marker)], channels: ["broadcast-77"], correlationID: "run-1")
                try await group.waitForAll()
            }
            let mine = all.events.filter { ($0["data"] as? [String: Any])?["marker"] as? String == marker }
            #expect(mine.map { $0["channel"] as? String } == ["render-progress", "notifications", "broadcast-77"])
            #expect(mine.map { $0["type"] as? String } == ["render_progress", "notification_new", "session_updated"])
            #expect((mine[0]["data"] as? [String: Any])?["frame"] as? Int == 12)
            let withFractions = ISO8601DateFormatter()
            withFractions.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            #expect((mine[0]["timestamp"] as? String).flatMap { withFractions.date(from: $0) } != nil)
            #expect(mine[0]["source"] as? String == harness.server.instanceID)
            #expect(mine[2]["correlation_id"] as? String == "run-1")
            let onlyNotifications = notificationsOnly.events.filter { ($0["data"] as? [String: Any])?["marker"] as? String == marker }
            #expect(onlyNotifications.map { $0["channel"] as? String } == ["notifications"])
            let afterSwitch = switched.events.filter { ($0["data"] as? [String: Any])?["marker"] as? String == marker }
            #expect(afterSwitch.map { $0["channel"] as? String } == ["broadcast-77"])
        }
    }

    /// A client that stops reading is cut off once its queue is full; a client that reads gets
    /// every event, in order, meanwhile.
    @Test func aSlowClientIsDisconnectedAndNeverSlowsTheOthers() async throws {
        let limit = 32
        let harness = try await ServerHarness.make { $0.clientBufferLimit = limit }
        try await harness.run { client in
            let port = try #require(client.port)
            let publisher = harness.server.queue.events
            let padding = String(repeating: "x", count: 32 * 1024)
            let fast = Inbox(), slow = Inbox()
            // Other suites publish on render-progress in bursts that would overflow a 32-event
            // queue: this test uses a broadcast channel of its own (and counts only its events).
            let probe = "load_probe_\(UUID().uuidString.prefix(8))"
            let channel = "broadcast-\(probe)"
            let mine: @Sendable (Inbox) -> [[String: Any]] = { inbox in inbox.events.filter { $0["type"] as? String == probe } }
            let released = LockedBox(false)
            let published = LockedBox(0)
            let slowClose = LockedBox<WebSocketCloseFrame?>(nil)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    _ = try await Self.listen(port: port, path: "/ws/dashboard?channels=\(channel)", inbox: fast, maxFrame: 1 << 17) {
                        fast.events.contains { $0["type"] as? String == probe + "_done" }
                    }
                }
                group.addTask {
                    // Reads the hello, then nothing until released.
                    let close = try await WebSocketClient.connect(
                        url: "ws://127.0.0.1:\(port)/ws/dashboard?channels=\(channel)",
                        configuration: .init(maxFrameSize: 1 << 17, additionalHeaders: ServerHarness.authorized),
                        logger: Logger(label: "test.slow")) { inbound, _, _ in
                        var iterator = inbound.messages(maxSize: 1 << 17).makeAsyncIterator()
                        if case .text(let text) = try await iterator.next() { slow.append(text) }
                        try await waitUntil("the slow client is released", timeout: 120) { released.withLock { $0 } }
                        while let message = try await iterator.next() {
                            if case .text(let text) = message { slow.append(text) }
                        }
                    }
                    slowClose.withLock { $0 = close }
                }
                try await waitUntil("both clients connected") { fast.hellos == 1 && slow.hellos == 1 }
                // Publish in batches smaller than the queue, letting the reading client catch up
                // after each, until the hub drops the one that does not read.
                var sequence = 0
                while harness.server.metrics.slowClientsDisconnected == 0 && sequence < 20_000 {
                    for _ in 0..<(limit / 2) {
                        sequence += 1
                        await publisher.publish(probe, data: ["seq": .integer(Int64(sequence)), "pad": .string(padding)],
                                                channels: [channel])
                    }
                    published.withLock { $0 = sequence }
                    let expected = sequence
                    try await waitUntil("the reading client has all \(expected) events", timeout: 30) { mine(fast).count >= expected }
                }
                #expect(harness.server.metrics.slowClientsDisconnected == 1)
                await publisher.publish(probe + "_done", data: [:], channels: [channel])
                released.withLock { $0 = true }
                try await group.waitForAll()
            }
            let sequences = mine(fast).compactMap { ($0["data"] as? [String: Any])?["seq"] as? Int }
            #expect(sequences == Array(1...published.withLock { $0 }), "the reading client got every event in order")
            #expect(slowClose.withLock { $0 }?.closeCode == .policyViolation)
            let slowEvents = mine(slow).count
            #expect(slowEvents < sequences.count, "the slow client got only what was queued before it was dropped")
            let metrics = try await client.execute(uri: "/metrics", method: .get, headers: ServerHarness.authorized).text
            #expect(metrics.contains("hub_websocket_slow_disconnects_total 1\n"))
        }
    }
}
