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
        }
    }
}
