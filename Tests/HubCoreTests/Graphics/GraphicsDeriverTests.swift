import Foundation
import HubCore
import Testing

/// Every derivation the catalog uses, over moments built by hand (GRAPHICS.md §2): the two real
/// samples and the constructed final table of ``FinalTable``. No database; every expected string
/// is computed by hand from the data and the rules.
@Suite struct GraphicsDeriverTests {
    typealias G = GraphicsFixtures
    typealias T = FinalTable
    let catalog: GraphicsCatalog

    init() throws { catalog = try G.catalog() }

    func document(_ name: String, _ moment: GraphicsMoment, player: String? = nil, startRank: Int? = nil) throws -> GFXDataDocument {
        try GraphicsDeriver(catalog: catalog).document(try G.composition(name, in: catalog), at: moment, player: player, startRank: startRank)
    }

    /// The error a document is refused with.
    func refusal(_ name: String, _ moment: GraphicsMoment, player: String? = nil, startRank: Int? = nil) -> HubError? {
        #expect(throws: HubError.self) { try document(name, moment, player: player, startRank: startRank) }
    }

    static func column(_ document: GFXDataDocument, _ key: String) -> [String] {
        document.slots.map { $0.fields[key] ?? "<missing>" }
    }

    // MARK: The real samples

    /// Game 638961999170907267 hand 2: SEAT 10 (0 chips) is not in play; 8,000,000 three times
    /// (seats 4, 6, 8) ranks by seat; the big blind is the real 180,000 (small blind 5,000).
    @Test func theSecondSampleChipCount() throws {
        let d = try document("_MAIN Mini Chip Count", G.secondSampleHandTwo)
        #expect(d.schema == "render_gfx_data_v3" && d.version == "3.0.0")
        #expect(d.compName == "_MAIN Mini Chip Count" && d.renderType == "chip_count" && d.category == "chip_display")
        #expect(d.slots.map(\.slotIndex) == Array(1...9))
        #expect(Self.column(d, "name") == ["SEAT 9", "SEAT 3", "SEAT 4", "SEAT 6", "SEAT 8", "SEAT 2", "SEAT 5", "SEAT 1", "SEAT 7"])
        #expect(Self.column(d, "chips") == ["9,000,000", "8,005,000", "8,000,000", "8,000,000", "8,000,000", "7,995,000", "6,000,000", "4,000,000", "2,000,000"])
        #expect(Self.column(d, "bbs") == ["50.0", "44.5", "44.4", "44.4", "44.4", "44.4", "33.3", "22.2", "11.1"])
        #expect(Self.column(d, "rank") == ["1", "2", "3", "4", "5", "6", "7", "8", "9"])
        #expect(Self.column(d, "flag") == Array(repeating: "Flag/Unknown.png", count: 9))
        #expect(d.singleFields == ["AVERAGE STACK": "6,777,778 (38BB)", "chips": "chips (BB)", "player": "players", "wsop_super_circuit_cyprus": ""])
        #expect(d.metadata == GFXDataDocument.Metadata(
            sessionID: 638_961_999_170_907_267, handNum: 2, handID: 5, tableID: "GG", eventID: nil, blindLevel: "5K/180K",
            dataSources: ["gfx_sessions", "gfx_hands", "gfx_hand_players"], generatedAt: "2026-01-14T18:30:00Z", schemaVersion: "3.1.0", warnings: [],
            defaulted: ["wsop_super_circuit_cyprus"]))
        #expect(d.metadata.defaulted == ["wsop_super_circuit_cyprus"], "no event: the series name is the default, which a mapping's common field replaces")
        let mapped = Dictionary(uniqueKeysWithValues: d.fieldValues(commonFields: ["wsop_super_circuit_cyprus": "WSOP SUPER CIRCUIT CYPRUS", "chips": "CHIPS"])
            .map { ($0.key, $0.value) })
        #expect(mapped["wsop_super_circuit_cyprus"] == "WSOP SUPER CIRCUIT CYPRUS" && mapped["chips"] == "chips (BB)",
                "a common field fills a defaulted field, never one with a value")
        #expect(d.chipComparison == nil && d.chipFlow == nil && d.playerHistory == nil && d.atRisk == nil && d.elimination == nil && d.payouts == nil)

        let inPlay = try document("Chips In Play x4", G.secondSampleHandTwo)
        #expect(inPlay.singleFields == ["chips_in_play": "61,000,000", "level": "5K/180K"])
        let blinds = try document("Block Transition Level-Blinds", G.secondSampleHandTwo)
        #expect(blinds.singleFields == ["level": "", "blinds": "5K/180K", "duration": ""], "BlindLevel 0: no level")

        let risk = try document("At Risk of Elimination", G.secondSampleHandTwo)
        #expect(risk.singleFields == ["player_name": "SEAT 7", "rank": "9", "prize": "$0", "flag": "Flag/Unknown.png"])
        #expect(risk.atRisk == GFXDataDocument.PlayerPlace(playerName: "SEAT 7", rank: 9, prize: "$0", flag: "Flag/Unknown.png"))

        // Its Payouts are all zero and no WSOP+ event is linked: no payout table.
        let payouts = refusal("Payouts", G.secondSampleHandTwo)
        #expect(payouts?.code == .refused)
        #expect(payouts?.message == "\"Payouts\" cannot be made for game 638961999170907267 hand 2: it needs at least 1 row of payouts, and there are none "
            + "(no payout structure: wsop_payouts has none for the table (no WSOP+ event linked to table GG) and gfx_sessions.payouts of game 638961999170907267 are all zero)")
    }

    /// Game 638961224831992165 hand 2: `asd`/`ASD` at seats 3–6, one stack of 455,523,388 twice.
    @Test func theFirstSampleChipCountAndItsRepeatedNames() throws {
        let moment = G.firstSampleHandTwo
        let d = try document("_MAIN Mini Chip Count", moment)
        #expect(Self.column(d, "name") == ["ASD", "ASD", "U", "ASD", "ASD", "SAD", "JHKG", "K", "J"])
        #expect(Self.column(d, "chips") == ["455,523,388", "455,523,388", "6,000,000", "3,151,166", "3,151,166", "2,455,123", "1,224,444", "9,080", "8,920"])
        #expect(Self.column(d, "bbs") == ["569,404.2", "569,404.2", "7,500.0", "3,939.0", "3,939.0", "3,068.9", "1,530.6", "11.4", "11.2"])
        #expect(d.singleFields["AVERAGE STACK"] == "103,005,186 (128,756BB)")
        #expect(d.metadata.blindLevel == "80/800")

        let ambiguous = refusal("NAME", moment, player: "asd")
        #expect(ambiguous?.code == .usage)
        #expect(ambiguous?.message == "\"asd\" sits at seats 3, 4, 5, 6 in hand 2 of game 638961224831992165: name one with --player seat:N")
        let bySeat = try document("NAME 2줄 (국기 빼고)", moment, player: "seat:4")
        #expect(bySeat.singleFields == ["player_name": "ASD", "chips": "455,523,388", "bbs": "569,404.2"])
        #expect(try document("NAME 1줄", moment, player: "#7").singleFields == ["player_name": "J", "flag": "Flag/Unknown.png"])
        let nobody = refusal("NAME", moment, player: "Negreanu")
        #expect(nobody?.code == .notFound)
        #expect(nobody?.message == "no player \"Negreanu\" in hand 2 of game 638961224831992165; its players: seat 1 jhkg, seat 2 SAD, seat 3 asd, "
            + "seat 4 ASD, seat 5 asd, seat 6 ASD, seat 7 J, seat 8 K, seat 9 U")
    }

    // MARK: Chip display

    /// Hand 1: nine in play; Kim and Ivey tie at 1,500,000 and rank by seat; unified names upper-cased;
    /// flags through the catalog pattern, unknown (none, or `XX`) → `Flag/Unknown.png`.
    @Test func theFinalTableChipCountAtItsFirstHand() throws {
        let d = try document("_MAIN Mini Chip Count", T.moment(hand: 1))
        #expect(Self.column(d, "name") == ["LIPAUKA", "VORONIN", "KIM MINSU", "PHIL IVEY", "GARCIA", "NOVAK", "SMITH", "ROSSI", "DUBOIS"])
        #expect(Self.column(d, "chips") == ["2,225,000", "1,625,000", "1,500,000", "1,500,000", "1,200,000", "980,000", "760,000", "455,000", "310,000"])
        #expect(Self.column(d, "bbs") == ["148.3", "108.3", "100.0", "100.0", "80.0", "65.3", "50.7", "30.3", "20.7"])
        #expect(Self.column(d, "rank") == ["1", "2", "3", "4", "5", "6", "7", "8", "9"])
        #expect(Self.column(d, "flag") == ["Flag/LT.png", "Flag/Unknown.png", "Flag/KR.png", "Flag/US.png", "Flag/ES.png", "Flag/Unknown.png",
                                          "Flag/GB.png", "Flag/IT.png", "Flag/FR.png"])
        #expect(d.singleFields == ["AVERAGE STACK": "1,172,778 (78BB)", "chips": "chips (BB)", "player": "players",
                                   "wsop_super_circuit_cyprus": "2025 WSOP SUPER CIRCUIT CYPRUS"])
        #expect(d.metadata.blindLevel == "10K/15K" && d.metadata.eventID == "SCC-2025-12" && d.metadata.handNum == 1 && d.metadata.handID == 1_001)
        #expect(d.metadata.warnings.isEmpty)
    }

    /// A registered `flag` media source replaces the catalog's pattern; unknown stays unknown.
    @Test(arguments: [
        ("/srv/media/flags/{value_lower}.svg", ["/srv/media/flags/lt.svg", "Flag/Unknown.png", "/srv/media/flags/kr.svg", "/srv/media/flags/us.svg"]),
        ("Flags/{value}.png", ["Flags/LT.png", "Flag/Unknown.png", "Flags/KR.png", "Flags/US.png"]),
    ])
    func flagsThroughTheMediaSource(_ pattern: String, _ expected: [String]) throws {
        let d = try document("_MAIN Mini Chip Count", T.moment(hand: 1, flagPattern: pattern))
        #expect(Array(Self.column(d, "flag").prefix(4)) == expected)
    }

    /// Hand 21: Garcia sits out, Dubois and Rossi are out with 0 chips and their sticky ranks:
    /// six in play, the last three slots empty.
    @Test func sittingOutAndEliminatedPlayersAreNotRanked() throws {
        let d = try document("_SUB_Mini Chip Count", T.moment(hand: 21))
        #expect(d.slots.count == 9)
        #expect(Self.column(d, "name") == ["LIPAUKA", "PHIL IVEY", "VORONIN", "KIM MINSU", "NOVAK", "SMITH", "", "", ""])
        #expect(Self.column(d, "chips") == ["2,125,000", "1,740,000", "1,675,000", "1,500,000", "1,000,000", "700,000", "", "", ""])
        #expect(Self.column(d, "bbs") == ["53.1", "43.5", "41.9", "37.5", "25.0", "17.5", "", "", ""])
        #expect(Self.column(d, "rank") == ["1", "2", "3", "4", "5", "6", "", "", ""])
        #expect(d.slots.allSatisfy { $0.fields.keys.sorted() == ["bbs", "chips", "name", "rank"] })
        #expect(d.singleFields.isEmpty)
        #expect(d.metadata.blindLevel == "20K/40K (40K)")

        let main = try document("_MAIN Mini Chip Count", T.moment(hand: 21))
        #expect(Self.column(main, "flag") == ["Flag/LT.png", "Flag/US.png", "Flag/Unknown.png", "Flag/KR.png", "Flag/Unknown.png", "Flag/GB.png",
                                             "Flag/Unknown.png", "Flag/Unknown.png", "Flag/Unknown.png"])
        #expect(main.singleFields["AVERAGE STACK"] == "1,456,667 (36BB)")
    }

    /// Hand 12: 54.25 big blinds round half up to 54.3; 40.8, 10.275 → 10.3.
    @Test func bigBlindsOfTheSecondLevel() throws {
        let d = try document("_MAIN Mini Chip Count", T.moment(hand: 12))
        #expect(Self.column(d, "name") == ["LIPAUKA", "VORONIN", "PHIL IVEY", "KIM MINSU", "GARCIA", "NOVAK", "SMITH", "ROSSI", ""])
        #expect(Self.column(d, "chips") == ["2,170,000", "1,652,500", "1,632,000", "1,500,000", "1,112,000", "991,000", "727,000", "411,000", ""])
        #expect(Self.column(d, "bbs") == ["54.3", "41.3", "40.8", "37.5", "27.8", "24.8", "18.2", "10.3", ""])
    }

    /// Ten in play for nine slots: the tenth is cut, with a warning in the metadata.
    @Test func moreRowsThanSlotsAreCutWithAWarning() throws {
        var moment = T.moment(hand: 1)
        moment.hand.seats.append(GraphicsMoment.Seat(seat: 10, gfxName: "Extra", stack: 100_000))
        let d = try document("_MAIN Mini Chip Count", moment)
        #expect(d.slots.count == 9)
        #expect(d.slots[8].fields["name"] == "DUBOIS" && !Self.column(d, "name").contains("EXTRA"))
        #expect(d.metadata.warnings == ["10 rows of players for 9 slots: rows after 9 were cut"])
        #expect(d.singleFields["AVERAGE STACK"] == "1,065,500 (71BB)", "the average is over everyone in play")
    }

    @Test func chipsInPlayAndDenominations() throws {
        let x3 = try document("Chips In Play x3", T.moment(hand: 21))
        #expect(Self.column(x3, "fee") == ["1,000", "5,000", "25,000"], "the composition's own denominations")
        #expect(x3.singleFields == ["chips_in_play": "8,740,000", "level": "20K/40K (40K)"])
        #expect(x3.metadata.warnings.isEmpty)
        let x4 = try document("Chips In Play x4", T.moment(hand: 1))
        #expect(Self.column(x4, "fee") == ["1,000", "5,000", "25,000", "100,000"])
        #expect(x4.singleFields == ["chips_in_play": "10,555,000", "level": "10K/15K"])
    }

    /// The selected player against everyone else in play; the two shares always make 100.0%.
    @Test func chipComparisonOfIveyAtHand21() throws {
        let d = try document("Chip Comparison", T.moment(hand: 21, selected: 4), player: "Phil Ivey")
        #expect(d.singleFields == ["selected_player_name": "PHIL IVEY", "selected_player_chips": "1,740,000", "selected_player_%": "19.9%",
                                   "others_chips": "7,000,000", "others_%": "80.1%"])
        #expect(d.chipComparison == GFXDataDocument.ChipComparison(
            selectedPlayerName: "PHIL IVEY", selectedPlayerChips: "1,740,000", selectedPlayerPercent: "19.9%", othersChips: "7,000,000", othersPercent: "80.1%"))
        #expect(d.renderType == "chip_comparison" && d.slots.isEmpty)
    }

    @Test(arguments: [
        ([Int64(709), 1_291], "35.5%", "64.5%"),               // 35.45 / 64.55: rounding both up would make 100.1
        ([1_500_000, 2_735_000], "35.4%", "64.6%"),            // the reference's example
        ([1, 1, 1], "33.3%", "66.7%"),
        ([1, 1_999], "0.1%", "99.9%"),                         // 0.05 rounds up
        ([2, 1], "66.7%", "33.3%"),
        ([5, 0, 5], "50.0%", "50.0%"),                         // a seat with 0 chips is not in play
    ])
    func sharesSumTo100(_ stacks: [Int64], _ selected: String, _ others: String) throws {
        let seats = stacks.enumerated().map { GraphicsMoment.Seat(seat: $0.offset + 1, gfxName: "P\($0.offset + 1)", stack: $0.element) }
        let moment = GraphicsMoment(gameID: 1, tableID: "T", hand: .init(id: 1, number: 1, startedAt: G.takenAt, smallBlind: 1, bigBlind: 2, seats: seats),
                                    takenAt: G.takenAt)
        let d = try document("Chip Comparison", moment, player: "seat:1")
        #expect(d.singleFields["selected_player_%"] == selected && d.singleFields["others_%"] == others)
        let tenths = [selected, others].map { Int($0.dropLast().replacingOccurrences(of: ".", with: ""))! }
        #expect(tenths.reduce(0, +) == 1_000)
    }

    @Test func chipComparisonOfAPlayerNotInPlayIsRefused() throws {
        let error = refusal("Chip Comparison", T.moment(hand: 21, selected: 5), player: "Garcia")
        #expect(error?.code == .refused)
        #expect(error?.message == "\"Chip Comparison\" cannot be made for game 638970000000000001 hand 21: "
            + "required field selected_player_% has no value (Garcia is not in play in game 638970000000000001 hand 21)")
    }

    /// The last 10/20/30 hands the player played, oldest first, with max/min labels.
    @Test func chipFlowOfIveyAtHand36() throws {
        let d = try document("Chip Flow", T.moment(hand: 36, selected: 4), player: "ivey")
        let last10 = "1812000,1824000,1836000,1848000,1860000,1872000,1884000,1896000,1908000,1920000"
        let last20 = "1692000,1704000,1716000,1728000,1740000,1752000,1764000,1776000,1788000,1800000," + last10
        let last30 = "1572000,1584000,1596000,1608000,1620000,1632000,1644000,1656000,1668000,1680000," + last20
        #expect(d.singleFields == ["player_name": "PHIL IVEY", "chips_10h": last10, "chips_20h": last20, "chips_30h": last30,
                                   "max_label": "1,920,000", "min_label": "1,572,000"])
        let flow = try #require(d.chipFlow)
        #expect(flow.playerName == "PHIL IVEY")
        #expect(flow.chips10h == [1_812_000, 1_824_000, 1_836_000, 1_848_000, 1_860_000, 1_872_000, 1_884_000, 1_896_000, 1_908_000, 1_920_000])
        #expect(flow.chips20h.count == 20 && flow.chips20h.first == 1_692_000 && flow.chips20h.last == 1_920_000)
        #expect(flow.chips30h.count == 30 && flow.chips30h.first == 1_572_000)
        #expect(flow.hands30h == Array(7...36))
        #expect(flow.maxLabel == "1,920,000" && flow.minLabel == "1,572,000")
    }

    /// Garcia sat out hands 20–22: they are not in his flow.
    @Test func chipFlowSkipsHandsSatOut() throws {
        let d = try document("Chip Flow", T.moment(hand: 25, selected: 5), player: "Garcia")
        #expect(d.singleFields["chips_10h"] == "1104000,1096000,1088000,1080000,1072000,1064000,1056000,1024000,1016000,1008000")
        #expect(d.singleFields["max_label"] == "1,200,000" && d.singleFields["min_label"] == "1,008,000")
        let flow = try #require(d.chipFlow)
        #expect(flow.hands30h == Array(1...19) + [23, 24, 25])
        #expect(flow.chips20h.count == 20 && flow.chips20h.first == 1_184_000)
        #expect(flow.chips30h.count == 22)
    }

    @Test func chipFlowWithoutHistoryIsRefused() throws {
        let error = refusal("Chip Flow", T.moment(hand: 25), player: "Garcia")
        #expect(error?.code == .refused)
        #expect(error?.message.contains("\"Chip Flow\"") == true && error?.message.contains("required field chips_10h has no value") == true,
                "\(error?.message ?? "")")
    }

    // MARK: Player info

    @Test func name3LinesWithHistoryOfIveyAtHand36() throws {
        let d = try document("NAME 3줄+", T.moment(hand: 36, selected: 4), player: "Phil Ivey")
        #expect(d.singleFields == ["player_name": "PHIL IVEY", "chips": "1,920,000", "bbs": "48.0", "vpip": "45.0%",
                                   "chips_10_hands_ago": "1,800,000", "chips_20_hands_ago": "1,680,000", "chips_30_hands_ago": "1,560,000",
                                   "chip_change_10h": "+120,000", "chip_change_20h": "+240,000", "chip_change_30h": "+360,000"])
        #expect(d.playerHistory == GFXDataDocument.PlayerHistory(
            currentChips: 1_920_000, chips10HandsAgo: 1_800_000, chips20HandsAgo: 1_680_000, chips30HandsAgo: 1_560_000,
            chipChange10h: "+120,000", chipChange20h: "+240,000", chipChange30h: "+360,000"))
    }

    @Test func name3LinesOfALosingStack() throws {
        let d = try document("NAME 3줄+", T.moment(hand: 36, selected: 1), player: "seat:1")
        #expect(d.singleFields == ["player_name": "LIPAUKA", "chips": "2,050,000", "bbs": "51.3", "vpip": "35.5%",
                                   "chips_10_hands_ago": "2,100,000", "chips_20_hands_ago": "2,150,000", "chips_30_hands_ago": "2,200,000",
                                   "chip_change_10h": "-50,000", "chip_change_20h": "-100,000", "chip_change_30h": "-150,000"])
    }

    /// Hand 15: hand 5 exists, hands −5 and −15 do not: empty fields, nil in player_history.
    @Test func handsBeforeTheSessionAreEmpty() throws {
        let d = try document("NAME 3줄+", T.moment(hand: 15, selected: 4), player: "Phil Ivey")
        #expect(d.singleFields == ["player_name": "PHIL IVEY", "chips": "1,668,000", "bbs": "41.7", "vpip": "45.0%",
                                   "chips_10_hands_ago": "1,548,000", "chips_20_hands_ago": "", "chips_30_hands_ago": "",
                                   "chip_change_10h": "+120,000", "chip_change_20h": "", "chip_change_30h": ""])
        #expect(d.playerHistory == GFXDataDocument.PlayerHistory(
            currentChips: 1_668_000, chips10HandsAgo: 1_548_000, chips20HandsAgo: nil, chips30HandsAgo: nil,
            chipChange10h: "+120,000", chipChange20h: "", chipChange30h: ""))
        let kim = try document("NAME 3줄+", T.moment(hand: 21, selected: 3), player: "Kim Minsu")
        #expect(kim.singleFields["vpip"] == "28.3%" && kim.singleFields["chip_change_10h"] == "0" && kim.singleFields["chip_change_20h"] == "0")
        #expect(kim.singleFields["chips_30_hands_ago"] == "")
    }

    @Test func aPlayerAbsentFromTheHandNHandsAgoIsEmpty() throws {
        var moment = T.moment(hand: 36, selected: 4)
        moment.handsAgo[10]!.seats.removeAll { $0.seat == 4 }
        let d = try document("NAME 3줄+", moment, player: "Phil Ivey")
        #expect(d.singleFields["chips_10_hands_ago"] == "" && d.singleFields["chip_change_10h"] == "")
        #expect(d.singleFields["chips_20_hands_ago"] == "1,680,000")
        #expect(d.playerHistory?.chips10HandsAgo == nil && d.playerHistory?.chipChange10h == "")
    }

    @Test(arguments: [
        ("Voronin", ["player_name": "VORONIN", "flag": "Flag/Unknown.png", "country_code": "XX", "chips": "1,625,000", "bbs": "108.3"]),
        ("Novak", ["player_name": "NOVAK", "flag": "Flag/Unknown.png", "country_code": "XX", "chips": "980,000", "bbs": "65.3"]),
        ("smith", ["player_name": "SMITH", "flag": "Flag/GB.png", "country_code": "GB", "chips": "760,000", "bbs": "50.7"]),
        ("Ivey", ["player_name": "PHIL IVEY", "flag": "Flag/US.png", "country_code": "US", "chips": "1,500,000", "bbs": "100.0"]),
        ("PHIL IVEY", ["player_name": "PHIL IVEY", "flag": "Flag/US.png", "country_code": "US", "chips": "1,500,000", "bbs": "100.0"]),
        ("#4", ["player_name": "PHIL IVEY", "flag": "Flag/US.png", "country_code": "US", "chips": "1,500,000", "bbs": "100.0"]),
    ])
    func nameWithFlagAndCountry(_ player: String, _ expected: [String: String]) throws {
        #expect(try document("NAME", T.moment(hand: 1), player: player).singleFields == expected)
    }

    @Test func nameOneAndTwoLines() throws {
        #expect(try document("NAME 1줄", T.moment(hand: 1), player: "Kim Minsu").singleFields == ["player_name": "KIM MINSU", "flag": "Flag/KR.png"])
        // A player sitting out still has a name card.
        #expect(try document("NAME 2줄 (국기 빼고)", T.moment(hand: 21), player: "Garcia").singleFields
                == ["player_name": "GARCIA", "chips": "1,040,000", "bbs": "26.0"])
    }

    @Test(arguments: ["NAME", "NAME 1줄", "NAME 2줄 (국기 빼고)", "NAME 3줄+", "Chip Comparison", "Chip Flow"])
    func aPlayerCompositionWithoutAPlayerIsAUsageError(_ name: String) throws {
        let error = refusal(name, T.moment(hand: 21))
        #expect(error?.code == .usage)
        #expect(error?.message.hasPrefix("\"\(name)\" is about one player: name one with --player NAME or seat:N (players in game 638970000000000001 hand 21: "
            + "Lipauka (seat 1), Voronin (seat 2)") == true, "\(error?.message ?? "")")
    }

    @Test func anUnknownPlayerIsNotFound() throws {
        let error = refusal("NAME", T.moment(hand: 21), player: "Negreanu")
        #expect(error?.code == .notFound)
        #expect(error?.message == "no player \"Negreanu\" in hand 21 of game 638970000000000001; its players: seat 1 Lipauka, seat 2 Voronin, "
            + "seat 3 Kim Minsu, seat 4 Phil Ivey, seat 5 Garcia, seat 6 Novak, seat 7 Smith, seat 8 Rossi, seat 9 Dubois")
        #expect(refusal("NAME", T.moment(hand: 21), player: "seat:12")?.code == .notFound)
    }

    // MARK: Elimination

    @Test func anEliminationFiresInTheHandTheRankFirstAppears() throws {
        let d = try document("Elimination", T.moment(hand: 12))
        #expect(d.singleFields == ["name": "DUBOIS", "rank": "9", "prize": "$107,500.50", "flag": "Flag/FR.png"])
        #expect(d.elimination == GFXDataDocument.PlayerPlace(playerName: "DUBOIS", rank: 9, prize: "$107,500.50", flag: "Flag/FR.png"))
        #expect(d.renderType == "elimination")
        #expect(T.moment(hand: 12).eliminatedThisHand.map(\.seat) == [9])

        // Hand 13: Dubois still shows rank 9, but he was out before: nobody is eliminated.
        #expect(T.moment(hand: 13).eliminatedThisHand.isEmpty)
        let later = refusal("Elimination", T.moment(hand: 13))
        #expect(later?.code == .refused)
        #expect(later?.message == "\"Elimination\" cannot be made for game 638970000000000001 hand 13: "
            + "required field name has no value (gfx_hand_players.elimination_rank: nobody was eliminated for the first time in game 638970000000000001 hand 13); "
            + "required field rank has no value (gfx_hand_players.elimination_rank: nobody was eliminated for the first time in game 638970000000000001 hand 13)")
        let named = refusal("Elimination", T.moment(hand: 13), player: "Dubois")
        #expect(named?.code == .refused)
        #expect(named?.message == "\"Elimination\": Dubois (seat 9) was not eliminated in game 638970000000000001 hand 13 (eliminated in an earlier hand); "
            + "eliminated in it: nobody")
    }

    @Test func twoEliminationsInOneHandNeedAPlayer() throws {
        let moment = T.moment(hand: 25)
        #expect(moment.eliminatedThisHand.map(\.seat) == [7, 6])
        let error = refusal("Elimination", moment)
        #expect(error?.code == .usage)
        #expect(error?.message == "2 players were eliminated in game 638970000000000001 hand 25: Smith (seat 7, place 7), Novak (seat 6, place 6); name one with --player")
        #expect(try document("Elimination", moment, player: "Smith").singleFields == ["name": "SMITH", "rank": "7", "prize": "$107,500.50", "flag": "Flag/GB.png"])
        #expect(try document("Elimination", moment, player: "seat:6").singleFields == ["name": "NOVAK", "rank": "6", "prize": "$250,000", "flag": "Flag/Unknown.png"])
        let notOut = refusal("Elimination", moment, player: "Ivey")
        #expect(notOut?.code == .refused && notOut?.message.contains("Phil Ivey (seat 4) was not eliminated in game 638970000000000001 hand 25; eliminated in it: Smith, Novak") == true,
                "\(notOut?.message ?? "")")
    }

    /// Over the whole session, each player is eliminated exactly once, in the hand of their rank.
    @Test func eachPlayerIsEliminatedOnceOverTheSession() throws {
        var out: [String] = []
        for n in 1...T.lastHand {
            let moment = T.moment(hand: n)
            for seat in moment.eliminatedThisHand {
                let d = try document("Elimination", moment, player: "seat:\(seat.seat)")
                out.append("\(n): \(d.singleFields["name"]!) \(d.singleFields["rank"]!) \(d.singleFields["prize"]!)")
            }
            if moment.eliminatedThisHand.isEmpty { #expect(refusal("Elimination", moment)?.code == .refused, "hand \(n)") }
        }
        #expect(out == ["12: DUBOIS 9 $107,500.50", "18: ROSSI 8 $107,500.50", "25: SMITH 7 $107,500.50", "25: NOVAK 6 $250,000",
                        "30: GARCIA 5 $250,000", "33: KIM MINSU 4 $345,000", "35: VORONIN 3 $475,000", "37: PHIL IVEY 2 $670,000"])
    }

    @Test func eliminationPrizeFromTheSessionsPayoutsOrZero() throws {
        let session = try document("Elimination", T.moment(hand: 12, payouts: []))
        #expect(session.singleFields["prize"] == "$82,000", "place 9 of the session's Payouts, in dollars")
        let none = try document("Elimination", T.moment(hand: 12, payouts: [], sessionPayouts: [0, 0, 0]))
        #expect(none.singleFields["prize"] == "$0")
        #expect(none.elimination == GFXDataDocument.PlayerPlace(playerName: "DUBOIS", rank: 9, prize: "$0", flag: "Flag/FR.png"))
    }

    // MARK: At risk

    @Test(arguments: [
        (12, ["player_name": "ROSSI", "rank": "8", "prize": "$107,500.50", "flag": "Flag/IT.png"]),    // Dubois at 0 is not in play
        (21, ["player_name": "SMITH", "rank": "6", "prize": "$250,000", "flag": "Flag/GB.png"]),       // Garcia sits out: six in play
        (30, ["player_name": "KIM MINSU", "rank": "4", "prize": "$345,000", "flag": "Flag/KR.png"]),
        (36, ["player_name": "PHIL IVEY", "rank": "2", "prize": "$670,000", "flag": "Flag/US.png"]),   // heads-up
    ])
    func atRiskIsTheSmallestStackInPlay(_ hand: Int, _ expected: [String: String]) throws {
        let d = try document("At Risk of Elimination", T.moment(hand: hand))
        #expect(d.singleFields == expected)
        #expect(d.atRisk == GFXDataDocument.PlayerPlace(playerName: expected["player_name"]!, rank: Int(expected["rank"]!)!,
                                                        prize: expected["prize"]!, flag: expected["flag"]!))
    }

    @Test func atRiskTiesGoToTheHigherSeatAndAnUnknownPrizeIsZero() throws {
        var moment = T.moment(hand: 1, payouts: [], sessionPayouts: [])
        moment.hand.seats[7].stack = 310_000       // Rossi ties Dubois
        let d = try document("At Risk of Elimination", moment)
        #expect(d.singleFields == ["player_name": "DUBOIS", "rank": "9", "prize": "$0", "flag": "Flag/FR.png"])
        #expect(d.atRisk == GFXDataDocument.PlayerPlace(playerName: "DUBOIS", rank: 9, prize: "$0", flag: "Flag/FR.png"))
        // Ten in play, the session pays nine: place 10 has no prize.
        var ten = T.moment(hand: 1, payouts: [])
        ten.hand.seats.append(GraphicsMoment.Seat(seat: 10, gfxName: "Extra", stack: 100_000))
        #expect(try document("At Risk of Elimination", ten).singleFields == ["player_name": "EXTRA", "rank": "10", "prize": "$0", "flag": "Flag/Unknown.png"])
    }

    @Test func atRiskNeedsTwoInPlay() throws {
        let error = refusal("At Risk of Elimination", T.moment(hand: 37))
        #expect(error?.code == .refused)
        #expect(error?.message == "\"At Risk of Elimination\" cannot be made for game 638970000000000001 hand 37: "
            + "required field player_name has no value (fewer than two players in play in game 638970000000000001 hand 37); "
            + "required field rank has no value (fewer than two players in play in game 638970000000000001 hand 37)")
    }

    // MARK: Payouts

    /// WSOP+ ranges (5–6, 7–9, 10–12) expanded to single places; twelve places for nine slots.
    @Test func payoutsFromWSOPPlus() throws {
        let d = try document("Payouts", T.moment(hand: 21))
        #expect(Self.column(d, "rank") == ["1", "2", "3", "4", "5", "6", "7", "8", "9"])
        #expect(Self.column(d, "prize") == ["$1,000,000", "$670,000", "$475,000", "$345,000", "$250,000", "$250,000", "$107,500.50", "$107,500.50", "$107,500.50"])
        #expect(d.singleFields == ["event_name": "Event #12: $5,000 Mega Mystery Bounty", "payouts": "PAYOUTS", "total_prize": "$3,462,501.50",
                                   "wsop_super_circuit_cyprus": "2025 WSOP SUPER CIRCUIT CYPRUS"])
        #expect(d.metadata.warnings == ["12 rows of payouts for 9 slots: rows after 9 were cut"])
        let table = try #require(d.payouts)
        #expect(table.source == "wsop_payouts" && table.startRank == 1 && table.eventName == "Event #12: $5,000 Mega Mystery Bounty")
        #expect(table.entries.map(\.slotIndex) == Array(1...9))
        #expect(table.entries.map(\.rank) == ["1", "2", "3", "4", "5", "6", "7", "8", "9"])
        #expect(table.entries.map(\.prize) == Self.column(d, "prize"))
    }

    /// Without WSOP+, the session's own Payouts (dollars); its trailing 0 is no place.
    @Test func payoutsFromTheSession() throws {
        let d = try document("Payouts", T.moment(hand: 21, event: nil, payouts: []))
        #expect(Self.column(d, "rank") == ["1", "2", "3", "4", "5", "6", "7", "8", "9"])
        #expect(Self.column(d, "prize") == ["$1,000,000", "$670,000", "$475,000", "$345,000", "$250,000", "$185,000", "$140,000", "$107,500", "$82,000"])
        #expect(d.singleFields == ["event_name": "", "payouts": "PAYOUTS", "total_prize": "$3,254,500", "wsop_super_circuit_cyprus": ""])
        #expect(d.metadata.warnings.isEmpty)
        #expect(d.payouts?.source == "gfx_sessions.payouts" && d.payouts?.entries.count == 9)
    }

    @Test func payoutsAllZeroAreRefusedNamingTheSources() throws {
        let error = refusal("Payouts", T.moment(hand: 21, payouts: [], sessionPayouts: Array(repeating: 0, count: 10)))
        #expect(error?.code == .refused)
        #expect(error?.message == "\"Payouts\" cannot be made for game 638970000000000001 hand 21: it needs at least 1 row of payouts, and there are none "
            + "(no payout structure: wsop_payouts has none for event SCC-2025-12 and gfx_sessions.payouts of game 638970000000000001 are all zero)")
        let mini = try document("_Mini Payout", T.moment(hand: 21, payouts: [], sessionPayouts: []))
        #expect(Self.column(mini, "prize") == Array(repeating: "$0", count: 9), "_Mini Payout needs players; its prizes fall back to $0")
    }

    @Test func payoutsFromAStartRank() throws {
        let d = try document("Payouts 등수 바꾸기 가능", T.moment(hand: 21), startRank: 5)
        #expect(d.slots.count == 11)
        #expect(Self.column(d, "rank") == ["5", "6", "7", "8", "9", "10", "11", "12", "-", "-", "-"])
        #expect(Self.column(d, "prize") == ["$250,000", "$250,000", "$107,500.50", "$107,500.50", "$107,500.50", "$50,000", "$50,000", "$50,000",
                                           "$0", "$0", "$0"])
        #expect(d.singleFields == ["event_name": "Event #12: $5,000 Mega Mystery Bounty", "start_rank": "5"])
        #expect(d.payouts?.startRank == 5 && d.payouts?.entries.map(\.rank) == ["5", "6", "7", "8", "9", "10", "11", "12"])
        #expect(d.metadata.warnings.isEmpty)

        #expect(try document("Payouts 등수 바꾸기 가능", T.moment(hand: 21)).singleFields["start_rank"] == "1")
        #expect(try document("Payouts 등수 바꾸기 가능", T.moment(hand: 21), startRank: 0).singleFields["start_rank"] == "1")
        let past = refusal("Payouts 등수 바꾸기 가능", T.moment(hand: 21), startRank: 13)
        #expect(past?.code == .refused && past?.message.contains("it needs at least 1 row of payouts_from_start_rank, and there are none (no payout from place 13)") == true,
                "\(past?.message ?? "")")
    }

    @Test func miniPayoutPairsRanksInPlayWithPrizes() throws {
        let d = try document("_Mini Payout", T.moment(hand: 21))
        #expect(Self.column(d, "name") == ["LIPAUKA", "PHIL IVEY", "VORONIN", "KIM MINSU", "NOVAK", "SMITH", "", "", ""])
        #expect(Self.column(d, "chips") == ["2,125,000", "1,740,000", "1,675,000", "1,500,000", "1,000,000", "700,000", "", "", ""])
        #expect(Self.column(d, "rank") == ["1", "2", "3", "4", "5", "6", "", "", ""])
        #expect(Self.column(d, "prize") == ["$1,000,000", "$670,000", "$475,000", "$345,000", "$250,000", "$250,000", "$0", "$0", "$0"])
        #expect(d.singleFields == ["event_name": "Event #12: $5,000 Mega Mystery Bounty"])
    }

    // MARK: Event info, schedule, staff, transitions

    @Test func eventInfo() throws {
        let moment = T.moment(hand: 21)
        #expect(try document("Event info", moment).singleFields == [
            "event_info": "EVENT INFO", "wsop_super_circuit_cyprus": "2025 WSOP SUPER CIRCUIT CYPRUS", "buy-in": "$5,000",
            "total_prize_pool": "$5,000,000", "entrants": "1,234", "places_paid": "180", "buy_in_fee": "$4,500 + $500", "total_fee": "$5,000",
            "%": "14.6%", "num": "180",
        ])
        #expect(try document("Event name", moment).singleFields == ["event_name": "MAIN EVENT FINAL DAY", "wsop_super_circuit_cyprus": "2025 WSOP SUPER CIRCUIT CYPRUS"])
        #expect(try document("Location", moment).singleFields == ["merit_royal_diamond_hotel": "Merit Royal Diamond Hotel"])
        #expect(try document("Block Transition INFO", moment).singleFields == [
            "text_제목": "Event #12: $5,000 Mega Mystery Bounty", "text_내용_2줄": "1,234 ENTRIES\n$5,000,000 PRIZE POOL\nBLINDS 20K/40K (40K)",
        ])
    }

    @Test func eventInfoWithoutAnEvent() throws {
        let bare = T.moment(hand: 21, event: nil)
        let error = refusal("Event info", bare)
        #expect(error?.code == .refused)
        #expect(error?.message == "\"Event info\" cannot be made for game 638970000000000001 hand 21: required field wsop_super_circuit_cyprus has no value "
            + "(wsop_events.name: no WSOP+ event is linked to table FT (hubctl cue session create --event KEY --table FT), "
            + "and gfx_sessions.event_title of game 638970000000000001 is empty)")
        let name = refusal("Event name", bare)
        #expect(name?.code == .refused && name?.message.contains("required field event_name has no value (wsop_events.day_name: no WSOP+ event") == true,
                "\(name?.message ?? "")")
        #expect(try document("Location", bare).singleFields == ["merit_royal_diamond_hotel": "MERIT ROYAL DIAMOND HOTEL"])

        // The export's EventTitle stands in for the series; the rest is empty.
        var titled = bare
        titled.eventTitle = "WSOP SUPER CIRCUIT CYPRUS - MAIN EVENT"
        #expect(try document("Event info", titled).singleFields == [
            "event_info": "EVENT INFO", "wsop_super_circuit_cyprus": "WSOP SUPER CIRCUIT CYPRUS - MAIN EVENT", "buy-in": "", "total_prize_pool": "",
            "entrants": "", "places_paid": "", "buy_in_fee": "", "total_fee": "", "%": "", "num": "",
        ])
    }

    @Test func broadcastScheduleShowsSixAndCutsTheRest() throws {
        let d = try document("Broadcast Schedule", T.moment(hand: 21))
        #expect(Self.column(d, "date") == ["Jan 14", "Jan 15", "Jan 15", "Jan 16", "Feb 01", "Dec 08"])
        #expect(Self.column(d, "time") == ["05:30 PM", "12:00 AM", "12:00 PM", "09:05 AM", "11:59 PM", "01:00 PM"])
        #expect(Self.column(d, "event") == ["WSOP+", "PokerGO", "", "YouTube", "YouTube", "WSOP+"])
        #expect(Self.column(d, "event_name") == ["Main Event Final Table", "Late Night Replay", "High Roller Day 1", "High Roller Day 2", "Mystery Bounty", "Closing Show"])
        #expect(d.singleFields == ["broadcast_schedule": "BROADCAST SCHEDULE", "wsop_super_circuit_cyprus": "2025 WSOP SUPER CIRCUIT CYPRUS"])
        #expect(d.metadata.warnings == ["7 rows of schedule for 6 slots: rows after 6 were cut"])

        var none = T.moment(hand: 21)
        none.schedule = []
        let error = refusal("Broadcast Schedule", none)
        #expect(error?.code == .refused && error?.message.contains("\"Broadcast Schedule\"") == true
                && error?.message.contains("broadcast_schedule has no broadcast from today") == true, "\(error?.message ?? "")")
        // A malformed time of a required field refuses, naming the column.
        var bad = T.moment(hand: 21)
        bad.schedule = [.init(date: "2026-01-14", time: "25:00", title: "Broken")]
        let broken = refusal("Broadcast Schedule", bad)
        #expect(broken?.message == "\"Broadcast Schedule\" cannot be made for game 638970000000000001 hand 21: "
            + "required field time of slot 1 has no value (broadcast_schedule.time_start 25:00)")
    }

    @Test func nextStreamAndHandForHand() throws {
        let moment = T.moment(hand: 21)
        #expect(try document("1-NEXT STREAM STARTING SOON", moment).singleFields == [
            "wsop_vlogger_program": "WSOP VLOGGER PROGRAM", "event_name": "Event #12: $5,000 Mega Mystery Bounty", "stream_time": "Jan 14 05:30 PM",
            "message": "NEXT STREAM STARTING SOON",
        ])
        #expect(try document("1-Hand-for-hand play is currently in progress", moment).singleFields == [
            "event_name": "Event #12: $5,000 Mega Mystery Bounty", "tournament_name": "HAND-FOR-HAND PLAY IS CURRENTLY IN PROGRESS",
        ])
        let two = try document("2-Hand-for-hand play is currently in progress", moment)
        #expect(Self.column(two, "table_id") == ["FT", "GG"])
        #expect(Self.column(two, "event_name") == ["Event #12: $5,000 Mega Mystery Bounty", "Event #12: $5,000 Mega Mystery Bounty"])
    }

    @Test func staffPerRole() throws {
        let commentators = try document("Commentator", T.moment(hand: 21))
        #expect(Self.column(commentators, "name") == ["Jeff Platt", "Nick Schulman"])
        #expect(Self.column(commentators, "sub") == ["@jeffplatt", ""])
        #expect(commentators.singleFields == ["commentary": "COMMENTARY", "text_제목": "COMMENTATORS"])
        #expect(commentators.metadata.warnings == ["3 rows of commentators for 2 slots: rows after 2 were cut"])
        let reporters = try document("Reporter", T.moment(hand: 21))
        #expect(Self.column(reporters, "name") == ["Kara Scott", ""])
        #expect(Self.column(reporters, "sub") == ["@karascott", ""])
        #expect(reporters.singleFields == ["text_제목": "REPORTER"] && reporters.metadata.warnings.isEmpty)

        var none = T.moment(hand: 21)
        none.staff = none.staff.filter { $0.role == .commentator }
        let error = refusal("Reporter", none)
        #expect(error?.code == .refused)
        #expect(error?.message == "\"Reporter\" cannot be made for game 638970000000000001 hand 21: it needs at least 1 row of reporters, and there are none "
            + "(broadcast_staff has no reporter for table FT's broadcast session (hubctl cue staff add))")
    }

    @Test func levelAndBlinds() throws {
        #expect(try document("Block Transition Level-Blinds", T.moment(hand: 21)).singleFields == ["level": "LEVEL 21", "blinds": "20K/40K (40K)", "duration": ""])
        #expect(try document("Block Transition Level-Blinds", T.moment(hand: 5)).singleFields == ["level": "", "blinds": "10K/15K", "duration": ""])
        var none = T.moment(hand: 5)
        none.hand.smallBlind = 0
        none.hand.bigBlind = 0
        let error = refusal("Block Transition Level-Blinds", none)
        #expect(error?.code == .refused)
        #expect(error?.message == "\"Block Transition Level-Blinds\" cannot be made for game 638970000000000001 hand 5: "
            + "required field blinds has no value (gfx_hands.blinds of hand 5 has no blinds)")
        // Without a big blind the chip count has no bbs (never a division by zero).
        let chips = try document("_MAIN Mini Chip Count", none)
        #expect(Self.column(chips, "bbs") == Array(repeating: "", count: 9))
        #expect(chips.singleFields["AVERAGE STACK"] == "1,166,333" && chips.metadata.blindLevel == nil, "10,497,000 / 9, no BB part")
    }

    @Test func noPlayerInPlayRefusesTheChipCount() throws {
        var empty = T.moment(hand: 1)
        empty.hand.seats = empty.hand.seats.map { var seat = $0; seat.sittingOut = true; return seat }
        let error = refusal("_MAIN Mini Chip Count", empty)
        #expect(error?.code == .refused)
        #expect(error?.message == "\"_MAIN Mini Chip Count\" cannot be made for game 638970000000000001 hand 1: "
            + "it needs at least 1 row of players, and there are none (no player in play in game 638970000000000001 hand 1)")
    }

    // MARK: Extremes

    /// Stacks at the edge of Int64 never trap: what does not fit is missing.
    @Test func extremeStacksDoNotTrap() throws {
        let huge = GraphicsMoment(gameID: 1, tableID: "T", hand: .init(id: 1, number: 1, startedAt: G.takenAt, smallBlind: 1, bigBlind: 1, seats: [
            .init(seat: 1, gfxName: "A", stack: Int64.max), .init(seat: 2, gfxName: "B", stack: Int64.max),
        ]), takenAt: G.takenAt)
        let main = try document("_MAIN Mini Chip Count", huge)
        #expect(Array(Self.column(main, "chips").prefix(2)) == ["9,223,372,036,854,775,807", "9,223,372,036,854,775,807"])
        #expect(Array(Self.column(main, "bbs").prefix(2)) == ["9,223,372,036,854,775,807.0", "9,223,372,036,854,775,807.0"])
        #expect(main.singleFields["AVERAGE STACK"] == "", "the chips in play do not fit")
        #expect(refusal("Chips In Play x3", huge)?.code == .refused)
        #expect(refusal("Chip Comparison", huge, player: "A")?.code == .refused)
        #expect(try document("At Risk of Elimination", huge).singleFields["player_name"] == "B")

        let half = Int64.max / 2
        var large = huge
        large.hand.seats = [.init(seat: 1, gfxName: "A", stack: half), .init(seat: 2, gfxName: "B", stack: half)]
        #expect(try document("_MAIN Mini Chip Count", large).singleFields["AVERAGE STACK"] == "4,611,686,018,427,387,903 (4,611,686,018,427,387,903BB)")
        #expect(try document("Chips In Play x3", large).singleFields["chips_in_play"] == "9,223,372,036,854,775,806")
        let comparison = try document("Chip Comparison", large, player: "A")
        #expect(comparison.singleFields["selected_player_%"] == "50.0%" && comparison.singleFields["others_%"] == "50.0%")
        #expect(comparison.singleFields["others_chips"] == "4,611,686,018,427,387,903")
    }
}
