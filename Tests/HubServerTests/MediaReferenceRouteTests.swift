import Foundation
import HubCore
@testable import HubServerCore
import HubTestSupport
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// Issue 13 item 6 through HTTP: `POST /api/v1/render` refuses layer data whose images point
/// outside the media roots or allowed URL prefixes with 422 naming the field, and writes nothing.
@Suite struct MediaReferenceRouteTests {
    @Test func mediaOutsideTheRootsIsRefusedWith422() async throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("hub-media-route-\(UUID())").path
        try FileManager.default.createDirectory(atPath: base + "/templates/Flag", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: base + "/media", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: base + "/media/etc", withDestinationPath: "/etc")
        let harness = try await ServerHarness.make(environment: [
            "HUB_TEMPLATE_DIR": base + "/templates", "HUB_MEDIA_ROOTS": base + "/media",
            "HUB_MEDIA_URL_PREFIXES": "https://cdn.example.com/media/",
        ])
        try await harness.run { client in
            var headers = ServerHarness.authorized
            headers[.contentType] = "application/json"
            let refused: [(field: String, value: String)] = [
                ("Photo 1", "file:///etc/passwd"),
                ("Flag 1", "../../../../etc/passwd"),
                ("Photo 1", "/etc/passwd"),
                ("Photo 1", base + "/media/etc/passwd"),
                ("logo", "http://169.254.169.254/latest/meta-data/iam"),
                ("logo", "https://cdn.example.com.evil.net/media/x.png"),
                ("logo", "https://cdn.example.com@evil.net/media/x.png"),
                ("title", "javascript:alert(1)"),
                ("background", "smb://fileserver/share/x.png"),
            ]
            for (field, value) in refused {
                let body = #"{"template":"leaderboard","data":{"Name 1":"KIM",""# + field + #"":"# + JSONValue.string(value).canonicalText + "}}"
                let response = try await client.execute(uri: "/api/v1/render", method: .post, headers: headers, body: ByteBuffer(string: body))
                #expect(response.status.code == 422, "\(field): \(value)")
                let error = try response.json()["error"] as? [String: Any]
                #expect(error?["code"] as? String == "REFUSED", "\(value)")
                let message = error?["message"] as? String ?? ""
                #expect(message.contains("field \"\(field)\""), "\(value): \(message)")
            }
            #expect(try await harness.server.queue.store.list().isEmpty, "nothing of a refused submission is written")
            for (field, value) in [("Flag 1", "Flag/KR.png"), ("Photo 1", base + "/media/p.png"), ("logo", "https://cdn.example.com/media/logo.png"),
                                   ("Name 2", "../../etc/passwd")] {
                let body = #"{"template":"leaderboard","data":{""# + field + #"":"# + JSONValue.string(value).canonicalText + "}}"
                let response = try await client.execute(uri: "/api/v1/render", method: .post, headers: headers, body: ByteBuffer(string: body))
                #expect(response.status == .created, "\(field): \(value)")
            }
        }
    }
}
