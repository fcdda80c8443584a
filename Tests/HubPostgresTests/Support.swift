import Foundation
import HubPostgres
import HubTestSupport

/// A fresh database on the shared test server, so suites running in parallel never see each other's rows.
func scratchDatabaseURL(instance: String = "test") async throws -> String {
    let endpoints = try TestServices.endpoints(instance: instance)
    let name = "hub_t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
    let admin = try PostgresPool(url: endpoints.adminDatabaseURL, maxConnections: 1)
    try await admin.query("CREATE DATABASE \(identifier: String(name))")
    await admin.close()
    return endpoints.adminDatabaseURL.replacingOccurrences(of: "/postgres", with: "/\(name)")
}
