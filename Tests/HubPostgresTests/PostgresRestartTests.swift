import Foundation
import HubPostgres
import HubTestSupport
import Testing

/// Restarts a PostgreSQL server of its own, so other suites are not disturbed.
@Suite(.serialized, .timeLimit(.minutes(3))) struct PostgresRestartTests {
    static let instance = "pg-restart"

    @Test func poolRecoversAfterServerRestart() async throws {
        let endpoints = try await TestServices.endpoints(instance: Self.instance)
        let pool = try PostgresPool(url: endpoints.databaseURL, maxConnections: 3)
        // Open all three connections.
        try await openConnections(pool, count: 3)
        #expect(pool.openConnections == 3)
        let before = try await pool.query("SELECT pg_postmaster_start_time() AS t")[0].decode(Date.self, at: 0)

        try await TestServices.restartPostgres(instance: Self.instance)

        // The very next call succeeds on a fresh connection.
        let after = try await pool.query("SELECT pg_postmaster_start_time() AS t")[0].decode(Date.self, at: 0)
        #expect(after > before, "the server really restarted")
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<6 { group.addTask { try await pool.query("SELECT 1") } }
            try await group.waitForAll()
        }
        await pool.close()
    }

    @Test func transactionLostToARestartIsNeverSilentlyContinued() async throws {
        let endpoints = try await TestServices.endpoints(instance: Self.instance)
        let pool = try PostgresPool(url: endpoints.databaseURL, maxConnections: 1)
        let table = "lost_\(UUID().uuidString.prefix(8).lowercased())"
        try await pool.query("CREATE TABLE \(identifier: table) (id int)")
        let error = await #expect(throws: PostgresError.self) {
            try await pool.withTransaction { connection in
                try await connection.query("INSERT INTO \(identifier: table) VALUES (1)")
                try await TestServices.restartPostgres(instance: Self.instance)
                _ = try? await connection.query("SELECT 1") // a failure the caller swallows
                try await connection.query("INSERT INTO \(identifier: table) VALUES (2)") // must not autocommit
            }
        }
        #expect(error?.code == .connectionClosed)
        #expect(error?.description.contains("inside a transaction") == true)
        let rows = try await pool.query("SELECT count(*) FROM \(identifier: table)")
        #expect(try rows[0].decode(Int.self, at: 0) == 0, "nothing of the lost transaction was committed")
        await pool.close()
    }

    @Test func listenerReportsALostConnection() async throws {
        let endpoints = try await TestServices.endpoints(instance: Self.instance)
        let pool = try PostgresPool(url: endpoints.databaseURL, maxConnections: 1)
        let notifications = try await pool.listen(to: ["lost"])
        try await TestServices.restartPostgres(instance: Self.instance)
        let error = await #expect(throws: PostgresError.self) {
            for try await _ in notifications {}
        }
        #expect(error?.code == .connectionClosed)
        try await pool.query("SELECT 1")
        await pool.close()
    }
}
