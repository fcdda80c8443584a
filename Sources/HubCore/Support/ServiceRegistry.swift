import Foundation
import HubPostgres

/// The `service_registry` table: processes register, heartbeat with their mode, and deregister.
package struct ServiceRegistry: Sendable {
    /// One registered process.
    package struct Entry: Sendable, Hashable, Codable {
        package var id: String
        package var kind: String
        package var host: String
        package var pid: Int
        package var version: String
        package var mode: String?
        package var startedAt: Date
        package var lastHeartbeat: Date
        package var stoppedAt: Date?
        /// Heartbeat within the health window and not stopped.
        package var healthy: Bool
        /// A worker's capability tags (`hub-worker --tags`); empty for other processes.
        package var tags: [String] = []
    }

    /// The database.
    package let pool: PostgresPool
    /// A process whose last heartbeat is older than this is unhealthy.
    package var healthWindow: Duration

    /// Creates a registry view.
    package init(pool: PostgresPool, healthWindow: Duration = .seconds(30)) {
        self.pool = pool
        self.healthWindow = healthWindow
    }

    /// Registers (or re-registers) a process and records its heartbeat and mode.
    package func heartbeat(id: String, kind: String, mode: String?, details: [String: JSONValue] = [:]) async throws {
        try await pool.query("""
            INSERT INTO service_registry (id, kind, host, pid, version, mode, details)
            VALUES (\(id), \(kind), \(ProcessInfo.processInfo.hostName), \(Int(ProcessInfo.processInfo.processIdentifier)),
                    \(HubVersion.current), \(mode), \(PostgresJSON(details)))
            ON CONFLICT (id) DO UPDATE SET mode = EXCLUDED.mode, details = EXCLUDED.details,
                last_heartbeat = now(), stopped_at = NULL
            """)
    }

    /// Marks a process stopped (a clean exit).
    package func deregister(id: String) async throws {
        try await pool.query("UPDATE service_registry SET stopped_at = now(), last_heartbeat = now() WHERE id = \(id)")
    }

    /// Processes seen in the last day, newest heartbeat first.
    package func list(kind: String? = nil) async throws -> [Entry] {
        let window = Double(healthWindow.components.seconds)
        let rows = try await pool.query("""
            SELECT id, kind, host, pid, version, mode, started_at, last_heartbeat, stopped_at,
                   stopped_at IS NULL AND last_heartbeat > now() - make_interval(secs => \(window)) AS healthy,
                   ARRAY(SELECT jsonb_array_elements_text(CASE WHEN jsonb_typeof(details->'tags') = 'array' THEN details->'tags' ELSE '[]' END))
            FROM service_registry
            WHERE (\(kind)::text IS NULL OR kind = \(kind)) AND last_heartbeat > now() - interval '1 day'
            ORDER BY last_heartbeat DESC
            """)
        return try rows.map { row in
            Entry(id: try row.decode(String.self, at: 0), kind: try row.decode(String.self, at: 1), host: try row.decode(String.self, at: 2),
                  pid: try row.decode(Int.self, at: 3), version: try row.decode(String.self, at: 4), mode: try row.decode(String?.self, at: 5),
                  startedAt: try row.decode(Date.self, at: 6), lastHeartbeat: try row.decode(Date.self, at: 7),
                  stoppedAt: try row.decode(Date?.self, at: 8), healthy: try row.decode(Bool.self, at: 9),
                  tags: try row.decode([String].self, at: 10))
        }
    }
}
