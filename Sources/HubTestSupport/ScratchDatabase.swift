import Foundation
import HubPostgres

/// Creates a fresh, empty database on the shared test server and returns its URL, so suites
/// running in parallel never see each other's rows. `scripts/test` drops the `hub_t_*` databases
/// of earlier runs before the tests start.
public func scratchDatabaseURL(instance: String = "test") async throws -> String {
    let endpoints = try await TestServices.endpoints(instance: instance)
    let name = "hub_t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
    let admin = try PostgresPool(url: endpoints.adminDatabaseURL, maxConnections: 1)
    do {
        try await admin.query("CREATE DATABASE \(identifier: String(name))")
        await admin.close()
    } catch {
        await admin.close()
        throw error
    }
    return endpoints.adminDatabaseURL.replacingOccurrences(of: "/postgres", with: "/\(name)")
}
