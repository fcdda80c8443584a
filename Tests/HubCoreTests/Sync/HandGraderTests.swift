import Foundation
import HubCore
import HubPostgres
import HubTestSupport
import Testing

@Suite struct HandGraderTests {
    typealias F = SyncFixtures

    @Test func theRealExportsAreGradedAndTheQuadsHandIsPremiumAndBroadcastWorthy() async throws {
        let pool = try await F.migratedPool()
        let report = try await GFXImporter(pool: pool).importFiles(try GFXScanner.scan([F.sampleDirectory.path]))
        #expect(report.graded.count == 5, "every hand is graded once, as it is written")
        #expect(try await HandGrader(pool: pool, events: nil).gradePending().isEmpty, "nothing is left for the grader")
        // Only hand 2 of the second session reaches a board: three shown hands, all 6666 with the jack.
        let grades = try await pool.query("SELECT category, strength, best_five, is_premium FROM hand_grades ORDER BY seat")
        #expect(grades.count == 3)
        #expect(try grades.allSatisfy { try $0.decode(String.self, at: 0) == "four_of_a_kind" && $0.decode(Bool.self, at: 3) })
        #expect(Set(try grades.map { try $0.decode(Int.self, at: 1) }).count == 1, "a three-way tie")
        #expect(try grades[0].decode([String].self, at: 2).sorted() == ["6c", "6d", "6h", "6s", "Jh"])
        // Hole cards without a board (a hand that ended pre-flop) are not graded.
        let premium = try await pool.query("SELECT hand_number, hand_rank, broadcast_worthy, winner FROM hands WHERE is_premium")
        #expect(premium.count == 1)
        #expect(try premium[0].decode(Int.self, at: 0) == 2)
        #expect(try premium[0].decode(String?.self, at: 1) == "four_of_a_kind")
        #expect(try premium[0].decode(Bool.self, at: 2), "premium shown + trips or better: 2 of 3")
        #expect(try premium[0].decode(String?.self, at: 3) == "SEAT 7 / SEAT 8 / SEAT 9", "no stack grew: the tied best hands win")
        // The 35-minute hand is longer than 1.5 x its session's average, but that alone is 1 of 3.
        let worthy = try await F.count(pool, "SELECT count(*) FROM hands WHERE broadcast_worthy")
        #expect(worthy == 1)
        let long = try await F.count(pool, "SELECT count(*) FROM gfx_hand_summary WHERE duration_seconds >= 1.5 * session_avg_seconds")
        #expect(long == 1)
        #expect(try await HandGrader(pool: pool, events: nil).gradePending().isEmpty, "nothing left to grade")
        await pool.close()
    }

    @Test(arguments: [
        ("Ah Ad", "Ac As Kd 7h 2c", HandCategory.fourOfAKind, true),
        ("Kh Kd", "Kc 7s 7d 2h 3c", .fullHouse, true),
        ("9h 8h", "7h 6h 5h Ac Ad", .straightFlush, true),
        ("Ah 2d", "3c 4s 5h Kd Kc", .straight, false),
        ("Qh Qd", "Qc 7s 2d 9h 3c", .threeOfAKind, false),
    ])
    func gradesOfShownHands(hole: String, board: String, category: HandCategory, premium: Bool) throws {
        let grade = try #require(HandGrader.grade(hole: Card.parseList(hole)!, board: Card.parseList(board)!))
        #expect(grade.value.category == category)
        #expect(grade.value.category.isPremium == premium)
    }

    @Test func tooFewCardsAreNotGraded() {
        #expect(HandGrader.grade(hole: Card.parseList("Ah Ad")!, board: []) == nil)
        #expect(HandGrader.grade(hole: [], board: Card.parseList("Ac As Kd 7h 2c")!) == nil)
    }
}
