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

/// `POST /api/v1/render` with an idempotency key (issue 16): the `Idempotency-Key` header or
/// `idempotency_key` in the body; 201 for the new instruction, 200 with `replayed` for a repeat,
/// 409 for the same key with another request.
@Suite(.timeLimit(.minutes(3))) struct IdempotencyRouteTests {
    static let key = HTTPField.Name("Idempotency-Key")!

    @Test func fiftyConcurrentPostsWithOneKeyMakeOneInstruction() async throws {
        let harness = try await ServerHarness.make()
        let pool = harness.clients.database
        try await harness.run { client in
            let body = #"{"template":"player_info","data":{"Name":"Phil Ivey"},"priority":2}"#
            struct Answer: Sendable { var status: Int; var id: Int?; var replayed: Bool?; var key: String? }
            let answers = try await withThrowingTaskGroup(of: Answer.self) { group in
                for _ in 0..<50 {
                    group.addTask {
                        var headers = ServerHarness.authorized
                        headers[.contentType] = "application/json"
                        headers[Self.key] = "post-4711"
                        let response = try await client.execute(uri: "/api/v1/render", method: .post, headers: headers, body: ByteBuffer(string: body))
                        let json = try response.json()
                        return Answer(status: Int(response.status.code), id: json["id"] as? Int, replayed: json["replayed"] as? Bool,
                                      key: (json["instruction"] as? [String: Any])?["idempotency_key"] as? String)
                    }
                }
                var all: [Answer] = []
                for try await answer in group { all.append(answer) }
                return all
            }
            #expect(answers.filter { $0.status == 201 }.count == 1)
            #expect(answers.filter { $0.status == 200 }.count == 49)
            #expect(Set(answers.compactMap(\.id)).count == 1)
            #expect(answers.compactMap(\.id).count == 50)
            #expect(answers.filter { $0.replayed == true }.count == 49)
            #expect(answers.allSatisfy { $0.key == "post-4711" })
            #expect(try await pool.query("SELECT count(*) FROM render_instructions")[0].decode(Int.self, at: 0) == 1)

            // The body field works the same; both given and different is a validation error.
            let viaBody = try await client.send(.post, "/api/v1/render", json: #"{"template":"player_info","data":{"Name":"Phil Ivey"},"priority":2,"idempotency_key":"post-4711"}"#)
            #expect(viaBody.status == .ok)
            var headers = ServerHarness.authorized
            headers[.contentType] = "application/json"
            headers[Self.key] = "other"
            let both = try await client.execute(uri: "/api/v1/render", method: .post, headers: headers,
                                                body: ByteBuffer(string: #"{"template":"x","idempotency_key":"post-4711"}"#))
            #expect(both.status == .badRequest)
            // The same key with another request: 409 naming the instruction.
            headers[Self.key] = "post-4711"
            let conflict = try await client.execute(uri: "/api/v1/render", method: .post, headers: headers,
                                                    body: ByteBuffer(string: #"{"template":"leaderboard"}"#))
            #expect(conflict.status == .conflict)
            #expect(conflict.text.contains("post-4711"))
            headers[Self.key] = String(repeating: "k", count: 256)
            let long = try await client.execute(uri: "/api/v1/render", method: .post, headers: headers, body: ByteBuffer(string: body))
            #expect(long.status == .badRequest)
            #expect(try await pool.query("SELECT count(*) FROM render_instructions")[0].decode(Int.self, at: 0) == 1)
        }
    }
}
