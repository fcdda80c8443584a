import Foundation
import HubCore
@testable import HubServerCore
import HubTestSupport
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// Issue 13 item 1 through HTTP: `POST /api/v1/render` refuses frame numbers, sizes and rates no
/// renderer can use with 400 and writes nothing, whatever JSON number carries them.
@Suite struct RenderLimitsRouteTests {
    @Test func hugeFramesAreRefusedWith400() async throws {
        let harness = try await ServerHarness.make()
        try await harness.run { client in
            var headers = ServerHarness.authorized
            headers[.contentType] = "application/json"
            let outputs = [
                #"{"format":"mov","frameStart":0,"frameEnd":9223372036854775806}"#,
                #"{"format":"mov","frameStart":0,"frameEnd":9223372036854775807}"#,
                #"{"format":"mov","frameStart":0,"frameEnd":2000000}"#,
                #"{"format":"mp4","frameEnd":1e19}"#,
                #"{"format":"mp4","frameEnd":123456789012345678901234567890}"#,
                #"{"format":"mp4","frameStart":-1,"frameEnd":10}"#,
                #"{"format":"mp4","width":99999999999,"height":1080}"#,
                #"{"format":"mp4","fps":2.5e300}"#,
            ]
            for output in outputs {
                let body = #"{"template":"leaderboard","output":"# + output + "}"
                let response = try await client.execute(uri: "/api/v1/render", method: .post, headers: headers, body: ByteBuffer(string: body))
                #expect(response.status.code == 400, "\(output)")
                let error = try response.json()["error"] as? [String: Any]
                #expect(error?["code"] as? String == "VALIDATION_ERROR", "\(output)")
            }
            #expect(try await harness.server.queue.store.list().isEmpty, "nothing of a refused submission is written")
            // The limits themselves pass.
            let ok = #"{"template":"leaderboard","output":{"format":"mov","frameStart":0,"frameEnd":999999}}"#
            let created = try await client.execute(uri: "/api/v1/render", method: .post, headers: headers, body: ByteBuffer(string: ok))
            #expect(created.status == .created)
        }
    }
}
