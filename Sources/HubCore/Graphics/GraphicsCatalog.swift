import Foundation

extension HubError.Code {
    /// A graphic cannot be made for this moment: a required field has no value (the message
    /// names the composition, the field and the source that lacked it).
    package static let refused = HubError.Code("refused")
}

/// The broadcast's graphics package as data (GRAPHICS.md §1; `Graphics/catalog.json`): every
/// composition with its category, slots and fields, each field naming its derivation, whether it
/// is required and its default. Adding a composition or renaming a field is an edit of the file.
package struct GraphicsCatalog: Sendable, Hashable, Codable {
    /// The nine categories of the package.
    package enum Category: String, Sendable, Hashable, Codable, CaseIterable {
        case chipDisplay = "chip_display", payout, eventInfo = "event_info", schedule, staff
        case playerInfo = "player_info", elimination, transition, other
    }

    /// Where the rows of a composition's slots come from.
    package enum RowSource: String, Sendable, Hashable, Codable, CaseIterable {
        /// Players in play by rank (stack descending, ties by seat).
        case players
        /// Payout places from 1.
        case payouts
        /// Payout places from the request's start rank.
        case payoutsFromStartRank = "payouts_from_start_rank"
        /// The next broadcasts from today.
        case schedule
        /// The broadcast session's commentators / reporters.
        case commentators, reporters
        /// The catalog's chip denominations.
        case chipDenominations = "chip_denominations"
        /// The table of the moment.
        case tables
    }

    /// Who a composition is about.
    package enum PlayerNeed: String, Sendable, Hashable, Codable {
        /// Nobody in particular.
        case none
        /// A player the request names (`--player`).
        case required
        /// A player eliminated in the hand (named, or the only one).
        case eliminated
    }

    /// One field of a composition.
    package struct Field: Sendable, Hashable, Codable {
        /// The field key (`name`, `chips`, `buy-in`, `text_제목`): a layer mapping names its layer.
        package var key: String
        /// A slot field fills one value per row (`slot1_name` …).
        package var slot: Bool
        /// The derivation (``GraphicsDerivation``), e.g. `player.chips`, `event.buy_in`, `static`.
        package var derive: String
        /// A missing value refuses the graphic instead of falling back to the default.
        package var required: Bool
        /// The value when the derivation has none (NULL rules: `""`, `Flag/Unknown.png`, `-`, `$0`).
        package var defaultValue: String?
        /// The text of a `static` field.
        package var value: String?

        package init(key: String, slot: Bool = false, derive: String, required: Bool = false, defaultValue: String? = nil, value: String? = nil) {
            self.key = key
            self.slot = slot
            self.derive = derive
            self.required = required
            self.defaultValue = defaultValue
            self.value = value
        }

        enum CodingKeys: String, CodingKey { case key, slot, derive, required, defaultValue = "default", value }

        package init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            key = try c.decode(String.self, forKey: .key)
            slot = try c.decodeIfPresent(Bool.self, forKey: .slot) ?? false
            derive = try c.decode(String.self, forKey: .derive)
            required = try c.decodeIfPresent(Bool.self, forKey: .required) ?? false
            defaultValue = try c.decodeIfPresent(String.self, forKey: .defaultValue)
            value = try c.decodeIfPresent(String.self, forKey: .value)
        }
    }

    /// One composition of the package.
    package struct Composition: Sendable, Hashable, Codable {
        package var name: String
        package var category: Category
        /// `render_type` of the v3 document (`chip_count`, `payout`, …).
        package var renderType: String
        /// Numbered slots (0: single fields only).
        package var slots: Int
        package var rows: RowSource?
        /// Fewer rows than this refuses the graphic (a payout table with no payouts).
        package var minRows: Int
        package var player: PlayerNeed
        /// Category objects the document carries (`chip_flow`, `chip_comparison`, `player_history`,
        /// `at_risk`, `elimination`, `payouts`).
        package var objects: [String]
        package var fields: [Field]
        /// The chips of a `chip_denominations` composition (default: the catalog's).
        package var chipDenominations: [Int64]?
        /// The longest one render of it may run (`max_render_seconds`; default: the catalog's, else
        /// the worker's `HUB_MAX_RENDER_SECONDS`).
        package var maxRenderSeconds: Int?

        package init(name: String, category: Category, renderType: String, slots: Int = 0, rows: RowSource? = nil, minRows: Int = 0,
                    player: PlayerNeed = .none, objects: [String] = [], fields: [Field], chipDenominations: [Int64]? = nil,
                    maxRenderSeconds: Int? = nil) {
            self.chipDenominations = chipDenominations
            self.maxRenderSeconds = maxRenderSeconds
            self.name = name
            self.category = category
            self.renderType = renderType
            self.slots = slots
            self.rows = rows
            self.minRows = minRows
            self.player = player
            self.objects = objects
            self.fields = fields
        }

        enum CodingKeys: String, CodingKey {
            case name, category, renderType = "render_type", slots, rows, minRows = "min_rows", player, objects, fields
            case chipDenominations = "chip_denominations", maxRenderSeconds = "max_render_seconds"
        }

        package init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            name = try c.decode(String.self, forKey: .name)
            category = try c.decode(Category.self, forKey: .category)
            renderType = try c.decodeIfPresent(String.self, forKey: .renderType) ?? category.rawValue
            slots = try c.decodeIfPresent(Int.self, forKey: .slots) ?? 0
            rows = try c.decodeIfPresent(RowSource.self, forKey: .rows)
            minRows = try c.decodeIfPresent(Int.self, forKey: .minRows) ?? 0
            player = try c.decodeIfPresent(PlayerNeed.self, forKey: .player) ?? .none
            objects = try c.decodeIfPresent([String].self, forKey: .objects) ?? []
            fields = try c.decode([Field].self, forKey: .fields)
            chipDenominations = try c.decodeIfPresent([Int64].self, forKey: .chipDenominations)
            maxRenderSeconds = try c.decodeIfPresent(Int.self, forKey: .maxRenderSeconds)
        }

        /// The slot fields, in catalog order.
        package var slotFields: [Field] { fields.filter(\.slot) }
        /// The single fields, in catalog order.
        package var singleFields: [Field] { fields.filter { !$0.slot } }
    }

    /// Where flags come from when no `flag` media source is registered.
    package struct Flags: Sendable, Hashable, Codable {
        /// `{value}` is the upper-case country code.
        package var path: String
        package var unknown: String
        package var unknownCountryCode: String
        package init(path: String = "Flag/{value}.png", unknown: String = "Flag/Unknown.png", unknownCountryCode: String = "XX") {
            self.path = path
            self.unknown = unknown
            self.unknownCountryCode = unknownCountryCode
        }
        enum CodingKeys: String, CodingKey { case path, unknown, unknownCountryCode = "unknown_country_code" }
    }

    /// The unit of each money source (GRAPHICS.md §2: explicit per source). PokerGFX exports
    /// carry no unit, so the catalog declares it; WSOP+ amounts have theirs fixed by the importer
    /// (`wsop_payouts.amount_cents` in cents; buy-in, rake and prize pool in whole dollars).
    package struct Units: Sendable, Hashable, Codable {
        /// PokerGFX `Payouts`: `dollars` or `cents`.
        package var gfxPayouts: MoneyUnit
        package init(gfxPayouts: MoneyUnit = .dollars) { self.gfxPayouts = gfxPayouts }
        enum CodingKeys: String, CodingKey { case gfxPayouts = "gfx_payouts" }

        struct AnyKey: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        package init(from decoder: any Decoder) throws {
            // An unknown unit key is refused, not ignored: a setting that changes nothing misleads.
            let all = try decoder.container(keyedBy: AnyKey.self)
            if let unknown = all.allKeys.first(where: { $0.stringValue != CodingKeys.gfxPayouts.rawValue }) {
                throw DecodingError.dataCorruptedError(forKey: unknown, in: all,
                    debugDescription: "unknown unit \(unknown.stringValue): only gfx_payouts is set in the catalog (WSOP+ units are fixed by the importer)")
            }
            let c = try decoder.container(keyedBy: CodingKeys.self)
            gfxPayouts = try c.decodeIfPresent(MoneyUnit.self, forKey: .gfxPayouts) ?? .dollars
        }
    }

    package var catalog: String
    package var version: Int
    /// The After Effects project the compositions live in (the instructions' template).
    package var project: String
    package var units: Units
    package var flag: Flags
    package var chipDenominations: [Int64]
    /// The longest one render of any of its compositions may run (`max_render_seconds`; a
    /// composition's own wins; nil: the worker's `HUB_MAX_RENDER_SECONDS`).
    package var maxRenderSeconds: Int?
    package var compositions: [Composition]

    package init(catalog: String, version: Int = 1, project: String, units: Units = Units(), flag: Flags = Flags(),
                chipDenominations: [Int64] = [], maxRenderSeconds: Int? = nil, compositions: [Composition]) {
        self.maxRenderSeconds = maxRenderSeconds
        self.catalog = catalog
        self.version = version
        self.project = project
        self.units = units
        self.flag = flag
        self.chipDenominations = chipDenominations
        self.compositions = compositions
    }

    enum CodingKeys: String, CodingKey {
        case catalog, version, project, units, flag, chipDenominations = "chip_denominations", compositions
        case maxRenderSeconds = "max_render_seconds"
    }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        catalog = try c.decodeIfPresent(String.self, forKey: .catalog) ?? "graphics"
        version = try c.decodeIfPresent(Int.self, forKey: .version) ?? 1
        project = try c.decode(String.self, forKey: .project)
        units = try c.decodeIfPresent(Units.self, forKey: .units) ?? Units()
        flag = try c.decodeIfPresent(Flags.self, forKey: .flag) ?? Flags()
        chipDenominations = try c.decodeIfPresent([Int64].self, forKey: .chipDenominations) ?? []
        maxRenderSeconds = try c.decodeIfPresent(Int.self, forKey: .maxRenderSeconds)
        compositions = try c.decode([Composition].self, forKey: .compositions)
    }

    /// The composition named `name` (exact, else case-insensitive).
    package func composition(_ name: String) -> Composition? {
        compositions.first { $0.name == name } ?? compositions.first { $0.name.lowercased() == name.lowercased() }
    }

    /// Parses and checks a catalog file.
    /// - Throws: ``HubError`` `.usage` listing every problem: malformed JSON (with its path), an
    ///   unknown derivation, a slot field of a composition without rows, a derivation that does
    ///   not fit the rows, a duplicate field or composition, a static field without text.
    package static func parse(_ data: Data, file: String = "the catalog") throws -> GraphicsCatalog {
        let catalog: GraphicsCatalog
        do {
            catalog = try JSONDecoder().decode(GraphicsCatalog.self, from: data)
        } catch let error as DecodingError {
            throw HubError(.usage, "\(file) is not a graphics catalog: \(reason(error))")
        }
        let problems = catalog.problems()
        guard problems.isEmpty else {
            throw HubError(.usage, "\(file) was not loaded (nothing written): " + DataBinder.summarize(problems))
        }
        return catalog
    }

    /// Why the JSON is not a catalog, with where: a corrupt value (an unknown category) names its
    /// path (`compositions[3].category`) too.
    static func reason(_ error: DecodingError) -> String {
        guard case .dataCorrupted(let context) = error, !context.codingPath.isEmpty else { return JSONValue.reason(error) }
        let path = context.codingPath.reduce("") { text, key in
            key.intValue.map { "\(text)[\($0)]" } ?? (text.isEmpty ? key.stringValue : "\(text).\(key.stringValue)")
        }
        return "\(JSONValue.reason(error)) (at \(path))"
    }

    /// What is wrong with the catalog (empty: nothing).
    package func problems() -> [String] {
        var problems: [String] = []
        if project.trimmingCharacters(in: .whitespaces).isEmpty { problems.append("project is empty") }
        if !flag.path.contains("{value}") { problems.append("flag.path must contain {value}") }
        let limits = AEPComposition.maxRenderSecondsRange
        if let limit = maxRenderSeconds, !limits.contains(limit) {
            problems.append("max_render_seconds must be \(limits.lowerBound)…\(limits.upperBound) seconds, not \(limit)")
        }
        var names = Set<String>()
        for composition in compositions {
            let name = composition.name
            if name.trimmingCharacters(in: .whitespaces).isEmpty { problems.append("a composition has no name"); continue }
            if !names.insert(name.lowercased()).inserted { problems.append("composition \"\(name)\" appears twice") }
            if !(0...100).contains(composition.slots) { problems.append("\"\(name)\": slots \(composition.slots) is outside 0…100") }
            if let limit = composition.maxRenderSeconds, !limits.contains(limit) {
                problems.append("\"\(name)\": max_render_seconds must be \(limits.lowerBound)…\(limits.upperBound) seconds, not \(limit)")
            }
            if composition.slots > 0 && composition.rows == nil { problems.append("\"\(name)\" has \(composition.slots) slots but no rows source") }
            if composition.slots == 0 && !composition.slotFields.isEmpty { problems.append("\"\(name)\" has slot fields but 0 slots") }
            for object in composition.objects where !GraphicsDerivation.objects.contains(object) {
                problems.append("\"\(name)\": unknown object \"\(object)\" (known: \(GraphicsDerivation.objects.sorted().joined(separator: ", ")))")
            }
            var keys = Set<String>()
            for field in composition.fields {
                if field.key.isEmpty || field.key.contains(where: { $0.isNewline }) { problems.append("\"\(name)\": a field key is empty or has a line break"); continue }
                if !keys.insert((field.slot ? "slot:" : "") + field.key).inserted { problems.append("\"\(name)\": field \(field.key) appears twice") }
                if field.derive == "static" {
                    if field.value == nil { problems.append("\"\(name)\".\(field.key): a static field needs a value") }
                    continue
                }
                if field.slot {
                    let allowed = composition.rows.map { GraphicsDerivation.rowDerivations[$0] ?? [] } ?? []
                    if !allowed.contains(field.derive) {
                        problems.append("\"\(name)\".\(field.key): \(field.derive) is not a derivation of \(composition.rows?.rawValue ?? "no") rows (known: \(allowed.sorted().joined(separator: ", ")))")
                    }
                } else if !GraphicsDerivation.singles.contains(field.derive) {
                    problems.append("\"\(name)\".\(field.key): unknown derivation \(field.derive)")
                }
            }
        }
        return problems
    }
}

/// Money units of a source.
package enum MoneyUnit: String, Sendable, Hashable, Codable {
    case dollars, cents

    /// `amount` in cents; nil when it does not fit.
    package func cents(_ amount: Int64) -> Int64? {
        switch self {
        case .cents: amount
        case .dollars: amount.multipliedReportingOverflow(by: 100).overflow ? nil : amount * 100
        }
    }
}
