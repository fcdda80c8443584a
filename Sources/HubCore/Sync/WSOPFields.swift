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
    /// An event in the tournament info, payout and schedule files: its export key, or the WSOP+
    /// tournament number.
    static let eventRef: [String: String] = aliases([
        "event": ["event", "event_id", "event_key", "event_code"],
        "tournament_number": ["tournament_number", "tournament_no", "tournament_num", "event_number", "event_no"],
    ])
    static let tournamentColumns: [String: String] = eventRef.merging(aliases([
        "name": ["name", "tournament_name", "event_name", "title"],
        "buy_in": ["buy_in", "buyin"],
        "rake": ["rake", "fee"],
        "starting_chips": ["starting_chips", "starting_stack", "start_chips"],
        "current_level": ["current_level", "level"],
        "remaining_players": ["remaining_players", "remaining", "players_left"],
        "entries": ["registered_players", "entries", "entrants", "registrations"],
        "prize_pool": ["prize_pool", "prizepool", "total_prize_pool"],
        "status": ["status", "state"],
        "places_paid": ["places_paid", "paid_places", "itm_places"],
        "day_name": ["day_name", "event_day", "day"],
        "series_name": ["series_name", "series"],
        "venue": ["venue", "location", "casino"],
    ])) { $1 }
    static let payoutColumns: [String: String] = eventRef.merging(aliases([
        "place_start": ["place_start", "place", "start_place", "place_from", "from_place"],
        "place_end": ["place_end", "end_place", "place_to", "to_place"],
        "amount": ["amount", "prize", "payout", "prize_amount"],
        "percentage": ["percentage", "percent", "pct", "prize_pool_percentage"],
        "is_bracelet": ["is_bracelet", "bracelet"],
    ])) { $1 }
    static let scheduleColumns: [String: String] = eventRef.merging(aliases([
        "date": ["date", "broadcast_date", "air_date"],
        "time_start": ["time_start", "start_time", "start"],
        "time_end": ["time_end", "end_time", "end"],
        "event_title": ["event_title", "title", "program", "programme", "show"],
        "channel": ["channel", "network", "platform"],
        "is_live": ["is_live", "live"],
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

    /// A number written for people with its thousands separators (`,` space `_` `'`), currency
    /// symbols (`$ € £ ₩ ¥`) and codes (`USD EUR KRW GBP`) removed; `-` or parentheses make it
    /// negative.
    static func cleanNumber(_ text: String) -> (digits: String, negative: Bool) {
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
        return (cleaned, negative)
    }

    /// Whether `text` is one or more ASCII digits.
    static func isDigits<S: StringProtocol>(_ text: S) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { (48...57).contains($0) }
    }

    /// A whole number written for people: `1,500,000`, `$10,000`, `₩ 5 000 000`, `10000.00`.
    /// - Returns: nil for an empty text.
    /// - Throws: ``ContentError`` for anything else that is not a whole number, and for one
    ///   beyond 64 bits (`99999999999999999999`); never traps.
    static func integer(_ text: String, at position: String) throws -> Int64? {
        var (cleaned, negative) = cleanNumber(text)
        if cleaned.isEmpty { return nil }
        if let dot = cleaned.firstIndex(of: "."), cleaned[cleaned.index(after: dot)...].allSatisfy({ $0 == "0" }) {
            cleaned = String(cleaned[..<dot])
        }
        guard isDigits(cleaned) else {
            throw ContentError(position: position, reason: "'\(text)' is not a whole number")
        }
        guard let value = Int64(cleaned) else {
            throw ContentError(position: position, reason: "'\(text)' is too large (at most \(Int64.max))")
        }
        return negative ? -value : value
    }

    /// A whole number that fits a PostgreSQL `integer` column (places, levels, player counts).
    /// - Throws: ``ContentError`` as ``integer(_:at:)``, for a negative value, and for one above
    ///   2,147,483,647.
    static func count(_ text: String, at position: String, what: String) throws -> Int64? {
        guard let value = try integer(text, at: position) else { return nil }
        guard value >= 0 else { throw ContentError(position: position, reason: "\(what) cannot be negative (\(value))") }
        guard value <= Int64(Int32.max) else {
            throw ContentError(position: position, reason: "\(what) \(value) is too large (at most \(Int32.max))")
        }
        return value
    }

    /// An amount in dollars with at most two decimal places (`12100000`, `107500.50`,
    /// `$1,750,000`), as cents: `107500.50` is 10,750,050.
    /// - Returns: nil for an empty text.
    /// - Throws: ``ContentError`` for a negative amount, more than two decimal places (`1.005`,
    ///   and `1.500`, which may be a European thousands separator), anything not a number, and an
    ///   amount whose cents do not fit 64 bits; never traps.
    static func cents(_ text: String, at position: String) throws -> Int64? {
        let (cleaned, negative) = cleanNumber(text)
        if cleaned.isEmpty { return nil }
        let parts = cleaned.split(separator: ".", omittingEmptySubsequences: false)
        let whole = parts[0], fraction = parts.count > 1 ? parts[1] : ""
        guard parts.count <= 2, whole.isEmpty || isDigits(whole), fraction.isEmpty || isDigits(fraction), !(whole.isEmpty && fraction.isEmpty) else {
            throw ContentError(position: position, reason: "'\(text)' is not an amount in dollars (12100000, 107500.50, $1,750,000)")
        }
        guard fraction.count <= 2 else {
            throw ContentError(position: position, reason: "'\(text)' has more than 2 decimal places (amounts are dollars and cents)")
        }
        guard !negative else { throw ContentError(position: position, reason: "the amount '\(text)' is negative") }
        let tooLarge = ContentError(position: position, reason: "'\(text)' is too large (at most \(Int64.max / 100) dollars)")
        guard let dollars = whole.isEmpty ? 0 : Int64(whole) else { throw tooLarge }
        let cents = Int64(fraction.padding(toLength: 2, withPad: "0", startingAt: 0))!
        let (scaled, overflow) = dollars.multipliedReportingOverflow(by: 100)
        let (total, overflow2) = scaled.addingReportingOverflow(cents)
        guard !overflow, !overflow2 else { throw tooLarge }
        return total
    }

    /// A percentage 0–100 (`14.12`, `14.12%`).
    /// - Returns: nil for an empty text.
    /// - Throws: ``ContentError`` for anything else (exponents, `nan`, `inf` and hex included).
    static func percentage(_ text: String, at position: String) throws -> Double? {
        var cleaned = text.trimmingCharacters(in: .whitespaces)
        if cleaned.hasSuffix("%") { cleaned.removeLast() }
        cleaned = cleaned.trimmingCharacters(in: .whitespaces)
        if cleaned.isEmpty { return nil }
        let parts = cleaned.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, parts.allSatisfy({ $0.isEmpty || isDigits($0) }), parts.contains(where: { !$0.isEmpty }),
              let value = Double(cleaned), value.isFinite, value <= 100 else {
            throw ContentError(position: position, reason: "'\(text)' is not a percentage from 0 to 100 (14.12)")
        }
        return value
    }

    /// `true`/`false`, `yes`/`no`, `1`/`0` (also `t`/`f`, `y`/`n`), any case.
    /// - Returns: nil for an empty text.
    static func boolean(_ text: String, at position: String) throws -> Bool? {
        switch text.trimmingCharacters(in: .whitespaces).lowercased() {
        case "": return nil
        case "true", "t", "yes", "y", "1": return true
        case "false", "f", "no", "n", "0": return false
        default: throw ContentError(position: position, reason: "'\(text)' is not true or false (true/false, yes/no, 1/0)")
        }
    }

    /// A calendar date `YYYY-MM-DD` (2026-02-30 is refused).
    static func date(_ text: String, at position: String) throws -> String {
        let bytes = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= bytes.count, bytes[range].allSatisfy({ (48...57).contains($0) }) else { return nil }
            return bytes[range].reduce(0) { $0 * 10 + Int($1 - 48) }
        }
        guard bytes.count == 10, bytes[4] == 45, bytes[7] == 45, let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              year >= 1, (1...12).contains(month) else {
            throw ContentError(position: position, reason: "'\(text)' is not a date (YYYY-MM-DD, e.g. 2026-07-15)")
        }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        guard (1...days).contains(day) else {
            throw ContentError(position: position, reason: "'\(text)' is not a date: \(String(format: "%04d-%02d", year, month)) has \(days) days")
        }
        return text
    }

    /// A time of day `HH:MM` or `HH:MM:SS` (the hour may have one digit), 00:00 to 23:59:59.
    /// - Returns: the time as `HH:MM:SS`.
    static func timeOfDay(_ text: String, at position: String) throws -> String {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        let bad = ContentError(position: position, reason: "'\(text)' is not a time of day (HH:MM or HH:MM:SS, 00:00 to 23:59)")
        guard (2...3).contains(parts.count), (1...2).contains(parts[0].count), parts.dropFirst().allSatisfy({ $0.count == 2 }),
              parts.allSatisfy({ isDigits($0) }) else { throw bad }
        let values = parts.map { Int($0)! }
        guard values[0] <= 23, values[1] <= 59, values.count < 3 || values[2] <= 59 else { throw bad }
        return String(format: "%02d:%02d:%02d", values[0], values[1], values.count == 3 ? values[2] : 0)
    }

    /// The id at `position`: a string as it is, a whole number as digits.
    /// - Throws: ``ContentError`` for a number that is not whole or does not fit 64 bits (a
    ///   20-digit id read as a double would be rounded into another player's id).
    static func key(_ value: JSONValue?, at position: String) throws -> String? {
        if case .number(let d) = value, Int64(exactly: d) == nil {
            throw ContentError(position: position, reason: "the id \(String(d)) is not a whole number of at most 19 digits (write a longer id as a string)")
        }
        return text(value)
    }

    /// A date or time field: text as it is.
    /// - Throws: ``ContentError`` for a number (`-1e19` is no date).
    static func dateText(_ value: JSONValue?, at position: String) throws -> String? {
        switch value {
        case .integer, .number, .bool: throw ContentError(position: position, reason: "a date is expected (2026-07-09), not \(text(value) ?? "a value")")
        default: return text(value)
        }
    }

    /// The text of a JSON value (strings as they are, numbers as digits).
    static func text(_ value: JSONValue?) -> String? {
        switch value {
        case .string(let s): return s.trimmingCharacters(in: .whitespaces)
        case .integer(let i): return String(i)
        // A whole number as digits when it fits 64 bits; any other (1e19, 1.5, a 20-digit id read
        // as a double) as Swift writes it, for the callers to refuse (`Int64(d)` trapped here).
        case .number(let d): return Int64(exactly: d).map { String($0) } ?? String(d)
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
