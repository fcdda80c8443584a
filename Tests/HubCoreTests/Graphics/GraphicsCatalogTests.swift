import Foundation
import HubCore
import Testing

/// The shipped catalog (`Graphics/catalog.json`, GRAPHICS.md §1), the checks that refuse a broken
/// one, the layer mapping of the real AE project (`Graphics/CyprusDesign.yaml`) and the layers a
/// `gfx_data` v3 document fills through it.
@Suite struct GraphicsCatalogTests {
    typealias G = GraphicsFixtures

    // MARK: The shipped catalog

    @Test func theShippedCatalogHas26CompositionsInNineCategories() throws {
        let catalog = try G.catalog()
        #expect(catalog.problems().isEmpty)
        #expect(catalog.compositions.count == 26)
        #expect(catalog.project == "CyprusDesign")
        #expect(catalog.flag.path == "Flag/{value}.png" && catalog.flag.unknown == "Flag/Unknown.png" && catalog.flag.unknownCountryCode == "XX")
        #expect(catalog.units.gfxPayouts == .dollars)
        #expect(catalog.chipDenominations == [100, 500, 1_000, 5_000, 25_000, 100_000])

        var byCategory: [GraphicsCatalog.Category: [String]] = [:]
        for composition in catalog.compositions { byCategory[composition.category, default: []].append(composition.name) }
        #expect(Set(byCategory.keys) == Set(GraphicsCatalog.Category.allCases), "all nine categories are used")
        #expect(byCategory[.chipDisplay] == ["_MAIN Mini Chip Count", "_SUB_Mini Chip Count", "Chips In Play x3", "Chips In Play x4", "Chip Comparison", "Chip Flow"])
        #expect(byCategory[.payout] == ["Payouts", "Payouts 등수 바꾸기 가능", "_Mini Payout"])
        #expect(byCategory[.eventInfo] == ["Block Transition INFO", "Event info", "Event name", "Location"])
        #expect(byCategory[.schedule] == ["Broadcast Schedule"])
        #expect(byCategory[.staff] == ["Commentator", "Reporter"])
        #expect(byCategory[.playerInfo] == ["NAME", "NAME 1줄", "NAME 2줄 (국기 빼고)", "NAME 3줄+"])
        #expect(byCategory[.elimination] == ["Elimination", "At Risk of Elimination"])
        #expect(byCategory[.transition] == ["1-NEXT STREAM STARTING SOON", "Block Transition Level-Blinds"])
        #expect(byCategory[.other] == ["1-Hand-for-hand play is currently in progress", "2-Hand-for-hand play is currently in progress"])
    }

    /// The slot counts of GRAPHICS.md §1.
    @Test(arguments: [
        ("_MAIN Mini Chip Count", 9), ("_SUB_Mini Chip Count", 9), ("Chips In Play x3", 3), ("Chips In Play x4", 4), ("Chip Comparison", 0),
        ("Chip Flow", 0), ("Payouts", 9), ("Payouts 등수 바꾸기 가능", 11), ("_Mini Payout", 9), ("Broadcast Schedule", 6), ("Commentator", 2),
        ("Reporter", 2), ("NAME", 0), ("Elimination", 0), ("At Risk of Elimination", 0), ("Event info", 0),
    ])
    func slotCounts(_ name: String, _ slots: Int) throws {
        let composition = try G.composition(name, in: try G.catalog())
        #expect(composition.slots == slots)
        #expect((composition.rows != nil) == (slots > 0))
    }

    @Test func fieldsOfTheChipCountAndTheirRules() throws {
        let catalog = try G.catalog()
        let main = try G.composition("_MAIN Mini Chip Count", in: catalog)
        #expect(main.renderType == "chip_count" && main.rows == .players && main.minRows == 1 && main.player == .none)
        #expect(main.slotFields.map(\.key) == ["name", "chips", "bbs", "rank", "flag"])
        #expect(main.slotFields.filter(\.required).map(\.key) == ["name", "chips"])
        #expect(main.singleFields.map(\.key) == ["AVERAGE STACK", "chips", "player", "wsop_super_circuit_cyprus"])
        #expect(main.singleFields.first { $0.key == "chips" }?.value == "chips (BB)")
        let startRank = try G.composition("Payouts 등수 바꾸기 가능", in: catalog)
        #expect(startRank.rows == .payoutsFromStartRank && startRank.objects == ["payouts"])
        #expect(try G.composition("Chip Flow", in: catalog).player == .required)
        #expect(try G.composition("Elimination", in: catalog).player == .eliminated)
        #expect(try G.composition("Location", in: catalog).fields[0].defaultValue == "MERIT ROYAL DIAMOND HOTEL")
        #expect(catalog.composition("_main mini chip count")?.name == "_MAIN Mini Chip Count", "case-insensitive lookup")
        #expect(catalog.composition("Leaderboard") == nil)
        let missing = #expect(throws: HubError.self) { try GraphicsService.composition("Leaderboard", in: catalog) }
        #expect(missing?.code == .notFound && missing?.message.contains("_MAIN Mini Chip Count") == true, "\(missing?.message ?? "")")
    }

    @Test func aUnitTheCatalogCannotSetIsRefusedNotIgnored() throws {
        let text = #"{"project": "P", "units": {"gfx_payouts": "cents", "wsop_payouts": "dollars"}, "compositions": []}"#
        let error = #expect(throws: HubError.self) { try GraphicsCatalog.parse(Data(text.utf8)) }
        #expect(error?.code == .usage && error?.message.contains("wsop_payouts") == true, "\(error?.message ?? "")")
        let cents = try GraphicsCatalog.parse(Data(#"{"project": "P", "units": {"gfx_payouts": "cents"}, "compositions": []}"#.utf8))
        #expect(cents.units.gfxPayouts == .cents && MoneyUnit.dollars.cents(1_000) == 100_000 && MoneyUnit.dollars.cents(.max) == nil)
    }

    @Test func aCatalogRoundTripsThroughJSON() throws {
        let catalog = try G.catalog()
        let data = try JSONEncoder().encode(catalog)
        #expect(try GraphicsCatalog.parse(data) == catalog)
    }

    // MARK: Broken catalogs

    /// Every problem of a catalog is named, and nothing of it is loaded.
    @Test func aBrokenCatalogIsRefusedWithEveryProblemNamed() throws {
        let text = """
            {"project": "P", "compositions": [
              {"name": "A", "category": "chip_display", "slots": 3, "rows": "players",
               "fields": [{"key": "name", "slot": true, "derive": "player.nickname"}]},
              {"name": "B", "category": "payout", "slots": 2, "fields": []},
              {"name": "C", "category": "other", "fields": [{"key": "x", "slot": true, "derive": "table.id"}]},
              {"name": "a", "category": "other", "fields": []},
              {"name": "D", "category": "other", "fields": [{"key": "t", "derive": "static"}]},
              {"name": "E", "category": "event_info", "objects": ["chip_flo"], "fields": [{"key": "e", "derive": "event.nope"}]}
            ]}
            """
        let error = #expect(throws: HubError.self) { try GraphicsCatalog.parse(Data(text.utf8), file: "bad.json") }
        #expect(error?.code == .usage)
        let message = error?.message ?? ""
        for part in [
            "bad.json was not loaded (nothing written)",
            "\"A\".name: player.nickname is not a derivation of players rows (known: player.bbs, player.chips, player.country_code, player.flag, player.name, player.prize, player.rank, player.vpip)",
            "\"B\" has 2 slots but no rows source",
            "\"C\" has slot fields but 0 slots",
            "composition \"a\" appears twice",
            "\"D\".t: a static field needs a value",
            "\"E\": unknown object \"chip_flo\"",
            "\"E\".e: unknown derivation event.nope",
        ] {
            #expect(message.contains(part), "\(part) — in: \(message)")
        }
    }

    @Test func problemsListsEveryProblemEvenPastWhatAMessageShows() throws {
        let compositions = (1...10).map { n in
            GraphicsCatalog.Composition(name: "S\(n)", category: .other, renderType: "static", fields: [.init(key: "t", derive: "static")])
        }
        let catalog = GraphicsCatalog(catalog: "c", project: "P", compositions: compositions)
        #expect(catalog.problems() == (1...10).map { "\"S\($0)\".t: a static field needs a value" })
        let error = #expect(throws: HubError.self) { try GraphicsCatalog.parse(try JSONEncoder().encode(catalog), file: "ten.json") }
        #expect(error?.message.hasSuffix("; and 2 more") == true, "\(error?.message ?? "")")
    }

    @Test func aFieldCountedTwiceAnEmptyProjectAndABadFlagPatternAreRefused() throws {
        let text = """
            {"project": " ", "flag": {"path": "Flag/flag.png", "unknown": "Flag/Unknown.png", "unknown_country_code": "XX"},
             "compositions": [{"name": "Twice", "category": "other", "fields": [{"key": "k", "derive": "hand.number"}, {"key": "k", "derive": "table.id"}]}]}
            """
        let error = #expect(throws: HubError.self) { try GraphicsCatalog.parse(Data(text.utf8)) }
        let message = error?.message ?? ""
        #expect(message.contains("project is empty") && message.contains("flag.path must contain {value}") && message.contains("\"Twice\": field k appears twice"),
                "\(message)")
    }

    /// Malformed JSON names where it is malformed.
    @Test(arguments: [
        (#"{"project": "P", "compositions": [{"name": "A", "category": "other", "fields": [{"key": "k"}]}]}"#, "compositions[0].fields[0]"),
        (#"{"project": "P", "compositions": [{"name": "A", "category": "other", "slots": "nine", "fields": []}]}"#, "compositions[0].slots"),
        (#"{"project": "P", "compositions": [{"name": "A", "category": "sport", "fields": []}]}"#, "compositions[0].category"),
        (#"{"compositions": []}"#, "project"),
    ])
    func malformedJSONNamesItsPath(_ text: String, _ path: String) throws {
        let error = #expect(throws: HubError.self) { try GraphicsCatalog.parse(Data(text.utf8), file: "broken.json") }
        #expect(error?.code == .usage)
        #expect(error?.message.hasPrefix("broken.json is not a graphics catalog") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains(path) == true, "\(path) — in: \(error?.message ?? "")")
    }

    @Test func aMissingKeyAndAnUnknownCategoryNameTheirPlace() throws {
        let missing = #expect(throws: HubError.self) {
            try GraphicsCatalog.parse(Data(#"{"project": "P", "compositions": [{"name": "A", "category": "other", "fields": [{"key": "k"}]}]}"#.utf8))
        }
        #expect(missing?.message.contains("derive") == true && missing?.message.contains("compositions[0].fields[0]") == true, "\(missing?.message ?? "")")
        let category = #expect(throws: HubError.self) {
            try GraphicsCatalog.parse(Data(#"{"project": "P", "compositions": [{"name": "A", "category": "other", "fields": []}, {"name": "B", "category": "chip_dispaly", "fields": []}]}"#.utf8))
        }
        #expect(category?.message.contains("chip_dispaly") == true && category?.message.contains("compositions[1].category") == true,
                "\(category?.message ?? "")")
    }

    @Test func textThatIsNotJSONIsRefused() throws {
        let error = #expect(throws: HubError.self) { try GraphicsCatalog.parse(Data(#"{"project": "P", "compositions": [{"name": "#.utf8), file: "cut.json") }
        #expect(error?.code == .usage && error?.message.hasPrefix("cut.json is not a graphics catalog") == true, "\(error?.message ?? "")")
    }

    // MARK: The layer mapping of the AE project

    @Test func theCyprusDesignMappingNamesTheProjectsLayers() throws {
        let mapping = try LayerMapping.parse(yaml: try String(contentsOf: G.mappingFile, encoding: .utf8))
        #expect(mapping.project == "CyprusDesign")
        #expect(Set(mapping.compositions.keys) == [
            "1-Hand-for-hand play is currently in progress", "1-NEXT STREAM STARTING SOON", "2-Hand-for-hand play is currently in progress",
            "2-NEXT STREAM STARTING SOON", "4-NEXT STREAM STARTING SOON", "_Feature Table Leaderboard",
        ])
        let leaderboard = "_Feature Table Leaderboard"
        #expect(mapping.layerName(composition: leaderboard, key: "slot1_rank") == "Date 1")
        #expect(mapping.layerName(composition: leaderboard, key: "slot1_name") == "Name 1")
        #expect(mapping.layerName(composition: leaderboard, key: "slot9_chips") == "Chips 9")
        #expect(mapping.layerName(composition: leaderboard, key: "event_name") == "WSOP SUPER CIRCUIT CYPRUS")
        #expect(mapping.layerName(composition: leaderboard, key: "table_name") == "leaderboard final table")
        #expect(mapping.compositions[leaderboard]?.count == 29, "27 slot fields and two single ones; layer_info is documentation")
        #expect(mapping.layerName(composition: "1-Hand-for-hand play is currently in progress", key: "event_name")
                == "EVENT #12: $5,000 MEGA MYSTERY BOUNTY RAFFLE")
        #expect(mapping.layerName(composition: leaderboard, key: "slot1_flag") == "slot1_flag", "no entry: the key itself")
        #expect(mapping.layerName(composition: "_MAIN Mini Chip Count", key: "slot1_name") == "slot1_name")
        #expect(mapping.commonFields == ["wsop_super_circuit_cyprus": "WSOP SUPER CIRCUIT CYPRUS", "location": "MERIT ROYAL DIAMOND HOTEL"])
        #expect(try LayerMapping.parse(yaml: try String(contentsOf: G.mappingFile, encoding: .utf8), project: "Other").project == "Other")
    }

    @Test func aNullLayerIsSkippedAndAProjectKeyWorks() throws {
        let mapping = try LayerMapping.parse(yaml: """
            project: Small
            compositions:
              Card:
                field_mappings:
                  name: "Player Name"
                  flag: null
            """)
        #expect(mapping.project == "Small")
        #expect(mapping.compositions["Card"] == ["name": "Player Name"])
        #expect(mapping.layerName(composition: "Card", key: "flag") == "flag")
    }

    @Test(arguments: [
        ("template:\n  name: \"Cyprus\ncompositions: [", "not valid YAML"),
        ("compositions:\n  Card:\n    field_mappings:\n      name: \"Name 1\"\n", "names no project"),
        ("template:\n  name: P\ncompositions:\n  Card:\n    field_mappings:\n      slot1_name: \"Name 1\"\n      slot1_rank: \"Name 1\"\n",
         "compositions.\"Card\": fields slot1_name and slot1_rank both fill layer \"Name 1\""),
        ("template:\n  name: P\ncompositions:\n  Card:\n    field_mappings:\n      - a\n      - b\n", "must map field keys to layer names"),
        ("template:\n  name: P\ncompositions:\n  Card:\n    field_mappings:\n      name:\n        layer: x\n", "field_mappings.name must be a layer name"),
        ("- just\n- a list\n", "must be a YAML mapping"),
    ])
    func brokenMappingsAreRefused(_ yaml: String, _ part: String) {
        let error = #expect(throws: HubError.self) { try LayerMapping.parse(yaml: yaml) }
        #expect(error?.code == .usage)
        #expect(error?.message.contains(part) == true, "\(part) — in: \(error?.message ?? "")")
    }

    // MARK: Layers of a document

    static func leaderboardDocument(singles: [String: String] = ["event_name": "MAIN EVENT FINAL DAY"]) -> GFXDataDocument {
        GFXDataDocument(
            compName: "_Feature Table Leaderboard", renderType: "chip_count", category: "chip_display",
            slots: [.init(slotIndex: 1, fields: ["name": "LIPAUKA", "chips": "2,225,000", "rank": "1", "flag": "Flag/LT.png"]),
                    .init(slotIndex: 2, fields: ["name": "VORONIN", "chips": "1,625,000", "rank": "2", "flag": "Flag/Unknown.png"])],
            singleFields: singles, metadata: .init(generatedAt: "2026-01-14T18:30:00Z"))
    }

    @Test func aDocumentFillsTheMappedLayersAndFallsBackToTheKey() throws {
        let mapping = try LayerMapping.parse(yaml: try String(contentsOf: G.mappingFile, encoding: .utf8))
        let layers = Self.leaderboardDocument().layers(mapping: mapping)
        #expect(layers == [
            "Name 1": .string("LIPAUKA"), "Chips 1": .string("2,225,000"), "Date 1": .string("1"), "slot1_flag": .string("Flag/LT.png"),
            "Name 2": .string("VORONIN"), "Chips 2": .string("1,625,000"), "Date 2": .string("2"), "slot2_flag": .string("Flag/Unknown.png"),
            "WSOP SUPER CIRCUIT CYPRUS": .string("MAIN EVENT FINAL DAY"),
            "wsop_super_circuit_cyprus": .string("WSOP SUPER CIRCUIT CYPRUS"), "location": .string("MERIT ROYAL DIAMOND HOTEL"),
        ])
        // The document's own value wins over the project-wide one.
        let own = Self.leaderboardDocument(singles: ["wsop_super_circuit_cyprus": "2025 WSOP SUPER CIRCUIT CYPRUS"]).layers(mapping: mapping)
        #expect(own["wsop_super_circuit_cyprus"] == .string("2025 WSOP SUPER CIRCUIT CYPRUS"))
        // Without a mapping every field fills the layer named like its key.
        let plain = Self.leaderboardDocument().layers(mapping: nil)
        #expect(plain == [
            "slot1_name": .string("LIPAUKA"), "slot1_chips": .string("2,225,000"), "slot1_rank": .string("1"), "slot1_flag": .string("Flag/LT.png"),
            "slot2_name": .string("VORONIN"), "slot2_chips": .string("1,625,000"), "slot2_rank": .string("2"), "slot2_flag": .string("Flag/Unknown.png"),
            "event_name": .string("MAIN EVENT FINAL DAY"),
        ])
        #expect(Self.leaderboardDocument().fieldValues().map(\.key) == [
            "event_name", "slot1_chips", "slot1_flag", "slot1_name", "slot1_rank", "slot2_chips", "slot2_flag", "slot2_name", "slot2_rank",
        ])
    }

    @Test func aDocumentSurvivesAsLayerDataOfAnInstruction() throws {
        let document = Self.leaderboardDocument()
        let object = document.jsonObject
        #expect(object["$schema"] == .string("render_gfx_data_v3") && object["comp_name"] == .string("_Feature Table Leaderboard"))
        #expect(GFXDataDocument(layerData: object) == document)
        #expect(GFXDataDocument(layerData: ["comp_name": .string("x")]) == nil, "not a v3 document")
    }
}
