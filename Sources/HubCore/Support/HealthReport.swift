import Foundation
import HubPostgres
import HubRedis

/// The health of a hub process, in the seed 002 §8.1 shape — `status`, `blocks` (the hub's own
/// parts, here the schema), `dependencies` (`postgres`, `redis`: `connected` or `disconnected`) —
/// plus `components` with the address, version or error and latency of each check.
package struct HealthReport: Sendable, Codable {
    /// One dependency's state.
    package struct Component: Sendable, Codable {
        /// `postgres`, `redis` or `schema`.
        package var name: String
        /// `ok` or `error`.
        package var status: String
        /// Where it is (redacted).
        package var address: String
        /// A version, or what is wrong and what to do.
        package var detail: String
        /// Round-trip time of the check in milliseconds.
        package var latencyMs: Double?
    }

    /// `healthy` when every component is ok, otherwise `unhealthy`.
    package var status: String
    /// The hub's own parts and their state (`healthy` / `unhealthy`).
    package var blocks: [String: String]
    /// External services and their state (`connected` / `disconnected`).
    package var dependencies: [String: String]
    /// The components.
    package var components: [Component]
    /// When the report was made.
    package var checkedAt: Date

    /// Checks PostgreSQL (reachable, version), the schema version, and Redis (PING, version).
    package static func collect(_ clients: HubClients, program: String) async -> HealthReport {
        var components: [Component] = []
        let database = clients.database.configuration
        var started = ContinuousClock.now
        do {
            let rows = try await clients.database.query("SELECT current_setting('server_version')")
            components.append(Component(name: "postgres", status: "ok", address: database.endpoint,
                                        detail: "PostgreSQL " + (try rows[0].decode(String.self, at: 0)), latencyMs: ms(since: started)))
            do {
                try await SchemaGuard.verify(clients.database, program: program)
                components.append(Component(name: "schema", status: "ok", address: database.database ?? "",
                                            detail: "version \(HubSchema.expectedVersion)", latencyMs: nil))
            } catch {
                components.append(Component(name: "schema", status: "error", address: database.database ?? "",
                                            detail: String(describing: error), latencyMs: nil))
            }
        } catch {
            components.append(Component(name: "postgres", status: "error", address: database.endpoint,
                                        detail: String(describing: error), latencyMs: nil))
        }
        started = ContinuousClock.now
        do {
            _ = try await clients.redis.ping()
            let info = try await clients.redis.send("INFO", "server").string ?? ""
            let version = info.split(whereSeparator: \.isNewline).first { $0.hasPrefix("redis_version:") }
                .map { "Redis " + $0.dropFirst("redis_version:".count) } ?? "Redis"
            components.append(Component(name: "redis", status: "ok", address: clients.redis.configuration.address,
                                        detail: version, latencyMs: ms(since: started)))
        } catch {
            components.append(Component(name: "redis", status: "error", address: clients.redis.configuration.address,
                                        detail: String(describing: error), latencyMs: nil))
        }
        let healthy = components.allSatisfy { $0.status == "ok" }
        var blocks: [String: String] = [:]
        var dependencies: [String: String] = [:]
        for component in components {
            if component.name == "postgres" || component.name == "redis" {
                dependencies[component.name] = component.status == "ok" ? "connected" : "disconnected"
            } else {
                blocks[component.name] = component.status == "ok" ? "healthy" : "unhealthy"
            }
        }
        return HealthReport(status: healthy ? "healthy" : "unhealthy", blocks: blocks, dependencies: dependencies,
                            components: components, checkedAt: Date())
    }

    private static func ms(since start: ContinuousClock.Instant) -> Double {
        let d = ContinuousClock.now - start
        return (Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15).rounded(toPlaces: 2)
    }
}

extension Double {
    fileprivate func rounded(toPlaces places: Int) -> Double {
        let scale = pow(10, Double(places))
        return (self * scale).rounded() / scale
    }
}
