import Foundation
import HubCore
import HubPostgres
import HubServerCore
import HubTestSupport
import Hummingbird
import HummingbirdTesting
import Testing

/// `/api/v1/graphics…` and the session rules and staff routes, on the bundled PokerGFX and WSOP+
/// samples and the shipped catalog, against real PostgreSQL and Redis.
@Suite struct GraphicsRouteTests {
    static let game = "638961999170907267"

    static func prepared() async throws -> ServerHarness {
        let harness = try await ServerHarness.make()
        let pool = harness.clients.database
        let root = TestServices.repositoryRoot
        let report = try await WSOPImporter(pool: pool).importFiles(try WSOPImporter.scan(root.appendingPathComponent("Samples/wsop").path))
        #expect(report.counts.filesFailed == 0)
        _ = try await GFXImporter(pool: pool).importFiles(try GFXScanner.scan([root.appendingPathComponent("Samples/gfx").path]))
        let catalog = try GraphicsCatalog.parse(try Data(contentsOf: root.appendingPathComponent("Graphics/catalog.json")))
        _ = try await GraphicsStore(pool: pool).load(catalog, sourceFile: nil, actor: "test")
        return harness
    }

    @Test func theDataOfEveryKindOfAnswerComesThroughTheAPI() async throws {
        let harness = try await Self.prepared()
        try await harness.run(waitForLiveFeed: false) { client in
            let catalog = try await client.send(.get, "/api/v1/graphics")
            #expect(catalog.status == .ok)
            #expect((try catalog.json()["compositions"] as? [[String: Any]])?.count == 26)

            let chips = try await client.send(.get, "/api/v1/graphics/_MAIN%20Mini%20Chip%20Count/data?game=\(Self.game)")
            #expect(chips.status == .ok, "\(chips.text)")
            let document = try chips.json()
            #expect(document["$schema"] as? String == "render_gfx_data_v3" && document["comp_name"] as? String == "_MAIN Mini Chip Count")
            let slots = try #require(document["slots"] as? [[String: Any]])
            let first = try #require(slots.first?["fields"] as? [String: String])
            // Hand 2 of the sample: SEAT 9 leads with 9,000,000 at a 180,000 big blind.
            #expect(first["name"] == "SEAT 9" && first["chips"] == "9,000,000" && first["bbs"] == "50.0" && first["rank"] == "1", "\(first)")

            // A Korean name with a space and a '+' in the path.
            let history = try await client.send(.get, "/api/v1/graphics/NAME%203%EC%A4%84%2B/data?game=\(Self.game)&player=seat%3A3")
            #expect(history.status == .ok, "\(history.text)")
            #expect((try history.json()["single_fields"] as? [String: String])?["chips"] == "8,005,000")

            let refused = try await client.send(.get, "/api/v1/graphics/Elimination/data?game=\(Self.game)")
            #expect(refused.status == .unprocessableContent && refused.errorCode == "REFUSED", "\(refused.text)")
            #expect(refused.text.contains("Elimination") && refused.text.contains("elimination_rank"))

            let unknown = try await client.send(.get, "/api/v1/graphics/Nope/data?game=\(Self.game)")
            #expect(unknown.status == .notFound && unknown.text.contains("Payouts"), "the answer names what exists")
            let noGame = try await client.send(.get, "/api/v1/graphics/Payouts/data?game=1")
            #expect(noGame.status == .notFound && noGame.text.contains(Self.game))
            let noHand = try await client.send(.get, "/api/v1/graphics/Payouts/data?game=\(Self.game)&hand=99")
            #expect(noHand.status == .notFound && noHand.text.contains("1–2"))
            let badGame = try await client.send(.get, "/api/v1/graphics/Payouts/data?game=abc")
            #expect(badGame.status == .badRequest)
            let noPlayer = try await client.send(.get, "/api/v1/graphics/NAME/data?game=\(Self.game)&player=Nobody")
            #expect(noPlayer.status == .notFound && noPlayer.text.contains("SEAT 1"))

            let anonymous = try await client.execute(uri: "/api/v1/graphics/Payouts/data?game=\(Self.game)", method: .get)
            #expect(anonymous.status == .unauthorized)
        }
    }

    @Test func renderRulesAndStaffThroughTheAPI() async throws {
        let harness = try await Self.prepared()
        let pool = harness.clients.database
        try await harness.run(waitForLiveFeed: false) { client in
            // No WSOP+ event is linked to table GG yet and the export's payouts are all zero: refused.
            let refused = try await client.send(.post, "/api/v1/graphics/Payouts/render", json: #"{"game":\#(Self.game)}"#)
            #expect(refused.status == .unprocessableContent && refused.text.contains("gfx_sessions.payouts"), "\(refused.text)")
            let rendered = try await client.send(.post, "/api/v1/graphics/_MAIN%20Mini%20Chip%20Count/render", json: #"{"game":\#(Self.game),"priority":2}"#)
            #expect(rendered.status == .created, "\(rendered.text)")
            let body = try rendered.json()
            let id = try #require(body["instruction_id"] as? Int)
            #expect(body["template"] as? String == "CyprusDesign")
            let stored = try await pool.query("SELECT composition, priority, trigger_type, layer_data->>'$schema' FROM render_instructions WHERE id = \(Int64(id))")
            #expect(try stored[0].decode(String.self, at: 0) == "_MAIN Mini Chip Count" && stored[0].decode(Int.self, at: 1) == 2)
            #expect(try stored[0].decode(String.self, at: 2) == "api" && stored[0].decode(String.self, at: 3) == "render_gfx_data_v3")
            let badPriority = try await client.send(.post, "/api/v1/graphics/_MAIN%20Mini%20Chip%20Count/render", json: #"{"game":\#(Self.game),"priority":11}"#)
            #expect(badPriority.status == .badRequest)

            let session = try await client.send(.post, "/api/v1/sessions", json: #"{"name":"Graphics","event":"WSOP-2026-E76","table":"GG"}"#)
            let sessionID = try #require(try session.json()["id"] as? Int)
            let rule = try await client.send(.post, "/api/v1/sessions/\(sessionID)/rules",
                                             json: #"{"table":"GG","on":"every:5","composition":"_MAIN Mini Chip Count"}"#)
            #expect(rule.status == .created, "\(rule.text)")
            #expect(try rule.json()["on"] as? String == "every:5")
            let twice = try await client.send(.post, "/api/v1/sessions/\(sessionID)/rules",
                                              json: #"{"table":"GG","on":"every:5","composition":"_MAIN Mini Chip Count"}"#)
            #expect(twice.status == .conflict)
            let badEvent = try await client.send(.post, "/api/v1/sessions/\(sessionID)/rules", json: #"{"table":"GG","on":"sometimes","composition":"Payouts"}"#)
            #expect(badEvent.status == .badRequest && badEvent.text.contains("every:N"))
            let badComposition = try await client.send(.post, "/api/v1/sessions/\(sessionID)/rules", json: #"{"table":"GG","on":"elimination","composition":"Nope"}"#)
            #expect(badComposition.status == .notFound)
            // With the table's session on the WSOP+ event, its payout structure (ranges 5–6, 7–9) fills the table.
            let payouts = try await client.send(.get, "/api/v1/graphics/Payouts/data?game=\(Self.game)")
            #expect(payouts.status == .ok, "\(payouts.text)")
            let places = try #require(try payouts.json()["slots"] as? [[String: Any]]).compactMap { $0["fields"] as? [String: String] }
            #expect(places.count == 9 && places[0]["rank"] == "1" && places[5]["rank"] == "6" && places[4]["prize"] == places[5]["prize"])
            let rules = try await client.send(.get, "/api/v1/sessions/\(sessionID)/rules").json()
            #expect((rules["rules"] as? [[String: Any]])?.count == 1)

            let staff = try await client.send(.post, "/api/v1/sessions/\(sessionID)/staff",
                                              json: #"{"role":"reporter","name":"Kara Scott","social_handle":"@karascott"}"#)
            #expect(staff.status == .created, "\(staff.text)")
            let listed = try await client.send(.get, "/api/v1/sessions/\(sessionID)/staff").json()
            #expect(((listed["staff"] as? [[String: Any]])?.first?["name"] as? String) == "Kara Scott")
            let reporter = try await client.send(.get, "/api/v1/graphics/Reporter/data?game=\(Self.game)")
            let fields = try #require((try reporter.json()["slots"] as? [[String: Any]])?.first?["fields"] as? [String: String])
            #expect(fields["name"] == "Kara Scott" && fields["sub"] == "@karascott")
        }
    }
}
