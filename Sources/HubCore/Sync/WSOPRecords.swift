import Foundation

/// Rows parsed from the WSOP+ files, checked before anything is written.
enum WSOPRecords {
    struct Event {
        var key: String, name: String, buyIn: Int64?, startDate: String?, venue: String?, status: String?
        var entries: Int64?, prizePool: Int64?
    }

    struct Player {
        var key: String, name: String, country: String?, city: String?, photo: String? = nil
    }

    /// Who a CSV row is about: a WSOP+ id, or a name to match.
    struct PlayerRef: Hashable {
        var id: String?
        var name: String
        var country: String?
    }

    struct ChipCount {
        var line: Int, event: String, player: PlayerRef, chips: Int64, recordedAt: String, table: String?, seat: Int64?
    }

    struct Standing {
        var line: Int, event: String, player: PlayerRef, rank: Int64, chips: Int64?, prize: Int64?, snapshotAt: String
    }

    // MARK: JSON files

    /// The objects of a JSON export: a top-level array, or an object holding one (`{"events": [...]}`).
    static func objects(_ data: Data, entity: WSOPEntity) throws -> [[String: JSONValue]] {
        guard !data.isEmpty else { throw ContentError(position: nil, reason: "the file is empty") }
        guard String(bytes: data, encoding: .utf8) != nil else {
            throw ContentError(position: CSVTable.firstInvalidUTF8(data).map { "byte \($0)" }, reason: "the file is not UTF-8 text")
        }
        var bytes = data
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        let value: JSONValue
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: bytes)
        } catch {
            throw ContentError(position: nil, reason: "not valid JSON (truncated or corrupt)")
        }
        var list: [JSONValue]
        switch value {
        case .array(let items): list = items
        case .object(let object):
            guard let inner = object.first(where: { [entity.rawValue, "data", "items"].contains(WSOPFields.normalize($0.key)) })?.value,
                  case .array(let items) = inner else {
                throw ContentError(position: nil, reason: "expected an array of \(entity.rawValue), or an object with an \"\(entity.rawValue)\" array")
            }
            list = items
        default:
            throw ContentError(position: nil, reason: "expected an array of \(entity.rawValue)")
        }
        return try list.enumerated().map { index, item in
            guard case .object(let object) = item else { throw ContentError(position: "[\(index)]", reason: "expected an object") }
            return object
        }
    }

    /// An object's fields under their canonical names.
    static func fields(_ object: [String: JSONValue], known: [String: String]) -> [String: JSONValue] {
        var out: [String: JSONValue] = [:]
        for (key, value) in object { if let canonical = known[WSOPFields.normalize(key)] { out[canonical] = value } }
        return out
    }

    static func events(_ data: Data) throws -> [Event] {
        var seen = Set<String>()
        return try objects(data, entity: .events).enumerated().map { index, object in
            let f = fields(object, known: WSOPFields.eventKeys)
            let at = "[\(index)]"
            guard let key = try WSOPFields.key(f["id"], at: "\(at).id"), !key.isEmpty else { throw ContentError(position: "\(at).id", reason: "every event needs an id") }
            guard seen.insert(key).inserted else { throw ContentError(position: "\(at).id", reason: "event \(key) appears twice") }
            func number(_ name: String) throws -> Int64? {
                guard let text = WSOPFields.text(f[name]) else { return nil }
                let value = try WSOPFields.integer(text, at: "\(at).\(name)")
                if let value, value < 0 { throw ContentError(position: "\(at).\(name)", reason: "\(name) cannot be negative") }
                return value
            }
            return Event(key: key, name: WSOPFields.text(f["name"]).flatMap { $0.isEmpty ? nil : $0 } ?? key, buyIn: try number("buy_in"),
                         startDate: try WSOPFields.dateText(f["start_date"], at: "\(at).start_date"), venue: WSOPFields.text(f["venue"]), status: WSOPFields.text(f["status"]),
                         entries: try number("entries"), prizePool: try number("prize_pool"))
        }
    }

    static func players(_ data: Data) throws -> [Player] {
        var seen = Set<String>()
        return try objects(data, entity: .players).enumerated().map { index, object in
            let f = fields(object, known: WSOPFields.playerKeys)
            let at = "[\(index)]"
            guard let key = try WSOPFields.key(f["id"], at: "\(at).id"), !key.isEmpty else { throw ContentError(position: "\(at).id", reason: "every player needs an id") }
            guard let name = WSOPFields.text(f["name"]), !name.isEmpty else { throw ContentError(position: "\(at).name", reason: "player \(key) has no name") }
            guard seen.insert(key).inserted else { throw ContentError(position: "\(at).id", reason: "player \(key) appears twice") }
            return Player(key: key, name: name, country: WSOPFields.text(f["country"]), city: WSOPFields.text(f["city"]),
                          photo: WSOPFields.text(f["photo"]))
        }
    }

    // MARK: CSV files

    static func playerRef(_ cells: [String], _ columns: [String: Int], line: Int) throws -> PlayerRef {
        func cell(_ name: String) -> String? { columns[name].flatMap { $0 < cells.count ? cells[$0] : nil }.flatMap { $0.isEmpty ? nil : $0 } }
        let id = cell("player_id")
        guard let name = cell("name") ?? id else { throw ContentError(position: "line \(line)", reason: "the row names no player") }
        return PlayerRef(id: id, name: name, country: cell("country"))
    }

    static func chipCounts(_ data: Data, defaultTime: String) throws -> [ChipCount] {
        let table = try CSVTable.parse(data)
        let columns = try WSOPFields.columns(table.header, known: WSOPFields.chipColumns, required: [["event"], ["name", "player_id"], ["chips"]])
        var seen: [String: Int] = [:]
        return try table.rows.map { line, cells in
            guard cells.count <= table.header.count else {
                throw ContentError(position: "line \(line)", reason: "\(cells.count) fields but the header has \(table.header.count) (a comma in an unquoted value?)")
            }
            func cell(_ name: String) -> String? { columns[name].flatMap { $0 < cells.count ? cells[$0] : nil }.flatMap { $0.isEmpty ? nil : $0 } }
            guard let event = cell("event") else { throw ContentError(position: "line \(line), column event", reason: "the event is empty") }
            let player = try playerRef(cells, columns, line: line)
            guard let chips = try WSOPFields.integer(cell("chips") ?? "", at: "line \(line), column chips") else {
                throw ContentError(position: "line \(line), column chips", reason: "the chip count is empty")
            }
            guard chips >= 0 else { throw ContentError(position: "line \(line), column chips", reason: "negative chip count \(chips) (0 means eliminated)") }
            let time = try cell("recorded_at").map { try WSOPFields.timestamp($0, at: "line \(line), column recorded_at") } ?? defaultTime
            let key = "\(event)\u{1F}\(player.id ?? WSOPFields.nameKey(player.name))\u{1F}\(time)"
            if let earlier = seen[key] {
                throw ContentError(position: "line \(line)", reason: "\(player.name) has a second count for the same event and time (first on line \(earlier))")
            }
            seen[key] = line
            let seat = try cell("seat").flatMap { try WSOPFields.integer($0, at: "line \(line), column seat") }
            return ChipCount(line: line, event: event, player: player, chips: chips, recordedAt: time, table: cell("table"), seat: seat)
        }
    }

    static func standings(_ data: Data, defaultTime: String) throws -> [Standing] {
        let table = try CSVTable.parse(data)
        let columns = try WSOPFields.columns(table.header, known: WSOPFields.standingColumns, required: [["event"], ["name", "player_id"], ["rank"]])
        var ranks: [String: Int] = [:]
        return try table.rows.map { line, cells in
            guard cells.count <= table.header.count else {
                throw ContentError(position: "line \(line)", reason: "\(cells.count) fields but the header has \(table.header.count) (a comma in an unquoted value?)")
            }
            func cell(_ name: String) -> String? { columns[name].flatMap { $0 < cells.count ? cells[$0] : nil }.flatMap { $0.isEmpty ? nil : $0 } }
            guard let event = cell("event") else { throw ContentError(position: "line \(line), column event", reason: "the event is empty") }
            let player = try playerRef(cells, columns, line: line)
            guard let rank = try WSOPFields.integer(cell("rank") ?? "", at: "line \(line), column rank"), rank > 0 else {
                throw ContentError(position: "line \(line), column rank", reason: "the rank must be 1 or more")
            }
            let chips = try cell("chips").flatMap { try WSOPFields.integer($0, at: "line \(line), column chips") }
            if let chips, chips < 0 { throw ContentError(position: "line \(line), column chips", reason: "negative chip count \(chips)") }
            let prize = try cell("prize").flatMap { try WSOPFields.integer($0, at: "line \(line), column prize") }
            if let prize, prize < 0 { throw ContentError(position: "line \(line), column prize", reason: "negative prize \(prize)") }
            let time = try cell("snapshot_at").map { try WSOPFields.timestamp($0, at: "line \(line), column snapshot_at") } ?? defaultTime
            let key = "\(event)\u{1F}\(time)\u{1F}\(rank)"
            if let earlier = ranks[key] { throw ContentError(position: "line \(line)", reason: "rank \(rank) appears twice (first on line \(earlier))") }
            ranks[key] = line
            return Standing(line: line, event: event, player: player, rank: rank, chips: chips, prize: prize, snapshotAt: time)
        }
    }
}
