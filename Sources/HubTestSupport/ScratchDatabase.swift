import Foundation
import HubPostgres

/// Creates a fresh, empty database on the shared test server and returns its URL, so suites
/// running in parallel never see each other's rows. `scripts/test` drops the `hub_t_*` databases
/// of earlier runs before the tests start.
public func scratchDatabaseURL(instance: String = TestServices.sharedInstance) async throws -> String {
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

/// Opens `count` connections of `pool` by holding them all at once (a barrier), so a test that
/// needs several open connections does not depend on statements happening to overlap.
public func openConnections(_ pool: PostgresPool, count: Int) async throws {
    let holding = LockedBox(0)
    try await withThrowingTaskGroup(of: Void.self) { group in
        for _ in 0..<count {
            group.addTask {
                try await pool.withConnection { connection in
                    try await connection.query("SELECT 1")
                    holding.withLock { $0 += 1 }
                    try await waitUntil("\(count) connections held at once") { holding.withLock { $0 } == count }
                }
            }
        }
        try await group.waitForAll()
    }
}
