import Foundation
@testable import HubCore
import HubTestSupport
import Testing

/// Issue 13 (fuzzing): every parser of outside input, in process, over thousands of seeded
/// mutations of the real files — the PokerGFX exports, the WSOP+ sample export, the AEP
/// description, the graphics catalog and the layer mapping. Each mutated file either parses or is
/// refused with the parser's own error and a reason an operator can read; nothing traps, hangs or
/// throws anything else. A crash prints the case (``FuzzCrashReport``); `HUB_FUZZ_SEED` replays a
/// run with another seed.
@Suite(.serialized, .timeLimit(.minutes(3))) struct ParserFuzzTests {
    static let seed = InputFuzzer.seed(fallback: 0x13_F022)
    static let root = TestServices.repositoryRoot

    /// What a fuzzed parser did with its cases.
    struct Tally: CustomStringConvertible {
        var label: String
        var accepted = 0
        var refused = 0
        var description: String { "\(label): \(accepted + refused) cases (seed 0x\(String(ParserFuzzTests.seed, radix: 16))), \(accepted) parsed, \(refused) refused" }
    }

    /// Runs `cases` mutations of `file` through `parse`, which returns normally or throws the
    /// refusal `refusal` accepts (returning its reason). A sync's reasons (`storedReasons`) go to
    /// the sync history, notifications and the webhook: they must also be short and printable.
    static func fuzz(_ label: String, file: URL, format: InputFuzzer.Format, cases: Int, storedReasons: Bool = false,
                     parse: (Data) throws -> Void, refusal: (any Error) -> String?) throws -> Tally {
        let original = try Data(contentsOf: file)
        var tally = Tally(label: label)
        for index in 0..<cases {
            var rng = InputFuzzer.generator(seed: seed, label: label, index: index)
            let mutation = InputFuzzer.mutate(original, format: format, using: &rng)
            let name = InputFuzzer.caseName(seed: seed, label: label, index: index, mutation: mutation)
            // HUB_FUZZ_TRACE=1 names each case before it runs (the last one named is the one that hangs).
            if ProcessInfo.processInfo.environment["HUB_FUZZ_TRACE"] == "1" { FileHandle.standardError.write(Data("\(name)\n".utf8)) }
            do {
                try FuzzCrashReport.run(name) { try parse(mutation.data) }
                tally.accepted += 1
            } catch {
                tally.refused += 1
                guard let reason = refusal(error) else {
                    Issue.record("\(name): threw \(type(of: error)) instead of a refusal: \(error)")
                    continue
                }
                #expect(!reason.trimmingCharacters(in: .whitespaces).isEmpty, "\(name): a refusal without a reason")
                guard storedReasons else { continue }
                #expect(reason.utf8.count <= 2_000, "\(name): a \(reason.utf8.count)-byte reason quotes too much of the file")
                #expect(!reason.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" && $0 != "\t" },
                        "\(name): the reason holds control characters: \(String(reflecting: reason.prefix(200)))")
            }
        }
        print(tally)
        return tally
    }

    @Test(arguments: [SyncFixtures.firstName, SyncFixtures.secondName])
    func pokerGFXExports(name: String) throws {
        let tally = try Self.fuzz("gfx \(name)", file: SyncFixtures.sampleDirectory.appendingPathComponent(name), format: .json, cases: 1_500,
                                  storedReasons: true,
                                  parse: { _ = try GFXImporter.check($0, path: "/nas/GG/\(name)") },
                                  refusal: { ($0 as? SyncFileError).map { $0.description } })
        #expect(tally.accepted > 50 && tally.refused > 500, "the mutations reach both outcomes")
    }

    /// The parser of each WSOP+ file of the sample export.
    static let wsopParsers: [String: @Sendable (Data) throws -> Void] = [
        "Events.json": { _ = try WSOPRecords.events($0) },
        "Players.json": { _ = try WSOPRecords.players($0) },
        "ChipCounts.csv": { _ = try WSOPRecords.chipCounts($0, defaultTime: "2026-07-10T18:00:00Z") },
        "Standings.csv": { _ = try WSOPRecords.standings($0, defaultTime: "2026-07-10T18:00:00Z") },
        "tournament_data.csv": { _ = try WSOPRecords.tournaments($0) },
        "payout_structure.csv": { _ = try WSOPRecords.payouts($0) },
        "broadcast_schedule.csv": { _ = try WSOPRecords.schedule($0) },
    ]

    @Test(arguments: ["Events.json", "Players.json", "ChipCounts.csv", "Standings.csv", "tournament_data.csv", "payout_structure.csv",
                      "broadcast_schedule.csv"])
    func wsopExportFiles(name: String) throws {
        let tally = try Self.fuzz("wsop \(name)", file: Self.root.appendingPathComponent("Samples/wsop/2026-07-10/\(name)"),
                                  format: name.hasSuffix(".json") ? .json : .csv, cases: 400, storedReasons: true,
                                  parse: Self.wsopParsers[name]!,
                                  refusal: { error in
                                      guard let content = error as? ContentError else { return nil }
                                      return SyncFileError(path: name, position: content.position, reason: content.reason).description
                                  })
        #expect(tally.accepted > 5 && tally.refused > 100)
    }

    @Test func aepDescription() throws {
        let tally = try Self.fuzz("aep", file: Self.root.appendingPathComponent("Samples/aep/wsop-graphics.json"), format: .json, cases: 600,
                                  parse: { _ = try AEPDescription.parse($0, file: "wsop-graphics.json") },
                                  refusal: { ($0 as? HubError).map(\.message) })
        #expect(tally.accepted > 20 && tally.refused > 200)
    }

    @Test func graphicsCatalog() throws {
        let tally = try Self.fuzz("catalog", file: Self.root.appendingPathComponent("Graphics/catalog.json"), format: .json, cases: 600,
                                  parse: { _ = try GraphicsCatalog.parse($0, file: "catalog.json") },
                                  refusal: { ($0 as? HubError).map(\.message) })
        #expect(tally.accepted > 20 && tally.refused > 200)
    }

    @Test func layerMapping() throws {
        let tally = try Self.fuzz("mapping", file: Self.root.appendingPathComponent("Graphics/CyprusDesign.yaml"), format: .yaml, cases: 600,
                                  parse: { data in
                                      // hubctl refuses text that is not UTF-8 before parsing; the rest reaches the parser.
                                      guard let text = String(data: data, encoding: .utf8) else { throw HubError(.usage, "not UTF-8 text") }
                                      _ = try LayerMapping.parse(yaml: text)
                                  },
                                  refusal: { ($0 as? HubError).map(\.message) })
        #expect(tally.accepted > 20 && tally.refused > 50)
    }
}
