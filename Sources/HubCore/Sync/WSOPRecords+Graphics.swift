import Foundation

/// The WSOP+ tournament info, payout structure and broadcast schedule files (reference/wsop
/// §2.1, §2.4, §2.5; Docs/wsop-import.md), parsed and checked before anything is written.
extension WSOPRecords {
    /// An event as these files name it: by its export key (an `event` column, as Events.json keys
    /// events) or by its WSOP+ tournament number.
    struct EventRef: Hashable {
        var key: String?
        var number: Int64?

        /// What identifies it within one file: the key when there is one, else the number.
        var identity: String { key ?? "#\(number.map(String.init) ?? "")" }

        /// How an operator reads it in a message.
        var label: String { key.map { "event \($0)" } ?? "tournament \(number.map(String.init) ?? "?")" }
    }

    /// One row of `tournament_data.csv`. Money in whole dollars; nil is "not in the file".
    struct Tournament {
        var line: Int, event: EventRef, name: String?
        var buyIn: Int64?, rake: Int64?, startingChips: Int64?, currentLevel: Int64?, remainingPlayers: Int64?
        var entries: Int64?, prizePool: Int64?, status: String?, placesPaid: Int64?
        var dayName: String?, seriesName: String?, venue: String?
    }

    /// One row of `payout_structure.csv`: each place of the range wins `amountCents`.
    struct Payout {
        var line: Int, event: EventRef, placeStart: Int64, placeEnd: Int64, amountCents: Int64, percentage: Double?, isBracelet: Bool
    }

    /// One row of `broadcast_schedule.csv`: local date and times as written (`HH:MM:SS`).
    struct Broadcast {
        var line: Int, date: String, timeStart: String, timeEnd: String?, title: String, channel: String, event: EventRef?, isLive: Bool
    }

    /// A data row of a CSV with its header's columns.
    struct Row {
        var line: Int
        var cells: [String]
        var columns: [String: Int]

        /// The cell of a canonical column; nil when the file has no such column or the cell is empty.
        func cell(_ name: String) -> String? {
            columns[name].flatMap { $0 < cells.count ? cells[$0] : nil }.flatMap { $0.isEmpty ? nil : $0 }
        }

        func at(_ column: String) -> String { "line \(line), column \(column)" }

        /// The event the row names: its `event` cell, else its `tournament_number`.
        /// - Returns: nil when the row names none.
        func event() throws -> EventRef? {
            let number = try cell("tournament_number").flatMap { try WSOPFields.count($0, at: at("tournament_number"), what: "the tournament number") }
            if let key = cell("event") { return EventRef(key: key, number: number) }
            return number.map { EventRef(key: nil, number: $0) }
        }

        func count(_ column: String, _ what: String) throws -> Int64? {
            try cell(column).flatMap { try WSOPFields.count($0, at: at(column), what: what) }
        }

        func money(_ column: String, _ what: String) throws -> Int64? {
            guard let value = try cell(column).flatMap({ try WSOPFields.integer($0, at: at(column)) }) else { return nil }
            guard value >= 0 else { throw ContentError(position: at(column), reason: "\(what) cannot be negative (\(value))") }
            return value
        }
    }

    /// The rows of a CSV, each checked to have no more cells than the header.
    static func rows(_ data: Data, known: [String: String], required: [[String]]) throws -> [Row] {
        let table = try CSVTable.parse(data)
        let columns = try WSOPFields.columns(table.header, known: known, required: required)
        return try table.rows.map { line, cells in
            guard cells.count <= table.header.count else {
                throw ContentError(position: "line \(line)", reason: "\(cells.count) fields but the header has \(table.header.count) (a comma in an unquoted value?)")
            }
            return Row(line: line, cells: cells, columns: columns)
        }
    }

    static func tournaments(_ data: Data) throws -> [Tournament] {
        var seen: [String: Int] = [:]
        return try rows(data, known: WSOPFields.tournamentColumns, required: [["event", "tournament_number"]]).map { row in
            guard let event = try row.event() else {
                throw ContentError(position: "line \(row.line)", reason: "the row names no event (an empty tournament_number)")
            }
            if let first = seen[event.identity] {
                throw ContentError(position: "line \(row.line)", reason: "\(event.label) appears twice (first on line \(first))")
            }
            seen[event.identity] = row.line
            let buyIn = try row.money("buy_in", "the buy-in"), rake = try row.money("rake", "the rake")
            if let buyIn, let rake, rake > buyIn {
                throw ContentError(position: row.at("rake"), reason: "the rake \(rake) is more than the buy-in \(buyIn) (buy_in is the total a player pays, rake included)")
            }
            return Tournament(line: row.line, event: event, name: row.cell("name"), buyIn: buyIn, rake: rake,
                              startingChips: try row.money("starting_chips", "the starting stack"),
                              currentLevel: try row.count("current_level", "the level"),
                              remainingPlayers: try row.count("remaining_players", "the remaining players"),
                              entries: try row.count("entries", "the registered players"),
                              prizePool: try row.money("prize_pool", "the prize pool"), status: row.cell("status"),
                              placesPaid: try row.count("places_paid", "places paid"),
                              dayName: row.cell("day_name"), seriesName: row.cell("series_name"), venue: row.cell("venue"))
        }
    }

    static func payouts(_ data: Data) throws -> [Payout] {
        try rows(data, known: WSOPFields.payoutColumns, required: [["event", "tournament_number"], ["place_start"], ["amount"]]).map { row in
            guard let event = try row.event() else {
                throw ContentError(position: "line \(row.line)", reason: "the row names no event (an empty tournament_number)")
            }
            guard let start = try row.count("place_start", "the place"), start >= 1 else {
                throw ContentError(position: row.at("place_start"), reason: "place_start must be 1 or more")
            }
            let end = try row.count("place_end", "the place") ?? start
            guard end >= start else {
                throw ContentError(position: row.at("place_end"), reason: "place_end \(end) is before place_start \(start)")
            }
            guard let cents = try row.cell("amount").flatMap({ try WSOPFields.cents($0, at: row.at("amount")) }) else {
                throw ContentError(position: row.at("amount"), reason: "the amount is empty")
            }
            return Payout(line: row.line, event: event, placeStart: start, placeEnd: end, amountCents: cents,
                          percentage: try row.cell("percentage").flatMap { try WSOPFields.percentage($0, at: row.at("percentage")) },
                          isBracelet: try row.cell("is_bracelet").flatMap { try WSOPFields.boolean($0, at: row.at("is_bracelet")) } ?? false)
        }
    }

    /// Refuses place ranges of one event that overlap, naming both rows.
    /// - Parameter eventOf: the event a row belongs to (its database id).
    static func checkRanges(_ payouts: [Payout], eventOf: (Payout) -> Int64) throws {
        for (_, rows) in Dictionary(grouping: payouts, by: eventOf) {
            let sorted = rows.sorted { ($0.placeStart, $0.line) < ($1.placeStart, $1.line) }
            for (earlier, later) in zip(sorted, sorted.dropFirst()) where later.placeStart <= earlier.placeEnd {
                func range(_ p: Payout) -> String { p.placeStart == p.placeEnd ? "place \(p.placeStart)" : "places \(p.placeStart)-\(p.placeEnd)" }
                let (first, second) = earlier.line < later.line ? (earlier, later) : (later, earlier)
                throw ContentError(position: "line \(second.line)",
                                   reason: "\(range(second)) (line \(second.line)) overlap \(range(first)) (line \(first.line)) of \(first.event.label): each place is paid once")
            }
        }
    }

    static func schedule(_ data: Data) throws -> [Broadcast] {
        var seen: [String: Int] = [:]
        return try rows(data, known: WSOPFields.scheduleColumns, required: [["date"], ["time_start"], ["event_title"]]).map { row in
            guard let dateText = row.cell("date") else { throw ContentError(position: row.at("date"), reason: "the date is empty") }
            guard let startText = row.cell("time_start") else { throw ContentError(position: row.at("time_start"), reason: "the start time is empty") }
            guard let title = row.cell("event_title") else { throw ContentError(position: row.at("event_title"), reason: "the title is empty") }
            let date = try WSOPFields.date(dateText, at: row.at("date"))
            let start = try WSOPFields.timeOfDay(startText, at: row.at("time_start"))
            let end = try row.cell("time_end").map { try WSOPFields.timeOfDay($0, at: row.at("time_end")) }
            let channel = row.cell("channel") ?? ""
            let key = [date, start, title, channel].joined(separator: "\u{1F}")
            if let first = seen[key] {
                throw ContentError(position: "line \(row.line)", reason: "'\(title)' on \(channel.isEmpty ? "no channel" : channel) at \(date) \(start) appears twice (first on line \(first))")
            }
            seen[key] = row.line
            return Broadcast(line: row.line, date: date, timeStart: start, timeEnd: end, title: title, channel: channel, event: try row.event(),
                             isLive: try row.cell("is_live").flatMap { try WSOPFields.boolean($0, at: row.at("is_live")) } ?? false)
        }
    }
}
