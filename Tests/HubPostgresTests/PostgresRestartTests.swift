import Foundation
import HubPostgres
import HubTestSupport
import Testing

/// Restarts a PostgreSQL server of its own, so other suites are not disturbed.
@Suite(.serialized) struct PostgresRestartTests {
    static let instance = "pg-restart"

    @Test func poolRecoversAfterServerRestart() async throws {
        let endpoints = try TestServices.endpoints(instance: Self.instance)
        let pool = try PostgresPool(url: endpoints.databaseURL, maxConnections: 3)
        // Open all three connections.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<3 { group.addTask { try await pool.query("SELECT pg_sleep(0.05)") } }
            try await group.waitForAll()
        }
        #expect(pool.openConnections == 3)
        let before = try await pool.query("SELECT pg_postmaster_start_time() AS t")[0].decode(Date.self, at: 0)

        try TestServices.restartPostgres(instance: Self.instance)

        // The very next call succeeds on a fresh connection.
        let after = try await pool.query("SELECT pg_postmaster_start_time() AS t")[0].decode(Date.self, at: 0)
        #expect(after > before, "the server really restarted")
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<6 { group.addTask { try await pool.query("SELECT 1") } }
            try await group.waitForAll()
        }
        await pool.close()
    }

    @Test func listenerReportsALostConnection() async throws {
        let endpoints = try TestServices.endpoints(instance: Self.instance)
        let pool = try PostgresPool(url: endpoints.databaseURL, maxConnections: 1)
        let notifications = try await pool.listen(to: ["lost"])
        try TestServices.restartPostgres(instance: Self.instance)
        let error = await #expect(throws: PostgresError.self) {
            for try await _ in notifications {}
        }
        #expect(error?.code == .connectionClosed)
        try await pool.query("SELECT 1")
        await pool.close()
    }
}
