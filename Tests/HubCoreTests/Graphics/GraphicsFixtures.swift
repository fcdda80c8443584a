import Foundation
import HubCore
import HubTestSupport

/// Inputs shared by the graphics suites: the shipped catalog and layer mapping, moments that
/// mirror the two real PokerGFX samples, and a constructed final table (as moments for the pure
/// derivation tests and as a real export file for the database tests). Only inputs live here:
/// every expected value is written literally in the tests, computed by hand from the data.
enum GraphicsFixtures {
    static let catalogFile = TestServices.repositoryRoot.appendingPathComponent("Graphics/catalog.json")
    static let mappingFile = TestServices.repositoryRoot.appendingPathComponent("Graphics/CyprusDesign.yaml")

    /// The shipped `Graphics/catalog.json`.
    static func catalog() throws -> GraphicsCatalog {
        try GraphicsCatalog.parse(try Data(contentsOf: catalogFile), file: "Graphics/catalog.json")
    }

    static func composition(_ name: String, in catalog: GraphicsCatalog) throws -> GraphicsCatalog.Composition {
        try GraphicsService.composition(name, in: catalog)
    }

    static func date(_ iso: String) -> Date {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: iso) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: iso)!
    }

    /// `generated_at` of the pure moments.
    static let takenAt = date("2026-01-14T18:30:00Z")

    // MARK: The two real samples, by hand

    /// Game 638961999170907267 hand 2 as exported: blinds 5,000/180,000, SEAT 10 with 0 chips.
    static var secondSampleHandTwo: GraphicsMoment {
        let stacks: [Int64] = [4_000_000, 7_995_000, 8_005_000, 8_000_000, 6_000_000, 8_000_000, 2_000_000, 8_000_000, 9_000_000, 0]
        let seats = stacks.enumerated().map { GraphicsMoment.Seat(seat: $0.offset + 1, gfxName: "SEAT \($0.offset + 1)", stack: $0.element) }
        let hand = GraphicsMoment.Hand(id: 5, number: 2, startedAt: date("2025-10-16T08:31:42.630Z"), smallBlind: 5_000, bigBlind: 180_000,
                                       level: 0, seats: seats)
        return GraphicsMoment(gameID: 638_961_999_170_907_267, tableID: "GG", sessionPayouts: Array(repeating: 0, count: 10), hand: hand,
                              takenAt: takenAt)
    }

    /// Game 638961224831992165 hand 2 as exported: blinds 80/800, `asd`/`ASD` at four seats.
    static var firstSampleHandTwo: GraphicsMoment {
        let players: [(String, Int64)] = [("jhkg", 1_224_444), ("SAD", 2_455_123), ("asd", 3_151_166), ("ASD", 455_523_388), ("asd", 3_151_166),
                                          ("ASD", 455_523_388), ("J", 8_920), ("K", 9_080), ("U", 6_000_000)]
        let seats = players.enumerated().map { GraphicsMoment.Seat(seat: $0.offset + 1, gfxName: $0.element.0, stack: $0.element.1) }
        let hand = GraphicsMoment.Hand(id: 3, number: 2, startedAt: date("2025-10-15T17:44:04.250Z"), smallBlind: 80, bigBlind: 800,
                                       level: 0, seats: seats)
        return GraphicsMoment(gameID: 638_961_224_831_992_165, tableID: "GG", sessionPayouts: Array(repeating: 0, count: 10), hand: hand,
                              takenAt: takenAt)
    }
}

/// A constructed final table of 9 (the session the tests build, in hubs' terms a PokerGFX
/// session of 37 hands):
/// - blinds 10,000/15,000 without ante in hands 1–10, then 20,000/40,000 ante 40,000 (level 21);
/// - each stack moves linearly: `base + step × (hand − 1)` until the player is out;
/// - eliminations: Dubois 9th in hand 12, Rossi 8th in 18, Smith 7th and Novak 6th together in 25,
///   Garcia 5th in 30, Kim 4th in 33, Voronin 3rd in 35 (heads-up from 35), Ivey 2nd in 37; from
///   that hand on the seat stays with 0 chips and its `EliminationRank`;
/// - Garcia sits out hands 20–22;
/// - hands start 3 minutes apart from 2026-01-14 18:00 UTC.
enum FinalTable {
    struct Player: Sendable {
        var seat: Int
        var gfxName: String
        /// The unified name (an override for Ivey).
        var name: String
        var country: String?
        var base: Int64
        var step: Int64
        var vpip: Double
        var outHand: Int?
        var outRank: Int = -1
        var sittingOut: ClosedRange<Int>?
    }

    static let gameID: Int64 = 638_970_000_000_000_001
    static let table = "FT"
    static let lastHand = 37

    static let players: [Player] = [
        Player(seat: 1, gfxName: "Lipauka", name: "Lipauka", country: "LT", base: 2_225_000, step: -5_000, vpip: 35.5),
        Player(seat: 2, gfxName: "Voronin", name: "Voronin", country: nil, base: 1_625_000, step: 2_500, vpip: 42.0, outHand: 35, outRank: 3),
        Player(seat: 3, gfxName: "Kim Minsu", name: "Kim Minsu", country: "KR", base: 1_500_000, step: 0, vpip: 28.25, outHand: 33, outRank: 4),
        Player(seat: 4, gfxName: "Ivey", name: "Phil Ivey", country: "US", base: 1_500_000, step: 12_000, vpip: 45.0, outHand: 37, outRank: 2),
        Player(seat: 5, gfxName: "Garcia", name: "Garcia", country: "ES", base: 1_200_000, step: -8_000, vpip: 12.0, outHand: 30, outRank: 5,
               sittingOut: 20...22),
        Player(seat: 6, gfxName: "Novak", name: "Novak", country: "XX", base: 980_000, step: 1_000, vpip: 22.5, outHand: 25, outRank: 6),
        Player(seat: 7, gfxName: "Smith", name: "Smith", country: "gb", base: 760_000, step: -3_000, vpip: 18.75, outHand: 25, outRank: 7),
        Player(seat: 8, gfxName: "Rossi", name: "Rossi", country: "IT", base: 455_000, step: -4_000, vpip: 30.0, outHand: 18, outRank: 8),
        Player(seat: 9, gfxName: "Dubois", name: "Dubois", country: "FR", base: 310_000, step: -10_000, vpip: 0, outHand: 12, outRank: 9),
    ]

    static func player(_ seat: Int) -> Player { players[seat - 1] }

    static func stack(_ player: Player, hand n: Int) -> Int64 {
        if let out = player.outHand, n >= out { return 0 }
        return player.base + player.step * Int64(n - 1)
    }

    static func isSittingOut(_ player: Player, hand n: Int) -> Bool { player.sittingOut?.contains(n) ?? false }

    static func rank(_ player: Player, hand n: Int) -> Int {
        if let out = player.outHand, n >= out { return player.outRank }
        return -1
    }

    static func blinds(hand n: Int) -> (small: Int64, big: Int64, ante: Int64, level: Int) {
        n <= 10 ? (10_000, 15_000, 0, 0) : (20_000, 40_000, 40_000, 21)
    }

    static func startedAt(hand n: Int) -> Date { FinalTable.start.addingTimeInterval(Double(n - 1) * 180) }
    static let start = GraphicsFixtures.date("2026-01-14T18:00:00Z")

    /// Hand `n` as the moment loader would read it (unified names and countries applied).
    static func hand(_ n: Int) -> GraphicsMoment.Hand {
        let b = blinds(hand: n)
        let seats = players.map { p in
            GraphicsMoment.Seat(seat: p.seat, gfxName: p.gfxName, name: p.name, countryCode: p.country, stack: stack(p, hand: n),
                                sittingOut: isSittingOut(p, hand: n), eliminationRank: rank(p, hand: n), vpipPercent: p.vpip)
        }
        return GraphicsMoment.Hand(id: Int64(1_000 + n), number: n, startedAt: startedAt(hand: n), smallBlind: b.small, bigBlind: b.big,
                                   ante: b.ante, level: b.level, seats: seats)
    }

    /// The WSOP+ event linked to the table.
    static let event = GraphicsMoment.Event(
        key: "SCC-2025-12", name: "Event #12: $5,000 Mega Mystery Bounty", seriesName: "2025 WSOP SUPER CIRCUIT CYPRUS",
        dayName: "MAIN EVENT FINAL DAY", buyIn: 5_000, rake: 500, entrants: 1_234, placesPaid: 180, prizePool: 5_000_000,
        venue: "Merit Royal Diamond Hotel")

    /// The WSOP+ payout structure in cents: places 1, 2, 3, 4, 5–6, 7–9, 10–12.
    static let wsopPayouts: [GraphicsMoment.PayoutRange] = [
        .init(placeStart: 1, placeEnd: 1, amountCents: 100_000_000),
        .init(placeStart: 2, placeEnd: 2, amountCents: 67_000_000),
        .init(placeStart: 3, placeEnd: 3, amountCents: 47_500_000),
        .init(placeStart: 4, placeEnd: 4, amountCents: 34_500_000),
        .init(placeStart: 5, placeEnd: 6, amountCents: 25_000_000),
        .init(placeStart: 7, placeEnd: 9, amountCents: 10_750_050),
        .init(placeStart: 10, placeEnd: 12, amountCents: 5_000_000),
    ]

    /// The session's own `Payouts`, in dollars (the catalog's `gfx_payouts` unit).
    static let sessionPayouts: [Int64] = [1_000_000, 670_000, 475_000, 345_000, 250_000, 185_000, 140_000, 107_500, 82_000, 0]

    static let schedule: [GraphicsMoment.ScheduleEntry] = [
        .init(date: "2026-01-14", time: "17:30:00", title: "Main Event Final Table", channel: "WSOP+"),
        .init(date: "2026-01-15", time: "00:00:00", title: "Late Night Replay", channel: "PokerGO"),
        .init(date: "2026-01-15", time: "12:00:00", title: "High Roller Day 1", channel: ""),
        .init(date: "2026-01-16", time: "09:05:00", title: "High Roller Day 2", channel: "YouTube"),
        .init(date: "2026-02-01", time: "23:59:00", title: "Mystery Bounty", channel: "YouTube"),
        .init(date: "2026-12-08", time: "13:00", title: "Closing Show", channel: "WSOP+"),
        .init(date: "2026-12-09", time: "18:00:00", title: "Seventh Broadcast", channel: "WSOP+"),
    ]

    static let staff: [GraphicsMoment.StaffMember] = [
        .init(role: .commentator, name: "Jeff Platt", socialHandle: "@jeffplatt"),
        .init(role: .reporter, name: "Kara Scott", socialHandle: "@karascott"),
        .init(role: .commentator, name: "Nick Schulman"),
        .init(role: .commentator, name: "Third Voice", socialHandle: "@third"),
    ]

    /// The moment of hand `n` as the loader builds it: the hands 10/20/30 before, who was out
    /// before it, the selected seat's last 30 played (not sitting out) stacks, oldest first.
    static func moment(hand n: Int, selected seat: Int? = nil, event: GraphicsMoment.Event? = FinalTable.event,
                       payouts: [GraphicsMoment.PayoutRange] = FinalTable.wsopPayouts, sessionPayouts: [Int64] = FinalTable.sessionPayouts,
                       flagPattern: String? = nil) -> GraphicsMoment {
        var handsAgo: [Int: GraphicsMoment.Hand] = [:]
        for ago in [10, 20, 30] where n - ago >= 1 { handsAgo[ago] = hand(n - ago) }
        let earlier = Set(players.filter { ($0.outHand ?? Int.max) < n }.map { GraphicsMoment.Seat.key(seat: $0.seat, gfxName: $0.gfxName) })
        var history: [GraphicsMoment.StackPoint] = []
        if let seat {
            let p = player(seat)
            history = (1...n).filter { !isSittingOut(p, hand: $0) }.suffix(30).map { .init(handNumber: $0, stack: stack(p, hand: $0)) }
        }
        return GraphicsMoment(
            gameID: gameID, tableID: table, eventTitle: "", sessionPayouts: sessionPayouts, hand: hand(n), previousHand: n > 1 ? hand(n - 1) : nil,
            handsAgo: handsAgo, eliminatedEarlier: earlier, selectedHistory: history, event: event, payouts: payouts, schedule: schedule,
            staff: staff, flagPattern: flagPattern, takenAt: GraphicsFixtures.takenAt, tables: [table, "GG"])
    }

    // MARK: As a PokerGFX export file

    /// The session as a real export of hands `1...last`, built from the second sample file as a
    /// template (same keys and shape; the session's `Payouts` in dollars).
    static func export(through last: Int) throws -> Data {
        var root = try SyncFixtures.editable(SyncFixtures.secondName)
        guard case .array(let sampleHands)? = root["Hands"], case .object(let handTemplate) = sampleHands[0],
              case .array(let samplePlayers)? = handTemplate["Players"], case .object(let playerTemplate) = samplePlayers[0],
              case .object(let blindsTemplate)? = handTemplate["FlopDrawBlinds"] else {
            throw HubError(.usage, "the sample export has changed shape")
        }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        root["ID"] = .integer(gameID)
        root["CreatedDateTimeUTC"] = .string("2026-01-14T17:55:00.0000000Z")
        root["EventTitle"] = .string("")
        root["Payouts"] = .array(sessionPayouts.map(JSONValue.integer))
        root["Hands"] = .array((1...last).map { n in
            var hand = handTemplate
            let b = blinds(hand: n)
            var flop = blindsTemplate
            flop["SmallBlindAmt"] = .integer(b.small)
            flop["BigBlindAmt"] = .integer(b.big)
            flop["BlindLevel"] = .integer(Int64(b.level))
            hand["FlopDrawBlinds"] = .object(flop)
            hand["HandNum"] = .integer(Int64(n))
            hand["AnteAmt"] = .integer(b.ante)
            hand["StartDateTimeUTC"] = .string(formatter.string(from: startedAt(hand: n)))
            hand["Duration"] = .string("PT2M30S")
            hand["Events"] = .array([])
            hand["Players"] = .array(players.map { p in
                var seat = playerTemplate
                let end = stack(p, hand: n)
                let begin = n == 1 ? end : stack(p, hand: n - 1)
                seat["PlayerNum"] = .integer(Int64(p.seat))
                seat["Name"] = .string(p.gfxName)
                seat["LongName"] = .string("")
                seat["StartStackAmt"] = .integer(begin)
                seat["EndStackAmt"] = .integer(end)
                seat["CumulativeWinningsAmt"] = .integer(end - p.base)
                seat["SittingOut"] = .bool(isSittingOut(p, hand: n))
                seat["EliminationRank"] = .integer(Int64(rank(p, hand: n)))
                seat["VPIPPercent"] = .number(p.vpip)
                seat["HoleCards"] = .array([.string("")])
                return .object(seat)
            })
            return .object(hand)
        })
        return try SyncFixtures.encode(root)
    }

    static var fileName: String { "PGFX_live_data_export GameID=\(gameID).json" }
}
