import Foundation
import HubCore
import HubPostgres
import HubServerCore
import HubTestSupport
import Hummingbird
import HummingbirdTesting
import Testing

/// `GET /api/v1/hands` and `GET /api/v1/hands/{id}` over the real PokerGFX samples.
@Suite struct HandRouteTests {
    @Test func handsAreListedFilteredPagedAndShown() async throws {
        let harness = try await ServerHarness.make()
        let pool = harness.clients.database
        _ = try await GFXImporter(pool: pool).importFiles(try GFXScanner.scan([TestServices.repositoryRoot.appendingPathComponent("Samples/gfx").path]))
        _ = try await HandGrader(pool: pool, events: nil).gradePending()
        try await harness.run(waitForLiveFeed: false) { client in
            let all = try await client.send(.get, "/api/v1/hands")
            #expect(all.status == .ok, "\(all.text)")
            let hands = try #require(try all.json()["hands"] as? [[String: Any]])
            #expect(hands.count == 5)

            let premium = try await client.send(.get, "/api/v1/hands?premium=true&game=638961999170907267")
            let premiumHands = try #require(try premium.json()["hands"] as? [[String: Any]])
            #expect(premiumHands.count == 1)
            let quads = try #require(premiumHands.first)
            #expect(quads["grade"] as? String == "four_of_a_kind")
            #expect(quads["hand_number"] as? Int == 2)
            #expect((quads["players"] as? [[String: Any]])?.isEmpty == false)

            let page = try await client.send(.get, "/api/v1/hands?limit=2")
            let pageBody = try page.json()
            #expect((pageBody["hands"] as? [[String: Any]])?.count == 2)
            let cursor = try #require(pageBody["next_cursor"] as? String)
            let next = try await client.send(.get, "/api/v1/hands?limit=2&cursor=\(cursor)")
            #expect((try next.json()["hands"] as? [[String: Any]])?.count == 2)

            let id = try #require(quads["id"] as? Int)
            let one = try await client.send(.get, "/api/v1/hands/\(id)")
            #expect(one.status == .ok)
            #expect(try one.json()["id"] as? Int == id)
            #expect(try await client.send(.get, "/api/v1/hands/987654").status == .notFound)
            for bad in ["premium=maybe", "limit=0", "limit=501", "from=yesterday", "game=abc", "cursor=x"] {
                #expect(try await client.send(.get, "/api/v1/hands?\(bad)").status == .badRequest, "\(bad)")
            }
            let anonymous = try await client.execute(uri: "/api/v1/hands", method: .get)
            #expect(anonymous.status == .unauthorized)
        }
    }
}
