import Foundation
import HubPostgres

/// Broadcast sessions, cue sheets, cue templates and cue items in PostgreSQL (schema doc §2.5).
/// Writes answer the stored row; ``CueDirector`` publishes the changes and triggers items.
package struct CueStore: Sendable {
    package let pool: PostgresPool

    package init(pool: PostgresPool) { self.pool = pool }

    // MARK: Sessions

    static let sessionColumns: PostgresQuery = """
        s.id, s.name, s.wsop_event_id, e.event_key, s.table_id, s.status, s.scheduled_at, s.started_at, s.ended_at, s.created_by, s.created_at
        """

    static func decodeSession(_ row: PostgresRow) throws -> BroadcastSession {
        BroadcastSession(id: try row.decode(Int64.self, at: 0), name: try row.decode(String.self, at: 1), wsopEventID: try row.decode(Int64?.self, at: 2),
                         wsopEventKey: try row.decode(String?.self, at: 3), tableID: try row.decode(String?.self, at: 4),
                         status: BroadcastSession.Status(rawValue: try row.decode(String.self, at: 5)) ?? .planned,
                         scheduledAt: try row.decode(Date?.self, at: 6), startedAt: try row.decode(Date?.self, at: 7),
                         endedAt: try row.decode(Date?.self, at: 8), createdBy: try row.decode(String.self, at: 9), createdAt: try row.decode(Date.self, at: 10))
    }

    /// Creates a session for the WSOP+ event `eventKey` (its `Event ID` in the exports), if given.
    /// - Throws: ``HubError`` `.notFound` for an unknown event, `.usage` for an empty name.
    package func createSession(name: String, eventKey: String?, tableID: String?, scheduledAt: Date?, actor: String) async throws -> BroadcastSession {
        let name = name.trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty else { throw HubError(.usage, "the session name is empty") }
        var eventID: Int64?
        if let eventKey {
            guard let row = try await pool.query("SELECT id FROM wsop_events WHERE event_key = \(eventKey)").first else {
                throw HubError(.notFound, "WSOP+ event \(eventKey) does not exist: import it with hub-sync wsop DIR first")
            }
            eventID = try row.decode(Int64.self, at: 0)
        }
        let id = try await pool.query("""
            INSERT INTO broadcast_sessions (name, wsop_event_id, table_id, scheduled_at, created_by)
            VALUES (\(name), \(eventID), \(tableID), \(scheduledAt), \(actor)) RETURNING id
            """)[0].decode(Int64.self, at: 0)
        return try await session(id)
    }

    /// The session with `id`.
    package func session(_ id: Int64) async throws -> BroadcastSession {
        let rows = try await pool.query("""
            SELECT \(fragment: Self.sessionColumns) FROM broadcast_sessions s LEFT JOIN wsop_events e ON e.id = s.wsop_event_id WHERE s.id = \(id)
            """)
        guard let row = rows.first else { throw HubError(.notFound, "broadcast session \(id) does not exist (hubctl cue session list)") }
        return try Self.decodeSession(row)
    }

    /// Every session, newest first.
    package func sessions(limit: Int = 100) async throws -> [BroadcastSession] {
        try await pool.query("""
            SELECT \(fragment: Self.sessionColumns) FROM broadcast_sessions s LEFT JOIN wsop_events e ON e.id = s.wsop_event_id
            ORDER BY s.id DESC LIMIT \(limit)
            """).map(Self.decodeSession)
    }

    /// Moves a session: planned → live (start) → ended (end).
    /// - Throws: ``HubError`` `.conflict` for any other move.
    package func setSessionStatus(_ id: Int64, to status: BroadcastSession.Status, actor: String, reason: String? = nil) async throws -> BroadcastSession {
        try await pool.withTransaction { connection in
            let rows = try await connection.query("SELECT status FROM broadcast_sessions WHERE id = \(id) FOR UPDATE")
            guard let row = rows.first else { throw HubError(.notFound, "broadcast session \(id) does not exist (hubctl cue session list)") }
            let current = try row.decode(String.self, at: 0)
            let allowed: [BroadcastSession.Status: String] = [.live: "planned", .ended: "live"]
            guard allowed[status] == current else {
                throw HubError(.conflict, "session \(id) is \(current): it cannot become \(status.rawValue) (planned → live → ended)")
            }
            try await connection.execute("""
                UPDATE broadcast_sessions SET status = \(status.rawValue), updated_at = now(),
                       started_at = CASE WHEN \(status.rawValue) = 'live' THEN now() ELSE started_at END,
                       ended_at = CASE WHEN \(status.rawValue) = 'ended' THEN now() ELSE ended_at END
                WHERE id = \(id)
                """)
            try await connection.execute("""
                INSERT INTO activity_log (actor, action, entity_type, entity_id, reason, details)
                VALUES (\(actor), \("session_" + status.rawValue), 'broadcast_session', \(String(id)), \(reason), '{}'::jsonb)
                """)
        }
        return try await session(id)
    }

    // MARK: Templates

    static func decodeTemplate(_ row: PostgresRow) throws -> CueTemplate {
        CueTemplate(id: try row.decode(Int64.self, at: 0), name: try row.decode(String.self, at: 1),
                    cueType: CueType(rawValue: try row.decode(String.self, at: 2)) ?? .custom, aepProject: try row.decode(String.self, at: 3),
                    aepComposition: try row.decode(String.self, at: 4),
                    outputFormat: OutputSettings.Format(rawValue: try row.decode(String.self, at: 5)) ?? .png,
                    priority: try row.decode(Int.self, at: 6), defaultData: try row.decode(PostgresJSON<[String: JSONValue]>.self, at: 7).value,
                    description: try row.decode(String?.self, at: 8))
    }

    static let templateColumns: PostgresQuery = "id, name, cue_type, aep_project, aep_composition, output_format, priority, default_data, description"

    /// Creates or replaces the template `name`. The composition must be registered
    /// (`hubctl aep import`), so a cue can never point at a composition the binder does not know.
    package func saveTemplate(name: String, cueType: CueType, project: String, composition: String, format: OutputSettings.Format = .png,
                             priority: Int = 2, defaultData: [String: JSONValue] = [:], description: String? = nil) async throws -> CueTemplate {
        let name = name.trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty else { throw HubError(.usage, "the template name is empty") }
        guard (1...10).contains(priority) else { throw HubError(.usage, "priority \(priority) is outside 1 (highest) … 10 (lowest)") }
        _ = try await AEPStore(pool: pool).composition(project: project, name: composition)
        let rows = try await pool.query("""
            INSERT INTO cue_templates (name, cue_type, aep_project, aep_composition, output_format, priority, default_data, description)
            VALUES (\(name), \(cueType.rawValue), \(project), \(composition), \(format.rawValue), \(priority), \(PostgresJSON(defaultData)), \(description))
            ON CONFLICT (name) DO UPDATE SET cue_type = excluded.cue_type, aep_project = excluded.aep_project,
                aep_composition = excluded.aep_composition, output_format = excluded.output_format, priority = excluded.priority,
                default_data = excluded.default_data, description = excluded.description
            RETURNING \(fragment: Self.templateColumns)
            """)
        return try Self.decodeTemplate(rows[0])
    }

    /// The template called `name`.
    package func template(named name: String) async throws -> CueTemplate {
        guard let row = try await pool.query("SELECT \(fragment: Self.templateColumns) FROM cue_templates WHERE name = \(name)").first else {
            throw HubError(.notFound, "cue template \"\(name)\" does not exist (hubctl cue template list; hubctl cue template save creates one)")
        }
        return try Self.decodeTemplate(row)
    }

    /// The template with `id`.
    package func template(_ id: Int64) async throws -> CueTemplate {
        guard let row = try await pool.query("SELECT \(fragment: Self.templateColumns) FROM cue_templates WHERE id = \(id)").first else {
            throw HubError(.notFound, "cue template \(id) does not exist")
        }
        return try Self.decodeTemplate(row)
    }

    /// Every template.
    package func templates() async throws -> [CueTemplate] {
        try await pool.query("SELECT \(fragment: Self.templateColumns) FROM cue_templates ORDER BY name").map(Self.decodeTemplate)
    }

    // MARK: Sheets

    static func decodeSheet(_ row: PostgresRow) throws -> CueSheet {
        CueSheet(id: try row.decode(Int64.self, at: 0), sessionID: try row.decode(Int64.self, at: 1), name: try row.decode(String.self, at: 2),
                 status: CueSheet.Status(rawValue: try row.decode(String.self, at: 3)) ?? .draft, createdAt: try row.decode(Date.self, at: 4))
    }

    /// Adds a sheet to a session.
    /// - Throws: ``HubError`` `.conflict` when the session has a sheet of that name, `.notFound` for an unknown session.
    package func createSheet(session sessionID: Int64, name: String, actor: String) async throws -> CueSheet {
        let name = name.trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty else { throw HubError(.usage, "the sheet name is empty") }
        _ = try await session(sessionID)
        do {
            let rows = try await pool.query("""
                INSERT INTO cue_sheets (session_id, name, created_by) VALUES (\(sessionID), \(name), \(actor))
                RETURNING id, session_id, name, status, created_at
                """)
            return try Self.decodeSheet(rows[0])
        } catch let error as PostgresError where error.sqlState == "23505" {
            throw HubError(.conflict, "session \(sessionID) already has a sheet called \"\(name)\"")
        }
    }

    /// The sheet with `id`.
    package func sheet(_ id: Int64) async throws -> CueSheet {
        guard let row = try await pool.query("SELECT id, session_id, name, status, created_at FROM cue_sheets WHERE id = \(id)").first else {
            throw HubError(.notFound, "cue sheet \(id) does not exist (hubctl cue sheet list SESSION)")
        }
        return try Self.decodeSheet(row)
    }

    /// The sheets of a session, in creation order.
    package func sheets(session sessionID: Int64) async throws -> [CueSheet] {
        _ = try await session(sessionID)
        return try await pool.query("SELECT id, session_id, name, status, created_at FROM cue_sheets WHERE session_id = \(sessionID) ORDER BY id")
            .map(Self.decodeSheet)
    }

    // MARK: Items

    static let itemColumns: PostgresQuery = """
        i.id, i.sheet_id, sh.session_id, i.cue_number, i.cue_type, i.title, i.template_id, t.name, i.data, i.status,
        i.render_instruction_id, i.error, i.triggered_at, i.completed_at, i.updated_at
        """
    static let itemFrom: PostgresQuery = "cue_items i JOIN cue_sheets sh ON sh.id = i.sheet_id JOIN cue_templates t ON t.id = i.template_id"

    static func decodeItem(_ row: PostgresRow) throws -> CueItem {
        CueItem(id: try row.decode(Int64.self, at: 0), sheetID: try row.decode(Int64.self, at: 1), sessionID: try row.decode(Int64.self, at: 2),
                number: try row.decode(Int.self, at: 3), cueType: CueType(rawValue: try row.decode(String.self, at: 4)) ?? .custom,
                title: try row.decode(String.self, at: 5), templateID: try row.decode(Int64.self, at: 6), templateName: try row.decode(String.self, at: 7),
                data: try row.decode(PostgresJSON<[String: JSONValue]>.self, at: 8).value,
                status: CueItemStatus(rawValue: try row.decode(String.self, at: 9)) ?? .pending,
                renderInstructionID: try row.decode(Int64?.self, at: 10), error: try row.decode(String?.self, at: 11),
                triggeredAt: try row.decode(Date?.self, at: 12), completedAt: try row.decode(Date?.self, at: 13), updatedAt: try row.decode(Date.self, at: 14))
    }

    /// Adds an item from `templateName` to a sheet; `number` defaults to the next free one.
    /// The item's type is the template's. `data` holds its parameters (see ``CueType``).
    /// - Throws: ``HubError`` `.conflict` when the number is taken, `.usage` for parameters the type does not take.
    package func addItem(sheet sheetID: Int64, template templateName: String, number: Int? = nil, title: String? = nil,
                        data: [String: JSONValue] = [:]) async throws -> CueItem {
        let sheet = try await sheet(sheetID)
        let template = try await template(named: templateName)
        try Self.validateParameters(data, for: template.cueType)
        if let number, number <= 0 { throw HubError(.usage, "the cue number must be positive, not \(number)") }
        do {
            let id = try await pool.query("""
                INSERT INTO cue_items (sheet_id, cue_number, cue_type, title, template_id, data)
                VALUES (\(sheet.id), coalesce(\(number), (SELECT coalesce(max(cue_number), 0) + 1 FROM cue_items WHERE sheet_id = \(sheet.id))),
                        \(template.cueType.rawValue), \(title ?? template.name), \(template.id), \(PostgresJSON(data)))
                RETURNING id
                """)[0].decode(Int64.self, at: 0)
            return try await item(id)
        } catch let error as PostgresError where error.sqlState == "23505" {
            throw HubError(.conflict, "sheet \(sheetID) already has cue number \(number.map(String.init) ?? "?")")
        }
    }

    /// The parameters each cue type takes.
    static let parameters: [CueType: Set<String>] = [
        .leaderboard: ["top", "title", "subtitle"],
        .chipCount: ["top", "players", "title", "subtitle"],
        .playerInfo: ["player", "title"],
        .custom: ["fields", "rows", "title"],
        .graphic: ["game", "hand", "hand_id", "player", "start_rank", "title"],
    ]

    /// Refuses parameters the type does not know, with the ones it does.
    package static func validateParameters(_ data: [String: JSONValue], for type: CueType) throws {
        let known = parameters[type] ?? []
        let unknown = data.keys.filter { !known.contains($0) }.sorted()
        guard unknown.isEmpty else {
            throw HubError(.usage, "a \(type.rawValue) cue does not take \(unknown.joined(separator: ", ")) (it takes \(known.sorted().joined(separator: ", ")))")
        }
        if let top = data["top"] {
            guard case .integer(let n) = top, n > 0 else { throw HubError(.usage, "top must be a positive number, not \(top.canonicalText)") }
        }
    }

    /// The item with `id`.
    package func item(_ id: Int64) async throws -> CueItem {
        guard let row = try await pool.query("SELECT \(fragment: Self.itemColumns) FROM \(fragment: Self.itemFrom) WHERE i.id = \(id)").first else {
            throw HubError(.notFound, "cue item \(id) does not exist (hubctl cue item list SHEET lists them)")
        }
        return try Self.decodeItem(row)
    }

    /// The items of a sheet in cue order.
    package func items(sheet sheetID: Int64) async throws -> [CueItem] {
        _ = try await sheet(sheetID)
        return try await pool.query("SELECT \(fragment: Self.itemColumns) FROM \(fragment: Self.itemFrom) WHERE i.sheet_id = \(sheetID) ORDER BY i.cue_number")
            .map(Self.decodeItem)
    }
}
