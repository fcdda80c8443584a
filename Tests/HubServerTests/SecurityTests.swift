import Foundation
import HubCore
import HTTPTypes
import HubPostgres
import HubServerCore
import HubTestSupport
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// Issue 13 item 4 and the CSRF and health points of item 6: a correct credential is never refused
/// because someone else failed; a dead session token is refused and the page's own flow gets a
/// fresh one; cross-site form posts are refused; the public health report tells nothing about the
/// infrastructure.
@Suite struct SecurityTests {
    static func badKey(_ n: Int) -> HTTPFields { [HubServer.apiKeyHeader: "made-up-key-\(n)"] }

    @Test func rightCredentialsStillPassAfterBadOnesTrippedTheThrottle() async throws {
        let harness = try await ServerHarness.make {
            $0.throttleFailures = 3
            $0.throttleDelay = .milliseconds(50)
        }
        try await harness.run { client in
            // A schemathesis-like run: made-up API keys from this address.
            for n in 0..<3 {
                let response = try await client.execute(uri: "/api/dashboard", method: .get, headers: Self.badKey(n))
                #expect(response.status == .unauthorized)
            }
            let tripped = try await client.execute(uri: "/api/dashboard", method: .get, headers: Self.badKey(99))
            #expect(tripped.status == .tooManyRequests)
            #expect(Int(tripped.headers[.retryAfter] ?? "") ?? 0 >= 1)
            #expect(tripped.errorCode == "TOO_MANY_REQUESTS")

            // The right Basic password and a valid API key still pass, on every try.
            for _ in 0..<3 {
                let basic = try await client.execute(uri: "/api/dashboard", method: .get, headers: ServerHarness.authorized)
                #expect(basic.status == .ok)
                let keyed = try await client.execute(uri: "/api/dashboard", method: .get,
                                                     headers: [HubServer.apiKeyHeader: ServerHarness.apiKeys[1]])
                #expect(keyed.status == .ok)
            }
            // A success from the same address does not clear the count: further bad attempts are
            // still answered 429 (a legitimate user behind the same NAT cannot reset an attacker).
            let wrongPassword = try await client.execute(uri: "/api/dashboard", method: .get,
                                                         headers: [.authorization: ServerHarness.basic("operator", "wrong-password")])
            #expect(wrongPassword.status == .tooManyRequests)
            #expect(Int(wrongPassword.headers[.retryAfter] ?? "") ?? 0 >= 1)
            let stillBad = try await client.execute(uri: "/api/dashboard", method: .get, headers: Self.badKey(100))
            #expect(stillBad.status == .tooManyRequests)
            // A dead session token (the stale tab) is a failure like any other, and the page's own
            // Basic-authenticated reload still passes.
            let dead = try await client.execute(uri: "/ws/dashboard?token=1.AAAA.00", method: .get)
            #expect(dead.status == .tooManyRequests)
            let page = try await client.execute(uri: "/", method: .get, headers: ServerHarness.authorized)
            #expect(page.status == .ok)
        }
    }

    @Test func throttledFailuresAreDelayed() async throws {
        let harness = try await ServerHarness.make {
            $0.throttleFailures = 2
            $0.throttleDelay = .milliseconds(400)
        }
        try await harness.run { client in
            for n in 0..<2 {
                #expect(try await client.execute(uri: "/api/dashboard", method: .get, headers: Self.badKey(n)).status == .unauthorized)
            }
            let started = ContinuousClock.now
            let refused = try await client.execute(uri: "/api/dashboard", method: .get, headers: Self.badKey(3))
            #expect(refused.status == .tooManyRequests)
            #expect(ContinuousClock.now - started >= .milliseconds(350), "a refused guess from a throttled address is slowed down")
            let passedAt = ContinuousClock.now
            #expect(try await client.execute(uri: "/api/dashboard", method: .get, headers: ServerHarness.authorized).status == .ok)
            #expect(ContinuousClock.now - passedAt < .milliseconds(350), "a correct credential is not delayed")
        }
    }

    /// After a restart the page's token is signed with a key that is gone: it is refused with 401,
    /// and the page's own flow (GET / with the browser's cached Basic credentials, the token in
    /// `<meta name="hub-token">`) gets a fresh one that opens the WebSocket and the API.
    @Test func aDeadTokenIsRefusedAndThePageFlowGetsAFreshOne() async throws {
        let harness = try await ServerHarness.make()
        let oldServer = SessionTokens()
        let dead = oldServer.issue(for: "user:operator")
        try await harness.run { client in
            let api = try await client.execute(uri: "/api/dashboard", method: .get, headers: [.authorization: "Bearer \(dead)"])
            #expect(api.status == .unauthorized)
            let upgrade = try await client.execute(uri: "/ws/dashboard?token=\(dead)", method: .get)
            #expect(upgrade.status == .unauthorized)
            let page = try await client.execute(uri: "/", method: .get, headers: ServerHarness.authorized)
            #expect(page.status == .ok)
            let fresh = try #require(AuthTests.token(in: page.text))
            #expect(fresh != dead)
            let renewed = try await client.execute(uri: "/api/dashboard", method: .get, headers: [.authorization: "Bearer \(fresh)"])
            #expect(renewed.status == .ok)
            // The page's script renews its token and backs off instead of retrying every 2 s.
            #expect(page.text.contains("function renewToken("))
            #expect(page.text.contains("backoff"))
            #expect(!page.text.contains("setTimeout(connect, 2000)"))
        }
    }

    // MARK: CSRF

    @Test func crossSiteFormPostsAreRefused() async throws {
        let harness = try await ServerHarness.make()
        let alert = try await MonitorEventStore(pool: harness.clients.database)
            .raise(rule: "delay", level: .warning, message: "csrf probe", at: Date()).event
        try await harness.run { client in
            let port = try #require(client.port)
            // A cross-site <form method=post> carries the browser's cached Basic credentials.
            for type in ["application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "text/plain"] {
                var headers = ServerHarness.authorized
                headers[.contentType] = type
                let form = try await client.execute(uri: "/api/v1/render", method: .post, headers: headers,
                                                    body: ByteBuffer(string: #"template=leaderboard"#))
                #expect(form.status == .unsupportedMediaType, "\(type)")
                #expect(form.errorCode == "UNSUPPORTED_MEDIA_TYPE", "\(type)")
            }
            let noType = ServerHarness.authorized
            let untyped = try await client.execute(uri: "/api/v1/render", method: .post, headers: noType,
                                                   body: ByteBuffer(string: #"{"template":"leaderboard"}"#))
            #expect(untyped.status == .unsupportedMediaType)

            // JSON from a foreign origin (fetch with credentials from another site).
            var foreign = ServerHarness.authorized
            foreign[.contentType] = "application/json"
            foreign[.origin] = "http://evil.example"
            let crossSite = try await client.execute(uri: "/api/v1/render", method: .post, headers: foreign,
                                                     body: ByteBuffer(string: #"{"template":"leaderboard"}"#))
            #expect(crossSite.status == .forbidden)
            #expect(crossSite.errorCode == "FORBIDDEN_ORIGIN")
            #expect(crossSite.text.contains("evil.example"))
            // Another port of the same host is another origin (another service's page).
            foreign[.origin] = "http://localhost:\(port + 1)"
            #expect(try await client.execute(uri: "/api/v1/render", method: .post, headers: foreign,
                                             body: ByteBuffer(string: #"{"template":"leaderboard"}"#)).status == .forbidden)
            foreign[.origin] = "null"
            #expect(try await client.execute(uri: "/api/events/\(alert.id)/resolve", method: .post, headers: foreign,
                                             body: ByteBuffer(string: "{}")).status == .forbidden)
            var fetchSite = ServerHarness.authorized
            fetchSite[.contentType] = "application/json"
            fetchSite[HTTPField.Name("Sec-Fetch-Site")!] = "cross-site"
            #expect(try await client.execute(uri: "/api/v1/render", method: .post, headers: fetchSite,
                                             body: ByteBuffer(string: #"{"template":"leaderboard"}"#)).status == .forbidden)
            // The live feed is not opened for another site's page either (cross-site WebSocket hijacking).
            var foreignUpgrade = ServerHarness.authorized
            foreignUpgrade[.origin] = "http://evil.example"
            #expect(try await client.execute(uri: "/ws/dashboard", method: .get, headers: foreignUpgrade).status == .forbidden)
            let created = try await harness.clients.database.query("SELECT count(*) FROM render_instructions")[0].decode(Int.self, at: 0)
            #expect(created == 0, "no refused request created anything")

            // The page's own requests: same origin, JSON.
            var same = ServerHarness.authorized
            same[.contentType] = "application/json; charset=utf-8"
            // (The test client addresses the server as Host: localhost; a browser sends host:port.)
            same[.origin] = "http://localhost"
            same[HTTPField.Name("Sec-Fetch-Site")!] = "same-origin"
            let own = try await client.execute(uri: "/api/v1/render", method: .post, headers: same,
                                               body: ByteBuffer(string: #"{"template":"leaderboard"}"#))
            #expect(own.status == .created, "\(own.text)")
            let resolved = try await client.execute(uri: "/api/events/\(alert.id)/resolve", method: .post, headers: same,
                                                    body: ByteBuffer(string: "{}"))
            #expect(resolved.status == .ok, "\(resolved.text)")
            // Behind a TLS proxy that passes the public host as X-Forwarded-Host (Host rewritten).
            var proxied = ServerHarness.authorized
            proxied[.contentType] = "application/json"
            proxied[.origin] = "https://hub.example:8443"
            proxied[HTTPField.Name("X-Forwarded-Host")!] = "hub.example:8443"
            #expect(try await client.execute(uri: "/api/v1/render", method: .post, headers: proxied,
                                             body: ByteBuffer(string: #"{"template":"leaderboard"}"#)).status == .created)
            proxied[HTTPField.Name("X-Forwarded-Host")!] = "hub.example"
            #expect(try await client.execute(uri: "/api/v1/render", method: .post, headers: proxied,
                                             body: ByteBuffer(string: #"{"template":"leaderboard"}"#)).status == .forbidden,
                    "a forwarded host without the port names port 443, not 8443")
            // Services: JSON without Origin, and a POST without a body.
            #expect(try await client.send(.post, "/api/v1/render", json: #"{"template":"leaderboard"}"#).status == .created)
            let empty = try await client.execute(uri: "/api/events/\(alert.id)/resolve", method: .post, headers: ServerHarness.authorized)
            #expect(empty.status != .unsupportedMediaType && empty.status != .forbidden, "\(empty.status)")
            // GET stays free of both checks (the page's navigation, thumbnails).
            var foreignGet = ServerHarness.authorized
            foreignGet[.origin] = "http://evil.example"
            #expect(try await client.execute(uri: "/api/dashboard", method: .get, headers: foreignGet).status == .ok)
        }
    }

    // MARK: Health

    @Test func publicHealthNamesNoHostVersionOrErrorAndDetailsNeedCredentials() async throws {
        let harness = try await ServerHarness.make(redisURL: "redis://127.0.0.1:1/0")
        try await harness.run(waitForLiveFeed: false) { client in
            let health = try await client.execute(uri: "/api/health", method: .get)
            #expect(health.status == .serviceUnavailable)
            let body = try health.json()
            #expect(body["status"] as? String == "unhealthy")
            #expect((body["dependencies"] as? [String: String]) == ["postgres": "connected", "redis": "disconnected"])
            let components = try #require(body["components"] as? [[String: Any]])
            #expect(Set(components.compactMap { $0["name"] as? String }) == ["postgres", "schema", "redis"])
            for component in components {
                #expect(Set(component.keys) == ["name", "status"], "\(component)")
            }
            for secret in ["127.0.0.1", "PostgreSQL", "Redis ", "version", "latency", "detail", "address", "refused", "error:", "hub_test"] {
                #expect(!health.text.contains(secret), "the public health report shows '\(secret)': \(health.text)")
            }

            // The details need credentials.
            #expect(try await client.execute(uri: "/api/v1/health/details", method: .get).status == .unauthorized)
            let details = try await client.execute(uri: "/api/v1/health/details", method: .get, headers: ServerHarness.authorized)
            #expect(details.status == .serviceUnavailable)
            let full = try details.json()
            #expect(full["version"] as? String == HubVersion.current)
            let parts = try #require(full["components"] as? [[String: Any]])
            let postgres = try #require(parts.first { $0["name"] as? String == "postgres" })
            #expect((postgres["detail"] as? String)?.hasPrefix("PostgreSQL ") == true)
            #expect((postgres["address"] as? String)?.isEmpty == false)
            let redis = try #require(parts.first { $0["name"] as? String == "redis" })
            #expect(redis["status"] as? String == "error")
            #expect((redis["address"] as? String)?.contains("127.0.0.1:1") == true)
            #expect((redis["detail"] as? String)?.isEmpty == false)
        }
    }
}
