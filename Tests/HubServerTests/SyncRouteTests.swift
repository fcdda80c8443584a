import Foundation
import HubCore
import HubPostgres
import HubServerCore
import HubTestSupport
import Hummingbird
import HummingbirdTesting
import Testing

/// `GET /api/v1/sync/status`, `POST /api/v1/sync/{source}/trigger` and
/// `GET /api/v1/sync/{source}/history`, running the real sync on the bundled samples.
@Suite struct SyncRouteTests {
    static let samples = TestServices.repositoryRoot.appendingPathComponent("Samples")

    @Test func triggerWSOPThenStatusAndHistory() async throws {
        let harness = try await ServerHarness.make(environment: ["HUB_SYNC_WSOP_DIR": Self.samples.appendingPathComponent("wsop").path])
        try await harness.run(waitForLiveFeed: false) { client in
            let first = try await client.send(.post, "/api/v1/sync/wsop/trigger")
            #expect(first.status == .ok, "\(first.text)")
            let run = try first.json()
            #expect(run["succeeded"] as? Bool == true)
            let source = try #require((run["sources"] as? [[String: Any]])?.first)
            #expect(source["source"] as? String == "wsop")
            #expect(source["status"] as? String == "completed")
            #expect((source["counts"] as? [String: Any])?["files_imported"] as? Int == 7)
            #expect(try await harness.clients.database.query("SELECT count(*) FROM wsop_chip_counts")[0].decode(Int.self, at: 0) == 5)

            let second = try await client.send(.post, "/api/v1/sync/wsop/trigger").json()
            let counts = try #require(((second["sources"] as? [[String: Any]])?.first)?["counts"] as? [String: Any])
            #expect(counts["files_unchanged"] as? Int == 7 && counts["files_imported"] as? Int == 0)

            let history = try await client.send(.get, "/api/v1/sync/wsop/history")
            #expect(history.status == .ok)
            let runs = try #require(try history.json()["runs"] as? [[String: Any]])
            #expect(runs.count == 2)
            #expect(runs.map { $0["status"] as? String } == ["completed", "completed"])
            #expect(runs.first?["correlation_id"] as? String == second["correlation_id"] as? String, "newest first")
            #expect(((runs.last?["counts"] as? [String: Any])?["files_imported"] as? Int) == 7)
            let limited = try await client.send(.get, "/api/v1/sync/all/history?limit=1").json()
            #expect((limited["runs"] as? [Any])?.count == 1)
            #expect((try await client.send(.get, "/api/v1/sync/gfx/history").json()["runs"] as? [Any])?.isEmpty == true)

            let status = try await client.send(.get, "/api/v1/sync/status")
            #expect(status.status == .ok)
            let sources = try #require(try status.json()["sources"] as? [[String: Any]])
            let wsop = try #require(sources.first { $0["source"] as? String == "wsop" })
            #expect(wsop["configured"] as? Bool == true)
            let entities = try #require(wsop["entities"] as? [[String: Any]])
            #expect(!entities.isEmpty)
            #expect(entities.allSatisfy { $0["status"] as? String == "synced" }, "\(entities)")
            #expect((wsop["last_run"] as? [String: Any])?["status"] as? String == "completed")
            let gfx = try #require(sources.first { $0["source"] as? String == "gfx" })
            #expect(gfx["configured"] as? Bool == false)
            #expect(gfx["last_run"] is NSNull)

            // PokerGFX has no folder on this server.
            let unconfigured = try await client.send(.post, "/api/v1/sync/gfx/trigger")
            #expect(unconfigured.status == .conflict && unconfigured.errorCode == "CONFLICT")
            #expect(unconfigured.text.contains("HUB_SYNC_GFX_DIRS"))
            let unknown = try await client.send(.post, "/api/v1/sync/nas/trigger")
            #expect(unknown.status == .badRequest && unknown.errorCode == "VALIDATION_ERROR")
            let badHistory = try await client.send(.get, "/api/v1/sync/nas/history")
            #expect(badHistory.status == .badRequest)
        }
    }

    @Test func aRunningSyncMakesATriggerAConflict() async throws {
        let harness = try await ServerHarness.make(environment: ["HUB_SYNC_WSOP_DIR": Self.samples.appendingPathComponent("wsop").path])
        try await harness.run(waitForLiveFeed: false) { client in
            // Another hub-sync holds the WSOP+ lock.
            try await harness.clients.database.withConnection { connection in
                let locked = try await connection.query("SELECT pg_try_advisory_lock(\(SyncSource.wsop.lockKey))")
                #expect(try locked[0].decode(Bool.self, at: 0))
                let response = try await client.send(.post, "/api/v1/sync/wsop/trigger")
                #expect(response.status == .conflict && response.errorCode == "CONFLICT")
                #expect(response.text.contains("lock"))
                _ = try await connection.query("SELECT pg_advisory_unlock(\(SyncSource.wsop.lockKey))")
            }
            #expect(try await harness.clients.database.query("SELECT count(*) FROM wsop_chip_counts")[0].decode(Int.self, at: 0) == 0)
            let runs = try await client.send(.get, "/api/v1/sync/wsop/history").json()["runs"] as? [[String: Any]]
            #expect(runs?.map { $0["status"] as? String } == ["skipped"])
        }
    }

    @Test func triggerAllRunsBothSourcesAndGrades() async throws {
        let harness = try await ServerHarness.make(environment: [
            "HUB_SYNC_WSOP_DIR": Self.samples.appendingPathComponent("wsop").path,
            "HUB_SYNC_GFX_DIRS": Self.samples.appendingPathComponent("gfx").path,
        ])
        try await harness.run(waitForLiveFeed: false) { client in
            let response = try await client.send(.post, "/api/v1/sync/all/trigger")
            #expect(response.status == .ok, "\(response.text)")
            let body = try response.json()
            #expect(body["succeeded"] as? Bool == true, "\(body)")
            let sources = try #require(body["sources"] as? [[String: Any]])
            #expect(Set(sources.compactMap { $0["source"] as? String }) == ["gfx", "wsop"])
            #expect(sources.allSatisfy { $0["status"] as? String == "completed" })
            #expect(body["hands_graded"] as? Int ?? 0 > 0)
            #expect(body["players_linked"] is Int)
            let hands = try await harness.clients.database.query("SELECT count(*) FROM gfx_hands")[0].decode(Int.self, at: 0)
            #expect(hands == body["hands_graded"] as? Int)
        }
    }

    @Test func aConfiguredFolderThatIsMissingIsAConflict() async throws {
        let harness = try await ServerHarness.make(environment: ["HUB_SYNC_GFX_DIRS": "/nonexistent/pokergfx-exports"])
        try await harness.run(waitForLiveFeed: false) { client in
            let response = try await client.send(.post, "/api/v1/sync/gfx/trigger")
            #expect(response.status == .conflict && response.errorCode == "CONFLICT")
            #expect(response.text.contains("/nonexistent/pokergfx-exports"))
            #expect((try await client.send(.get, "/api/v1/sync/gfx/history").json()["runs"] as? [Any])?.isEmpty == true,
                    "nothing ran, so nothing counts toward the circuit breaker")
        }
    }
}
