import Foundation
@testable import HubCore
import HubPostgres
import HubTestSupport
import Testing

/// The WSOP+ tournament info, payout structure and broadcast schedule files (Docs/wsop-import.md)
/// against a scratch database: columns and units, re-imports, replacement, refused files.
@Suite struct WSOPGraphicsImportTests {
    typealias F = SyncFixtures

    /// Imports every export under `root`.
    static func importFolder(_ pool: PostgresPool, _ root: URL) async throws -> WSOPImporter.Report {
        try await WSOPImporter(pool: pool).importFiles(try WSOPImporter.scan(root.path))
    }

    static func folder(_ files: [String: String]) throws -> URL {
        let root = try F.temporaryDirectory()
        for (name, text) in files { try F.write(Data(text.utf8), to: name, under: root) }
        return root
    }

    @Test func theSampleFolderImportsTournamentInfoPayoutsAndSchedule() async throws {
        let pool = try await F.migratedPool()
        let files = try WSOPImporter.scan(WSOPImporterTests.sample.path)
        #expect(files.map(\.entity) == [.events, .tournaments, .players, .chipCounts, .standings, .payouts, .schedule])
        let report = try await WSOPImporter(pool: pool).importFiles(files)
        #expect(report.counts.filesImported == 7 && report.counts.filesFailed == 0, "\(report.counts.errors)")

        #expect(try await F.count(pool, "SELECT count(*) FROM wsop_events") == 2, "tournament_data.csv describes Events.json's event")
        let event = try await pool.query("""
            SELECT event_number, name, buy_in, rake, starting_chips, current_level, remaining_players, entries, prize_pool, status,
                   places_paid, day_name, series_name, venue, start_date
            FROM wsop_events WHERE event_key = 'WSOP-2026-E76'
            """)[0]
        #expect(try event.decode(Int.self, at: 0) == 76)
        #expect(try event.decode(String.self, at: 1) == "Event #76: $10,000 No-Limit Hold'em World Championship")
        #expect(try event.decode(Int64.self, at: 2) == 10_000 && event.decode(Int64.self, at: 3) == 500)
        #expect(try event.decode(Int64.self, at: 4) == 60_000 && event.decode(Int.self, at: 5) == 41)
        #expect(try event.decode(Int.self, at: 6) == 4 && event.decode(Int.self, at: 7) == 9_735)
        #expect(try event.decode(Int64.self, at: 8) == 92_483_000 && event.decode(String.self, at: 9) == "running")
        #expect(try event.decode(Int.self, at: 10) == 1_461)
        #expect(try event.decode(String.self, at: 11) == "MAIN EVENT FINAL DAY")
        #expect(try event.decode(String.self, at: 12) == "2026 WORLD SERIES OF POKER")
        #expect(try event.decode(String.self, at: 13) == "Horseshoe Las Vegas")
        #expect(try event.decode(String.self, at: 14) == "2026-07-03", "a column tournament_data.csv lacks keeps Events.json's value")

        let payouts = try await pool.query("""
            SELECT p.place_start, p.place_end, p.amount_cents, p.percentage, p.is_bracelet
            FROM wsop_payouts p JOIN wsop_events e ON e.id = p.event_id WHERE e.event_key = 'WSOP-2026-E76' ORDER BY p.place_start
            """)
        #expect(try payouts.map { "\(try $0.decode(Int.self, at: 0))-\(try $0.decode(Int.self, at: 1))" } == ["1-1", "2-2", "3-3", "4-4", "5-6", "7-9"])
        #expect(try payouts.map { try $0.decode(Int64.self, at: 2) }
                == [1_000_000_000, 600_000_000, 400_000_000, 300_000_000, 210_000_000, 130_000_000], "cents")
        #expect(try payouts[0].decode(Double.self, at: 3) == 10.81)
        #expect(try payouts.map { try $0.decode(Bool.self, at: 4) } == [true, false, false, false, false, false])

        #expect(try await F.count(pool, "SELECT count(*) FROM broadcast_schedule WHERE broadcast_date >= '2026-12-08'") >= 7)
        #expect(try await F.count(pool, "SELECT count(*) FROM broadcast_schedule WHERE broadcast_date < '2026-12-08'") >= 1)
        #expect(try await F.count(pool, """
            SELECT count(*) FROM broadcast_schedule s JOIN wsop_events e ON e.id = s.event_id WHERE e.event_key = 'WSOP-2026-E76'
            """) == 6, "tournament 76 finds the event through its event_number")
        #expect(try await F.count(pool, "SELECT count(*) FROM broadcast_schedule WHERE event_id IS NULL") == 3,
                "tournament 77 (no event has that number) and rows without one are stored without an event")
        let late = try await pool.query("""
            SELECT time_start::text, time_end::text, is_live FROM broadcast_schedule WHERE event_title = 'Main Event Final Table - Late Night'
            """)[0]
        #expect(try late.decode(String.self, at: 0) == "21:00:00" && late.decode(String.self, at: 1) == "00:30:00", "past midnight: stored as written")
        #expect(try late.decode(Bool.self, at: 2) == false)
        #expect(try await F.count(pool, """
            SELECT count(DISTINCT entity) FROM wsop_import_logs WHERE status = 'imported' AND entity IN ('tournaments', 'payouts', 'schedule')
            """) == 3)

        let again = try await WSOPImporter(pool: pool).importFiles(files)
        #expect(again.counts.filesUnchanged == 7 && again.counts.rowsCreated == 0 && again.counts.rowsUpdated == 0)
        #expect(try await F.count(pool, "SELECT count(*) FROM wsop_payouts") == 6)
        await pool.close()
    }

    /// The reference's own sample rows (§2.1, §2.4, §2.5) under the alias file names, the number as
    /// the event key, tournaments imported before the payouts of the same folder.
    @Test func theReferenceFormatsLandInTheirColumns() async throws {
        let pool = try await F.migratedPool()
        let root = try Self.folder([
            // Payouts first in the listing: the folder's import order still puts tournaments first.
            "x/payouts.csv": """
                tournament_number,place_start,place_end,amount,percentage,is_bracelet
                1,1,1,12100000,14.12,true
                1,2,2,6500000,7.59,false
                1,5,6,2500000,2.92,false
                1,7,9,"$1,750,000",2.04,false
                1,10,12,107500.50,0.13,false
                1,13,,0.05,,

                """,
            "x/tournaments.csv": """
                tournament_number,name,buy_in,rake,starting_chips,current_level,remaining_players,registered_players,prize_pool,status,event_day,series,location
                1,"WSOP Main Event",10000,930,60000,32,27,8569,85690000,running,DAY 7,2025 WSOP SUPER CIRCUIT CYPRUS,Merit Royal
                2,"$1500 NLHE",1500,165,15000,18,145,2341,3511500,running,,,

                """,
            "x/schedule.csv": """
                date,time_start,time_end,event_title,channel,tournament_number,is_live
                2026-07-15,18:00,23:00,"Main Event Day 3 - Feature Table",WSOP+,1,true
                2026-07-15,20:00,02:00,"Main Event Day 3 - Late Night",PokerGO,1,yes
                2026-07-16,14:00:30,,"Main Event Day 3 - Replay",YouTube,3,0

                """,
        ])
        let report = try await Self.importFolder(pool, root)
        #expect(report.counts.filesImported == 3 && report.counts.filesFailed == 0, "\(report.counts.errors)")
        #expect(report.byEntity[.tournaments]?.rowsCreated == 2)

        let main = try await pool.query("""
            SELECT event_number, name, buy_in, rake, prize_pool, entries, day_name, series_name, venue, places_paid
            FROM wsop_events WHERE event_key = '1'
            """)[0]
        #expect(try main.decode(Int.self, at: 0) == 1 && main.decode(String.self, at: 1) == "WSOP Main Event")
        #expect(try main.decode(Int64.self, at: 2) == 10_000 && main.decode(Int64.self, at: 3) == 930 && main.decode(Int64.self, at: 4) == 85_690_000)
        #expect(try main.decode(Int.self, at: 5) == 8_569)
        #expect(try main.decode(String.self, at: 6) == "DAY 7" && main.decode(String.self, at: 7) == "2025 WSOP SUPER CIRCUIT CYPRUS")
        #expect(try main.decode(String.self, at: 8) == "Merit Royal" && main.decode(Int?.self, at: 9) == nil)

        let payouts = try await pool.query("""
            SELECT place_start, place_end, amount_cents, percentage, is_bracelet FROM wsop_payouts ORDER BY place_start
            """)
        #expect(try payouts.map { try $0.decode(Int64.self, at: 2) } == [1_210_000_000, 650_000_000, 250_000_000, 175_000_000, 10_750_050, 5])
        #expect(try payouts[4].decode(Int.self, at: 0) == 10 && payouts[4].decode(Int.self, at: 1) == 12)
        #expect(try payouts[5].decode(Int.self, at: 1) == 13, "place_end defaults to place_start")
        #expect(try payouts[5].decode(Double?.self, at: 3) == nil && payouts[5].decode(Bool.self, at: 4) == false)

        let schedule = try await pool.query("""
            SELECT broadcast_date::text, time_start::text, time_end::text, channel, event_id IS NOT NULL, is_live
            FROM broadcast_schedule ORDER BY broadcast_date, time_start
            """)
        #expect(schedule.count == 3)
        #expect(try schedule[1].decode(String.self, at: 2) == "02:00:00" && schedule[1].decode(Bool.self, at: 5))
        #expect(try schedule[2].decode(String.self, at: 1) == "14:00:30" && schedule[2].decode(String?.self, at: 2) == nil)
        #expect(try schedule.map { try $0.decode(Bool.self, at: 4) } == [true, true, false], "tournament 3 is unknown: no event, no error")
        await pool.close()
    }

    /// A tournament file upserts by event key and never wipes what it does not say.
    @Test func tournamentInfoKeepsWhatTheFileDoesNotSay() async throws {
        let pool = try await F.migratedPool()
        _ = try await Self.importFolder(pool, try Self.folder([
            "a/Events.json": #"[{"id": "E-1", "name": "Main Event", "buy_in": 10000, "venue": "Merit Royal", "start_date": "2026-12-01"}]"#,
        ]))
        let update = try await Self.importFolder(pool, try Self.folder([
            "b/tournament_data.csv": "event_key,tournament_number,remaining_players,current_level,status\nE-1,7,27,32,\n",
        ]))
        #expect(update.counts.rowsUpdated == 1 && update.counts.rowsCreated == 0, "\(update.counts.errors)")
        let row = try await pool.query("SELECT name, buy_in, venue, start_date, remaining_players, event_number, status FROM wsop_events")[0]
        #expect(try row.decode(String.self, at: 0) == "Main Event" && row.decode(Int64.self, at: 1) == 10_000)
        #expect(try row.decode(String.self, at: 2) == "Merit Royal" && row.decode(String.self, at: 3) == "2026-12-01")
        #expect(try row.decode(Int.self, at: 4) == 27 && row.decode(Int.self, at: 5) == 7 && row.decode(String?.self, at: 6) == nil)

        // By number alone the file finds the event keyed E-1 (its event_number is 7): no second event.
        let byNumber = try await Self.importFolder(pool, try Self.folder(["c/tournament.csv": "tournament_number,remaining_players\n7,26\n"]))
        #expect(byNumber.counts.rowsUpdated == 1 && byNumber.counts.rowsCreated == 0, "\(byNumber.counts.errors)")
        #expect(try await F.count(pool, "SELECT count(*) FROM wsop_events") == 1)
        #expect(try await F.count(pool, "SELECT remaining_players FROM wsop_events") == 26)

        // The same values again in another file: nothing changes.
        let same = try await Self.importFolder(pool, try Self.folder(["d/tournament_data.csv": "tournament_number,remaining_players\n7,26\n\n"]))
        #expect(same.counts.filesImported == 1 && same.counts.rowsUpdated == 0 && same.counts.rowsCreated == 0)
        await pool.close()
    }

    @Test func aChangedPayoutFileReplacesTheStructure() async throws {
        let pool = try await F.migratedPool()
        let first = """
            event,place_start,place_end,amount
            E-1,1,1,1000000
            E-1,2,2,600000
            E-1,3,4,300000
            E-1,5,9,100000

            """
        let setup = try await Self.importFolder(pool, try Self.folder([
            "a/Events.json": #"[{"id": "E-1"}, {"id": "E-2"}]"#,
            "a/payout_structure.csv": first,
            "b/payout_structure.csv": "event,place_start,amount\nE-2,1,5000\n",
        ]))
        #expect(setup.counts.filesImported == 3, "\(setup.counts.errors)")
        #expect(try await F.count(pool, "SELECT count(*) FROM wsop_payouts") == 5)

        let again = try await Self.importFolder(pool, try Self.folder(["c/payout_structure.csv": first]))
        #expect(again.counts.filesUnchanged == 1, "the same content is unchanged by its hash")

        let changed = try await Self.importFolder(pool, try Self.folder(["d/payout_structure.csv": """
            event,place_start,place_end,amount
            E-1,1,1,1100000
            E-1,2,2,600000
            E-1,3,3,350000
            E-1,4,6,150000

            """]))
        #expect(changed.counts.filesImported == 1, "\(changed.counts.errors)")
        let rows = try await pool.query("""
            SELECT p.place_start, p.place_end, p.amount_cents FROM wsop_payouts p JOIN wsop_events e ON e.id = p.event_id
            WHERE e.event_key = 'E-1' ORDER BY p.place_start
            """)
        #expect(try rows.map { "\(try $0.decode(Int.self, at: 0))-\(try $0.decode(Int.self, at: 1)):\(try $0.decode(Int64.self, at: 2))" }
                == ["1-1:110000000", "2-2:60000000", "3-3:35000000", "4-6:15000000"], "places 5-9 are gone")
        #expect(changed.counts.rowsCreated == 1 && changed.counts.rowsUpdated == 3, "4-6 new; 1 and 3 changed; 5-9 deleted")
        #expect(try await F.count(pool, """
            SELECT count(*) FROM wsop_payouts p JOIN wsop_events e ON e.id = p.event_id WHERE e.event_key = 'E-2'
            """) == 1, "another event's structure is untouched")
        await pool.close()
    }

    @Test func refusedFilesNameTheirPositionAndWriteNothing() async throws {
        let pool = try await F.migratedPool()
        _ = try await Self.importFolder(pool, try Self.folder(["setup/tournament_data.csv": "tournament_number,name,remaining_players\n1,Main,27\n"]))
        let root = try Self.folder([
            "a-unknown/payout_structure.csv": "tournament_number,place_start,amount\n1,1,1000\n999,2,500\n",
            "b-overlap/payout_structure.csv": "tournament_number,place_start,place_end,amount\n1,1,1,1000\n1,5,6,500\n1,6,8,300\n",
            "c-exponent/payout_structure.csv": "tournament_number,place_start,amount\n1,1,1000\n1,2,1e19\n",
            "d-twenty-digits/tournament_data.csv": "tournament_number,remaining_players,prize_pool\n1,20,5000\n2,3,99999999999999999999\n",
            "e-three-decimals/payout_structure.csv": "tournament_number,place_start,amount\n1,1,1000\n1,2,1750000.505\n",
            "f-bad-date/broadcast_schedule.csv": "date,time_start,event_title\n2026-12-08,18:00,Fine\n2026-02-30,18:00,Bad\n",
            "g-bad-time/broadcast_schedule.csv": "date,time_start,time_end,event_title\n2026-12-08,18:00,,Fine\n2026-12-09,19:00,25:00,Bad\n",
            "h-cents-overflow/payout_structure.csv": "tournament_number,place_start,amount\n1,1,92233720368547758.08\n",
            "i-number-exponent/tournament_data.csv": "tournament_number,remaining_players\n1e19,3\n",
            "j-level-too-big/tournament_data.csv": "tournament_number,current_level\n1,3000000000\n",
        ])
        let report = try await Self.importFolder(pool, root)
        #expect(report.counts.filesImported == 0)
        #expect(report.counts.filesFailed == 10)
        let byFolder = Dictionary(uniqueKeysWithValues: report.counts.errors.map {
            (URL(fileURLWithPath: $0.path).deletingLastPathComponent().lastPathComponent, $0)
        })
        func check(_ folder: String, _ position: String, _ reason: String) {
            #expect(byFolder[folder]?.position == position, "\(folder): \(byFolder[folder]?.description ?? "not refused")")
            #expect(byFolder[folder]?.reason.contains(reason) == true, "\(folder): \(byFolder[folder]?.description ?? "not refused")")
        }
        check("a-unknown", "line 3", "tournament 999 is not imported")
        check("b-overlap", "line 4", "places 6-8 (line 4) overlap places 5-6 (line 3)")
        check("c-exponent", "line 3, column amount", "'1e19' is not an amount")
        check("d-twenty-digits", "line 3, column prize_pool", "too large")
        check("e-three-decimals", "line 3, column amount", "more than 2 decimal places")
        check("f-bad-date", "line 3, column date", "2026-02 has 28 days")
        check("g-bad-time", "line 3, column time_end", "'25:00' is not a time of day")
        check("h-cents-overflow", "line 2, column amount", "too large")
        check("i-number-exponent", "line 2, column tournament_number", "'1e19' is not a whole number")
        check("j-level-too-big", "line 2, column current_level", "too large (at most 2147483647)")

        #expect(try await F.count(pool, "SELECT count(*) FROM wsop_payouts") == 0)
        #expect(try await F.count(pool, "SELECT count(*) FROM broadcast_schedule") == 0)
        #expect(try await F.count(pool, "SELECT count(*) FROM wsop_events") == 1)
        #expect(try await F.count(pool, "SELECT remaining_players FROM wsop_events") == 27, "the refused tournament file left the event alone")
        #expect(try await F.count(pool, """
            SELECT count(*) FROM wsop_import_logs WHERE status = 'failed' AND entity IN ('tournaments', 'payouts', 'schedule')
            """) == 10)
        #expect(report.byEntity[.payouts]?.filesFailed == 5 && report.byEntity[.schedule]?.filesFailed == 2)
        await pool.close()
    }

    /// A tournament number two events carry cannot pick one: the file says which by its key.
    @Test func anAmbiguousTournamentNumberIsRefused() async throws {
        let pool = try await F.migratedPool()
        _ = try await Self.importFolder(pool, try Self.folder([
            "a/tournament_data.csv": "event,tournament_number,name\nWSOP-2025-E5,5,Old\nCYPRUS-2026-E5,5,New\n",
        ]))
        let report = try await Self.importFolder(pool, try Self.folder([
            "b/payout_structure.csv": "tournament_number,place_start,amount\n5,1,1000\n",
            "c/payout_structure.csv": "event,place_start,amount\nCYPRUS-2026-E5,1,1000\n",
        ]))
        #expect(report.counts.filesFailed == 1 && report.counts.filesImported == 1)
        #expect(report.counts.errors.first?.reason.contains("matches 2 events (CYPRUS-2026-E5, WSOP-2025-E5): add an event column") == true,
                "\(report.counts.errors)")
        await pool.close()
    }

    @Test(arguments: [("12100000", Int64(1_210_000_000)), ("107500.50", 10_750_050), ("$1,750,000", 175_000_000), ("0.5", 50),
                      ("1,750,000.05 USD", 175_000_005), ("92233720368547758.07", Int64.max)])
    func amountsAreCents(text: String, cents: Int64) throws {
        #expect(try WSOPFields.cents(text, at: "test") == cents)
    }

    @Test(arguments: ["1.005", "1.500", "1e19", "-5", "12k", "1.2.3", ".", "92233720368547758.08", "99999999999999999999", "١٢"])
    func amountsThatAreRefused(text: String) {
        #expect(throws: (any Error).self) { try WSOPFields.cents(text, at: "test") }
    }

    @Test func numbersBeyondSixtyFourBitsAreRefusedNotTrapped() throws {
        #expect(throws: (any Error).self) { try WSOPFields.integer("99999999999999999999", at: "test") }
        #expect(throws: (any Error).self) { try WSOPFields.integer("1e19", at: "test") }
        #expect(throws: (any Error).self) { try WSOPFields.count("2147483648", at: "test", what: "the level") }
        #expect(try WSOPFields.integer("9,223,372,036,854,775,807", at: "test") == Int64.max)
    }

    @Test func datesTimesBooleansAndPercentages() throws {
        #expect(try WSOPFields.timeOfDay("9:30", at: "t") == "09:30:00")
        #expect(try WSOPFields.timeOfDay("23:59:59", at: "t") == "23:59:59")
        for bad in ["24:00", "18:60", "18:00:60", "18", "18:0", "6 PM", "-1:00"] {
            #expect(throws: (any Error).self, "\(bad)") { try WSOPFields.timeOfDay(bad, at: "t") }
        }
        #expect(try WSOPFields.date("2028-02-29", at: "t") == "2028-02-29")
        for bad in ["2026-02-29", "2026-13-01", "2026/07/15", "15-07-2026", "2026-7-15"] {
            #expect(throws: (any Error).self, "\(bad)") { try WSOPFields.date(bad, at: "t") }
        }
        #expect(try ["true", "YES", "1", "t"].map { try WSOPFields.boolean($0, at: "t") } == [true, true, true, true])
        #expect(try ["false", "No", "0", ""].map { try WSOPFields.boolean($0, at: "t") } == [false, false, false, nil])
        #expect(throws: (any Error).self) { try WSOPFields.boolean("maybe", at: "t") }
        #expect(try WSOPFields.percentage("14.12%", at: "t") == 14.12)
        for bad in ["1e2", "nan", "inf", "101", "0x10", "-3"] {
            #expect(throws: (any Error).self, "\(bad)") { try WSOPFields.percentage(bad, at: "t") }
        }
    }
}
