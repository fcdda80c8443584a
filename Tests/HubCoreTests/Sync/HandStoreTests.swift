import Foundation
import HubCore
import HubPostgres
import HubTestSupport
import Testing

/// ``HandStore`` over the two real PokerGFX exports (5 hands; hand 2 of the second game is the
/// premium four-of-a-kind three-way tie).
@Suite struct HandStoreTests {
    typealias F = SyncFixtures
    static let firstGame: Int64 = 638961224831992165
    static let secondGame: Int64 = 638961999170907267

    func importedPool() async throws -> PostgresPool {
        let pool = try await F.migratedPool()
        _ = try await GFXImporter(pool: pool).importFiles(try GFXScanner.scan([F.sampleDirectory.path]))
        _ = try await HandGrader(pool: pool, events: nil).gradePending()
        return pool
    }

    @Test func theRealExportsReadBackAsHandsWithPlayersCardsEventsAndGrades() async throws {
        let pool = try await importedPool()
        let store = HandStore(pool: pool)
        let all = try await store.hands()
        #expect(all.hands.count == 5)
        #expect(all.nextCursor == nil)
        #expect(zip(all.hands, all.hands.dropFirst()).allSatisfy { $0.startedAt >= $1.startedAt }, "newest first")
        let counts = try await pool.query("SELECT (SELECT count(*) FROM gfx_hand_players), (SELECT count(*) FROM gfx_events)")
        #expect(all.hands.map(\.players.count).reduce(0, +) == (try counts[0].decode(Int.self, at: 0)), "every seat read")
        #expect(all.hands.map(\.events.count).reduce(0, +) == (try counts[0].decode(Int.self, at: 1)), "every event read")
        for hand in all.hands {
            #expect(hand.players.map(\.seat) == hand.players.map(\.seat).sorted())
            #expect(hand.events.map(\.sequence) == hand.events.map(\.sequence).sorted())
        }

        let premium = try await store.hands(HandQuery(premium: true))
        #expect(premium.hands.count == 1)
        let quads = try #require(premium.hands.first)
        #expect(quads.gameID == Self.secondGame)
        #expect(quads.handNumber == 2)
        #expect(quads.grade == .fourOfAKind)
        #expect(quads.isPremium && quads.isBroadcastWorthy)
        #expect(quads.winner == "SEAT 7 / SEAT 8 / SEAT 9")
        #expect(quads.board.count == 5)
        #expect(quads.players.filter { $0.category == .fourOfAKind }.map(\.seat) == [7, 8, 9])
        #expect(quads.players.filter { !$0.holeCards.isEmpty }.allSatisfy { $0.holeCards.count == 2 })
        #expect(quads.events.contains { $0.type == "BOARD CARD" && $0.boardCard != nil })

        #expect(try await store.hands(HandQuery(premium: false)).hands.count == 4)
        #expect(try await store.hands(HandQuery(broadcastWorthy: true)).hands.map(\.id) == [quads.id])
        let first = try await store.hands(HandQuery(gameID: Self.firstGame))
        #expect(!first.hands.isEmpty && first.hands.allSatisfy { $0.gameID == Self.firstGame })
        #expect(first.hands.count + (try await store.hands(HandQuery(gameID: Self.secondGame))).hands.count == 5)
        let table = quads.tableID
        #expect(try await store.hands(HandQuery(tableID: table)).hands.allSatisfy { $0.tableID == table })
        #expect(try await store.hands(HandQuery(tableID: "no-such-table")).hands.isEmpty)
        #expect(try await store.hands(HandQuery(startedFrom: quads.startedAt)).hands.allSatisfy { $0.startedAt >= quads.startedAt })
        #expect(try await store.hands(HandQuery(startedBefore: quads.startedAt)).hands.allSatisfy { $0.startedAt < quads.startedAt })

        #expect(try await store.hand(id: quads.id) == quads)
        #expect(try await store.hand(game: Self.secondGame, number: 2) == quads)
        await #expect(throws: HubError.self) { try await store.hand(id: 987_654) }
        await #expect(throws: HubError.self) { try await store.hand(game: Self.secondGame, number: 999) }
        await pool.close()
    }

    @Test func pagesWalkEveryHandOnceAndRejectBadCursors() async throws {
        let pool = try await importedPool()
        let store = HandStore(pool: pool)
        var seen: [Int64] = []
        var cursor: String?
        var pages = 0
        repeat {
            let page = try await store.hands(HandQuery(limit: 2, cursor: cursor))
            #expect(page.hands.count <= 2)
            seen += page.hands.map(\.id)
            cursor = page.nextCursor
            pages += 1
        } while cursor != nil && pages < 10
        #expect(pages == 3)
        #expect(seen == (try await store.hands()).hands.map(\.id), "the pages together are the whole list, in order")
        await #expect(throws: HubError.self) { try await store.hands(HandQuery(cursor: "abc")) }
        await #expect(throws: HubError.self) { try await store.hands(HandQuery(limit: 0)) }
        await #expect(throws: HubError.self) { try await store.hands(HandQuery(limit: 501)) }
        await pool.close()
    }

    @Test func handsEncodeWithSnakeCaseKeys() throws {
        let hand = Hand(id: 1, gameID: 2, tableID: "T1", handNumber: 3, startedAt: Date(timeIntervalSince1970: 0),
                        players: [Hand.Player(seat: 1, name: "A", startStack: 10, endStack: 20, holeCards: ["Ah", "Kd"])],
                        events: [Hand.Event(sequence: 0, type: "BET", seat: 1, amount: 5, pot: 5)], grade: .pair, isPremium: false)
        let text = String(decoding: try JSONEncoder().encode(hand), as: UTF8.self)
        for key in ["\"game_id\"", "\"table_id\"", "\"hand_number\"", "\"started_at\"", "\"is_premium\"", "\"broadcast_worthy\"",
                    "\"start_stack\"", "\"hole_cards\"", "\"grade\":\"pair\""] {
            #expect(text.contains(key), "\(key) in \(text)")
        }
        #expect(!text.contains("gameID") && !text.contains("startStack"))
        #expect(try JSONDecoder().decode(Hand.self, from: JSONEncoder().encode(hand)) == hand)
    }
}
