import Foundation

/// The data of one graphic, as a render job carries it: the `gfx_data` v3 document
/// (GRAPHICS.md §3; reference 08-GFX-AEP-Mapping §7). Every value is already written for
/// broadcast (`"1,500,000"`, `"75.0"`, `"$1,000,000"`); backends turn it into layers through the
/// project's ``LayerMapping``.
///
/// A render instruction whose layer data is such a document (its `$schema` is
/// ``GFXDataDocument/schemaName``) is a *graphics instruction*; ``RenderJob/layers`` flattens it.
package struct GFXDataDocument: Sendable, Hashable, Codable {
    /// `render_gfx_data_v3`.
    package static let schemaName = "render_gfx_data_v3"

    /// One numbered slot (1-based) with its fields; unused slots carry the fields' defaults.
    package struct Slot: Sendable, Hashable, Codable {
        package var slotIndex: Int
        package var fields: [String: String]
        package init(slotIndex: Int, fields: [String: String]) {
            self.slotIndex = slotIndex
            self.fields = fields
        }
        enum CodingKeys: String, CodingKey { case slotIndex = "slot_index", fields }
    }

    /// The selected player's stack against everyone else in play.
    package struct ChipComparison: Sendable, Hashable, Codable {
        package var selectedPlayerName: String
        package var selectedPlayerChips: String
        package var selectedPlayerPercent: String
        package var othersChips: String
        package var othersPercent: String
        package init(selectedPlayerName: String, selectedPlayerChips: String, selectedPlayerPercent: String, othersChips: String, othersPercent: String) {
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
    package struct ChipFlow: Sendable, Hashable, Codable {
        package var playerName: String
        package var chips10h: [Int64]
        package var chips20h: [Int64]
        package var chips30h: [Int64]
        /// The hand numbers of `chips30h`, oldest first.
        package var hands30h: [Int]
        package var maxLabel: String
        package var minLabel: String
        package init(playerName: String, chips10h: [Int64], chips20h: [Int64], chips30h: [Int64], hands30h: [Int], maxLabel: String, minLabel: String) {
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
    package struct PlayerHistory: Sendable, Hashable, Codable {
        package var currentChips: Int64
        package var chips10HandsAgo: Int64?
        package var chips20HandsAgo: Int64?
        package var chips30HandsAgo: Int64?
        package var chipChange10h: String
        package var chipChange20h: String
        package var chipChange30h: String
        package init(currentChips: Int64, chips10HandsAgo: Int64?, chips20HandsAgo: Int64?, chips30HandsAgo: Int64?,
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
    package struct PlayerPlace: Sendable, Hashable, Codable {
        package var playerName: String
        package var rank: Int
        package var prize: String
        package var flag: String
        package init(playerName: String, rank: Int, prize: String, flag: String) {
            self.playerName = playerName
            self.rank = rank
            self.prize = prize
            self.flag = flag
        }
        enum CodingKeys: String, CodingKey { case playerName = "player_name", rank, prize, flag }
    }

    /// A payout table: places from `start_rank`.
    package struct Payouts: Sendable, Hashable, Codable {
        package struct Entry: Sendable, Hashable, Codable {
            package var slotIndex: Int
            package var rank: String
            package var prize: String
            package init(slotIndex: Int, rank: String, prize: String) {
                self.slotIndex = slotIndex
                self.rank = rank
                self.prize = prize
            }
            enum CodingKeys: String, CodingKey { case slotIndex = "slot_index", rank, prize }
        }
        package var eventName: String
        package var startRank: Int
        /// `wsop_payouts` or `gfx_sessions.payouts`.
        package var source: String
        package var entries: [Entry]
        package init(eventName: String, startRank: Int, source: String, entries: [Entry]) {
            self.eventName = eventName
            self.startRank = startRank
            self.source = source
            self.entries = entries
        }
        enum CodingKeys: String, CodingKey { case eventName = "event_name", startRank = "start_rank", source, entries }
    }

    /// Where and when the data comes from.
    package struct Metadata: Sendable, Hashable, Codable {
        /// The PokerGFX session id (`GameID`).
        package var sessionID: Int64?
        package var handNum: Int?
        /// The hub's `gfx_hands.id` of the moment.
        package var handID: Int64?
        package var tableID: String?
        /// The WSOP+ event key, when one is linked.
        package var eventID: String?
        package var blindLevel: String?
        package var dataSources: [String]
        package var generatedAt: String
        package var schemaVersion: String
        /// Warnings, e.g. rows cut to the composition's slots.
        package var warnings: [String]
        /// Single fields that carry their default because the moment had no value: a layer
        /// mapping's project-wide common field fills them instead.
        package var defaulted: [String]?
        package init(sessionID: Int64? = nil, handNum: Int? = nil, handID: Int64? = nil, tableID: String? = nil, eventID: String? = nil,
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

    package var schema: String
    package var version: String
    package var compName: String
    package var renderType: String
    /// The catalog category (`chip_display`, `payout`, …): the preview draws by it.
    package var category: String
    package var slots: [Slot]
    package var singleFields: [String: String]
    package var chipComparison: ChipComparison?
    package var chipFlow: ChipFlow?
    package var playerHistory: PlayerHistory?
    package var atRisk: PlayerPlace?
    package var elimination: PlayerPlace?
    package var payouts: Payouts?
    package var metadata: Metadata

    package init(compName: String, renderType: String, category: String, slots: [Slot] = [], singleFields: [String: String] = [:],
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
    package var jsonObject: [String: JSONValue] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(self), case .object(let object)? = try? JSONDecoder().decode(JSONValue.self, from: data) else {
            return [:]
        }
        return object
    }

    /// Reads the document back from an instruction's layer data; nil when it is not a v3 document.
    package init?(layerData: [String: JSONValue]) {
        guard case .string(Self.schemaName)? = layerData["$schema"],
              let data = try? JSONEncoder().encode(JSONValue.object(layerData)),
              let document = try? JSONDecoder().decode(GFXDataDocument.self, from: data) else { return nil }
        self = document
    }

    /// The flat field keys of the document and their values: single fields by key, slot fields as
    /// `slot{n}_{key}` (`slot1_name`), as layer mapping files name them. Project-wide common fields
    /// fill keys the document has no value for, or only its default.
    package func fieldValues(commonFields: [String: String] = [:]) -> [(key: String, value: String)] {
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
    package func layers(mapping: LayerMapping?) -> [String: JSONValue] {
        var layers: [String: JSONValue] = [:]
        for (key, value) in fieldValues(commonFields: mapping?.commonFields ?? [:]) {
            layers[mapping?.layerName(composition: compName, key: key) ?? key] = .string(value)
        }
        return layers
    }
}
