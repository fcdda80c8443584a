import Foundation

/// One PokerGFX "live data export" file (SPEC §4.1), decoded tolerantly: fields real exports leave
/// out take their neutral value, unknown fields and event types are kept or ignored, and numbers
/// are decoded as integers from their digits (the session `ID` is .NET ticks, above 2^53, and would
/// lose digits through a Double). A field of the wrong type is an error naming its path.
package struct GFXExport: Sendable, Decodable {
    /// The session id (`ID`); nil when the export has none (the file name's `GameID=` is used).
    package var id: Int64?
    package var createdAt: String?
    package var eventTitle: String
    package var softwareVersion: String?
    /// `FEATURE_TABLE`, …; nil when missing.
    package var type: String?
    package var payouts: [Int64]?
    package var hands: [Hand]

    enum CodingKeys: String, CodingKey {
        case id = "ID", createdAt = "CreatedDateTimeUTC", eventTitle = "EventTitle", softwareVersion = "SoftwareVersion"
        case type = "Type", payouts = "Payouts", hands = "Hands"
    }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decodeIfPresent(Int64.self, forKey: .id)
        createdAt = try c.decodeIfPresent(String.self, forKey: .createdAt)
        eventTitle = try c.decodeIfPresent(String.self, forKey: .eventTitle) ?? ""
        softwareVersion = try c.decodeIfPresent(String.self, forKey: .softwareVersion)
        type = try c.decodeIfPresent(String.self, forKey: .type)
        payouts = try c.decodeIfPresent([Int64].self, forKey: .payouts)
        hands = try c.decodeIfPresent([Hand].self, forKey: .hands) ?? []
    }

    /// One hand.
    package struct Hand: Sendable, Decodable {
        package var handNum: Int
        package var gameVariant: String
        package var gameClass: String
        package var betStructure: String
        /// ISO-8601 duration (`PT1M23.19S`).
        package var duration: String?
        package var startDateTimeUTC: String
        package var recordingOffsetStart: String?
        package var anteAmt: Int64
        package var bombPotAmt: Int64
        package var numBoards: Int
        package var runItNumTimes: Int
        package var description: String
        package var flopDrawBlinds: [String: JSONValue]
        package var studLimits: [String: JSONValue]
        package var players: [Player]
        package var events: [Event]

        enum CodingKeys: String, CodingKey {
            case handNum = "HandNum", gameVariant = "GameVariant", gameClass = "GameClass", betStructure = "BetStructure"
            case duration = "Duration", startDateTimeUTC = "StartDateTimeUTC", recordingOffsetStart = "RecordingOffsetStart"
            case anteAmt = "AnteAmt", bombPotAmt = "BombPotAmt", numBoards = "NumBoards", runItNumTimes = "RunItNumTimes"
            case description = "Description", flopDrawBlinds = "FlopDrawBlinds", studLimits = "StudLimits"
            case players = "Players", events = "Events"
        }

        package init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            handNum = try c.decode(Int.self, forKey: .handNum)
            gameVariant = try c.decodeIfPresent(String.self, forKey: .gameVariant) ?? ""
            gameClass = try c.decodeIfPresent(String.self, forKey: .gameClass) ?? ""
            betStructure = try c.decodeIfPresent(String.self, forKey: .betStructure) ?? ""
            duration = try c.decodeIfPresent(String.self, forKey: .duration)
            startDateTimeUTC = try c.decode(String.self, forKey: .startDateTimeUTC)
            recordingOffsetStart = try c.decodeIfPresent(String.self, forKey: .recordingOffsetStart)
            anteAmt = try c.decodeIfPresent(Int64.self, forKey: .anteAmt) ?? 0
            bombPotAmt = try c.decodeIfPresent(Int64.self, forKey: .bombPotAmt) ?? 0
            numBoards = try c.decodeIfPresent(Int.self, forKey: .numBoards) ?? 1
            runItNumTimes = try c.decodeIfPresent(Int.self, forKey: .runItNumTimes) ?? 1
            description = try c.decodeIfPresent(String.self, forKey: .description) ?? ""
            flopDrawBlinds = try c.decodeIfPresent(NumericObject.self, forKey: .flopDrawBlinds)?.fields ?? [:]
            studLimits = try c.decodeIfPresent(NumericObject.self, forKey: .studLimits)?.fields ?? [:]
            players = try c.decodeIfPresent([Player].self, forKey: .players) ?? []
            events = try c.decodeIfPresent([Event].self, forKey: .events) ?? []
        }
    }

    /// A seat in a hand.
    package struct Player: Sendable, Decodable {
        package var playerNum: Int
        package var name: String
        package var longName: String
        package var startStackAmt: Int64
        package var endStackAmt: Int64
        package var cumulativeWinningsAmt: Int64
        package var blindBetStraddleAmt: Int64
        /// As exported: one element holding a space-separated string (`["ac jc"]`, `[""]`).
        package var holeCards: [String]
        package var sittingOut: Bool
        package var eliminationRank: Int
        package var vpipPercent: Double
        package var preFlopRaisePercent: Double
        package var aggressionFrequencyPercent: Double
        package var wentToShowDownPercent: Double

        enum CodingKeys: String, CodingKey {
            case playerNum = "PlayerNum", name = "Name", longName = "LongName", startStackAmt = "StartStackAmt"
            case endStackAmt = "EndStackAmt", cumulativeWinningsAmt = "CumulativeWinningsAmt"
            case blindBetStraddleAmt = "BlindBetStraddleAmt", holeCards = "HoleCards", sittingOut = "SittingOut"
            case eliminationRank = "EliminationRank", vpipPercent = "VPIPPercent", preFlopRaisePercent = "PreFlopRaisePercent"
            case aggressionFrequencyPercent = "AggressionFrequencyPercent", wentToShowDownPercent = "WentToShowDownPercent"
        }

        package init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            playerNum = try c.decode(Int.self, forKey: .playerNum)
            name = try c.decodeIfPresent(String.self, forKey: .name) ?? ""
            longName = try c.decodeIfPresent(String.self, forKey: .longName) ?? ""
            startStackAmt = try c.decodeIfPresent(Int64.self, forKey: .startStackAmt) ?? 0
            endStackAmt = try c.decodeIfPresent(Int64.self, forKey: .endStackAmt) ?? 0
            cumulativeWinningsAmt = try c.decodeIfPresent(Int64.self, forKey: .cumulativeWinningsAmt) ?? 0
            blindBetStraddleAmt = try c.decodeIfPresent(Int64.self, forKey: .blindBetStraddleAmt) ?? 0
            holeCards = try c.decodeIfPresent([String].self, forKey: .holeCards) ?? []
            sittingOut = try c.decodeIfPresent(Bool.self, forKey: .sittingOut) ?? false
            eliminationRank = try c.decodeIfPresent(Int.self, forKey: .eliminationRank) ?? -1
            vpipPercent = try c.decodeIfPresent(Double.self, forKey: .vpipPercent) ?? 0
            preFlopRaisePercent = try c.decodeIfPresent(Double.self, forKey: .preFlopRaisePercent) ?? 0
            aggressionFrequencyPercent = try c.decodeIfPresent(Double.self, forKey: .aggressionFrequencyPercent) ?? 0
            wentToShowDownPercent = try c.decodeIfPresent(Double.self, forKey: .wentToShowDownPercent) ?? 0
        }
    }

    /// An action or a dealt board card.
    package struct Event: Sendable, Decodable {
        /// As exported (`FOLD`, `BOARD CARD`, a type this build has never seen, …).
        package var eventType: String
        package var playerNum: Int
        package var betAmt: Int64
        package var pot: Int64
        /// One card per `BOARD CARD` event (`10d`).
        package var boardCards: String?
        package var boardNum: Int
        package var dateTimeUTC: String?
        package var numCardsDrawn: Int

        enum CodingKeys: String, CodingKey {
            case eventType = "EventType", playerNum = "PlayerNum", betAmt = "BetAmt", pot = "Pot", boardCards = "BoardCards"
            case boardNum = "BoardNum", dateTimeUTC = "DateTimeUTC", numCardsDrawn = "NumCardsDrawn"
        }

        package init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            eventType = try c.decodeIfPresent(String.self, forKey: .eventType) ?? ""
            playerNum = try c.decodeIfPresent(Int.self, forKey: .playerNum) ?? 0
            betAmt = try c.decodeIfPresent(Int64.self, forKey: .betAmt) ?? 0
            pot = try c.decodeIfPresent(Int64.self, forKey: .pot) ?? 0
            // Seen as a string per event; an array of cards is accepted too.
            if let text = try? c.decodeIfPresent(String.self, forKey: .boardCards) {
                boardCards = text
            } else {
                boardCards = try c.decodeIfPresent([String].self, forKey: .boardCards)?.joined(separator: " ")
            }
            boardNum = try c.decodeIfPresent(Int.self, forKey: .boardNum) ?? 0
            dateTimeUTC = try c.decodeIfPresent(String.self, forKey: .dateTimeUTC)
            numCardsDrawn = try c.decodeIfPresent(Int.self, forKey: .numCardsDrawn) ?? 0
        }
    }

    /// An object of mostly integers (`FlopDrawBlinds`, `StudLimits`), kept whole as JSON values.
    ///
    /// Decodes each member as an integer first: ``JSONValue`` tries `Bool` first, and a failed
    /// attempt is a thrown error — a dozen per hand, a measurable part of an import.
    struct NumericObject: Decodable {
        var fields: [String: JSONValue]

        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: Key.self)
            var fields: [String: JSONValue] = [:]
            for key in c.allKeys {
                if try c.decodeNil(forKey: key) {
                    fields[key.stringValue] = .null
                } else if let value = try? c.decode(Int64.self, forKey: key) {
                    fields[key.stringValue] = .integer(value)
                } else {
                    fields[key.stringValue] = try c.decode(JSONValue.self, forKey: key)
                }
            }
            self.fields = fields
        }
    }
}
