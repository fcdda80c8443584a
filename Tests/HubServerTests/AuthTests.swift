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

/// Every route but /api/health refuses requests without credentials; the list of routes comes
/// from the router itself, so a route added without the middleware fails here.
@Suite struct AuthTests {
    /// A concrete URI for a registered path: `{id}`/`:id` become 1.
    static func concrete(_ path: String) -> String {
        path.split(separator: "/", omittingEmptySubsequences: false).map { part in
            part.hasPrefix("{") || part.hasPrefix(":") ? "1" : String(part)
        }.joined(separator: "/")
    }

    @Test func everyProtectedRouteAnswers401WithoutCredentials() async throws {
        // Each route is also tried with a wrong password: keep the throttle out of the way.
        let harness = try await ServerHarness.make { $0.throttleFailures = 1000 }
        let routes = harness.server.buildRouter().routes.map { (path: $0.path.description, method: $0.method) }
        #expect(routes.count >= 20)
        #expect(routes.contains { $0.path == "/ws/dashboard" })
        try await harness.run { client in
            for route in routes {
                let uri = Self.concrete(route.path)
                let response = try await client.execute(uri: uri, method: route.method)
                if HubServer.publicPaths.contains(route.path) {
                    #expect(response.status != .unauthorized, "\(route) is public")
                    continue
                }
                #expect(response.status == .unauthorized, "\(route) answered \(response.status) without credentials")
                #expect(response.headers[.wwwAuthenticate]?.hasPrefix("Basic") == true, "\(route)")
                let error = try response.json()["error"] as? [String: Any]
                #expect(error?["code"] as? String == "UNAUTHORIZED", "\(route)")
                #expect(error?["message"] as? String != nil)
                #expect(error?["details"] as? [String: Any] != nil)
                // Wrong credentials are refused the same way.
                let wrong = try await client.execute(uri: uri, method: route.method,
                                                     headers: [.authorization: ServerHarness.basic("operator", "not-the-password")])
                #expect(wrong.status == .unauthorized, "\(route) accepted a wrong password")
            }
        }
    }

    @Test func basicAuthApiKeysAndSessionTokensAreAccepted() async throws {
        let harness = try await ServerHarness.make()
        try await harness.run { client in
            let basic = try await client.execute(uri: "/api/dashboard", method: .get, headers: ServerHarness.authorized)
            #expect(basic.status == .ok)
            for key in ServerHarness.apiKeys {
                let keyed = try await client.execute(uri: "/api/dashboard", method: .get, headers: [HubServer.apiKeyHeader: key])
                #expect(keyed.status == .ok)
            }
            let badKey = try await client.execute(uri: "/api/dashboard", method: .get, headers: [HubServer.apiKeyHeader: "key-gamma"])
            #expect(badKey.status == .unauthorized)
            let wrongUser = try await client.execute(uri: "/api/dashboard", method: .get,
                                                     headers: [.authorization: ServerHarness.basic("admin", ServerHarness.password)])
            #expect(wrongUser.status == .unauthorized)

            // The page carries a session token its scripts use as a bearer token.
            let page = try await client.execute(uri: "/", method: .get, headers: ServerHarness.authorized)
            #expect(page.status == .ok)
            let token = try #require(Self.token(in: page.text))
            let bearer = try await client.execute(uri: "/api/v1/render", method: .get, headers: [.authorization: "Bearer \(token)"])
            #expect(bearer.status == .ok)
            // The last signature character changed to a different one (appending a fixed "0" left
            // the token unchanged whenever it already ended in 0).
            let forgedToken = String(token.dropLast()) + (token.hasSuffix("0") ? "1" : "0")
            #expect(forgedToken != token)
            let forged = try await client.execute(uri: "/api/v1/render", method: .get, headers: [.authorization: "Bearer \(forgedToken)"])
            #expect(forged.status == .unauthorized)
            // ?token= is accepted on the WebSocket route only.
            let query = try await client.execute(uri: "/api/dashboard?token=\(token)", method: .get)
            #expect(query.status == .unauthorized)
        }
    }

    @Test func webSocketUpgradeNeedsCredentials() async throws {
        let harness = try await ServerHarness.make()
        try await harness.run { client in
            let port = try #require(client.port)
            await #expect(throws: WebSocketClientError.self) {
                try await WebSocketClient.connect(url: "ws://127.0.0.1:\(port)/ws/dashboard", logger: Logger(label: "test")) { _, _, _ in }
            }
            await #expect(throws: WebSocketClientError.self) {
                try await WebSocketClient.connect(url: "ws://127.0.0.1:\(port)/ws/dashboard",
                                                  configuration: .init(additionalHeaders: [.authorization: ServerHarness.basic("operator", "guess-guess")]),
                                                  logger: Logger(label: "test")) { _, _, _ in }
            }
            let hello = LockedBox<String?>(nil)
            try await WebSocketClient.connect(url: "ws://127.0.0.1:\(port)/ws/dashboard",
                                              configuration: .init(additionalHeaders: ServerHarness.authorized),
                                              logger: Logger(label: "test")) { inbound, outbound, _ in
                var messages = inbound.messages(maxSize: 1 << 16).makeAsyncIterator()
                if case .text(let text) = try await messages.next() { hello.withLock { $0 = text } }
                try await outbound.close(.normalClosure, reason: nil)
            }
            #expect(hello.withLock { $0 }?.contains("\"type\":\"hello\"") == true)
        }
    }

    @Test func repeatedFailuresFromOneAddressAreThrottled() async throws {
        let harness = try await ServerHarness.make { $0.throttleFailures = 5; $0.throttleDelay = .milliseconds(10) }
        try await harness.run { client in
            for _ in 0..<5 {
                let response = try await client.execute(uri: "/api/dashboard", method: .get,
                                                        headers: [.authorization: ServerHarness.basic("operator", "wrong-password")])
                #expect(response.status == .unauthorized)
            }
            // Further wrong passwords are answered 429 until the window passes ...
            let throttled = try await client.execute(uri: "/api/dashboard", method: .get,
                                                     headers: [.authorization: ServerHarness.basic("operator", "wrong-again")])
            #expect(throttled.status == .tooManyRequests)
            #expect(Int(throttled.headers[.retryAfter] ?? "") ?? 0 >= 1)
            let error = try throttled.json()["error"] as? [String: Any]
            #expect(error?["code"] as? String == "TOO_MANY_REQUESTS")
            // ... but the right password is never refused because of them.
            let right = try await client.execute(uri: "/api/dashboard", method: .get, headers: ServerHarness.authorized)
            #expect(right.status == .ok)
            // Health stays public and unthrottled.
            let health = try await client.execute(uri: "/api/health", method: .get)
            #expect(health.status == .ok)
        }
    }

    @Test func throttleForgetsFailuresOutsideItsWindow() {
        let now = LockedBox(ContinuousClock.now)
        let throttle = FailureThrottle(maxFailures: 3, window: .seconds(60), clock: { now.withLock { $0 } })
        for _ in 0..<3 { throttle.recordFailure("10.0.0.1") }
        #expect(throttle.retryAfter("10.0.0.1") == .seconds(60))
        #expect(throttle.retryAfter("10.0.0.2") == nil)
        now.withLock { $0 += .seconds(59) }
        #expect(throttle.retryAfter("10.0.0.1") == .seconds(1))
        now.withLock { $0 += .seconds(1) }
        #expect(throttle.retryAfter("10.0.0.1") == nil)
        throttle.recordFailure("10.0.0.1")
        throttle.recordSuccess("10.0.0.1")
        for _ in 0..<2 { throttle.recordFailure("10.0.0.1") }
        #expect(throttle.retryAfter("10.0.0.1") == nil)
    }

    @Test func credentialsAreCheckedWholly() throws {
        let credentials = try ServerCredentials(username: "operator", password: "s3cret-password", apiKeys: ["k1-abcdef", " k2-abcdef "])
        #expect(credentials.acceptsBasic(username: "operator", password: "s3cret-password"))
        #expect(!credentials.acceptsBasic(username: "operator", password: "s3cret-passwor"))
        #expect(!credentials.acceptsBasic(username: "operato", password: "s3cret-password"))
        #expect(!credentials.acceptsBasic(username: "operator", password: "s3cret-password "))
        #expect(credentials.apiKeyIndex("k1-abcdef") == 1)
        #expect(credentials.apiKeyIndex("k2-abcdef") == 2)
        #expect(credentials.apiKeyIndex("k3-abcdef") == nil)
        #expect(throws: HubError.self) { try ServerCredentials(username: nil, password: nil, apiKeys: []) }
        #expect(throws: HubError.self) { try ServerCredentials(username: "operator", password: nil, apiKeys: ["k"]) }
        #expect(throws: HubError.self) { try ServerCredentials(username: "operator", password: "short", apiKeys: []) }
        let keysOnly = try ServerCredentials(username: nil, password: nil, apiKeys: ["k1"])
        #expect(!keysOnly.acceptsBasic(username: "", password: ""))
    }

    @Test func sessionTokensExpireAndCannotBeForged() {
        let tokens = SessionTokens(lifetime: .seconds(60))
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let token = tokens.issue(for: "user:operator", now: now)
        #expect(tokens.verify(token, now: now) == "user:operator")
        #expect(tokens.verify(token, now: now.addingTimeInterval(61)) == nil)
        #expect(SessionTokens().verify(token, now: now) == nil)
        let parts = token.split(separator: ".")
        #expect(tokens.verify("\(Int(parts[0])! + 3600).\(parts[1]).\(parts[2])", now: now) == nil)
    }

    static func token(in page: String) -> String? {
        guard let range = page.range(of: "name=\"hub-token\" content=\"") else { return nil }
        let rest = page[range.upperBound...]
        return rest.firstIndex(of: "\"").map { String(rest[..<$0]) }
    }
}
