import Foundation
import HubCore
import Testing

@Suite struct DataBinderTests {
    static let media = [AEPMediaSource(kind: "flag", pathPattern: "/srv/media/flags/{value}.png", fallback: "/srv/media/flags/unknown.png")]

    static func leaderboard(slots: Int = 30) -> AEPComposition {
        let fields = [
            AEPFieldKey(key: "title", pattern: .single, layerPattern: "Title"),
            AEPFieldKey(key: "rank", pattern: .slot, slotCount: slots, layerPattern: "Rank {n}", format: .plain),
            AEPFieldKey(key: "name", pattern: .slot, slotCount: slots, layerPattern: "Name {n}", required: true),
            AEPFieldKey(key: "chips", pattern: .slot, slotCount: slots, layerPattern: "Chips {n}", required: true),
            AEPFieldKey(key: "flag", pattern: .slot, slotCount: slots, kind: .image, layerPattern: "Flag {n}", mediaKind: "flag"),
        ]
        return AEPComposition(project: "WSOP", name: "Leaderboard", fields: fields, layers: [])
    }

    static func rows(_ count: Int) -> [[String: JSONValue]] {
        (1...count).map { (n: Int) -> [String: JSONValue] in
            let chips = Int64(3_100_000 - n * 100_000)
            let flag = n % 2 == 0 ? "kr" : "US"
            var row: [String: JSONValue] = [:]
            row["rank"] = .integer(Int64(n))
            row["name"] = .string("Player \(n)")
            row["chips"] = .integer(chips)
            row["flag"] = .string(flag)
            return row
        }
    }

    @Test func aThirtySlotLeaderboardFillsEveryNumberedLayer() throws {
        let layers = try DataBinder(mediaSources: Self.media).bind(Self.leaderboard(), rows: Self.rows(30), values: ["title": .string("Chip leaders")])
        #expect(layers.count == 1 + 4 * 30)
        #expect(layers["Title"] == .string("Chip leaders"))
        #expect(layers["Name 1"] == .string("Player 1"))
        #expect(layers["Chips 1"] == .string("3,000,000"), "numbers are written for broadcast")
        #expect(layers["Rank 1"] == .string("1"))
        #expect(layers["Name 30"] == .string("Player 30"))
        #expect(layers["Chips 30"] == .string("100,000"))
        #expect(layers["Flag 2"] == .string("/srv/media/flags/KR.png"), "country codes resolve through the flag media source")
        #expect(layers["Flag 1"] == .string("/srv/media/flags/US.png"))
    }

    @Test func unusedSlotsAreBlank() throws {
        let layers = try DataBinder(mediaSources: Self.media).bind(Self.leaderboard(), rows: Self.rows(3))
        #expect(layers["Name 3"] == .string("Player 3"))
        #expect(layers["Name 4"] == .string("") && layers["Chips 30"] == .string("") && layers["Flag 30"] == .string(""))
        #expect(layers["Title"] == .string(""))
    }

    @Test func moreRowsThanSlotsAreRefused() {
        let error = #expect(throws: HubError.self) {
            try DataBinder(mediaSources: Self.media).bind(Self.leaderboard(), rows: Self.rows(31))
        }
        #expect(error?.code == .usage)
        #expect(error?.message.contains("31 rows do not fit field \"name\"") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("30 slots") == true)
    }

    @Test func aMissingRequiredFieldNamesTheRow() {
        var rows = Self.rows(5)
        rows[3]["name"] = nil
        rows[4]["chips"] = .string("  ")
        let error = #expect(throws: HubError.self) { try DataBinder(mediaSources: Self.media).bind(Self.leaderboard(), rows: rows) }
        #expect(error?.message.contains("required field \"name\" is missing in row 4") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("required field \"chips\" is missing in row 5") == true)
    }

    @Test func anUnregisteredMediaSourceAndAListValueAreRefused() {
        let error = #expect(throws: HubError.self) { try DataBinder(mediaSources: []).bind(Self.leaderboard(), rows: Self.rows(1)) }
        #expect(error?.message.contains("media source \"flag\"") == true)
        var rows = Self.rows(1)
        rows[0]["name"] = .array([.string("a")])
        #expect(throws: HubError.self) { try DataBinder(mediaSources: Self.media).bind(Self.leaderboard(), rows: rows) }
    }

    @Test(arguments: [(Int64(0), "0"), (999, "999"), (1_000, "1,000"), (1_500_000, "1,500,000"), (-2_500, "-2,500"),
                      (Int64.max, "9,223,372,036,854,775,807")])
    func broadcastNumbers(value: Int64, text: String) {
        #expect(BroadcastFormat.number(value) == text)
    }

    @Test func descriptionsAreCheckedWhole() throws {
        let sample = try PlayerFixtures.sampleDescription
        let board = try #require(sample.compositions.first { $0.name == "Leaderboard" })
        #expect(board.field("name")?.slotCount == 30)
        #expect(board.layers.contains { $0.name == "Name 30" && $0.slot == 30 && $0.fieldKey == "name" })
        #expect(board.layers.contains { $0.name == "Background" && $0.fieldKey == nil })

        let duplicate = """
            {"project": "P", "compositions": [{"name": "Board",
              "fields": [{"key": "name", "pattern": "slot", "slots": 3, "layer": "Name {n}"}],
              "layers": [{"name": "Name 2", "type": "text"}]}]}
            """
        let error = #expect(throws: HubError.self) { try AEPDescription.parse(Data(duplicate.utf8), file: "dup.json") }
        #expect(error?.message.contains("duplicate layer \"Name 2\"") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("nothing written") == true)

        let bad = """
            {"project": "P", "compositions": [{"name": "Board", "fields": [
              {"key": "name", "pattern": "slot"}, {"key": "Chips", "pattern": "single"}, {"key": "x", "pattern": "grid"},
              {"key": "name", "pattern": "single"}]}]}
            """
        let problems = #expect(throws: HubError.self) { try AEPDescription.parse(Data(bad.utf8)) }
        for part in ["needs \"slots\"", "key \"Chips\"", "pattern must be slot or single", "duplicate field key \"name\""] {
            #expect(problems?.message.contains(part) == true, "\(part): \(problems?.message ?? "")")
        }
        #expect(throws: HubError.self) { try AEPDescription.parse(Data("not json".utf8)) }
    }
}
