import Foundation

/// A direct reader of PokerGFX exports: one pass over the bytes into ``GFXExport``, for the
/// import's speed (`JSONDecoder` and the Codable initializers spent 20 of the 34 CPU seconds of a
/// 1,400-file import; this reads the same files about fifteen times faster).
///
/// It accepts only what it can read exactly as ``GFXExport/init(from:)`` through `JSONDecoder`
/// would — strict JSON, the fields' types as the Codable path expects them, integers as plain
/// digits, keys without escapes and not repeated — and gives up (nil) on anything else: a wrong
/// type, a missing required field, an unusual number, invalid UTF-8, a truncated file. The caller
/// then decodes with `JSONDecoder`, which is the authority on what the file holds and, for a bad
/// file, on the position and reason reported. So a file reads the same whichever way it is read;
/// `GFXFastDecoderTests` check that on the samples, on generated exports and on mutated ones.
enum GFXFastDecoder {
    /// `data` decoded, or nil when the Codable path must decide.
    static func decode(_ data: Data) -> GFXExport? {
        data.withUnsafeBytes { raw -> GFXExport? in
            guard let base = raw.baseAddress, raw.count > 0 else { return nil }
            var reader = Reader(bytes: base.assumingMemoryBound(to: UInt8.self), count: raw.count)
            guard let export = reader.export() else { return nil }
            reader.skipSpace()
            return reader.index == reader.count ? export : nil
        }
    }

    /// Gives up: the Codable path decides.
    struct GiveUp: Error {}

    /// The members of each object, in the order of their `case` in the reader (the Codable keys).
    static let exportKeys: [StaticString] = ["ID", "CreatedDateTimeUTC", "EventTitle", "SoftwareVersion", "Type", "Payouts", "Hands"]
    static let handKeys: [StaticString] = [
        "HandNum", "GameVariant", "GameClass", "BetStructure", "Duration", "StartDateTimeUTC", "RecordingOffsetStart", "AnteAmt",
        "BombPotAmt", "NumBoards", "RunItNumTimes", "Description", "FlopDrawBlinds", "StudLimits", "Players", "Events",
    ]
    static let playerKeys: [StaticString] = [
        "PlayerNum", "Name", "LongName", "StartStackAmt", "EndStackAmt", "CumulativeWinningsAmt", "BlindBetStraddleAmt", "HoleCards",
        "SittingOut", "EliminationRank", "VPIPPercent", "PreFlopRaisePercent", "AggressionFrequencyPercent", "WentToShowDownPercent",
    ]
    static let eventKeys: [StaticString] = ["EventType", "PlayerNum", "BetAmt", "Pot", "BoardCards", "BoardNum", "DateTimeUTC", "NumCardsDrawn"]

    struct Reader {
        /// The position of `key` in `names`, or nil for a member the reader does not know.
        static func index(of key: UnsafeBufferPointer<UInt8>, in names: [StaticString]) -> Int? {
            for (position, name) in names.enumerated()
            where name.utf8CodeUnitCount == key.count && memcmp(name.utf8Start, key.baseAddress!, key.count) == 0 {
                return position
            }
            return nil
        }

        static let exportKeys = GFXFastDecoder.exportKeys
        static let handKeys = GFXFastDecoder.handKeys
        static let playerKeys = GFXFastDecoder.playerKeys
        static let eventKeys = GFXFastDecoder.eventKeys

        let bytes: UnsafePointer<UInt8>
        let count: Int
        var index = 0
        var depth = 0

        init(bytes: UnsafePointer<UInt8>, count: Int) {
            self.bytes = bytes
            self.count = count
        }

        // MARK: Documents

        mutating func export() -> GFXExport? {
            try? readExport()
        }

        mutating func readExport() throws -> GFXExport {
            var id: Int64?, createdAt: String?, eventTitle: String?, softwareVersion: String?, type: String?
            var payouts: [Int64]?, hands: [GFXExport.Hand]?
            var seen: UInt32 = 0
            try beginObject()
            var first = true
            while let key = try nextKey(&first) {
                switch Self.index(of: key, in: Self.exportKeys) {
                case 0: /* ID */ try once(&seen, 0); id = try null() ? nil : try int64()
                case 1: /* CreatedDateTimeUTC */ try once(&seen, 1); createdAt = try null() ? nil : try string()
                case 2: /* EventTitle */ try once(&seen, 2); eventTitle = try null() ? nil : try string()
                case 3: /* SoftwareVersion */ try once(&seen, 3); softwareVersion = try null() ? nil : try string()
                case 4: /* Type */ try once(&seen, 4); type = try null() ? nil : try string()
                case 5: // Payouts
                    try once(&seen, 5)
                    if try !null() {
                        var items: [Int64] = []
                        try beginArray()
                        var firstItem = true
                        while try nextElement(&firstItem) { items.append(try int64()) }
                        payouts = items
                    }
                case 6: // Hands
                    try once(&seen, 6)
                    if try !null() {
                        var items: [GFXExport.Hand] = []
                        try beginArray()
                        var firstItem = true
                        while try nextElement(&firstItem) { items.append(try hand()) }
                        hands = items
                    }
                default: try skipValue()
                }
            }
            return GFXExport(fastID: id, createdAt: createdAt, eventTitle: eventTitle ?? "", softwareVersion: softwareVersion, type: type,
                             payouts: payouts, hands: hands ?? [])
        }

        mutating func hand() throws -> GFXExport.Hand {
            var handNum: Int?, gameVariant: String?, gameClass: String?, betStructure: String?, duration: String?
            var start: String?, recordingOffset: String?, ante: Int64?, bomb: Int64?, numBoards: Int?, runItNumTimes: Int?
            var description: String?, blinds: [String: JSONValue]?, stud: [String: JSONValue]?
            var players: [GFXExport.Player]?, events: [GFXExport.Event]?
            var seen: UInt32 = 0
            try beginObject()
            var first = true
            while let key = try nextKey(&first) {
                switch Self.index(of: key, in: Self.handKeys) {
                case 0: /* HandNum */ try once(&seen, 0); handNum = try int()
                case 1: /* GameVariant */ try once(&seen, 1); gameVariant = try null() ? nil : try string()
                case 2: /* GameClass */ try once(&seen, 2); gameClass = try null() ? nil : try string()
                case 3: /* BetStructure */ try once(&seen, 3); betStructure = try null() ? nil : try string()
                case 4: /* Duration */ try once(&seen, 4); duration = try null() ? nil : try string()
                case 5: /* StartDateTimeUTC */ try once(&seen, 5); start = try string()
                case 6: /* RecordingOffsetStart */ try once(&seen, 6); recordingOffset = try null() ? nil : try string()
                case 7: /* AnteAmt */ try once(&seen, 7); ante = try null() ? nil : try int64()
                case 8: /* BombPotAmt */ try once(&seen, 8); bomb = try null() ? nil : try int64()
                case 9: /* NumBoards */ try once(&seen, 9); numBoards = try null() ? nil : try int()
                case 10: /* RunItNumTimes */ try once(&seen, 10); runItNumTimes = try null() ? nil : try int()
                case 11: /* Description */ try once(&seen, 11); description = try null() ? nil : try string()
                case 12: /* FlopDrawBlinds */ try once(&seen, 12); blinds = try null() ? nil : try numericObject()
                case 13: /* StudLimits */ try once(&seen, 13); stud = try null() ? nil : try numericObject()
                case 14: // Players
                    try once(&seen, 14)
                    if try !null() {
                        var items: [GFXExport.Player] = []
                        try beginArray()
                        var firstItem = true
                        while try nextElement(&firstItem) { items.append(try player()) }
                        players = items
                    }
                case 15: // Events
                    try once(&seen, 15)
                    if try !null() {
                        var items: [GFXExport.Event] = []
                        try beginArray()
                        var firstItem = true
                        while try nextElement(&firstItem) { items.append(try event()) }
                        events = items
                    }
                default: try skipValue()
                }
            }
            guard let handNum, let start else { throw GiveUp() }
            return GFXExport.Hand(fastHandNum: handNum, gameVariant: gameVariant ?? "", gameClass: gameClass ?? "", betStructure: betStructure ?? "",
                                  duration: duration, startDateTimeUTC: start, recordingOffsetStart: recordingOffset, anteAmt: ante ?? 0,
                                  bombPotAmt: bomb ?? 0, numBoards: numBoards ?? 1, runItNumTimes: runItNumTimes ?? 1,
                                  description: description ?? "", flopDrawBlinds: blinds ?? [:], studLimits: stud ?? [:],
                                  players: players ?? [], events: events ?? [])
        }

        mutating func player() throws -> GFXExport.Player {
            var playerNum: Int?, name: String?, longName: String?, start: Int64?, end: Int64?, cumulative: Int64?, straddle: Int64?
            var hole: [String]?, sittingOut: Bool?, elimination: Int?, vpip: Double?, pfr: Double?, aggression: Double?, showdown: Double?
            var seen: UInt32 = 0
            try beginObject()
            var first = true
            while let key = try nextKey(&first) {
                switch Self.index(of: key, in: Self.playerKeys) {
                case 0: /* PlayerNum */ try once(&seen, 0); playerNum = try int()
                case 1: /* Name */ try once(&seen, 1); name = try null() ? nil : try string()
                case 2: /* LongName */ try once(&seen, 2); longName = try null() ? nil : try string()
                case 3: /* StartStackAmt */ try once(&seen, 3); start = try null() ? nil : try int64()
                case 4: /* EndStackAmt */ try once(&seen, 4); end = try null() ? nil : try int64()
                case 5: /* CumulativeWinningsAmt */ try once(&seen, 5); cumulative = try null() ? nil : try int64()
                case 6: /* BlindBetStraddleAmt */ try once(&seen, 6); straddle = try null() ? nil : try int64()
                case 7: /* HoleCards */ try once(&seen, 7); hole = try null() ? nil : try strings()
                case 8: /* SittingOut */ try once(&seen, 8); sittingOut = try null() ? nil : try bool()
                case 9: /* EliminationRank */ try once(&seen, 9); elimination = try null() ? nil : try int()
                case 10: /* VPIPPercent */ try once(&seen, 10); vpip = try null() ? nil : try double()
                case 11: /* PreFlopRaisePercent */ try once(&seen, 11); pfr = try null() ? nil : try double()
                case 12: /* AggressionFrequencyPercent */ try once(&seen, 12); aggression = try null() ? nil : try double()
                case 13: /* WentToShowDownPercent */ try once(&seen, 13); showdown = try null() ? nil : try double()
                default: try skipValue()
                }
            }
            guard let playerNum else { throw GiveUp() }
            return GFXExport.Player(fastPlayerNum: playerNum, name: name ?? "", longName: longName ?? "", startStackAmt: start ?? 0,
                                    endStackAmt: end ?? 0, cumulativeWinningsAmt: cumulative ?? 0, blindBetStraddleAmt: straddle ?? 0,
                                    holeCards: hole ?? [], sittingOut: sittingOut ?? false, eliminationRank: elimination ?? -1,
                                    vpipPercent: vpip ?? 0, preFlopRaisePercent: pfr ?? 0, aggressionFrequencyPercent: aggression ?? 0,
                                    wentToShowDownPercent: showdown ?? 0)
        }

        mutating func event() throws -> GFXExport.Event {
            var type: String?, playerNum: Int?, bet: Int64?, pot: Int64?, boardCards: String?, boardNum: Int?, time: String?, drawn: Int?
            var seen: UInt32 = 0
            try beginObject()
            var first = true
            while let key = try nextKey(&first) {
                switch Self.index(of: key, in: Self.eventKeys) {
                case 0: /* EventType */ try once(&seen, 0); type = try null() ? nil : try string()
                case 1: /* PlayerNum */ try once(&seen, 1); playerNum = try null() ? nil : try int()
                case 2: /* BetAmt */ try once(&seen, 2); bet = try null() ? nil : try int64()
                case 3: /* Pot */ try once(&seen, 3); pot = try null() ? nil : try int64()
                case 4: // BoardCards
                    // A string per event; an array of cards is accepted too (joined with spaces).
                    try once(&seen, 4)
                    if try !null() {
                        skipSpace()
                        boardCards = peek() == UInt8(ascii: "[") ? try strings().joined(separator: " ") : try string()
                    }
                case 5: /* BoardNum */ try once(&seen, 5); boardNum = try null() ? nil : try int()
                case 6: /* DateTimeUTC */ try once(&seen, 6); time = try null() ? nil : try string()
                case 7: /* NumCardsDrawn */ try once(&seen, 7); drawn = try null() ? nil : try int()
                default: try skipValue()
                }
            }
            return GFXExport.Event(fastEventType: type ?? "", playerNum: playerNum ?? 0, betAmt: bet ?? 0, pot: pot ?? 0, boardCards: boardCards,
                                   boardNum: boardNum ?? 0, dateTimeUTC: time, numCardsDrawn: drawn ?? 0)
        }

        /// An array of strings.
        mutating func strings() throws -> [String] {
            var items: [String] = []
            try beginArray()
            var first = true
            while try nextElement(&first) { items.append(try string()) }
            return items
        }

        /// `FlopDrawBlinds`, `StudLimits`: null, integers, strings and booleans kept as
        /// ``GFXExport/NumericObject`` keeps them; anything else gives up.
        mutating func numericObject() throws -> [String: JSONValue] {
            var fields: [String: JSONValue] = [:]
            try beginObject()
            var first = true
            while let key = try nextKey(&first) {
                let value: JSONValue
                switch peek() {
                case UInt8(ascii: "n"): try literal("null"); value = .null
                case UInt8(ascii: "t"): try literal("true"); value = .bool(true)
                case UInt8(ascii: "f"): try literal("false"); value = .bool(false)
                case UInt8(ascii: "\""): value = .string(try string())
                default: value = .integer(try int64())
                }
                guard fields.updateValue(value, forKey: String(decoding: key, as: UTF8.self)) == nil else { throw GiveUp() }
            }
            return fields
        }

        // MARK: Structure

        mutating func beginObject() throws {
            skipSpace()
            try expect(UInt8(ascii: "{"))
            depth += 1
            guard depth < 64 else { throw GiveUp() }
        }

        /// The next key of the object begun (the reader then at its value), or nil at its end.
        mutating func nextKey(_ first: inout Bool) throws -> UnsafeBufferPointer<UInt8>? {
            skipSpace()
            if first {
                first = false
                if peek() == UInt8(ascii: "}") {
                    index += 1
                    depth -= 1
                    return nil
                }
            } else {
                let next = try take()
                if next == UInt8(ascii: "}") {
                    depth -= 1
                    return nil
                }
                guard next == UInt8(ascii: ",") else { throw GiveUp() }
                skipSpace()
            }
            let key = try plainKey()
            skipSpace()
            try expect(UInt8(ascii: ":"))
            skipSpace()
            return key
        }

        mutating func beginArray() throws {
            skipSpace()
            try expect(UInt8(ascii: "["))
            depth += 1
            guard depth < 64 else { throw GiveUp() }
        }

        /// Whether the array begun has another element (the reader then at it).
        mutating func nextElement(_ first: inout Bool) throws -> Bool {
            skipSpace()
            if first {
                first = false
                if peek() == UInt8(ascii: "]") {
                    index += 1
                    depth -= 1
                    return false
                }
                return true
            }
            let next = try take()
            if next == UInt8(ascii: "]") {
                depth -= 1
                return false
            }
            guard next == UInt8(ascii: ",") else { throw GiveUp() }
            skipSpace()
            return true
        }

        /// Whether the next value is JSON null (then read): `decodeIfPresent` reads null as absent.
        mutating func null() throws -> Bool {
            skipSpace()
            guard peek() == UInt8(ascii: "n") else { return false }
            try literal("null")
            return true
        }

        /// Marks field `bit` as seen; a repeated key gives up (which one `JSONDecoder` keeps is its business).
        func once(_ seen: inout UInt32, _ bit: UInt32) throws {
            guard seen & (1 << bit) == 0 else { throw GiveUp() }
            seen |= 1 << bit
        }

        // MARK: Values

        /// An integer written as plain digits (`-?(0|[1-9][0-9]*)`) that fits `Int64`.
        mutating func int64() throws -> Int64 {
            skipSpace()
            var negative = false
            if peek() == UInt8(ascii: "-") {
                negative = true
                index += 1
            }
            let first = index
            var magnitude: UInt64 = 0
            while index < count, bytes[index] &- 48 < 10 {
                let (times, o1) = magnitude.multipliedReportingOverflow(by: 10)
                let (plus, o2) = times.addingReportingOverflow(UInt64(bytes[index] &- 48))
                guard !o1, !o2 else { throw GiveUp() }
                magnitude = plus
                index += 1
            }
            let digits = index - first
            guard digits > 0, digits == 1 || bytes[first] != UInt8(ascii: "0") else { throw GiveUp() }
            // A fraction or an exponent: JSONDecoder's business.
            if index < count, bytes[index] == UInt8(ascii: ".") || bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
                throw GiveUp()
            }
            if negative {
                guard magnitude <= UInt64(Int64.max) + 1 else { throw GiveUp() }
                return magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
            }
            guard magnitude <= UInt64(Int64.max) else { throw GiveUp() }
            return Int64(magnitude)
        }

        mutating func int() throws -> Int { Int(try int64()) }

        /// Any JSON number, through `Double(_:)` (correctly rounded, as `JSONDecoder` reads it); a
        /// value too large for a Double gives up.
        mutating func double() throws -> Double {
            skipSpace()
            let first = index
            if peek() == UInt8(ascii: "-") { index += 1 }
            let intStart = index
            while index < count, bytes[index] &- 48 < 10 { index += 1 }
            let intDigits = index - intStart
            guard intDigits > 0, intDigits == 1 || bytes[intStart] != UInt8(ascii: "0") else { throw GiveUp() }
            var plainInteger = true
            if index < count, bytes[index] == UInt8(ascii: ".") {
                plainInteger = false
                index += 1
                let fractionStart = index
                while index < count, bytes[index] &- 48 < 10 { index += 1 }
                guard index > fractionStart else { throw GiveUp() }
            }
            if index < count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
                plainInteger = false
                index += 1
                if index < count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
                let exponentStart = index
                while index < count, bytes[index] &- 48 < 10 { index += 1 }
                guard index > exponentStart else { throw GiveUp() }
            }
            // Small plain integers (the usual percentages: 0, 25) are exact in a Double.
            if plainInteger, index - first <= 15 {
                var value = 0.0
                for position in intStart..<index { value = value * 10 + Double(bytes[position] &- 48) }
                return bytes[first] == UInt8(ascii: "-") ? -value : value
            }
            let text = String(decoding: UnsafeBufferPointer(start: bytes + first, count: index - first), as: UTF8.self)
            guard let value = Double(text), value.isFinite else { throw GiveUp() }
            return value
        }

        mutating func bool() throws -> Bool {
            skipSpace()
            if peek() == UInt8(ascii: "t") {
                try literal("true")
                return true
            }
            try literal("false")
            return false
        }

        /// A string: escapes decoded, UTF-8 checked, control characters refused.
        mutating func string() throws -> String {
            skipSpace()
            try expect(UInt8(ascii: "\""))
            let start = index
            var ascii = true
            while index < count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    let run = UnsafeBufferPointer(start: bytes + start, count: index - start)
                    index += 1
                    if ascii { return String(decoding: run, as: UTF8.self) }
                    guard let text = String(validating: run, as: UTF8.self) else { throw GiveUp() }
                    return text
                }
                if byte == UInt8(ascii: "\\") {
                    index = start
                    return try escapedString()
                }
                guard byte >= 0x20 else { throw GiveUp() }
                if byte >= 0x80 { ascii = false }
                index += 1
            }
            throw GiveUp()
        }

        /// The rest of a string with escapes (the reader just after its opening quote).
        mutating func escapedString() throws -> String {
            var utf8: [UInt8] = []
            while index < count {
                let byte = bytes[index]
                index += 1
                switch byte {
                case UInt8(ascii: "\""):
                    guard let text = String(validating: utf8, as: UTF8.self) else { throw GiveUp() }
                    return text
                case UInt8(ascii: "\\"):
                    guard JSONEscape.decode(UnsafeBufferPointer(start: bytes, count: count), at: &index, into: &utf8) else { throw GiveUp() }
                default:
                    guard byte >= 0x20 else { throw GiveUp() }
                    utf8.append(byte)
                }
            }
            throw GiveUp()
        }

        /// A key without escapes (a key with one could still name a field: JSONDecoder decides), as
        /// its bytes in the file (checked to be UTF-8).
        mutating func plainKey() throws -> UnsafeBufferPointer<UInt8> {
            try expect(UInt8(ascii: "\""))
            let start = index
            var ascii = true
            while index < count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    let run = UnsafeBufferPointer(start: bytes + start, count: index - start)
                    index += 1
                    guard ascii || String(validating: run, as: UTF8.self) != nil else { throw GiveUp() }
                    return run
                }
                guard byte != UInt8(ascii: "\\"), byte >= 0x20 else { throw GiveUp() }
                if byte >= 0x80 { ascii = false }
                index += 1
            }
            throw GiveUp()
        }

        /// Steps over any JSON value, checking it is well-formed.
        mutating func skipValue() throws {
            skipSpace()
            switch peek() {
            case UInt8(ascii: "{"):
                try beginObject()
                var first = true
                while try nextKey(&first) != nil { try skipValue() }
            case UInt8(ascii: "["):
                try beginArray()
                var first = true
                while try nextElement(&first) { try skipValue() }
            case UInt8(ascii: "\""): _ = try string()
            case UInt8(ascii: "t"): try literal("true")
            case UInt8(ascii: "f"): try literal("false")
            case UInt8(ascii: "n"): try literal("null")
            default: _ = try number()
            }
        }

        /// Steps over a number, checking its form only (its value is not read).
        mutating func number() throws {
            if peek() == UInt8(ascii: "-") { index += 1 }
            let intStart = index
            while index < count, bytes[index] &- 48 < 10 { index += 1 }
            guard index > intStart, index - intStart == 1 || bytes[intStart] != UInt8(ascii: "0") else { throw GiveUp() }
            if index < count, bytes[index] == UInt8(ascii: ".") {
                index += 1
                let start = index
                while index < count, bytes[index] &- 48 < 10 { index += 1 }
                guard index > start else { throw GiveUp() }
            }
            if index < count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
                index += 1
                if index < count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
                let start = index
                while index < count, bytes[index] &- 48 < 10 { index += 1 }
                guard index > start else { throw GiveUp() }
            }
        }

        // MARK: Bytes

        mutating func skipSpace() {
            while index < count {
                switch bytes[index] {
                case 0x20, 0x0A, 0x0D, 0x09: index += 1
                default: return
                }
            }
        }

        func peek() -> UInt8 { index < count ? bytes[index] : 0 }

        mutating func take() throws -> UInt8 {
            guard index < count else { throw GiveUp() }
            defer { index += 1 }
            return bytes[index]
        }

        mutating func expect(_ byte: UInt8) throws {
            guard try take() == byte else { throw GiveUp() }
        }

        mutating func literal(_ word: StaticString) throws {
            let length = word.utf8CodeUnitCount
            guard count - index >= length, memcmp(bytes + index, word.utf8Start, length) == 0 else { throw GiveUp() }
            index += length
        }
    }
}

// Memberwise initializers for the fast reader (the Codable initializers stay the authority).
extension GFXExport {
    init(fastID id: Int64?, createdAt: String?, eventTitle: String, softwareVersion: String?, type: String?, payouts: [Int64]?, hands: [Hand]) {
        self.id = id
        self.createdAt = createdAt
        self.eventTitle = eventTitle
        self.softwareVersion = softwareVersion
        self.type = type
        self.payouts = payouts
        self.hands = hands
    }
}

extension GFXExport.Hand {
    init(fastHandNum handNum: Int, gameVariant: String, gameClass: String, betStructure: String, duration: String?, startDateTimeUTC: String,
         recordingOffsetStart: String?, anteAmt: Int64, bombPotAmt: Int64, numBoards: Int, runItNumTimes: Int, description: String,
         flopDrawBlinds: [String: JSONValue], studLimits: [String: JSONValue], players: [GFXExport.Player], events: [GFXExport.Event]) {
        self.handNum = handNum
        self.gameVariant = gameVariant
        self.gameClass = gameClass
        self.betStructure = betStructure
        self.duration = duration
        self.startDateTimeUTC = startDateTimeUTC
        self.recordingOffsetStart = recordingOffsetStart
        self.anteAmt = anteAmt
        self.bombPotAmt = bombPotAmt
        self.numBoards = numBoards
        self.runItNumTimes = runItNumTimes
        self.description = description
        self.flopDrawBlinds = flopDrawBlinds
        self.studLimits = studLimits
        self.players = players
        self.events = events
    }
}

extension GFXExport.Player {
    init(fastPlayerNum playerNum: Int, name: String, longName: String, startStackAmt: Int64, endStackAmt: Int64, cumulativeWinningsAmt: Int64,
         blindBetStraddleAmt: Int64, holeCards: [String], sittingOut: Bool, eliminationRank: Int, vpipPercent: Double,
         preFlopRaisePercent: Double, aggressionFrequencyPercent: Double, wentToShowDownPercent: Double) {
        self.playerNum = playerNum
        self.name = name
        self.longName = longName
        self.startStackAmt = startStackAmt
        self.endStackAmt = endStackAmt
        self.cumulativeWinningsAmt = cumulativeWinningsAmt
        self.blindBetStraddleAmt = blindBetStraddleAmt
        self.holeCards = holeCards
        self.sittingOut = sittingOut
        self.eliminationRank = eliminationRank
        self.vpipPercent = vpipPercent
        self.preFlopRaisePercent = preFlopRaisePercent
        self.aggressionFrequencyPercent = aggressionFrequencyPercent
        self.wentToShowDownPercent = wentToShowDownPercent
    }
}

extension GFXExport.Event {
    init(fastEventType eventType: String, playerNum: Int, betAmt: Int64, pot: Int64, boardCards: String?, boardNum: Int, dateTimeUTC: String?,
         numCardsDrawn: Int) {
        self.eventType = eventType
        self.playerNum = playerNum
        self.betAmt = betAmt
        self.pot = pot
        self.boardCards = boardCards
        self.boardNum = boardNum
        self.dateTimeUTC = dateTimeUTC
        self.numCardsDrawn = numCardsDrawn
    }
}
