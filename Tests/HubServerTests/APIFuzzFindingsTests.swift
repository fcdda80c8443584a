import Foundation
import HTTPTypes
import HubCore
import HubPostgres
import HubServerCore
import HubTestSupport
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// What schemathesis found against a live hub-server (`scripts/api-fuzz`, Docs/server.md "API
/// fuzzing"), one test per finding, each written before its fix.
@Suite struct APIFuzzFindingsTests {
    /// schemathesis sends its `--auth` Basic credentials and, for the document's other security
    /// scheme, a made-up `X-API-Key` on the same request. The key was checked first, so the right
    /// password was refused (401, then 429 once the made-up keys had tripped the throttle): the
    /// stale-tab lock-out of issue 13 item 4, seen from outside. A request that carries a valid
    /// credential passes, whatever else it carries; one that carries only wrong ones is refused.
    @Test func aRightCredentialPassesBesideAWrongOne() async throws {
        let harness = try await ServerHarness.make {
            $0.throttleFailures = 2
            $0.throttleDelay = .milliseconds(10)
        }
        try await harness.run { client in
            var both = ServerHarness.authorized
            both[HubServer.apiKeyHeader] = "made-up-key"
            #expect(try await client.execute(uri: "/api/dashboard", method: .get, headers: both).status == .ok)
            // A right key beside a wrong password, and a right key beside a dead token.
            let rightKeyWrongPassword: HTTPFields = [HubServer.apiKeyHeader: ServerHarness.apiKeys[0],
                                                     .authorization: ServerHarness.basic("operator", "wrong-password")]
            #expect(try await client.execute(uri: "/api/dashboard", method: .get, headers: rightKeyWrongPassword).status == .ok)
            let rightKeyDeadToken: HTTPFields = [HubServer.apiKeyHeader: ServerHarness.apiKeys[1], .authorization: "Bearer 1.AAAA.00"]
            #expect(try await client.execute(uri: "/api/dashboard", method: .get, headers: rightKeyDeadToken).status == .ok)
            // The actor recorded is the credential that was accepted.
            let submitted = try await client.execute(uri: "/api/v1/render", method: .post,
                                                     headers: both.merging([.contentType: "application/json"]),
                                                     body: ByteBuffer(string: #"{"template":"leaderboard"}"#))
            #expect(submitted.status == .created)
            let rows = try await harness.clients.database.query("SELECT actor FROM render_timeline ORDER BY id LIMIT 1")
            #expect(try rows.first?.decode(String.self, at: 0) == "user:operator")

            // Only wrong ones: refused, and counted.
            let wrongBoth: HTTPFields = [HubServer.apiKeyHeader: "made-up-key", .authorization: ServerHarness.basic("operator", "nope-nope")]
            #expect(try await client.execute(uri: "/api/dashboard", method: .get, headers: wrongBoth).status == .unauthorized)
            #expect(try await client.execute(uri: "/api/dashboard", method: .get, headers: wrongBoth).status == .unauthorized)
            #expect(try await client.execute(uri: "/api/dashboard", method: .get, headers: wrongBoth).status == .tooManyRequests)
            // The throttle is tripped: the right password beside a made-up key still passes.
            for _ in 0..<3 {
                #expect(try await client.execute(uri: "/api/dashboard", method: .get, headers: both).status == .ok)
            }
        }
    }

    /// `POST /api/actions/bulk-retry` with `"since": 3.4303113900293196e+16` (seconds: a billion
    /// years back) took hub-server down: the cutoff date reached the PostgreSQL driver, whose
    /// timestamp formatting converted its microseconds to Int64 and trapped ("Double value cannot
    /// be converted to Int64"), killing every request and the live feed with it. A date beyond
    /// what PostgreSQL can store is sent as `-infinity`/`infinity`, so the cutoff simply matches
    /// everything; the server stays up.
    @Test func aCutoffBeyondAnyDateDoesNotTakeTheServerDown() async throws {
        let harness = try await ServerHarness.make()
        try await harness.run { client in
            for since in ["3.4303113900293196e+16", "1e300", "-1e300", "\"100000000000000d\""] {
                let response = try await client.send(.post, "/api/actions/bulk-retry", json: #"{"since": \#(since), "dry_run": true}"#)
                #expect(response.status == .ok || response.status == .badRequest, "since \(since): \(response.status) \(response.text)")
            }
            #expect(try await client.send(.get, "/api/dashboard").status == .ok, "the server is still up")
        }
    }

    /// A staff entry's `display_order` of 2337093232495812 passed the JSON decoding (an Int) and
    /// reached PostgreSQL, whose `integer` column refused it ("integer out of range", SQLSTATE
    /// 22003): answered 503 SERVICE_UNAVAILABLE, a server error that tells the client to retry.
    /// PostgreSQL's data exceptions (SQLSTATE class 22: a value out of range, malformed or too
    /// long for its column) are the request's values: 400 VALIDATION_ERROR.
    @Test func aValueTheDatabaseCannotHoldIsAValidationError() async throws {
        let harness = try await ServerHarness.make()
        try await harness.run { client in
            let session = try await client.send(.post, "/api/v1/sessions", json: #"{"name":"Day 2"}"#)
            let id = try #require(try session.json()["id"] as? Int)
            let response = try await client.send(.post, "/api/v1/sessions/\(id)/staff",
                                                 json: #"{"role":"reporter","name":"Kara Scott","display_order":2337093232495812}"#)
            #expect(response.status == .badRequest, "\(response.text)")
            #expect(response.errorCode == "VALIDATION_ERROR")
            #expect(response.text.contains("out of range"))
        }
    }

    /// PostgreSQL text cannot hold a NUL byte, and libpq refuses such a parameter before sending
    /// it: a NUL in a body, path or query value was answered 503 SERVICE_UNAVAILABLE ("PostgreSQL:
    /// parameter $1 contains a NUL byte"), a server error that tells a client to retry later. It is
    /// the client's bad value: 400 VALIDATION_ERROR.
    @Test func aNulByteInAValueIsAValidationErrorNotAnOutage() async throws {
        let harness = try await ServerHarness.make()
        try await harness.run { client in
            let body = try await client.send(.post, "/api/v1/sessions", json: #"{"name":"Day\u00002"}"#)
            #expect(body.status == .badRequest)
            #expect(body.errorCode == "VALIDATION_ERROR")
            #expect(body.text.contains("NUL"))
            let bulk = try await client.send(.post, "/api/actions/bulk-retry", json: #"{"template":"a\u0000b"}"#)
            #expect(bulk.status == .badRequest)
            let path = try await client.send(.get, "/api/v1/players/a%00b")
            #expect(path.status == .badRequest)
            #expect(path.errorCode == "VALIDATION_ERROR")
            let query = try await client.send(.get, "/api/v1/events?status=a%00b")
            #expect(query.status == .badRequest)
            let event = try await client.send(.get, "/api/v1/events/a%00b")
            #expect(event.status == .badRequest)
        }
    }

    /// The document says `format: date-time` (RFC 3339). Foundation's ISO 8601 decoding refused two
    /// forms RFC 3339 allows — an offset beyond ±18 h (`-20:29`) and a lower-case `t`/`z` — and the
    /// refusal read "not valid JSON". Every RFC 3339 date-time is accepted; a malformed one is
    /// refused naming the field.
    @Test func everyRFC3339DateTimeIsAccepted() async throws {
        let harness = try await ServerHarness.make()
        try await harness.run { client in
            let cases = [
                ("2026-08-02T23:16:22-20:29", "2026-08-03T19:45:22.000Z"),
                ("2026-08-02t23:16:22z", "2026-08-02T23:16:22.000Z"),
                ("2026-08-02T23:16:22.5+23:59", "2026-08-01T23:17:22.500Z"),
                ("2026-08-02T23:16:22.123456Z", "2026-08-02T23:16:22.123Z"),
                ("2026-08-02T23:16:22Z", "2026-08-02T23:16:22.000Z"),
            ]
            for (sent, stored) in cases {
                let response = try await client.send(.post, "/api/v1/sessions", json: #"{"name":"Day 2","scheduled_at":"\#(sent)"}"#)
                #expect(response.status == .created, "\(sent): \(response.text)")
                #expect(try response.json()["scheduled_at"] as? String == stored, "\(sent)")
            }
            for bad in ["2026-08-02", "2026-13-02T23:16:22Z", "2026-08-02T23:16:22", "yesterday", "2026-08-02T23:16:22+24:00"] {
                let response = try await client.send(.post, "/api/v1/sessions", json: #"{"name":"Day 2","scheduled_at":"\#(bad)"}"#)
                #expect(response.status == .badRequest, "\(bad)")
                #expect(response.text.contains("scheduled_at"), "\(bad): \(response.text)")
                #expect(!response.text.contains("not valid JSON"), "\(bad)")
            }
        }
    }

    /// A plain GET of the live feed (no WebSocket upgrade) was answered 200 with an empty body,
    /// which the document does not list and which tells a client nothing. It is 426 Upgrade
    /// Required with `Upgrade: websocket` and an error body.
    @Test func aPlainGetOfTheLiveFeedAsksForAnUpgrade() async throws {
        let harness = try await ServerHarness.make()
        try await harness.run { client in
            let response = try await client.execute(uri: "/ws/dashboard", method: .get, headers: ServerHarness.authorized)
            #expect(response.status == .upgradeRequired)
            #expect(response.headers[.upgrade] == "websocket")
            #expect(response.errorCode == "UPGRADE_REQUIRED")
            // Credentials are still checked first.
            #expect(try await client.execute(uri: "/ws/dashboard", method: .get).status == .unauthorized)
        }
    }

    /// A method the route does not have (TRACE, DELETE, PUT on a GET route; GET on a POST route)
    /// was answered 404, as if the path did not exist. It is 405 METHOD_NOT_ALLOWED with `Allow`
    /// naming the route's methods (RFC 9110 §15.5.6); an unknown path stays 404.
    @Test func anotherMethodOnAKnownPathIs405WithAllow() async throws {
        let harness = try await ServerHarness.make()
        try await harness.run { client in
            for (method, path, allow) in [
                (HTTPRequest.Method(rawValue: "TRACE")!, "/api/dashboard", "GET"),
                (.delete, "/api/v1/render/1/status", "GET"),
                (.put, "/api/v1/render", "GET, POST"),
                (.get, "/api/actions/retry", "POST"),
                (.patch, "/api/v1/sheets/7/items", "GET, POST"),
                (.options, "/api/health", "GET"),
            ] {
                let response = try await client.execute(uri: path, method: method, headers: ServerHarness.authorized)
                #expect(response.status == .methodNotAllowed, "\(method) \(path)")
                #expect(response.headers[.allow] == allow, "\(method) \(path)")
                #expect(response.errorCode == "METHOD_NOT_ALLOWED", "\(method) \(path)")
            }
            let unknown = try await client.execute(uri: "/api/v1/nothing-here", method: .delete, headers: ServerHarness.authorized)
            #expect(unknown.status == .notFound)
            // Credentials are still checked first.
            let anonymous = try await client.execute(uri: "/api/dashboard", method: .delete)
            #expect(anonymous.status == .unauthorized)
        }
    }
}

extension HTTPFields {
    func merging(_ other: HTTPFields) -> HTTPFields {
        var copy = self
        for field in other { copy[field.name] = field.value }
        return copy
    }
}
