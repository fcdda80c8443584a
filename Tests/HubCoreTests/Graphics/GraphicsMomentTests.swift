import Foundation
import HubCore
import HubPostgres
import HubTestSupport
import Testing

/// Graphics documents through the database: the two real PokerGFX exports and the constructed
/// final table (``FinalTable``) imported with `GFXImporter`, the shipped catalog loaded, then
/// `GraphicsService.document` — the moment loader and the derivations together. Expected values
/// are computed by hand.
@Suite(.timeLimit(.minutes(5))) struct GraphicsMomentTests {
    typealias F = SyncFixtures
    typealias G = GraphicsFixtures
    typealias T = FinalTable

    /// A migrated scratch database with the shipped catalog loaded.
    static func database() async throws -> (PostgresPool, GraphicsService) {
        let pool = try await F.migratedPool()
        let loaded = try await GraphicsStore(pool: pool).load(try G.catalog(), sourceFile: "Graphics/catalog.json", actor: "test")
        #expect(loaded.compositions == 26 && loaded.project == "CyprusDesign" && loaded.removed.isEmpty)
        return (pool, GraphicsService(pool: pool, today: "2026-01-14"))
    }

    static func column(_ document: GFXDataDocument, _ key: String) -> [String] {
        document.slots.map { $0.fields[key] ?? "<missing>" }
    }

    static func handID(_ pool: PostgresPool, game: Int64, started: String) async throws -> Int64 {
        try await pool.query("""
            SELECT h.id FROM gfx_hands h JOIN gfx_sessions s ON s.id = h.session_id
            WHERE s.gfx_id = \(game) AND h.started_at = \(started)::timestamptz
            """)[0].decode(Int64.self, at: 0)
    }

    // MARK: The real samples

    @Test func theRealSamplesChipCounts() async throws {
        let (pool, service) = try await Self.database()
        let report = try await GFXImporter(pool: pool).importFiles(try GFXScanner.scan([F.sampleDirectory.path]))
        #expect(report.counts.filesImported == 2 && report.counts.filesFailed == 0)
        let game1: Int64 = 638_961_224_831_992_165
        let game2: Int64 = 638_961_999_170_907_267

        // Game 1, latest hand: HandNum 2 (started 17:44, after both hands numbered 1).
        let latest = try await service.document(GraphicsRequest(composition: "_MAIN Mini Chip Count", game: game1))
        #expect(latest.metadata.handNum == 2 && latest.metadata.sessionID == game1 && latest.metadata.tableID == "GG")
        #expect(latest.metadata.handID == (try await Self.handID(pool, game: game1, started: "2025-10-15T17:44:04.2500282Z")))
        #expect(latest.metadata.blindLevel == "80/800")
        #expect(Self.column(latest, "name") == ["ASD", "ASD", "U", "ASD", "ASD", "SAD", "JHKG", "K", "J"])
        #expect(Self.column(latest, "chips") == ["455,523,388", "455,523,388", "6,000,000", "3,151,166", "3,151,166", "2,455,123", "1,224,444", "9,080", "8,920"])
        #expect(Self.column(latest, "bbs") == ["569,404.2", "569,404.2", "7,500.0", "3,939.0", "3,939.0", "3,068.9", "1,530.6", "11.4", "11.2"])
        #expect(Self.column(latest, "rank") == ["1", "2", "3", "4", "5", "6", "7", "8", "9"])
        #expect(Self.column(latest, "flag") == Array(repeating: "Flag/Unknown.png", count: 9))
        #expect(latest.singleFields == ["AVERAGE STACK": "103,005,186 (128,756BB)", "chips": "chips (BB)", "player": "players", "wsop_super_circuit_cyprus": ""])
        #expect(latest.metadata.dataSources == ["gfx_sessions", "gfx_hands", "gfx_hand_players", "unified_players", "broadcast_schedule"])

        // HandNum 1 twice: the later-started one (14:24, nine seats with U; J and K at 8,920/9,080),
        // not the first (12:03, eight seats, J and K at 9,000).
        let repeated = try await service.document(GraphicsRequest(composition: "_MAIN Mini Chip Count", game: game1, hand: 1))
        #expect(repeated.metadata.handNum == 1)
        #expect(repeated.metadata.handID == (try await Self.handID(pool, game: game1, started: "2025-10-15T14:24:45.3306378Z")))
        #expect(Self.column(repeated, "name") == ["ASD", "ASD", "U", "ASD", "ASD", "SAD", "JHKG", "K", "J"])
        #expect(Self.column(repeated, "chips") == ["455,523,388", "455,523,388", "6,000,000", "3,151,166", "3,151,166", "2,455,123", "1,224,444", "9,080", "8,920"])
        // The earlier hand 1 is still reachable by its id: eight in play, J and K tied at 9,000 (seat order).
        let first = try await service.document(GraphicsRequest(
            composition: "_MAIN Mini Chip Count", game: game1, handID: try await Self.handID(pool, game: game1, started: "2025-10-15T12:03:20.9005907Z")))
        #expect(Self.column(first, "name") == ["ASD", "ASD", "ASD", "ASD", "SAD", "JHKG", "J", "K", ""])
        #expect(Self.column(first, "chips") == ["455,523,388", "455,523,388", "3,151,166", "3,151,166", "2,455,123", "1,224,444", "9,000", "9,000", ""])
        #expect(Self.column(first, "bbs") == ["569,404.2", "569,404.2", "3,939.0", "3,939.0", "3,068.9", "1,530.6", "11.3", "11.3", ""])

        let ambiguous = await #expect(throws: HubError.self) {
            try await service.document(GraphicsRequest(composition: "NAME", game: game1, player: "asd"))
        }
        #expect(ambiguous?.code == .usage && ambiguous?.message.contains("sits at seats 3, 4, 5, 6") == true, "\(ambiguous?.message ?? "")")

        // Game 2 hand 2: blinds 5,000/180,000; SEAT 10 (0 chips) is not in play.
        let second = try await service.document(GraphicsRequest(composition: "_MAIN Mini Chip Count", game: game2, hand: 2))
        #expect(Self.column(second, "name") == ["SEAT 9", "SEAT 3", "SEAT 4", "SEAT 6", "SEAT 8", "SEAT 2", "SEAT 5", "SEAT 1", "SEAT 7"])
        #expect(Self.column(second, "chips") == ["9,000,000", "8,005,000", "8,000,000", "8,000,000", "8,000,000", "7,995,000", "6,000,000", "4,000,000", "2,000,000"])
        #expect(Self.column(second, "bbs") == ["50.0", "44.5", "44.4", "44.4", "44.4", "44.4", "33.3", "22.2", "11.1"])
        #expect(Self.column(second, "rank") == ["1", "2", "3", "4", "5", "6", "7", "8", "9"])
        #expect(second.singleFields["AVERAGE STACK"] == "6,777,778 (38BB)")
        #expect(second.metadata.blindLevel == "5K/180K" && second.metadata.handNum == 2 && second.metadata.warnings.isEmpty)
        let risk = try await service.document(GraphicsRequest(composition: "At Risk of Elimination", game: game2))
        #expect(risk.singleFields == ["player_name": "SEAT 7", "rank": "9", "prize": "$0", "flag": "Flag/Unknown.png"])
        let payouts = await #expect(throws: HubError.self) {
            try await service.document(GraphicsRequest(composition: "Payouts", game: game2))
        }
        #expect(payouts?.code == .refused && payouts?.message.contains("gfx_sessions.payouts of game 638961999170907267 are all zero") == true,
                "\(payouts?.message ?? "")")
        await pool.close()
    }

    // MARK: The constructed final table

    @Test func theFinalTableAndItsGrownReExport() async throws {
        let (pool, service) = try await Self.database()
        let importer = GFXImporter(pool: pool)
        let root = try F.temporaryDirectory()
        try F.write(try T.export(through: 20), to: "FT/day 1/\(T.fileName)", under: root)
        let first = try await importer.importFiles(try GFXScanner.scan([root.path]))
        #expect(first.counts.filesImported == 1 && first.counts.filesFailed == 0, "\(first.counts.errors)")
        #expect(first.newHandIDs.count == 20)

        // Ivey's unified name and country are overrides.
        let players = PlayerStore(pool: pool)
        let ivey = try await players.player("Ivey")
        _ = try await players.override(ivey, field: "name", value: "Phil Ivey", actor: "test", reason: "full name")
        _ = try await players.override(ivey, field: "country_code", value: "US", actor: "test", reason: nil)

        // Hand 20, the latest of the first export: Garcia sits out, Dubois and Rossi are out.
        let early = try await service.document(GraphicsRequest(composition: "_MAIN Mini Chip Count", game: T.gameID))
        #expect(early.metadata.handNum == 20 && early.metadata.tableID == "FT" && early.metadata.blindLevel == "20K/40K (40K)")
        #expect(Self.column(early, "name") == ["LIPAUKA", "PHIL IVEY", "VORONIN", "KIM MINSU", "NOVAK", "SMITH", "", "", ""])
        #expect(Self.column(early, "chips") == ["2,130,000", "1,728,000", "1,672,500", "1,500,000", "999,000", "703,000", "", "", ""])
        #expect(Self.column(early, "bbs") == ["53.3", "43.2", "41.8", "37.5", "25.0", "17.6", "", "", ""])
        #expect(Self.column(early, "flag") == ["Flag/Unknown.png", "Flag/US.png"] + Array(repeating: "Flag/Unknown.png", count: 7))
        #expect(early.singleFields["AVERAGE STACK"] == "1,455,417 (36BB)")

        // The grown re-export: same ID, hands 1–37; only 21–37 are new.
        try F.write(try T.export(through: T.lastHand), to: "FT/day 2/\(T.fileName)", under: root)
        let grown = try await importer.importFiles(try GFXScanner.scan([root.path]))
        #expect(grown.counts.filesUnchanged == 1 && grown.counts.filesImported == 1 && grown.counts.filesFailed == 0, "\(grown.counts.errors)")
        #expect(grown.newHandIDs.count == 17)
        #expect(try await F.count(pool, "SELECT count(*) FROM gfx_hands") == 37)
        #expect(try await F.count(pool, "SELECT count(*) FROM gfx_sessions") == 1)

        // Each elimination exactly once over the grown session, in the hand its rank first appears.
        var eliminations: [String] = []
        for n in 1...T.lastHand {
            do {
                let d = try await service.document(GraphicsRequest(composition: "Elimination", game: T.gameID, hand: n))
                eliminations.append("\(n): \(d.singleFields["name"]!) \(d.singleFields["rank"]!) \(d.singleFields["prize"]!)")
            } catch let error as HubError where error.code == .usage {
                #expect(n == 25 && error.message.contains("2 players were eliminated in game \(T.gameID) hand 25: Smith (seat 7, place 7), Novak (seat 6, place 6)"),
                        "\(error.message)")
                for player in ["Smith", "Novak"] {
                    let d = try await service.document(GraphicsRequest(composition: "Elimination", game: T.gameID, hand: n, player: player))
                    eliminations.append("\(n): \(d.singleFields["name"]!) \(d.singleFields["rank"]!) \(d.singleFields["prize"]!)")
                }
            } catch let error as HubError {
                #expect(error.code == .refused && error.message.contains("nobody was eliminated for the first time in game \(T.gameID) hand \(n)"),
                        "hand \(n): \(error.message)")
            }
        }
        #expect(eliminations == ["12: DUBOIS 9 $82,000", "18: ROSSI 8 $107,500", "25: SMITH 7 $140,000", "25: NOVAK 6 $185,000",
                                 "30: GARCIA 5 $250,000", "33: KIM MINSU 4 $345,000", "35: VORONIN 3 $475,000", "37: PHIL IVEY 2 $670,000"])
        let ivy = try await service.document(GraphicsRequest(composition: "Elimination", game: T.gameID))
        #expect(ivy.elimination == GFXDataDocument.PlayerPlace(playerName: "PHIL IVEY", rank: 2, prize: "$670,000", flag: "Flag/US.png"))
        let sticky = await #expect(throws: HubError.self) {
            try await service.document(GraphicsRequest(composition: "Elimination", game: T.gameID, hand: 13, player: "Dubois"))
        }
        #expect(sticky?.code == .refused && sticky?.message.contains("Dubois (seat 9) was not eliminated in game \(T.gameID) hand 13 (eliminated in an earlier hand)") == true,
                "\(sticky?.message ?? "")")

        // Heads-up at hand 36; the winner alone at 37.
        let risk = try await service.document(GraphicsRequest(composition: "At Risk of Elimination", game: T.gameID, hand: 36))
        #expect(risk.singleFields == ["player_name": "PHIL IVEY", "rank": "2", "prize": "$670,000", "flag": "Flag/US.png"])
        let alone = await #expect(throws: HubError.self) {
            try await service.document(GraphicsRequest(composition: "At Risk of Elimination", game: T.gameID))
        }
        #expect(alone?.code == .refused && alone?.message.contains("fewer than two players in play in game \(T.gameID) hand 37") == true)

        // History through the loader: N hands ago of the same session, played hands only.
        let history = try await service.document(GraphicsRequest(composition: "NAME 3줄+", game: T.gameID, hand: 36, player: "Phil Ivey"))
        #expect(history.singleFields == ["player_name": "PHIL IVEY", "chips": "1,920,000", "bbs": "48.0", "vpip": "45.0%",
                                         "chips_10_hands_ago": "1,800,000", "chips_20_hands_ago": "1,680,000", "chips_30_hands_ago": "1,560,000",
                                         "chip_change_10h": "+120,000", "chip_change_20h": "+240,000", "chip_change_30h": "+360,000"])
        let young = try await service.document(GraphicsRequest(composition: "NAME 3줄+", game: T.gameID, hand: 15, player: "seat:4"))
        #expect(young.playerHistory == GFXDataDocument.PlayerHistory(
            currentChips: 1_668_000, chips10HandsAgo: 1_548_000, chips20HandsAgo: nil, chips30HandsAgo: nil,
            chipChange10h: "+120,000", chipChange20h: "", chipChange30h: ""))
        let flow = try await service.document(GraphicsRequest(composition: "Chip Flow", game: T.gameID, hand: 25, player: "Garcia"))
        #expect(flow.singleFields["chips_10h"] == "1104000,1096000,1088000,1080000,1072000,1064000,1056000,1024000,1016000,1008000")
        #expect(flow.chipFlow?.hands30h == Array(1...19) + [23, 24, 25], "hands 20–22 sat out")
        #expect(flow.singleFields["max_label"] == "1,200,000" && flow.singleFields["min_label"] == "1,008,000")
        let longFlow = try await service.document(GraphicsRequest(composition: "Chip Flow", game: T.gameID, hand: 36, player: "Ivey"))
        #expect(longFlow.chipFlow?.hands30h == Array(7...36) && longFlow.chipFlow?.chips10h.first == 1_812_000)

        let comparison = try await service.document(GraphicsRequest(composition: "Chip Comparison", game: T.gameID, hand: 21, player: "Phil Ivey"))
        #expect(comparison.singleFields == ["selected_player_name": "PHIL IVEY", "selected_player_chips": "1,740,000", "selected_player_%": "19.9%",
                                            "others_chips": "7,000,000", "others_%": "80.1%"])
        let level = try await service.document(GraphicsRequest(composition: "Block Transition Level-Blinds", game: T.gameID, hand: 5))
        #expect(level.singleFields == ["level": "", "blinds": "10K/15K", "duration": ""])
        let level21 = try await service.document(GraphicsRequest(composition: "Block Transition Level-Blinds", game: T.gameID, hand: 21))
        #expect(level21.singleFields == ["level": "LEVEL 21", "blinds": "20K/40K (40K)", "duration": ""])

        // The session's Payouts, in dollars (no WSOP+ event is linked to table FT).
        let payouts = try await service.document(GraphicsRequest(composition: "Payouts", game: T.gameID))
        #expect(Self.column(payouts, "prize") == ["$1,000,000", "$670,000", "$475,000", "$345,000", "$250,000", "$185,000", "$140,000", "$107,500", "$82,000"])
        #expect(payouts.singleFields["total_prize"] == "$3,254,500" && payouts.payouts?.source == "gfx_sessions.payouts")

        // The same grown file again changes nothing.
        let again = try await importer.importFiles(try GFXScanner.scan([root.path]))
        #expect(again.counts.filesUnchanged == 2 && again.newHandIDs.isEmpty)
        await pool.close()
    }

    /// Unknown games, hands and players are `.notFound`, naming what exists.
    @Test func unknownGameHandAndPlayerNameWhatExists() async throws {
        let (pool, service) = try await Self.database()
        let none = await #expect(throws: HubError.self) {
            try await service.document(GraphicsRequest(composition: "_MAIN Mini Chip Count", game: 42))
        }
        #expect(none?.code == .notFound && none?.message.hasPrefix("no PokerGFX game 42 was imported; no game is") == true, "\(none?.message ?? "")")

        let root = try F.temporaryDirectory()
        try F.write(try T.export(through: T.lastHand), to: "FT/\(T.fileName)", under: root)
        let report = try await GFXImporter(pool: pool).importFiles(try GFXScanner.scan([root.path]))
        #expect(report.counts.filesImported == 1, "\(report.counts.errors)")

        let game = await #expect(throws: HubError.self) {
            try await service.document(GraphicsRequest(composition: "_MAIN Mini Chip Count", game: 42))
        }
        #expect(game?.code == .notFound)
        #expect(game?.message == "no PokerGFX game 42 was imported; latest games: 638970000000000001 (table FT)")
        let hand = await #expect(throws: HubError.self) {
            try await service.document(GraphicsRequest(composition: "_MAIN Mini Chip Count", game: T.gameID, hand: 99))
        }
        #expect(hand?.code == .notFound)
        #expect(hand?.message == "game 638970000000000001 has no hand 99; its hands are numbered 1–37 (37 hands)")
        let player = await #expect(throws: HubError.self) {
            try await service.document(GraphicsRequest(composition: "NAME", game: T.gameID, player: "Negreanu"))
        }
        #expect(player?.code == .notFound)
        #expect(player?.message == "no player \"Negreanu\" in hand 37 of game 638970000000000001; its players: seat 1 Lipauka, seat 2 Voronin, "
            + "seat 3 Kim Minsu, seat 4 Ivey, seat 5 Garcia, seat 6 Novak, seat 7 Smith, seat 8 Rossi, seat 9 Dubois")
        let composition = await #expect(throws: HubError.self) {
            try await service.document(GraphicsRequest(composition: "Leaderboard", game: T.gameID))
        }
        #expect(composition?.code == .notFound && composition?.message.contains("it has: _MAIN Mini Chip Count, _SUB_Mini Chip Count") == true,
                "\(composition?.message ?? "")")
        let nobody = await #expect(throws: HubError.self) {
            try await service.document(GraphicsRequest(composition: "NAME", game: T.gameID))
        }
        #expect(nobody?.code == .usage)
        await pool.close()
    }
}
