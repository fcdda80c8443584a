import Foundation
import HubCore
import HubPostgres
import HubServerCore
import HubTestSupport
import Hummingbird
import HummingbirdTesting
import Testing

/// `/api/v1/players…`, `/api/v1/sessions…`, `/api/v1/sheets/{id}/items`, `/api/v1/items/{id}…`
/// against real PostgreSQL and Redis, on the bundled WSOP+ export and composition description.
@Suite struct CueRouteTests {
    static func prepared() async throws -> ServerHarness {
        let harness = try await ServerHarness.make()
        let pool = harness.clients.database
        let report = try await WSOPImporter(pool: pool).importFiles(try WSOPImporter.scan(EventRouteTests.wsopSample.path))
        #expect(report.counts.filesFailed == 0)
        let url = TestServices.repositoryRoot.appendingPathComponent("Samples/aep/wsop-graphics.json")
        _ = try await AEPStore(pool: pool).importDescription(try AEPDescription.parse(try Data(contentsOf: url)), sourceFile: nil, actor: "test")
        _ = try await CueStore(pool: pool).saveTemplate(name: "leaderboard", cueType: .leaderboard, project: "WSOP_2026_Graphics", composition: "Leaderboard")
        return harness
    }

    @Test func aDirectorBuildsASheetAndTriggersItsLeaderboard() async throws {
        let harness = try await Self.prepared()
        try await harness.run(waitForLiveFeed: false) { client in
            let created = try await client.send(.post, "/api/v1/sessions", json: #"{"name":"Day 2 Feature","event":"WSOP-2026-E76","table":"GG"}"#)
            #expect(created.status == .created)
            let session = try created.json()
            #expect(session["wsop_event_key"] as? String == "WSOP-2026-E76" && session["status"] as? String == "planned")
            let sessionID = try #require(session["id"] as? Int)
            let sheet = try await client.send(.post, "/api/v1/sessions/\(sessionID)/sheets", json: #"{"name":"Main"}"#)
            #expect(sheet.status == .created)
            let sheetID = try #require(try sheet.json()["id"] as? Int)
            let duplicate = try await client.send(.post, "/api/v1/sessions/\(sessionID)/sheets", json: #"{"name":"Main"}"#)
            #expect(duplicate.status == .conflict && duplicate.errorCode == "CONFLICT")

            let item = try await client.send(.post, "/api/v1/sheets/\(sheetID)/items", json: #"{"template":"leaderboard","title":"Chip leaders","data":{"top":3}}"#)
            #expect(item.status == .created)
            let itemID = try #require(try item.json()["id"] as? Int)
            let shown = try await client.send(.get, "/api/v1/sessions/\(sessionID)").json()
            #expect((shown["sheets"] as? [[String: Any]])?.first?["name"] as? String == "Main")

            let triggered = try await client.send(.post, "/api/v1/items/\(itemID)/trigger")
            #expect(triggered.status == .created)
            let body = try triggered.json()
            let layers = try #require(body["layers"] as? [String: String])
            #expect(layers["Name 1"] == "김민수" && layers["Chips 1"] == "1,500,000" && layers["Name 3"] == "Phil Ivey" && layers["Name 4"] == "")
            #expect((body["item"] as? [String: Any])?["status"] as? String == "queued")
            let instruction = try #require(body["instruction_id"] as? Int)
            let status = try await client.send(.get, "/api/v1/render/\(instruction)/status").json()
            #expect((status["instruction"] as? [String: Any])?["cue_item_id"] as? Int == itemID)

            let again = try await client.send(.post, "/api/v1/items/\(itemID)/trigger", json: "{}")
            #expect(again.status == .conflict && again.errorCode == "CONFLICT")
            let items = try await client.send(.get, "/api/v1/sheets/\(sheetID)/items").json()
            #expect((items["items"] as? [[String: Any]])?.first?["render_instruction_id"] as? Int == instruction)
            // A leaderboard in a session without a WSOP+ event has no chip counts to bind: 400, item untouched.
            let bare = try #require(try await client.send(.post, "/api/v1/sessions", json: #"{"name":"No event"}"#).json()["id"] as? Int)
            let bareSheet = try #require(try await client.send(.post, "/api/v1/sessions/\(bare)/sheets", json: #"{"name":"Main"}"#).json()["id"] as? Int)
            let board = try #require(try await client.send(.post, "/api/v1/sheets/\(bareSheet)/items", json: #"{"template":"leaderboard"}"#).json()["id"] as? Int)
            let refused = try await client.send(.post, "/api/v1/items/\(board)/trigger")
            #expect(refused.status == .badRequest && refused.errorCode == "VALIDATION_ERROR")
            #expect(try await client.send(.get, "/api/v1/items/\(board)").json()["status"] as? String == "pending")
            let badParameter = try await client.send(.post, "/api/v1/sheets/\(sheetID)/items", json: #"{"template":"leaderboard","data":{"player":"P-1001"}}"#)
            #expect(badParameter.status == .badRequest)
            let unknownTemplate = try await client.send(.post, "/api/v1/sheets/\(sheetID)/items", json: #"{"template":"weather"}"#)
            #expect(unknownTemplate.status == .notFound)
            let noSession = try await client.send(.post, "/api/v1/sessions/987654/sheets", json: #"{"name":"x"}"#)
            #expect(noSession.status == .notFound && noSession.errorCode == "NOT_FOUND")
        }
    }

    @Test func playersSearchShowAndOverride() async throws {
        let harness = try await Self.prepared()
        try await harness.run(waitForLiveFeed: false) { client in
            let search = try await client.send(.get, "/api/v1/players?search=jose").json()
            let found = try #require(search["players"] as? [[String: Any]])
            #expect(found.count == 1 && found.first?["name"] as? String == "José Álvarez")
            #expect(try await client.send(.get, "/api/v1/players").json()["players"].map { ($0 as? [Any])?.count == 6 } == true)

            let shown = try await client.send(.get, "/api/v1/players/P-1001").json()
            let player = try #require(shown["player"] as? [String: Any])
            #expect(player["chip_count"] as? Int == 1_500_000)
            #expect((player["sources"] as? [String: String])?["chip_count"] == "wsop")

            let override = try await client.send(.post, "/api/v1/players/P-1001/overrides", json: #"{"field":"name_korean","value":"김민수","reason":"graphics"}"#)
            #expect(override.status == .created)
            let after = try override.json()
            #expect((after["player"] as? [String: Any])?["name_korean"] as? String == "김민수")
            #expect(((after["player"] as? [String: Any])?["sources"] as? [String: String])?["name_korean"] == "manual")

            let unknownField = try await client.send(.post, "/api/v1/players/P-1001/overrides", json: #"{"field":"nickname","value":"x"}"#)
            #expect(unknownField.status == .badRequest && unknownField.errorCode == "VALIDATION_ERROR")
            let unknownPlayer = try await client.send(.get, "/api/v1/players/Nobody%20Atall")
            #expect(unknownPlayer.status == .notFound && unknownPlayer.errorCode == "NOT_FOUND")
            #expect(try await harness.clients.database.query("SELECT count(*) FROM player_overrides")[0].decode(Int.self, at: 0) == 1)
        }
    }
}
