import Foundation
import HubPostgres

/// What a cue shows, and so which data its trigger snapshots.
public enum CueType: String, Sendable, Hashable, Codable, CaseIterable {
    /// The top N of the event's latest chip counts (rank, name, chips, flag, photo).
    case leaderboard
    /// Chip counts of the players the item names (`players`), or the top N when it names none.
    case chipCount = "chip_count"
    /// One player's card (`player`): name, Korean name, country, flag, photo, chips, rank, bio, wins.
    case playerInfo = "player_info"
    /// The item's own `fields`, bound as they are.
    case custom
    /// A composition of the graphics catalog for a moment (`game`, `hand`, `player`,
    /// `start_rank`): its layer data is the `gfx_data` v3 document.
    case graphic
}

/// A cue item's state: `pending` until triggered, then it follows its render instruction.
public enum CueItemStatus: String, Sendable, Hashable, Codable, CaseIterable {
    case pending, queued, rendering, completed, failed, cancelled

    /// Whether a trigger is in flight (a second one is refused).
    public var isInFlight: Bool { self == .queued || self == .rendering }
}

/// A show: a broadcast session of one WSOP+ event (schema doc §2.5).
public struct BroadcastSession: Sendable, Hashable, Codable {
    public enum Status: String, Sendable, Hashable, Codable { case planned, live, ended }
    public var id: Int64
    public var name: String
    public var wsopEventID: Int64?
    /// The WSOP+ event id of the exports (`WSOP-2026-E76`).
    public var wsopEventKey: String?
    public var tableID: String?
    public var status: Status
    public var scheduledAt: Date?
    public var startedAt: Date?
    public var endedAt: Date?
    public var createdBy: String
    public var createdAt: Date

    /// The live channel of the session (SPEC §6).
    public var channel: String { Self.channel(id) }
    public static func channel(_ id: Int64) -> String { "broadcast-\(id)" }

    enum CodingKeys: String, CodingKey {
        case id
        case name
        case wsopEventID = "wsop_event_id"
        case wsopEventKey = "wsop_event_key"
        case tableID = "table_id"
        case status
        case scheduledAt = "scheduled_at"
        case startedAt = "started_at"
        case endedAt = "ended_at"
        case createdBy = "created_by"
        case createdAt = "created_at"
    }
}

/// A reusable cue: its type, the composition it renders and its defaults.
public struct CueTemplate: Sendable, Hashable, Codable {
    public var id: Int64
    public var name: String
    public var cueType: CueType
    public var aepProject: String
    public var aepComposition: String
    public var outputFormat: OutputSettings.Format
    public var priority: Int
    public var defaultData: [String: JSONValue]
    public var description: String?

    enum CodingKeys: String, CodingKey {
        case id
        case name
        case cueType = "cue_type"
        case aepProject = "aep_project"
        case aepComposition = "aep_composition"
        case outputFormat = "output_format"
        case priority
        case defaultData = "default_data"
        case description
    }
}

/// A list of cues in running order.
public struct CueSheet: Sendable, Hashable, Codable {
    public enum Status: String, Sendable, Hashable, Codable { case draft, ready, live, done }
    public var id: Int64
    public var sessionID: Int64
    public var name: String
    public var status: Status
    public var createdAt: Date

    enum CodingKeys: String, CodingKey {
        case id
        case sessionID = "session_id"
        case name
        case status
        case createdAt = "created_at"
    }
}

/// One cue of a sheet.
public struct CueItem: Sendable, Hashable, Codable {
    public var id: Int64
    public var sheetID: Int64
    public var sessionID: Int64
    public var number: Int
    public var cueType: CueType
    public var title: String
    public var templateID: Int64
    public var templateName: String
    /// The item's parameters (`top`, `player`, `players`, `fields`, `title`), over the template's defaults.
    public var data: [String: JSONValue]
    public var status: CueItemStatus
    public var renderInstructionID: Int64?
    public var error: String?
    public var triggeredAt: Date?
    public var completedAt: Date?
    public var updatedAt: Date

    /// The item as a live event's data.
    public var eventData: [String: JSONValue] {
        var data: [String: JSONValue] = [
            "id": .integer(id), "sheet_id": .integer(sheetID), "session_id": .integer(sessionID), "cue_number": .integer(Int64(number)),
            "cue_type": .string(cueType.rawValue), "status": .string(status.rawValue), "title": .string(title),
        ]
        if let renderInstructionID { data["render_instruction_id"] = .integer(renderInstructionID) }
        if let error { data["error"] = .string(error) }
        return data
    }

    enum CodingKeys: String, CodingKey {
        case id
        case sheetID = "sheet_id"
        case sessionID = "session_id"
        case number
        case cueType = "cue_type"
        case title
        case templateID = "template_id"
        case templateName = "template_name"
        case data
        case status
        case renderInstructionID = "render_instruction_id"
        case error
        case triggeredAt = "triggered_at"
        case completedAt = "completed_at"
        case updatedAt = "updated_at"
    }
}
