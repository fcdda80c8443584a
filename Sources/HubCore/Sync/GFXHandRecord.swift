import Foundation

/// A PokerGFX export checked and normalized into the rows the importer writes: cards parsed
/// (`10d` → `Td`), durations in seconds, the session id from the file name when the export has
/// none, players keyed for the master table.
package struct GFXSessionRecord: Sendable {
    package var gfxID: Int64
    package var idFromFileName: Bool
    package var createdAt: String?
    package var eventTitle: String
    package var type: String?
    package var softwareVersion: String?
    package var payouts: [Int64]?
    package var hands: [GFXHandRecord]

    /// Checks and normalizes `export`, read from a file named `fileName`.
    /// - Throws: ``ContentError`` naming the field (`Hands[2].Players[0].HoleCards`) and the problem.
    init(export: GFXExport, fileName: String) throws {
        if let id = export.id {
            gfxID = id
            idFromFileName = false
        } else if let id = Self.gameID(inFileName: fileName) {
            gfxID = id
            idFromFileName = true
        } else {
            throw ContentError(position: "ID", reason: "the export has no ID and the file name has no GameID=<digits>")
        }
        createdAt = try export.createdAt.map { try Self.checkTimestamp($0, at: "CreatedDateTimeUTC") }
        eventTitle = export.eventTitle
        type = export.type
        softwareVersion = export.softwareVersion
        payouts = export.payouts
        hands = try export.hands.enumerated().map { index, hand in try GFXHandRecord(hand, at: "Hands[\(index)]") }
    }

    /// The digits after `GameID=` in a PokerGFX file name.
    static func gameID(inFileName name: String) -> Int64? {
        guard let range = name.range(of: "GameID=") else { return nil }
        let digits = name[range.upperBound...].prefix { $0.isASCII && $0.isNumber }
        return Int64(digits)
    }

    /// Accepts `2025-10-15T12:03:20.9005907Z` (any fraction length, `Z` or an offset).
    /// - Parameter position: built only for the error (an import checks a few hundred thousand).
    static func checkTimestamp(_ text: String, at position: @autoclosure () -> String) throws -> String {
        var copy = text
        let ok = copy.withUTF8 { bytes -> Bool in
            func digits(_ range: Range<Int>) -> Bool { range.upperBound <= bytes.count && bytes[range].allSatisfy { (48...57).contains($0) } }
            return bytes.count >= 19 && digits(0..<4) && bytes[4] == 45 && digits(5..<7) && bytes[7] == 45 && digits(8..<10)
                && (bytes[10] == 84 || bytes[10] == 32) && digits(11..<13) && bytes[13] == 58 && digits(14..<16) && bytes[16] == 58 && digits(17..<19)
        }
        guard ok else { throw ContentError(position: position(), reason: "'\(text)' is not an ISO-8601 time") }
        return text
    }

    /// Seconds of an ISO-8601 duration such as `PT1M23.19S` or `P739538DT16H3M20.9S`.
    static func seconds(ofDuration text: String) -> Double? {
        var rest = Substring(text)
        guard rest.hasPrefix("P") else { return nil }
        rest = rest.dropFirst()
        var total = 0.0
        var inTime = false
        var number = ""
        var sawComponent = false
        for ch in rest {
            if ch == "T" { inTime = true; continue }
            if ch.isNumber || ch == "." || ch == "," { number.append(ch == "," ? "." : ch); continue }
            guard let value = Double(number) else { return nil }
            number = ""
            sawComponent = true
            switch (ch, inTime) {
            case ("W", false): total += value * 604_800
            case ("D", false): total += value * 86_400
            case ("H", true): total += value * 3_600
            case ("M", true): total += value * 60
            case ("S", true): total += value
            default: return nil
            }
        }
        return number.isEmpty && sawComponent ? total : nil
    }
}

/// One hand, normalized.
package struct GFXHandRecord: Sendable {
    package var handNum: Int
    package var startedAt: String
    package var gameVariant: String
    package var gameClass: String
    package var betStructure: String
    package var durationSeconds: Double?
    package var recordingOffset: String?
    package var anteAmt: Int64
    package var bombPotAmt: Int64
    package var numBoards: Int
    package var runItNumTimes: Int
    package var description: String
    package var blinds: [String: JSONValue]
    package var studLimits: [String: JSONValue]
    /// Board 1 in dealing order.
    package var board: [Card]
    /// The largest pot any event reports.
    package var pot: Int64
    /// The seat that won the most chips in the hand (nil when nobody gained).
    package var winnerSeat: Int?
    package var players: [Player]
    package var events: [Event]

    /// A seat.
    package struct Player: Sendable {
        package var seat: Int
        package var name: String
        package var longName: String
        /// The master-table key: the name trimmed, whitespace collapsed, case folded ("" = unnamed).
        package var nameKey: String
        package var startStack: Int64
        package var endStack: Int64
        package var cumulativeWinnings: Int64
        package var blindBetStraddle: Int64
        package var holeCards: [Card]
        package var sittingOut: Bool
        package var eliminationRank: Int
        package var vpip: Double
        package var pfr: Double
        package var aggression: Double
        package var showdown: Double
    }

    /// An action or a board card.
    package struct Event: Sendable {
        package var type: String
        package var playerNum: Int
        package var betAmt: Int64
        package var pot: Int64
        package var boardCard: Card?
        package var boardNum: Int
        package var occurredAt: String?
        package var numCardsDrawn: Int
    }

    init(_ hand: GFXExport.Hand, at position: String) throws {
        handNum = hand.handNum
        startedAt = try GFXSessionRecord.checkTimestamp(hand.startDateTimeUTC, at: "\(position).StartDateTimeUTC")
        gameVariant = hand.gameVariant
        gameClass = hand.gameClass
        betStructure = hand.betStructure
        if let text = hand.duration {
            guard let seconds = GFXSessionRecord.seconds(ofDuration: text) else {
                throw ContentError(position: "\(position).Duration", reason: "'\(text)' is not an ISO-8601 duration (PT1M23.19S)")
            }
            durationSeconds = seconds
        }
        recordingOffset = hand.recordingOffsetStart
        anteAmt = try Self.chips(hand.anteAmt, at: "\(position).AnteAmt")
        bombPotAmt = try Self.chips(hand.bombPotAmt, at: "\(position).BombPotAmt")
        numBoards = hand.numBoards
        runItNumTimes = hand.runItNumTimes
        description = hand.description
        blinds = hand.flopDrawBlinds
        studLimits = hand.studLimits
        var seats = Set<Int>()
        players = try hand.players.enumerated().map { index, p in
            // Positions are built only for an error.
            func at() -> String { "\(position).Players[\(index)]" }
            guard seats.insert(p.playerNum).inserted else {
                throw ContentError(position: "\(at()).PlayerNum", reason: "seat \(p.playerNum) appears twice in the hand")
            }
            let text = p.holeCards.count == 1 ? p.holeCards[0] : p.holeCards.joined(separator: " ")
            guard let cards = text.isEmpty ? [] : Card.parseList(text) else {
                throw ContentError(position: "\(at()).HoleCards", reason: "'\(text)' is not a list of cards (e.g. \"ac 10d\")")
            }
            return Player(seat: p.playerNum, name: p.name, longName: p.longName,
                          nameKey: Self.nameKey(p.name.isEmpty ? p.longName : p.name),
                          startStack: try Self.chips(p.startStackAmt, at: "\(at()).StartStackAmt"),
                          endStack: try Self.chips(p.endStackAmt, at: "\(at()).EndStackAmt"),
                          cumulativeWinnings: try Self.chips(p.cumulativeWinningsAmt, at: "\(at()).CumulativeWinningsAmt"),
                          blindBetStraddle: try Self.chips(p.blindBetStraddleAmt, at: "\(at()).BlindBetStraddleAmt"), holeCards: cards, sittingOut: p.sittingOut,
                          eliminationRank: p.eliminationRank, vpip: p.vpipPercent, pfr: p.preFlopRaisePercent,
                          aggression: p.aggressionFrequencyPercent, showdown: p.wentToShowDownPercent)
        }
        var board: [Card] = []
        events = try hand.events.enumerated().map { index, e in
            var card: Card?
            if let text = e.boardCards, !Self.isBlank(text) {
                guard let cards = Card.parseList(text), cards.count == 1 else {
                    throw ContentError(position: "\(position).Events[\(index)].BoardCards", reason: "'\(text)' is not one card (e.g. \"10d\")")
                }
                card = cards[0]
                if e.boardNum <= 1 { board.append(cards[0]) }
            }
            if let time = e.dateTimeUTC { _ = try GFXSessionRecord.checkTimestamp(time, at: "\(position).Events[\(index)].DateTimeUTC") }
            return Event(type: e.eventType, playerNum: e.playerNum,
                         betAmt: try Self.chips(e.betAmt, at: "\(position).Events[\(index)].BetAmt"),
                         pot: try Self.chips(e.pot, at: "\(position).Events[\(index)].Pot"), boardCard: card,
                         boardNum: e.boardNum, occurredAt: e.dateTimeUTC, numCardsDrawn: e.numCardsDrawn)
        }
        self.board = board
        pot = events.map(\.pot).max() ?? 0
        // Amounts are within ±2^53 (``chips(_:at:)``), so the difference cannot overflow.
        let gains = players.map { ($0.seat, $0.endStack - $0.startStack) }.filter { $0.1 > 0 }
        winnerSeat = gains.max { $0.1 < $1.1 }?.0
    }

    /// The largest chip amount a file may hold: 2^53 − 1, the largest integer every JSON reader
    /// (the dashboard's JavaScript included) keeps exact. Far above any real stack or pot.
    package static let maximumChips: Int64 = 9_007_199_254_740_991

    /// `value` when it is a plausible chip amount (within ±``maximumChips``).
    /// - Throws: ``ContentError`` naming the field: an amount this large is a corrupt export, and
    ///   arithmetic on it (a stack's gain) would overflow.
    static func chips(_ value: Int64, at position: @autoclosure () -> String) throws -> Int64 {
        guard (-maximumChips...maximumChips).contains(value) else {
            throw ContentError(position: position(), reason: "\(value) is not a chip amount (at most ±\(maximumChips))")
        }
        return value
    }

    /// Whether `text` is empty or only spaces and tabs (`CharacterSet.whitespaces`).
    static func isBlank(_ text: String) -> Bool {
        var copy = text
        if let ascii = copy.withUTF8({ bytes in bytes.allSatisfy { $0 < 0x80 } ? bytes.allSatisfy { $0 == 0x20 || $0 == 0x09 } : nil }) {
            return ascii
        }
        return text.trimmingCharacters(in: .whitespaces).isEmpty
    }

    /// The master-table key of a player name: trimmed, inner whitespace collapsed, case folded.
    package static func nameKey(_ name: String) -> String {
        var copy = name
        // ASCII names (nearly all) byte by byte; the same result as the general rule below.
        if let key = copy.withUTF8({ bytes -> String? in
            var out: [UInt8] = []
            out.reserveCapacity(bytes.count)
            var pendingSpace = false
            for byte in bytes {
                guard byte < 0x80 else { return nil }
                if byte == 0x20 || (0x09...0x0D).contains(byte) {
                    pendingSpace = !out.isEmpty
                    continue
                }
                if pendingSpace { out.append(0x20); pendingSpace = false }
                out.append((0x41...0x5A).contains(byte) ? byte + 0x20 : byte)
            }
            return String(decoding: out, as: UTF8.self)
        }) {
            return key
        }
        return name.split(whereSeparator: \.isWhitespace).joined(separator: " ").lowercased()
    }
}
