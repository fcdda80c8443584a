import Foundation

/// The data of one graphic, as a render job carries it: the `gfx_data` v3 document
/// (GRAPHICS.md §3; reference 08-GFX-AEP-Mapping §7). Every value is already written for
/// broadcast (`"1,500,000"`, `"75.0"`, `"$1,000,000"`); backends turn it into layers through the
/// project's ``LayerMapping``.
///
/// A render instruction whose layer data is such a document (its `$schema` is
/// ``GFXDataDocument/schemaName``) is a *graphics instruction*; ``RenderJob/layers`` flattens it.
public struct GFXDataDocument: Sendable, Hashable, Codable {
    /// `render_gfx_data_v3`.
    public static let schemaName = "render_gfx_data_v3"

    /// One numbered slot (1-based) with its fields; unused slots carry the fields' defaults.
    public struct Slot: Sendable, Hashable, Codable {
        public var slotIndex: Int
        public var fields: [String: String]
        public init(slotIndex: Int, fields: [String: String]) {
            self.slotIndex = slotIndex
            self.fields = fields
        }
        enum CodingKeys: String, CodingKey { case slotIndex = "slot_index", fields }
    }

    /// The selected player's stack against everyone else in play.
    public struct ChipComparison: Sendable, Hashable, Codable {
        public var selectedPlayerName: String
        public var selectedPlayerChips: String
        public var selectedPlayerPercent: String
        public var othersChips: String
        public var othersPercent: String
        public init(selectedPlayerName: String, selectedPlayerChips: String, selectedPlayerPercent: String, othersChips: String, othersPercent: String) {
            self.selectedPlayerName = selectedPlayerName
            self.selectedPlayerChips = selectedPlayerChips
            self.selectedPlayerPercent = selectedPlayerPercent
            self.othersChips = othersChips
            self.othersPercent = othersPercent
        }
        enum CodingKeys: String, CodingKey {
            case selectedPlayerName = "selected_player_name", selectedPlayerChips = "selected_player_chips"
            case selectedPlayerPercent = "selected_player_percent", othersChips = "others_chips", othersPercent = "others_percent"
        }
    }

    /// A player's stacks over the last 10/20/30 hands they played, oldest first.
    public struct ChipFlow: Sendable, Hashable, Codable {
        public var playerName: String
        public var chips10h: [Int64]
        public var chips20h: [Int64]
        public var chips30h: [Int64]
        /// The hand numbers of `chips30h`, oldest first.
        public var hands30h: [Int]
        public var maxLabel: String
        public var minLabel: String
        public init(playerName: String, chips10h: [Int64], chips20h: [Int64], chips30h: [Int64], hands30h: [Int], maxLabel: String, minLabel: String) {
            self.playerName = playerName
            self.chips10h = chips10h
            self.chips20h = chips20h
            self.chips30h = chips30h
            self.hands30h = hands30h
            self.maxLabel = maxLabel
            self.minLabel = minLabel
        }
        enum CodingKeys: String, CodingKey {
            case playerName = "player_name", chips10h = "chips_10h", chips20h = "chips_20h", chips30h = "chips_30h"
            case hands30h = "hands_30h", maxLabel = "max_label", minLabel = "min_label"
        }
    }

    /// A player's stack now and N hands ago (nil: that hand or the player is absent).
    public struct PlayerHistory: Sendable, Hashable, Codable {
        public var currentChips: Int64
        public var chips10HandsAgo: Int64?
        public var chips20HandsAgo: Int64?
        public var chips30HandsAgo: Int64?
        public var chipChange10h: String
        public var chipChange20h: String
        public var chipChange30h: String
        public init(currentChips: Int64, chips10HandsAgo: Int64?, chips20HandsAgo: Int64?, chips30HandsAgo: Int64?,
                    chipChange10h: String, chipChange20h: String, chipChange30h: String) {
            self.currentChips = currentChips
            self.chips10HandsAgo = chips10HandsAgo
            self.chips20HandsAgo = chips20HandsAgo
            self.chips30HandsAgo = chips30HandsAgo
            self.chipChange10h = chipChange10h
            self.chipChange20h = chipChange20h
            self.chipChange30h = chipChange30h
        }
        enum CodingKeys: String, CodingKey {
            case currentChips = "current_chips", chips10HandsAgo = "chips_10_hands_ago", chips20HandsAgo = "chips_20_hands_ago"
            case chips30HandsAgo = "chips_30_hands_ago", chipChange10h = "chip_change_10h", chipChange20h = "chip_change_20h"
            case chipChange30h = "chip_change_30h"
        }
    }

    /// A player and the place they finish (eliminated) or would finish (at risk), with its prize.
    public struct PlayerPlace: Sendable, Hashable, Codable {
        public var playerName: String
        public var rank: Int
        public var prize: String
        public var flag: String
        public init(playerName: String, rank: Int, prize: String, flag: String) {
            self.playerName = playerName
            self.rank = rank
            self.prize = prize
            self.flag = flag
        }
        enum CodingKeys: String, CodingKey { case playerName = "player_name", rank, prize, flag }
    }

    /// A payout table: places from `start_rank`.
    public struct Payouts: Sendable, Hashable, Codable {
        public struct Entry: Sendable, Hashable, Codable {
            public var slotIndex: Int
            public var rank: String
            public var prize: String
            public init(slotIndex: Int, rank: String, prize: String) {
                self.slotIndex = slotIndex
                self.rank = rank
                self.prize = prize
            }
            enum CodingKeys: String, CodingKey { case slotIndex = "slot_index", rank, prize }
        }
        public var eventName: String
        public var startRank: Int
        /// `wsop_payouts` or `gfx_sessions.payouts`.
        public var source: String
        public var entries: [Entry]
        public init(eventName: String, startRank: Int, source: String, entries: [Entry]) {
            self.eventName = eventName
            self.startRank = startRank
            self.source = source
            self.entries = entries
        }
        enum CodingKeys: String, CodingKey { case eventName = "event_name", startRank = "start_rank", source, entries }
    }

    /// Where and when the data comes from.
    public struct Metadata: Sendable, Hashable, Codable {
        /// The PokerGFX session id (`GameID`).
        public var sessionID: Int64?
        public var handNum: Int?
        /// The hub's `gfx_hands.id` of the moment.
        public var handID: Int64?
        public var tableID: String?
        /// The WSOP+ event key, when one is linked.
        public var eventID: String?
        public var blindLevel: String?
        public var dataSources: [String]
        public var generatedAt: String
        public var schemaVersion: String
        /// Warnings, e.g. rows cut to the composition's slots.
        public var warnings: [String]
        /// Single fields that carry their default because the moment had no value: a layer
        /// mapping's project-wide common field fills them instead.
        public var defaulted: [String]?
        public init(sessionID: Int64? = nil, handNum: Int? = nil, handID: Int64? = nil, tableID: String? = nil, eventID: String? = nil,
                    blindLevel: String? = nil, dataSources: [String] = [], generatedAt: String, schemaVersion: String = "3.1.0", warnings: [String] = [],
                    defaulted: [String]? = nil) {
            self.defaulted = defaulted
            self.sessionID = sessionID
            self.handNum = handNum
            self.handID = handID
            self.tableID = tableID
            self.eventID = eventID
            self.blindLevel = blindLevel
            self.dataSources = dataSources
            self.generatedAt = generatedAt
            self.schemaVersion = schemaVersion
            self.warnings = warnings
        }
        enum CodingKeys: String, CodingKey {
            case sessionID = "session_id", handNum = "hand_num", handID = "hand_id", tableID = "table_id", eventID = "event_id"
            case blindLevel = "blind_level", dataSources = "data_sources", generatedAt = "generated_at"
            case schemaVersion = "schema_version", warnings, defaulted
        }
    }

    public var schema: String
    public var version: String
    public var compName: String
    public var renderType: String
    /// The catalog category (`chip_display`, `payout`, …): the preview draws by it.
    public var category: String
    public var slots: [Slot]
    public var singleFields: [String: String]
    public var chipComparison: ChipComparison?
    public var chipFlow: ChipFlow?
    public var playerHistory: PlayerHistory?
    public var atRisk: PlayerPlace?
    public var elimination: PlayerPlace?
    public var payouts: Payouts?
    public var metadata: Metadata

    public init(compName: String, renderType: String, category: String, slots: [Slot] = [], singleFields: [String: String] = [:],
                chipComparison: ChipComparison? = nil, chipFlow: ChipFlow? = nil, playerHistory: PlayerHistory? = nil,
                atRisk: PlayerPlace? = nil, elimination: PlayerPlace? = nil, payouts: Payouts? = nil, metadata: Metadata) {
        self.schema = Self.schemaName
        self.version = "3.0.0"
        self.compName = compName
        self.renderType = renderType
        self.category = category
        self.slots = slots
        self.singleFields = singleFields
        self.chipComparison = chipComparison
        self.chipFlow = chipFlow
        self.playerHistory = playerHistory
        self.atRisk = atRisk
        self.elimination = elimination
        self.payouts = payouts
        self.metadata = metadata
    }

    enum CodingKeys: String, CodingKey {
        case schema = "$schema", version, compName = "comp_name", renderType = "render_type", category, slots
        case singleFields = "single_fields", chipComparison = "chip_comparison", chipFlow = "chip_flow"
        case playerHistory = "player_history", atRisk = "at_risk", elimination, payouts, metadata
    }

    /// The document as layer data of a render instruction (a JSON object).
    public var jsonObject: [String: JSONValue] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(self), case .object(let object)? = try? JSONDecoder().decode(JSONValue.self, from: data) else {
            return [:]
        }
        return object
    }

    /// Reads the document back from an instruction's layer data; nil when it is not a v3 document.
    public init?(layerData: [String: JSONValue]) {
        guard case .string(Self.schemaName)? = layerData["$schema"],
              let data = try? JSONEncoder().encode(JSONValue.object(layerData)),
              let document = try? JSONDecoder().decode(GFXDataDocument.self, from: data) else { return nil }
        self = document
    }

    /// The flat field keys of the document and their values: single fields by key, slot fields as
    /// `slot{n}_{key}` (`slot1_name`), as layer mapping files name them. Project-wide common fields
    /// fill keys the document has no value for, or only its default.
    public func fieldValues(commonFields: [String: String] = [:]) -> [(key: String, value: String)] {
        var values: [String: String] = commonFields
        let defaulted = Set(metadata.defaulted ?? [])
        for (key, value) in singleFields where !(defaulted.contains(key) && commonFields[key] != nil) { values[key] = value }
        for slot in slots {
            for (key, value) in slot.fields { values["slot\(slot.slotIndex)_\(key)"] = value }
        }
        return values.keys.sorted().map { ($0, values[$0]!) }
    }

    /// The layers to fill: each field key named through `mapping` (the key itself when the
    /// mapping has no entry for it), with its value.
    public func layers(mapping: LayerMapping?) -> [String: JSONValue] {
        var layers: [String: JSONValue] = [:]
        for (key, value) in fieldValues(commonFields: mapping?.commonFields ?? [:]) {
            layers[mapping?.layerName(composition: compName, key: key) ?? key] = .string(value)
        }
        return layers
    }
}
