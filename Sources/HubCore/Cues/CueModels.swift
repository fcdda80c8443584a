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
    /// Not triggered yet (or reset).
    case pending
    /// Triggered: its render instruction waits for a worker.
    case queued
    /// A worker renders it.
    case rendering
    /// Rendered: the graphic is ready to air.
    case completed
    /// The render failed (``CueItem/error`` says why).
    case failed
    /// The render was cancelled.
    case cancelled

    /// Whether a trigger is in flight (a second one is refused).
    public var isInFlight: Bool { self == .queued || self == .rendering }
}

/// A show: a broadcast session of one WSOP+ event (schema doc §2.5).
package struct BroadcastSession: Sendable, Hashable, Codable {
    package enum Status: String, Sendable, Hashable, Codable { case planned, live, ended }
    package var id: Int64
    package var name: String
    package var wsopEventID: Int64?
    /// The WSOP+ event id of the exports (`WSOP-2026-E76`).
    package var wsopEventKey: String?
    package var tableID: String?
    package var status: Status
    package var scheduledAt: Date?
    package var startedAt: Date?
    package var endedAt: Date?
    package var createdBy: String
    package var createdAt: Date

    /// The live channel of the session (SPEC §6).
    package var channel: String { Self.channel(id) }
    package static func channel(_ id: Int64) -> String { "broadcast-\(id)" }

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
package struct CueTemplate: Sendable, Hashable, Codable {
    package var id: Int64
    package var name: String
    package var cueType: CueType
    package var aepProject: String
    package var aepComposition: String
    package var outputFormat: OutputSettings.Format
    package var priority: Int
    package var defaultData: [String: JSONValue]
    package var description: String?

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
    /// Where a sheet is in the show's preparation.
    public enum Status: String, Sendable, Hashable, Codable {
        /// Being written.
        case draft
        /// Complete, waiting for the show.
        case ready
        /// On air: its items are being fired.
        case live
        /// The show is over.
        case done
    }
    /// The sheet's id.
    public var id: Int64
    /// The broadcast session it belongs to.
    public var sessionID: Int64
    /// The sheet's name (`Day 2 feature table`).
    public var name: String
    /// Where the sheet is in the show's preparation.
    public var status: Status
    /// When it was created.
    public var createdAt: Date

    /// Creates a sheet value (the hub creates sheets with `hubctl cue sheet create`; a consumer
    /// builds one in tests).
    public init(id: Int64, sessionID: Int64, name: String, status: Status = .draft, createdAt: Date = Date()) {
        self.id = id
        self.sessionID = sessionID
        self.name = name
        self.status = status
        self.createdAt = createdAt
    }

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
    /// The item's id.
    public var id: Int64
    /// The sheet it is on.
    public var sheetID: Int64
    /// The broadcast session of that sheet.
    public var sessionID: Int64
    /// Its cue number: the running order within the sheet.
    public var number: Int
    /// What it shows.
    public var cueType: CueType
    /// What the director calls it (`Chip leaders after level 12`).
    public var title: String
    /// The cue template it renders with.
    public var templateID: Int64
    /// That template's name.
    public var templateName: String
    /// The item's parameters (`top`, `player`, `players`, `fields`, `title`), over the template's defaults.
    public var data: [String: JSONValue]
    /// Where the item is: pending until triggered, then following its render instruction.
    public var status: CueItemStatus
    /// The render instruction of its latest trigger.
    public var renderInstructionID: Int64?
    /// Why the latest render failed.
    public var error: String?
    /// When it was last triggered.
    public var triggeredAt: Date?
    /// When its latest render finished.
    public var completedAt: Date?
    /// When the row last changed.
    public var updatedAt: Date

    /// Creates an item value (the hub adds items with `hubctl cue item add`; a consumer builds
    /// one in tests).
    public init(id: Int64, sheetID: Int64, sessionID: Int64, number: Int, cueType: CueType, title: String,
                templateID: Int64 = 0, templateName: String, data: [String: JSONValue] = [:], status: CueItemStatus = .pending,
                renderInstructionID: Int64? = nil, error: String? = nil, triggeredAt: Date? = nil, completedAt: Date? = nil,
                updatedAt: Date = Date()) {
        self.id = id
        self.sheetID = sheetID
        self.sessionID = sessionID
        self.number = number
        self.cueType = cueType
        self.title = title
        self.templateID = templateID
        self.templateName = templateName
        self.data = data
        self.status = status
        self.renderInstructionID = renderInstructionID
        self.error = error
        self.triggeredAt = triggeredAt
        self.completedAt = completedAt
        self.updatedAt = updatedAt
    }

    /// The item as a live event's data.
    package var eventData: [String: JSONValue] {
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
