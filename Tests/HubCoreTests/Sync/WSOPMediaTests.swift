import Foundation
import HubCore
import HubPostgres
import HubTestSupport
import Testing

/// WSOP+ photo and country values that would lead a renderer outside the media roots (issue 13
/// item 6) are dropped with a warning; the rows still import.
@Suite struct WSOPMediaTests {
    typealias F = SyncFixtures

    @Test func refusedPhotosAndCountriesAreDroppedAndTheRowsImported() async throws {
        let pool = try await F.migratedPool()
        let root = try F.temporaryDirectory()
        let players = """
            [
              {"player_id": "P-1", "name": "Allowed Photo", "country": "KR", "photo": "/srv/media/profile/p1.png"},
              {"player_id": "P-2", "name": "File URL", "country": "Korea", "photo": "file:///etc/passwd"},
              {"player_id": "P-3", "name": "Internal URL", "country": "CA", "photo": "http://169.254.169.254/latest/meta-data/"},
              {"player_id": "P-4", "name": "Climbing Photo", "country": "../../../../etc/passwd", "photo": "../../../../etc/shadow"},
              {"player_id": "P-5", "name": "Odd Country", "country": "US/../../x", "photo": ""},
              {"player_id": "P-6", "name": "Relative Photo", "country": "Côte d'Ivoire", "photo": "profile/p6.png"}
            ]
            """
        try F.write(Data(players.utf8), to: "Players.json", under: root)
        let chips = """
            event,player_id,name,country,chips,recorded_at
            E-1,,New Player,../etc/passwd,1000,2026-07-10 18:00

            """
        try F.write(Data(chips.utf8), to: "ChipCounts.csv", under: root)
        let report = try await WSOPImporter(pool: pool).importFiles(try WSOPImporter.scan(root.path))
        #expect(report.counts.filesImported == 2 && report.counts.filesFailed == 0, "\(report.counts.errors)")
        let rows = try await pool.query("SELECT player_key, name, country_code, profile_image_url FROM wsop_players ORDER BY name")
        var stored: [String: (country: String?, photo: String?)] = [:]
        for row in rows { stored[try row.decode(String.self, at: 1)] = (try row.decode(String?.self, at: 2), try row.decode(String?.self, at: 3)) }
        #expect(stored.count == 7, "every row imported: \(stored.keys.sorted())")
        #expect(stored["Allowed Photo"]?.photo == "/srv/media/profile/p1.png" && stored["Allowed Photo"]?.country == "KR")
        #expect(stored["Relative Photo"]?.photo == "profile/p6.png" && stored["Relative Photo"]?.country == "Côte d'Ivoire")
        #expect(stored["File URL"]?.photo == nil && stored["File URL"]?.country == "Korea")
        #expect(stored["Internal URL"]?.photo == nil)
        #expect(stored["Climbing Photo"]?.photo == nil && stored["Climbing Photo"]?.country == nil)
        #expect(stored["Odd Country"]?.country == nil)
        #expect(stored["New Player"] != nil && stored["New Player"]?.country == nil)

        let warnings = report.counts.warnings
        #expect(warnings.map { $0.position ?? "" }.sorted()
                 == ["[1].photo", "[2].photo", "[3].country", "[3].photo", "[4].country", "line 2, column country"], "\(warnings)")
        let fileURL = try #require(warnings.first { $0.position == "[1].photo" })
        #expect(fileURL.path.hasSuffix("Players.json"))
        #expect(fileURL.reason.contains("player P-2") && fileURL.reason.contains("'file:///etc/passwd'") && fileURL.reason.contains("outside the media roots"),
                "\(fileURL.reason)")
        #expect(report.counts.errors.isEmpty)
        await pool.close()
    }

    /// A sync run keeps the warnings with its history row.
    @Test func aSyncRunRecordsTheWarnings() async throws {
        let pool = try await F.migratedPool()
        let root = try F.temporaryDirectory()
        try F.write(Data(#"[{"player_id": "P-9", "name": "Nine", "photo": "http://10.0.0.1/admin.png"}]"#.utf8), to: "Players.json", under: root)
        let result = await SyncRunner(pool: pool, events: nil).syncWSOP(directory: root.path)
        #expect(result.status == "completed", "\(result.reason ?? "")")
        #expect(result.counts.warnings.count == 1)
        let details = try await pool.query("SELECT details->'warnings'->>0 FROM sync_history WHERE source = 'wsop'")
        let warning = try #require(try details.first?.decode(String?.self, at: 0))
        #expect(warning.contains("[0].photo") && warning.contains("http://10.0.0.1/admin.png") && warning.contains("URLs are not allowed"), "\(warning)")
        await pool.close()
    }
}
