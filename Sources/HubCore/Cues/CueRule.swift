import Foundation

/// A game event an automatic-graphics rule reacts to (GRAPHICS.md §5).
package enum CueRuleEvent: Sendable, Hashable {
    /// A player's elimination rank appears for the first time in the session.
    case elimination
    /// A shown hand graded full house or better.
    case premiumHand
    /// The hand's blinds or ante differ from the hand before it.
    case levelChange
    /// The player with the most chips in play differs from the hand before.
    case chipLeader
    /// Every hand whose number is a multiple of N.
    case every(Int)

    /// Parses `elimination`, `premium_hand`, `level_change`, `chip_leader`, `every:N`.
    /// - Throws: ``HubError`` `.usage` naming the accepted forms.
    package init(parsing text: String) throws {
        let lowered = text.trimmingCharacters(in: .whitespaces).lowercased()
        switch lowered {
        case "elimination": self = .elimination
        case "premium_hand": self = .premiumHand
        case "level_change": self = .levelChange
        case "chip_leader": self = .chipLeader
        default:
            if lowered.hasPrefix("every:"), let n = Int(lowered.dropFirst(6)), (1...100_000).contains(n) {
                self = .every(n)
            } else {
                throw HubError(.usage, "unknown rule event \"\(text)\": use elimination, premium_hand, level_change, chip_leader or every:N (N 1…100000)")
            }
        }
    }

    /// The `cue_rules.on_event` value.
    package var kind: String {
        switch self {
        case .elimination: "elimination"
        case .premiumHand: "premium_hand"
        case .levelChange: "level_change"
        case .chipLeader: "chip_leader"
        case .every: "every"
        }
    }

    /// N of `every:N`.
    package var everyN: Int? { if case .every(let n) = self { n } else { nil } }

    /// As written on the command line (`every:5`).
    package var text: String { everyN.map { "every:\($0)" } ?? kind }

    init?(kind: String, everyN: Int?) {
        switch kind {
        case "every": guard let everyN else { return nil }; self = .every(everyN)
        default: guard let event = try? CueRuleEvent(parsing: kind) else { return nil }; self = event
        }
    }
}

/// A rule of a broadcast session: on `event` at `table`, queue `composition` for that moment.
package struct CueRule: Sendable, Hashable, Encodable {
    package var id: Int64
    package var sessionID: Int64
    package var tableID: String
    package var event: CueRuleEvent
    package var composition: String
    package var priority: Int
    package var enabled: Bool
    package var createdBy: String
    package var createdAt: Date
    /// Events it fired for (and of them refused).
    package var fired: Int
    package var refused: Int

    enum CodingKeys: String, CodingKey {
        case id, sessionID = "session_id", tableID = "table_id", on, composition, priority, enabled, createdBy = "created_by"
        case createdAt = "created_at", fired, refused
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(sessionID, forKey: .sessionID)
        try c.encode(tableID, forKey: .tableID)
        try c.encode(event.text, forKey: .on)
        try c.encode(composition, forKey: .composition)
        try c.encode(priority, forKey: .priority)
        try c.encode(enabled, forKey: .enabled)
        try c.encode(createdBy, forKey: .createdBy)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(fired, forKey: .fired)
        try c.encode(refused, forKey: .refused)
    }
}
