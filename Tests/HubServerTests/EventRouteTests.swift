import Foundation
import HubCore
import HubPostgres
import HubServerCore
import HubTestSupport
import Hummingbird
import HummingbirdTesting
import Testing

/// `GET /api/events`, `POST /api/events/{id}/resolve` (monitor events) and `GET /api/v1/events…`
/// (imported WSOP+ events), against real PostgreSQL and Redis.
@Suite struct EventRouteTests {
    static let wsopSample = TestServices.repositoryRoot.appendingPathComponent("Samples/wsop")

    @Test func monitorEventsListAndResolve() async throws {
        let harness = try await ServerHarness.make()
        let store = MonitorEventStore(pool: harness.clients.database)
        let now = Date()
        let delay = try await store.raise(rule: "delay", level: .warning, message: "3 instructions pending for more than 30 min", at: now).event
        let spike = try await store.raise(rule: "error_spike", level: .error, message: "12 % of the last hour failed",
                                          details: ["failed": .integer(12)], at: now.addingTimeInterval(1)).event
        try await harness.run(waitForLiveFeed: false) { client in
            let list = try await client.send(.get, "/api/events")
            #expect(list.status == .ok)
            let events = try #require(try list.json()["events"] as? [[String: Any]])
            #expect(events.map { $0["id"] as? Int } == [Int(spike.id), Int(delay.id)], "most recently seen first")
            #expect(events.first?["level"] as? String == "error")
            #expect((events.first?["details"] as? [String: Int])?["failed"] == 12)
            #expect(events.first?["resolved"] as? Bool == false)
            #expect(events.first?["resolved_at"] is NSNull)

            // The dashboard's Resolve button posts an empty object.
            let resolved = try await client.send(.post, "/api/events/\(delay.id)/resolve", json: "{}")
            #expect(resolved.status == .ok)
            let event = try #require(try resolved.json()["event"] as? [String: Any])
            #expect(event["resolved"] as? Bool == true)
            #expect(event["resolved_by"] as? String == "user:operator")
            let withReason = try await client.send(.post, "/api/events/\(spike.id)/resolve", json: #"{"reason":"render farm back"}"#).json()
            #expect((withReason["event"] as? [String: Any])?["resolution"] as? String == "render farm back")

            let open = try await client.send(.get, "/api/events?unresolved=true").json()
            #expect((open["events"] as? [Any])?.isEmpty == true)
            let all = try await client.send(.get, "/api/events?limit=1").json()
            #expect((all["events"] as? [Any])?.count == 1)

            let twice = try await client.send(.post, "/api/events/\(delay.id)/resolve")
            #expect(twice.status == .conflict && twice.errorCode == "CONFLICT")
            let unknown = try await client.send(.post, "/api/events/987654/resolve")
            #expect(unknown.status == .notFound && unknown.errorCode == "NOT_FOUND")
            let badQuery = try await client.send(.get, "/api/events?unresolved=maybe")
            #expect(badQuery.status == .badRequest && badQuery.errorCode == "VALIDATION_ERROR")
            let badBody = try await client.send(.post, "/api/events/\(spike.id)/resolve", json: #"{"reason":7}"#)
            #expect(badBody.status == .badRequest && badBody.errorCode == "VALIDATION_ERROR")
            let activity = try await harness.clients.database.query("SELECT count(*) FROM activity_log WHERE action = 'resolve_event' AND actor = 'user:operator'")
            #expect(try activity[0].decode(Int.self, at: 0) == 2)
        }
    }

    @Test func wsopEventsAfterImportingTheSample() async throws {
        let harness = try await ServerHarness.make()
        let report = try await WSOPImporter(pool: harness.clients.database).importFiles(try WSOPImporter.scan(Self.wsopSample.path))
        #expect(report.counts.filesImported == 7 && report.counts.filesFailed == 0, "\(report.counts.errors)")
        try await harness.run(waitForLiveFeed: false) { client in
            let list = try await client.send(.get, "/api/v1/events")
            #expect(list.status == .ok)
            let events = try #require(try list.json()["events"] as? [[String: Any]])
            #expect(events.map { $0["event_key"] as? String } == ["WSOP-2026-E77", "WSOP-2026-E76"], "latest start first")
            let main = try #require(events.first { $0["event_key"] as? String == "WSOP-2026-E76" })
            #expect(main["buy_in"] as? Int == 10_000)
            #expect(main["entries"] as? Int == 9_735)
            #expect(main["players"] as? Int == 5)
            #expect(main["remaining"] as? Int == 4)
            #expect(main["status"] as? String == "running")
            let running = try await client.send(.get, "/api/v1/events?status=running").json()
            #expect((running["events"] as? [[String: Any]])?.map { $0["event_key"] as? String } == ["WSOP-2026-E76"])

            let byKey = try await client.send(.get, "/api/v1/events/WSOP-2026-E76")
            #expect(byKey.status == .ok)
            let detail = try byKey.json()
            let players = try #require(detail["players"] as? [[String: Any]])
            #expect(players.map { $0["name"] as? String } == ["김민수", "Daniel Negreanu", "Phil Ivey", "José Álvarez", "Ole Schemion"])
            #expect(players.map { $0["chips"] as? Int } == [1_500_000, 1_240_000, 980_000, 455_000, 0])
            #expect(players.map { $0["country"] as? String } == ["KR", "CA", "US", "ES", "DE"])
            #expect(players.map { $0["eliminated"] as? Bool } == [false, false, false, false, true])
            #expect(players.first?["table"] as? String == "12")
            #expect(players.first?["seat"] as? Int == 3)

            let id = try #require(main["id"] as? Int)
            let byID = try await client.send(.get, "/api/v1/events/\(id)").json()
            #expect((byID["event"] as? [String: Any])?["event_key"] as? String == "WSOP-2026-E76")
            let empty = try await client.send(.get, "/api/v1/events/WSOP-2026-E77").json()
            #expect((empty["players"] as? [Any])?.isEmpty == true)

            let unknown = try await client.send(.get, "/api/v1/events/WSOP-1999-E1")
            #expect(unknown.status == .notFound && unknown.errorCode == "NOT_FOUND")
            let badLimit = try await client.send(.get, "/api/v1/events?limit=0")
            #expect(badLimit.status == .badRequest && badLimit.errorCode == "VALIDATION_ERROR")
        }
    }
}
