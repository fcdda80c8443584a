import Foundation
import HubCore
import HubPostgres
import HubTestSupport
import Testing

@Suite struct GFXImporterTests {
    typealias F = SyncFixtures

    struct Totals: Equatable, CustomStringConvertible {
        var sessions = 0, hands = 0, seats = 0, events = 0, players = 0, holeCards = 0, files = 0
        var description: String { "sessions \(sessions) hands \(hands) seats \(seats) events \(events) players \(players) hole \(holeCards) files \(files)" }
    }

    static func totals(_ pool: PostgresPool) async throws -> Totals {
        let row = try await pool.query("""
            SELECT (SELECT count(*) FROM gfx_sessions), (SELECT count(*) FROM gfx_hands), (SELECT count(*) FROM gfx_hand_players),
                   (SELECT count(*) FROM gfx_events), (SELECT count(*) FROM gfx_players),
                   (SELECT count(*) FROM gfx_hand_players WHERE cardinality(hole_cards) > 0), (SELECT count(*) FROM gfx_files)
            """)[0]
        return Totals(sessions: try row.decode(Int.self, at: 0), hands: try row.decode(Int.self, at: 1), seats: try row.decode(Int.self, at: 2),
                      events: try row.decode(Int.self, at: 3), players: try row.decode(Int.self, at: 4),
                      holeCards: try row.decode(Int.self, at: 5), files: try row.decode(Int.self, at: 6))
    }

    @Test func theTwoRealExportsImportWithExactCountsAndAgainChangeNothing() async throws {
        let pool = try await F.migratedPool()
        let importer = GFXImporter(pool: pool)
        let files = try GFXScanner.scan([F.sampleDirectory.path])
        #expect(files.count == 2)
        #expect(files.allSatisfy { $0.table == "GG" }, "the folder name is the table")

        let first = try await importer.importFiles(files)
        #expect(first.counts.filesImported == 2 && first.counts.filesFailed == 0 && first.counts.filesUnchanged == 0)
        #expect(first.newHandIDs.count == 5)
        // 2 sessions; 3 + 2 hands (HandNum 1 twice in the first: two real hands); 8+9+9 and 10+10 seats;
        // 7+8+0 and 8+26 events; players jhkg, sad, asd, j, k, u and SEAT 1…10 (asd/ASD are one key);
        // hole cards shown: 10d 9d, ks qs and 7s 7h, jd 9s, 4s 4d.
        let expected = Totals(sessions: 2, hands: 5, seats: 46, events: 49, players: 16, holeCards: 5, files: 2)
        #expect(try await Self.totals(pool) == expected)
        #expect(first.counts.rowsCreated == 2 + 5 + 46 + 49 + 16)

        let ids = try await pool.query("SELECT gfx_id, table_id, session_type, id_from_file_name FROM gfx_sessions ORDER BY gfx_id")
        #expect(try ids.map { try $0.decode(Int64.self, at: 0) } == [638_961_224_831_992_165, 638_961_999_170_907_267], "ids above 2^53 exact")
        #expect(try ids.map { try $0.decode(String?.self, at: 2) } == ["FEATURE_TABLE", "FEATURE_TABLE"])
        let repeated = try await F.count(pool, "SELECT count(*) FROM gfx_hands h JOIN gfx_sessions s ON s.id = h.session_id WHERE s.gfx_id = 638961224831992165 AND hand_num = 1")
        #expect(repeated == 2)
        let hole = try await pool.query("SELECT hole_cards FROM gfx_hand_players WHERE name = 'jhkg' AND cardinality(hole_cards) > 0")
        #expect(try hole[0].decode([String].self, at: 0) == ["Td", "9d"], "ten written 10 becomes T")
        let board = try await pool.query("SELECT board_cards, pot FROM gfx_hands WHERE cardinality(board_cards) > 0")
        #expect(try board.map { try $0.decode([String].self, at: 0) } == [["6d", "6s", "6h", "6c", "Jh"]])
        let view = try await F.count(pool, "SELECT count(*) FROM hands WHERE table_id = 'GG' AND source = 'rfid' AND jsonb_array_length(players) > 0")
        #expect(view == 5)

        let again = try await importer.importFiles(files)
        #expect(again.counts.filesUnchanged == 2 && again.counts.filesImported == 0 && again.counts.rowsCreated == 0)
        #expect(try await Self.totals(pool) == expected)
        await pool.close()
    }

    @Test func aGrownReExportAddsOnlyItsNewHandsAndCopiesAreUnchanged() async throws {
        let pool = try await F.migratedPool()
        let importer = GFXImporter(pool: pool)
        let root = try F.temporaryDirectory()
        var early = try F.editable(F.secondName)
        early["Hands"] = .array(Array(early["Hands"]!.arrayValue!.prefix(1)))
        try F.write(try F.encode(early), to: "GG/day 1/\(F.secondName)", under: root)
        let first = try await importer.importFiles(try GFXScanner.scan([root.path]))
        #expect(first.counts.filesImported == 1 && first.newHandIDs.count == 1)

        // The grown export (same GameID, one more hand) lands in another folder, with a
        // byte-identical copy of it in a third.
        try F.write(try F.sample(F.secondName), to: "GG/day 2/\(F.secondName)", under: root)
        try F.write(try F.sample(F.secondName), to: "backup=copy/GG/\(F.secondName)", under: root)
        let grown = try await importer.importFiles(try GFXScanner.scan([root.path], table: "GG"))
        #expect(grown.counts.filesSeen == 3)
        #expect(grown.counts.filesUnchanged == 2, "the first file, and the copy of the grown one")
        #expect(grown.counts.filesImported == 1)
        #expect(grown.newHandIDs.count == 1, "only HandNum 2 is new")
        #expect(grown.counts.rowsUpdated == 1, "the session is touched")
        let totals = try await Self.totals(pool)
        #expect(totals.sessions == 1 && totals.hands == 2 && totals.seats == 20 && totals.events == 34 && totals.players == 10)
        await pool.close()
    }

    @Test func messyButValidExportsImport() async throws {
        let pool = try await F.migratedPool()
        let root = try F.temporaryDirectory()
        // No ID, Type or Payouts: the id comes from the file name (above 2^53: 2^53 + 1 would round in a Double).
        var anonymous = try F.editable(F.secondName)
        anonymous["ID"] = nil
        anonymous["Type"] = nil
        anonymous["Payouts"] = nil
        // An event type this build has never seen.
        var hands = anonymous["Hands"]!.arrayValue!
        if case .object(var hand) = hands[1], case .array(var events) = hand["Events"]!, case .object(var event) = events[0] {
            event["EventType"] = .string("RAISE TO")
            events[0] = .object(event)
            hand["Events"] = .array(events)
            hands[1] = .object(hand)
        }
        anonymous["Hands"] = .array(hands)
        try F.write(try F.encode(anonymous), to: "Table B/PGFX_live_data_export GameID=9007199254740993.json", under: root)

        let report = try await GFXImporter(pool: pool).importFiles(try GFXScanner.scan([root.path]))
        #expect(report.counts.filesImported == 1, "\(report.counts.errors)")
        let session = try await pool.query("SELECT gfx_id, table_id, session_type, id_from_file_name, payouts FROM gfx_sessions")
        #expect(try session[0].decode(Int64.self, at: 0) == 9_007_199_254_740_993)
        #expect(try session[0].decode(String.self, at: 1) == "Table B")
        #expect(try session[0].decode(String?.self, at: 2) == nil)
        #expect(try session[0].decode(Bool.self, at: 3))
        let types = try await pool.query("SELECT DISTINCT event_type FROM gfx_events ORDER BY 1")
        #expect(try types.map { try $0.decode(String.self, at: 0) } == ["BOARD CARD", "CALL", "CHECK", "FOLD", "RAISE TO"])
        await pool.close()
    }

    @Test func badFilesAreSkippedWithTheirReasonAndNothingOfThemIsWritten() async throws {
        let pool = try await F.migratedPool()
        let root = try F.temporaryDirectory()
        let good = try F.sample(F.firstName)
        try F.write(good, to: "GG/\(F.firstName)", under: root)
        try F.write(good.prefix(4_000), to: "GG/PGFX_live_data_export GameID=111.json", under: root)           // truncated
        try F.write(Data(), to: "GG/PGFX_live_data_export GameID=222.json", under: root)                      // empty
        var wrongType = try F.editable(F.secondName)
        wrongType["ID"] = .integer(333)
        var hands = wrongType["Hands"]!.arrayValue!
        if case .object(var hand) = hands[1] { hand["HandNum"] = .string("two"); hands[1] = .object(hand) }
        wrongType["Hands"] = .array(hands)
        try F.write(try F.encode(wrongType), to: "GG/PGFX_live_data_export GameID=333.json", under: root)     // wrong type
        var badCard = try F.editable(F.secondName)
        badCard["ID"] = .integer(444)
        var hands2 = badCard["Hands"]!.arrayValue!
        if case .object(var hand) = hands2[1], case .array(var players) = hand["Players"]!, case .object(var player) = players[0] {
            player["HoleCards"] = .array([.string("zz 9s")])
            players[0] = .object(player)
            hand["Players"] = .array(players)
            hands2[1] = .object(hand)
        }
        badCard["Hands"] = .array(hands2)
        try F.write(try F.encode(badCard), to: "GG/PGFX_live_data_export GameID=444.json", under: root)        // not a card
        var invalid = Data("{\"ID\": 555, \"EventTitle\": \"".utf8)
        invalid.append(contentsOf: [0xFF, 0xFE])
        invalid.append(Data("\", \"Hands\": []}".utf8))
        try F.write(invalid, to: "GG/PGFX_live_data_export GameID=555.json", under: root)                     // invalid UTF-8
        let vanishing = try F.write(good, to: "GG/PGFX_live_data_export GameID=666.json", under: root)

        let files = try GFXScanner.scan([root.path])
        #expect(files.count == 7)
        try FileManager.default.removeItem(at: vanishing) // gone between the scan and the import
        let report = try await GFXImporter(pool: pool).importFiles(files)
        #expect(report.counts.filesImported == 1)
        #expect(report.counts.filesFailed == 6)
        let reasons = Dictionary(uniqueKeysWithValues: report.counts.errors.map { (URL(fileURLWithPath: $0.path).lastPathComponent, $0) })
        #expect(reasons["PGFX_live_data_export GameID=111.json"]?.reason.contains("not valid JSON") == true)
        #expect(reasons["PGFX_live_data_export GameID=222.json"]?.reason.contains("empty") == true)
        #expect(reasons["PGFX_live_data_export GameID=333.json"]?.position == "Hands[1].HandNum")
        #expect(reasons["PGFX_live_data_export GameID=444.json"]?.position == "Hands[1].Players[0].HoleCards")
        #expect(reasons["PGFX_live_data_export GameID=555.json"] != nil)
        #expect(reasons["PGFX_live_data_export GameID=666.json"]?.reason.contains("does not exist (removed after it was listed?)") == true)
        let sessions = try await pool.query("SELECT gfx_id FROM gfx_sessions")
        #expect(try sessions.map { try $0.decode(Int64.self, at: 0) } == [638_961_224_831_992_165], "nothing of a bad file is written")
        #expect(try await Self.totals(pool).hands == 3)
        await pool.close()
    }

    @Test func scanFindsNestedFoldersAndNamesTables() throws {
        let root = try F.temporaryDirectory()
        try F.write(Data("{}".utf8), to: "GG/2025-10-15/PGFX_live_data_export GameID=1.json", under: root)
        try F.write(Data("{}".utf8), to: "Table 2/PGFX_live_data_export GameID=2.json", under: root)
        try F.write(Data("{}".utf8), to: "notes.txt", under: root)
        let files = try GFXScanner.scan([root.path])
        #expect(files.map(\.table) == ["GG", "Table 2"])
        #expect(try GFXScanner.scan([root.path], table: "Main").allSatisfy { $0.table == "Main" })
        #expect(throws: HubError.self) { try GFXScanner.scan([root.appendingPathComponent("missing").path]) }
    }
}
