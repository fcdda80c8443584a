import HubCore
import Testing

@Suite struct HandEvaluatorTests {
    static func cards(_ text: String) -> [Card] { Card.parseList(text)! }

    /// Every five-card hand of a 52-card deck, counted by category against the known totals.
    @Test func allFiveCardHandsHaveTheKnownCategoryCounts() {
        let deck = Card.Suit.allCases.flatMap { suit in (2...14).map { Card(rank: $0, suit: suit)! } }
        #expect(deck.count == 52)
        var counts = [Int](repeating: 0, count: HandCategory.allCases.count)
        var hand = [Card](repeating: deck[0], count: 5)
        var total = 0
        for a in 0..<48 {
            hand[0] = deck[a]
            for b in (a + 1)..<49 {
                hand[1] = deck[b]
                for c in (b + 1)..<50 {
                    hand[2] = deck[c]
                    for d in (c + 1)..<51 {
                        hand[3] = deck[d]
                        for e in (d + 1)..<52 {
                            hand[4] = deck[e]
                            counts[HandEvaluator.evaluate(hand).category.rawValue] += 1
                            total += 1
                        }
                    }
                }
            }
        }
        #expect(total == 2_598_960)
        let expected: [HandCategory: Int] = [
            .royalFlush: 4, .straightFlush: 36, .fourOfAKind: 624, .fullHouse: 3_744, .flush: 5_108, .straight: 10_200,
            .threeOfAKind: 54_912, .twoPair: 123_552, .pair: 1_098_240, .highCard: 1_302_540,
        ]
        for category in HandCategory.allCases {
            #expect(counts[category.rawValue] == expected[category], "\(category)")
        }
        #expect(counts[HandCategory.straightFlush.rawValue] + counts[HandCategory.royalFlush.rawValue] == 40)
    }

    @Test(arguments: [
        ("As Ks Qs Js 10s 2d 3c", HandCategory.royalFlush, "As Ks Qs Js Ts"),
        ("As 2s 3s 4s 5s Kd Kc", .straightFlush, "5s 4s 3s 2s As"),
        ("9h 8h 7h 6h 5h 10h 2c", .straightFlush, "Th 9h 8h 7h 6h"),
        ("6d 6s 6h 6c jh 7s 7h", .fourOfAKind, "6s 6h 6d 6c Jh"),
        ("Kd Kh Kc 2s 2d 2h 9c", .fullHouse, "Kh Kd Kc 2s 2h"),
        ("Qd Qh 4c 4s 4d Qs 9c", .fullHouse, "Qs Qh Qd 4s 4d"),
        ("2h 7h 9h Jh Kh Qd Tc", .flush, "Kh Jh 9h 7h 2h"),
        ("Ad 2s 3h 4c 5d Kd Kc", .straight, "5d 4c 3h 2s Ad"),
        ("9c Td Jh Qs Ks Ac 2d", .straight, "Ac Ks Qs Jh Td"),
        ("7c 7d 7h Ks 2d 9s 4h", .threeOfAKind, "Ks 9s 7h 7d 7c"),
        ("Ah Ad Kh Kd Qh Qd 2c", .twoPair, "Ah Ad Kh Kd Qh"),
        ("Jc Jd 3s 8h 9d Qc 2h", .pair, "Qc Jd Jc 9d 8h"),
        ("2c 4d 6h 8s Tc Qd 3s", .highCard, "Qd Tc 8s 6h 4d"),
    ])
    func sevenCardHands(hand: String, category: HandCategory, best: String) {
        let cards = Self.cards(hand)
        let value = HandEvaluator.evaluate(cards)
        #expect(value.category == category)
        // The best five make the same hand; equal suits may be chosen either way, so ranks are compared.
        let five = HandEvaluator.bestFive(cards)
        #expect(five.count == 5 && Set(five).isSubset(of: Set(cards)))
        #expect(HandEvaluator.evaluate(five) == value)
        #expect(five.map(\.rank).sorted() == Self.cards(best).map(\.rank).sorted())
    }

    @Test func orderingAndTies() {
        func value(_ text: String) -> HandValue { HandEvaluator.evaluate(Self.cards(text)) }
        // The wheel is the lowest straight; a six-high straight beats it.
        #expect(value("Ad 2s 3h 4c 5d Kd Qc") < value("2d 3s 4h 5c 6d Kd Qc"))
        // The steel wheel loses to a six-high straight flush, beats four aces.
        #expect(value("As 2s 3s 4s 5s") < value("2s 3s 4s 5s 6s"))
        #expect(value("As 2s 3s 4s 5s") > value("Ac Ad Ah As Ks"))
        // Kickers decide, suits never do.
        #expect(value("Ac Ad Kh 9s 3c") > value("Ah As Qh Js 10c"))
        #expect(value("Ac Ad Kh 9s 3c") == value("Ah As Ks 9d 3h"))
        // The fixture's board 6d 6s 6h 6c Jh: every shown hand plays quads with the jack.
        let board = "6d 6s 6h 6c jh"
        let shown = ["7s 7h", "jd 9s", "4s 4d"].map { value("\($0) \(board)") }
        #expect(Set(shown).count == 1)
        #expect(shown[0].category == .fourOfAKind)
        // A pair on the board plus a pair in hand is two pair; the board's kicker can play.
        #expect(value("Kc Kd 2h 2s 9c 7d 3h").category == .twoPair)
        #expect(HandCategory.fullHouse.isPremium && HandCategory.royalFlush.isPremium && !HandCategory.flush.isPremium)
    }

    @Test(arguments: [("10d", "Td"), ("ac", "Ac"), ("Ks", "Ks"), ("td", "Td"), ("2H", "2h")])
    func cardsParseLikePokerGFXWritesThem(text: String, canonical: String) {
        #expect(Card(text)?.description == canonical)
    }

    @Test(arguments: ["", "1x", "11d", "zz", "10", "d"])
    func nonCardsAreRejected(text: String) {
        #expect(Card(text) == nil)
    }

    @Test func holeCardStrings() {
        #expect(Card.parseList("ac jc")?.map(\.description) == ["Ac", "Jc"])
        #expect(Card.parseList("")?.isEmpty == true)
        #expect(Card.parseList("10d 9d")?.map(\.description) == ["Td", "9d"])
        #expect(Card.parseList("ac xx") == nil)
    }
}
