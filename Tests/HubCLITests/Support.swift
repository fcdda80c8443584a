import Foundation
import HubPostgres
import HubTestSupport

/// A fresh database on the shared test server.
func scratchDatabaseURL() async throws -> String {
    let endpoints = try TestServices.endpoints()
    let name = "hub_t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
    let admin = try PostgresPool(url: endpoints.adminDatabaseURL, maxConnections: 1)
    try await admin.query("CREATE DATABASE \(identifier: String(name))")
    await admin.close()
    return endpoints.adminDatabaseURL.replacingOccurrences(of: "/postgres", with: "/\(name)")
}
