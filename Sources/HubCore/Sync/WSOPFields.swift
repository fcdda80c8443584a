import Foundation

/// The columns and fields the WSOP+ importer knows, with their accepted aliases, and the value
/// parsing rules of Docs/wsop-import.md (numbers with thousands separators and currency symbols).
enum WSOPFields {
    /// A header or key as compared: lower-case, spaces, dashes and dots as underscores; camelCase split.
    static func normalize(_ name: String) -> String {
        var out = ""
        var previousLower = false
        for ch in name.trimmingCharacters(in: .whitespaces) {
            if ch.isUppercase, previousLower { out.append("_") }
            previousLower = ch.isLowercase || ch.isNumber
            if ch == " " || ch == "-" || ch == "." { out.append("_") } else { out.append(contentsOf: ch.lowercased()) }
        }
        return out
    }

    static let event: [String: String] = aliases([
        "event": ["event", "event_id", "event_key", "event_code", "tournament_id", "tournament"],
    ])
    static let player: [String: String] = aliases([
        "player_id": ["player_id", "playerid", "wsop_id", "member_id"],
        "name": ["player", "name", "player_name", "full_name"],
        "country": ["country", "country_code", "nationality", "nation"],
    ])
    static let chipColumns: [String: String] = event.merging(player) { $1 }.merging(aliases([
        "chips": ["chips", "chip_count", "chipcount", "chipstack", "chip_stack", "stack", "count"],
        "recorded_at": ["recorded_at", "timestamp", "time", "as_of", "updated_at", "date"],
        "table": ["table", "table_no", "table_number"],
        "seat": ["seat", "seat_no", "seat_number"],
    ])) { $1 }
    static let standingColumns: [String: String] = event.merging(player) { $1 }.merging(aliases([
        "rank": ["rank", "place", "position", "pos", "standing"],
        "chips": ["chips", "chip_count", "chipcount", "chipstack", "chip_stack", "stack"],
        "prize": ["prize", "payout", "winnings", "prize_money"],
        "snapshot_at": ["snapshot_at", "as_of", "timestamp", "recorded_at", "time", "updated_at"],
    ])) { $1 }
    static let eventKeys: [String: String] = aliases([
        "id": ["id", "event_id", "event_key", "event_code", "code"],
        "name": ["name", "event_name", "title"],
        "buy_in": ["buy_in", "buyin"],
        "start_date": ["start_date", "date", "start", "starts_at"],
        "venue": ["venue", "location", "casino"],
        "status": ["status", "state"],
        "entries": ["entries", "entrants", "players", "field_size"],
        "prize_pool": ["prize_pool", "prizepool", "total_prize_pool"],
    ])
    static let playerKeys: [String: String] = aliases([
        "id": ["id", "player_id", "playerid", "wsop_id", "member_id"],
        "name": ["name", "player_name", "player", "full_name"],
        "country": ["country", "country_code", "nationality", "nation"],
        "city": ["city", "hometown", "home_town"],
        "photo": ["photo", "photo_url", "image", "image_url", "profile_image", "picture"],
    ])

    static func aliases(_ table: [String: [String]]) -> [String: String] {
        var map: [String: String] = [:]
        for (canonical, names) in table { for name in names { map[normalize(name)] = canonical } }
        return map
    }

    /// Maps a CSV header onto canonical columns.
    /// - Throws: ``ContentError`` for an unknown or repeated column, or a missing required one.
    static func columns(_ header: [String], known: [String: String], required: [[String]]) throws -> [String: Int] {
        var map: [String: Int] = [:]
        for (index, name) in header.enumerated() {
            guard let canonical = known[normalize(name)] else {
                let accepted = Set(known.values).sorted().joined(separator: ", ")
                throw ContentError(position: "header, column \(index + 1)", reason: "unknown column '\(name)' (accepted: \(accepted) and their aliases in Docs/wsop-import.md)")
            }
            guard map[canonical] == nil else {
                throw ContentError(position: "header, column \(index + 1)", reason: "column '\(name)' repeats \(canonical)")
            }
            map[canonical] = index
        }
        for options in required where !options.contains(where: { map[$0] != nil }) {
            throw ContentError(position: "header", reason: "a \(options.joined(separator: " or ")) column is required")
        }
        return map
    }

    /// A whole number written for people: `1,500,000`, `$10,000`, `₩ 5 000 000`, `10000.00`.
    /// - Returns: nil for an empty text.
    /// - Throws: ``ContentError`` for anything else that is not a whole number.
    static func integer(_ text: String, at position: String) throws -> Int64? {
        var cleaned = ""
        var negative = false
        for ch in text.trimmingCharacters(in: .whitespaces) {
            switch ch {
            case "$", "€", "£", "₩", "¥", ",", "_", "'", " ", "\u{00A0}", "\u{202F}": continue
            case "(", ")", "-": negative = true
            default: cleaned.append(ch)
            }
        }
        for code in ["USD", "EUR", "KRW", "GBP"] where cleaned.uppercased().hasSuffix(code) { cleaned.removeLast(code.count) }
        if cleaned.isEmpty { return nil }
        if let dot = cleaned.firstIndex(of: "."), cleaned[cleaned.index(after: dot)...].allSatisfy({ $0 == "0" }) {
            cleaned = String(cleaned[..<dot])
        }
        guard let value = Int64(cleaned), cleaned.allSatisfy(\.isASCII) else {
            throw ContentError(position: position, reason: "'\(text)' is not a whole number")
        }
        return negative ? -value : value
    }

    /// The text of a JSON value (strings as they are, numbers as digits).
    static func text(_ value: JSONValue?) -> String? {
        switch value {
        case .string(let s): return s.trimmingCharacters(in: .whitespaces)
        case .integer(let i): return String(i)
        case .number(let d): return d == d.rounded() ? String(Int64(d)) : String(d)
        case .bool(let b): return String(b)
        default: return nil
        }
    }

    /// Accepts `2026-07-01T18:30:00Z`, `2026-07-01 18:30`, `2026-07-01` (no offset = UTC).
    static func timestamp(_ text: String, at position: String) throws -> String {
        let bytes = Array(text.utf8)
        func digits(_ range: Range<Int>) -> Bool { range.upperBound <= bytes.count && bytes[range].allSatisfy { (48...57).contains($0) } }
        let date = bytes.count >= 10 && digits(0..<4) && bytes[4] == 45 && digits(5..<7) && bytes[7] == 45 && digits(8..<10)
        let time = bytes.count == 10 || (bytes.count >= 16 && (bytes[10] == 84 || bytes[10] == 32) && digits(11..<13) && bytes[13] == 58 && digits(14..<16))
        guard date, time else { throw ContentError(position: position, reason: "'\(text)' is not a time (2026-07-01T18:30:00Z)") }
        return text
    }

    /// The key players are matched on across sources: accents removed, case folded, whitespace
    /// collapsed; Hangul and other scripts stay intact.
    static func nameKey(_ name: String) -> String {
        let decomposed = name.decomposedStringWithCanonicalMapping.unicodeScalars.filter { $0.properties.generalCategory != .nonspacingMark }
        var text = String(String.UnicodeScalarView(decomposed)).precomposedStringWithCanonicalMapping
        text = text.lowercased()
        return text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }
}
