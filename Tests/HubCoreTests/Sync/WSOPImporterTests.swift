import Foundation
@testable import HubCore
import HubPostgres
import HubTestSupport
import Testing

@Suite struct WSOPImporterTests {
    typealias F = SyncFixtures
    static let sample = TestServices.repositoryRoot.appendingPathComponent("Samples/wsop")

    @Test func theBundledExportImportsAndAgainChangesNothing() async throws {
        let pool = try await F.migratedPool()
        let importer = WSOPImporter(pool: pool)
        let files = try WSOPImporter.scan(Self.sample.path)
        #expect(files.map(\.entity) == [.events, .tournaments, .players, .chipCounts, .standings, .payouts, .schedule])
        let report = try await importer.importFiles(files)
        #expect(report.counts.filesImported == 7 && report.counts.filesFailed == 0, "\(report.counts.errors)")

        #expect(try await F.count(pool, "SELECT count(*) FROM wsop_events") == 2)
        #expect(try await F.count(pool, "SELECT count(*) FROM wsop_players") == 6, "CSV rows with a player_id find the Players.json player")
        #expect(try await F.count(pool, "SELECT count(*) FROM wsop_chip_counts") == 5)
        #expect(try await F.count(pool, "SELECT count(*) FROM wsop_chip_counts WHERE is_eliminated") == 1)
        #expect(try await F.count(pool, "SELECT count(*) FROM wsop_event_players WHERE status = 'eliminated' AND eliminated_at IS NOT NULL") == 1)
        #expect(try await F.count(pool, "SELECT count(*) FROM wsop_standings") == 5)
        let event = try await pool.query("SELECT buy_in, entries, prize_pool, name FROM wsop_events WHERE event_key = 'WSOP-2026-E76'")
        #expect(try event[0].decode(Int64.self, at: 0) == 10_000)
        #expect(try event[0].decode(Int64.self, at: 1) == 9_735)
        #expect(try event[0].decode(Int64.self, at: 2) == 92_483_000)
        let chips = try await pool.query("""
            SELECT p.name, c.chips FROM wsop_chip_counts c JOIN wsop_players p ON p.id = c.player_id ORDER BY c.chips DESC
            """)
        #expect(try chips.map { try $0.decode(String.self, at: 0) } == ["김민수", "Daniel Negreanu", "Phil Ivey", "José Álvarez", "Ole Schemion"])
        #expect(try chips.map { try $0.decode(Int64.self, at: 1) } == [1_500_000, 1_240_000, 980_000, 455_000, 0])
        let prize = try await pool.query("SELECT prize FROM wsop_standings WHERE rank = 5")
        #expect(try prize[0].decode(Int64.self, at: 0) == 15_000)

        let again = try await importer.importFiles(files)
        #expect(again.counts.filesUnchanged == 7 && again.counts.rowsCreated == 0)
        #expect(try await F.count(pool, "SELECT count(*) FROM wsop_chip_counts") == 5)
        await pool.close()
    }

    @Test func chipCountsAppendAsATimeSeriesAndAliasesMatchByName() async throws {
        let pool = try await F.migratedPool()
        let importer = WSOPImporter(pool: pool)
        _ = try await importer.importFiles(try WSOPImporter.scan(Self.sample.path))
        let root = try F.temporaryDirectory()
        // Another export an hour later: different header names, a name without its id and accents,
        // a semicolon-free quoted field with a comma, LF line ends, no BOM.
        let later = """
            tournament,player,chipstack,timestamp
            WSOP-2026-E76,jose alvarez,"2,100,000",2026-07-10 19:00
            WSOP-2026-E76,김민수,"1,000,000",2026-07-10 19:00
            WSOP-2026-E76,"Newcomer, Ann",250000,2026-07-10 19:00

            """
        try F.write(Data(later.utf8), to: "later/ChipCounts.csv", under: root)
        let report = try await importer.importFiles(try WSOPImporter.scan(root.path))
        #expect(report.counts.filesImported == 1, "\(report.counts.errors)")
        #expect(try await F.count(pool, "SELECT count(*) FROM wsop_chip_counts") == 8, "appended, not replaced")
        let alvarez = try await pool.query("""
            SELECT c.chips FROM wsop_chip_counts c JOIN wsop_players p ON p.id = c.player_id WHERE p.player_key = 'P-1004' ORDER BY c.recorded_at
            """)
        #expect(try alvarez.map { try $0.decode(Int64.self, at: 0) } == [455_000, 2_100_000])
        let current = try await pool.query("""
            SELECT ep.current_chips FROM wsop_event_players ep JOIN wsop_players p ON p.id = ep.player_id WHERE p.player_key = 'P-1004'
            """)
        #expect(try current[0].decode(Int64.self, at: 0) == 2_100_000)
        #expect(try await F.count(pool, "SELECT count(*) FROM wsop_players WHERE name = 'Newcomer, Ann'") == 1, "a new player is created")
        await pool.close()
    }

    @Test func badFilesAreSkippedWithTheirReasonAndNothingOfThemIsWritten() async throws {
        let pool = try await F.migratedPool()
        let root = try F.temporaryDirectory()
        var invalid = Data("event,player,chips\nE1,".utf8)
        invalid.append(contentsOf: [0xC3, 0x28])
        invalid.append(Data(",1000\n".utf8))
        try F.write(invalid, to: "a/ChipCounts.csv", under: root)
        try F.write(Data("event,player,chips,favourite_colour\nE1,Ann,1000,blue\n".utf8), to: "b/ChipCounts.csv", under: root)
        try F.write(Data("event,player,chips\nE1,Ann,1000\nE1,Bob,-5\n".utf8), to: "c/ChipCounts.csv", under: root)
        try F.write(Data("[{\"id\": \"E2\", \"name\": \"ok\"}".utf8), to: "d/Events.json", under: root)
        try F.write(Data("event,rank,player\nE3,1,Ann\nE3,1,Bob\n".utf8), to: "e/Standings.csv", under: root)
        try F.write(Data("event,player,chips\nE9,Zed,\"12,000\"\n".utf8), to: "f/ChipCounts.csv", under: root)
        let report = try await WSOPImporter(pool: pool).importFiles(try WSOPImporter.scan(root.path))
        #expect(report.counts.filesImported == 1)
        #expect(report.counts.filesFailed == 5)
        let byFolder = Dictionary(uniqueKeysWithValues: report.counts.errors.map {
            (URL(fileURLWithPath: $0.path).deletingLastPathComponent().lastPathComponent, $0)
        })
        #expect(byFolder["a"]?.reason.contains("not UTF-8") == true)
        #expect(byFolder["a"]?.position == "byte 22")
        #expect(byFolder["b"]?.reason.contains("unknown column 'favourite_colour'") == true)
        #expect(byFolder["c"]?.reason.contains("negative chip count -5") == true)
        #expect(byFolder["c"]?.position == "line 3, column chips")
        #expect(byFolder["d"]?.reason.contains("not valid JSON") == true)
        #expect(byFolder["e"]?.reason.contains("rank 1 appears twice") == true)
        // Only the good file's rows exist: one event, one player, one count.
        #expect(try await F.count(pool, "SELECT count(*) FROM wsop_events") == 1)
        #expect(try await F.count(pool, "SELECT count(*) FROM wsop_players") == 1)
        #expect(try await F.count(pool, "SELECT count(*) FROM wsop_chip_counts") == 1)
        #expect(try await F.count(pool, "SELECT count(*) FROM wsop_import_logs WHERE status = 'failed'") == 5)
        await pool.close()
    }

    @Test(arguments: [("1,500,000", Int64(1_500_000)), ("$10,000", 10_000), ("₩ 5 000 000", 5_000_000), ("10000.00", 10_000),
                      ("€1.500", nil), ("12k", nil), ("", nil)])
    func numbersWrittenForPeople(text: String, value: Int64?) {
        let parsed = try? WSOPFields.integer(text, at: "test")
        if text.isEmpty || value != nil {
            #expect(parsed == value)
        } else {
            #expect(throws: (any Error).self) { try WSOPFields.integer(text, at: "test") }
        }
    }

    @Test func namesMatchAcrossAccentsCaseAndSpacingButKeepHangul() {
        #expect(WSOPFields.nameKey("  José   ÁLVAREZ ") == "jose alvarez")
        #expect(WSOPFields.nameKey("김민수") == "김민수")
    }
}
