import Foundation
@testable import HubCore
import HubPostgres
import HubTestSupport
import Testing

/// Issue 13: what the import fuzzing found, one test per finding, each with the smallest input
/// that showed it (ParserFuzzTests, ImportFuzzTests and ImportFuzzCommandTests find them again).
@Suite struct ImportFindingsTests {
    typealias F = SyncFixtures

    /// Finding: a whole number beyond 64 bits in a WSOP+ JSON file (`1e19`, `-1e19`, a 20-digit
    /// id) trapped in `WSOPFields.text` (`Int64(d)`), taking hub-sync (and a `--watch` daemon, and
    /// hub-server's sync trigger) down. Fuzz case: `wsop Events.json case 68: "2026-07-09" → -1e19`.
    @Test(arguments: [
        #"[{"id": "E1", "name": "x", "startDate": -1e19}]"#,
        #"[{"id": "E1", "name": "x", "buyIn": 1e19}]"#,
        #"[{"id": "E1", "name": "x", "entries": 1e300}]"#,
        #"[{"id": 12345678901234567890, "name": "x"}]"#,
        #"[{"id": -1e19, "name": "x"}]"#,
    ])
    func wsopJSONNumbersBeyondSixtyFourBitsAreRefusedNotTrapped(json: String) {
        #expect(throws: ContentError.self) { try WSOPRecords.events(Data(json.utf8)) }
    }

    @Test func aTwentyDigitPlayerIdIsRefusedNotRoundedIntoAnotherId() throws {
        #expect(throws: ContentError.self) { try WSOPRecords.players(Data(#"[{"id": 12345678901234567890, "name": "A"}]"#.utf8)) }
        #expect(throws: ContentError.self) { try WSOPRecords.players(Data(#"[{"id": 1.5, "name": "A"}]"#.utf8)) }
        // Whole numbers that fit keep working, as digits.
        #expect(try WSOPRecords.players(Data(#"[{"id": 9223372036854775807, "name": "A"}, {"id": 1e3, "name": "B"}]"#.utf8)).map(\.key)
                == ["9223372036854775807", "1000"])
        #expect(WSOPFields.text(.number(-1e19)) == "-1e+19")
        #expect(WSOPFields.text(.number(1500)) == "1500")
    }
}

/// Findings that need the database.
@Suite(.serialized) struct ImportFindingsDatabaseTests {
    typealias F = SyncFixtures

    /// Finding: a byte-identical copy of a refused export counted as "unchanged" in the same run
    /// (two empty exports: one failed, one silently skipped). Fuzz case: `gfx import case 45: empty`.
    @Test func aCopyOfARefusedExportIsRefusedWithIt() async throws {
        let pool = try await F.migratedPool()
        let root = try F.temporaryDirectory()
        for name in ["a", "b"] { try F.write(Data(), to: "GG/PGFX_live_data_export GameID=\(name).json", under: root) }
        try F.write(Data("{".utf8), to: "GG/PGFX_live_data_export GameID=c.json", under: root)
        try F.write(Data("{".utf8), to: "GG/PGFX_live_data_export GameID=d.json", under: root)
        let report = try await GFXImporter(pool: pool, concurrency: 2).importFiles(try GFXScanner.scan([root.path]))
        #expect(report.counts.filesSeen == 4 && report.counts.filesFailed == 4 && report.counts.filesUnchanged == 0, "\(report.counts)")
        #expect(Set(report.counts.errors.map { URL(fileURLWithPath: $0.path).lastPathComponent }).count == 4)
        await pool.close()
    }

    /// Finding: a NUL character in a WSOP+ value escaped the importer as a driver error and ended
    /// the whole WSOP+ run instead of skipping the file.
    @Test func aNULInAWSOPValueSkipsTheFile() async throws {
        let pool = try await F.migratedPool()
        let root = try F.temporaryDirectory()
        try F.write(Data("event,player,chips\nE1,nul\u{0}name,1000\n".utf8), to: "x/ChipCounts.csv", under: root)
        let report = try await WSOPImporter(pool: pool).importFiles(try WSOPImporter.scan(root.path))
        #expect(report.counts.filesFailed == 1, "\(report.counts)")
        #expect(report.counts.errors.first.map { !$0.reason.unicodeScalars.contains("\u{0}") } == true, "\(report.counts.errors)")
        await pool.close()
    }

    /// Finding: reasons quoted whole values of the file (200 KB after an unterminated quote) and
    /// their control characters; they go to the history, notifications and the webhook.
    @Test func reasonsAreShortAndPrintable() {
        let error = SyncFileError(path: "/x", position: "line\u{1B}1", reason: "'\(String(repeating: "a", count: 100_000))\u{0}' is not a number")
        #expect(error.reason.count <= SyncFileError.maxReasonCharacters + 60)
        #expect(error.reason.hasSuffix("' is not a number") && error.reason.hasPrefix("'aaa"))
        #expect(!error.reason.unicodeScalars.contains { $0.value < 0x20 } && error.position == "line\\u{1b}1")
    }
}

/// Finding: a layer mapping of nested YAML aliases ("billion laughs", 504 bytes) held
/// `hubctl graphics mapping import` for minutes. Fuzz case: `mapping case 0`.
@Suite struct LayerMappingAliasTests {
    @Test func aliasesAreRefusedBeforeTheYAMLIsRead() throws {
        var yaml = "template:\n  name: X\na0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        for level in 1..<12 { yaml += "a\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 9).joined(separator: ", ") + "]\n" }
        yaml += "compositions:\n  *a11 : {}\n"
        #expect(throws: HubError.self) { try LayerMapping.parse(yaml: yaml) }
        #expect(LayerMapping.aliasLine(yaml) == 4)
        // Stars that are not aliases: inside quotes, in a plain value, in a comment.
        let plain = "template:\n  name: \"*X\"\n# *comment\ncompositions:\n  Board:\n    field_mappings:\n      name: Name *2\n      other: '*b'\n"
        #expect(LayerMapping.aliasLine(plain) == nil)
        #expect(try LayerMapping.parse(yaml: plain).project == "*X")
    }
}
