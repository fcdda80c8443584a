import Foundation
import HubServerCore
import HubTestSupport
import Hummingbird
import HummingbirdTesting
import Testing

/// The OpenAPI document served by the server describes exactly the routes the router has.
@Suite struct OpenAPITests {
    @Test func documentMatchesTheRegisteredRoutes() async throws {
        let harness = try await ServerHarness.make()
        let registered = Set(harness.server.buildRouter().routes.map { route in
            let path = route.path.description.split(separator: "/", omittingEmptySubsequences: false).map { part in
                part.hasPrefix(":") ? "{\(part.dropFirst())}" : String(part)
            }.joined(separator: "/")
            return "\(route.method.rawValue) \(path)"
        })
        try await harness.run { client in
            let response = try await client.execute(uri: "/api/openapi.json", method: .get, headers: ServerHarness.authorized)
            #expect(response.status == .ok)
            let document = try response.json()
            #expect((document["openapi"] as? String)?.hasPrefix("3.1") == true)
            let paths = try #require(document["paths"] as? [String: [String: Any]])
            let documented = Set(paths.flatMap { path, operations in
                operations.keys.filter { ["get", "post", "put", "patch", "delete"].contains($0) }.map { "\($0.uppercased()) \(path)" }
            })
            #expect(documented == registered, "documented but not registered: \(documented.subtracting(registered)); registered but not documented: \(registered.subtracting(documented))")
            // Only /api/health opts out of security.
            let open = paths.compactMap { path, operations in
                operations.values.contains { (($0 as? [String: Any])?["security"] as? [Any])?.isEmpty == true } ? path : nil
            }
            #expect(Set(open) == HubServer.publicPaths)
            // What every answer may be (schemathesis checks each status against the document;
            // scripts/api-fuzz): a protected operation answers 401 without credentials and 429 to
            // wrong ones from a throttled address; one that takes parameters or a body answers 400
            // to malformed ones.
            for (path, operations) in paths {
                for (method, value) in operations {
                    guard let operation = value as? [String: Any], let responses = operation["responses"] as? [String: Any] else { continue }
                    let name = "\(method.uppercased()) \(path)"
                    if !HubServer.publicPaths.contains(path) {
                        #expect(responses["401"] != nil && responses["429"] != nil, "\(name) documents 401 and 429")
                    }
                    if operation["parameters"] != nil || operation["requestBody"] != nil {
                        #expect(responses["400"] != nil, "\(name) documents 400")
                    }
                }
            }
        }
    }
}
