import Foundation
import HubPostgres

/// Automatic-graphics rules in PostgreSQL (`cue_rules`, `cue_rule_firings`).
package struct CueRuleStore: Sendable {
    package let pool: PostgresPool

    package init(pool: PostgresPool) { self.pool = pool }

    static let columns: PostgresQuery = """
        r.id, r.session_id, r.table_id, r.on_event, r.every_n, r.composition, r.priority, r.enabled, r.created_by, r.created_at,
        (SELECT count(*) FROM cue_rule_firings f WHERE f.rule_id = r.id), (SELECT count(*) FROM cue_rule_firings f WHERE f.rule_id = r.id AND f.error IS NOT NULL)
        """

    static func decode(_ row: PostgresRow) throws -> CueRule {
        let kind = try row.decode(String.self, at: 3)
        guard let event = CueRuleEvent(kind: kind, everyN: try row.decode(Int?.self, at: 4)) else {
            throw HubError(.configuration, "cue rule \(try row.decode(Int64.self, at: 0)) has an unknown event \(kind)")
        }
        return CueRule(id: try row.decode(Int64.self, at: 0), sessionID: try row.decode(Int64.self, at: 1), tableID: try row.decode(String.self, at: 2),
                       event: event, composition: try row.decode(String.self, at: 5), priority: try row.decode(Int.self, at: 6),
                       enabled: try row.decode(Bool.self, at: 7), createdBy: try row.decode(String.self, at: 8), createdAt: try row.decode(Date.self, at: 9),
                       fired: try row.decode(Int.self, at: 10), refused: try row.decode(Int.self, at: 11))
    }

    /// Adds a rule.
    /// - Throws: ``HubError`` `.notFound` for an unknown session or composition (listing the
    ///   catalog's), `.conflict` for a rule that exists, `.usage` for a bad priority or table.
    package func add(session sessionID: Int64, table: String, on event: CueRuleEvent, composition: String, priority: Int = 2, actor: String) async throws -> CueRule {
        let table = table.trimmingCharacters(in: .whitespaces)
        guard !table.isEmpty else { throw HubError(.usage, "the table is empty: name the PokerGFX table id (e.g. GG)") }
        guard (1...10).contains(priority) else { throw HubError(.usage, "priority \(priority) is outside 1 (highest) … 10 (lowest)") }
        _ = try await CueStore(pool: pool).session(sessionID)
        let catalog = try await GraphicsStore(pool: pool).catalog()
        let found = try GraphicsService.composition(composition, in: catalog)
        let name = found.name
        // A graphic about one player needs an event that names one; the elimination graphic needs an elimination.
        switch (found.player, event) {
        case (.required, .levelChange), (.required, .every):
            throw HubError(.usage, "\"\(name)\" is about one player, and \(event.text) names none: use it with elimination, premium_hand or chip_leader")
        case (.eliminated, let other) where other != .elimination:
            throw HubError(.usage, "\"\(name)\" shows an eliminated player: use it with --on elimination")
        default:
            break
        }
        do {
            let id = try await pool.query("""
                INSERT INTO cue_rules (session_id, table_id, on_event, every_n, composition, priority, created_by)
                VALUES (\(sessionID), \(table), \(event.kind), \(event.everyN), \(name), \(priority), \(actor))
                RETURNING id
                """)[0].decode(Int64.self, at: 0)
            return try await rule(id)
        } catch let error as PostgresError where error.sqlState == "23505" {
            throw HubError(.conflict, "session \(sessionID) already has a rule on \(event.text) at table \(table) for \"\(name)\"")
        }
    }

    /// The rule with `id`.
    package func rule(_ id: Int64) async throws -> CueRule {
        guard let row = try await pool.query("SELECT \(fragment: Self.columns) FROM cue_rules r WHERE r.id = \(id)").first else {
            throw HubError(.notFound, "no cue rule \(id): hubctl cue rule list --session ID lists them")
        }
        return try Self.decode(row)
    }

    /// The rules of a session.
    package func rules(session sessionID: Int64) async throws -> [CueRule] {
        _ = try await CueStore(pool: pool).session(sessionID)
        return try await pool.query("SELECT \(fragment: Self.columns) FROM cue_rules r WHERE r.session_id = \(sessionID) ORDER BY r.id").map(Self.decode)
    }

    /// Turns a rule on or off.
    package func setEnabled(_ id: Int64, _ enabled: Bool) async throws -> CueRule {
        guard try await pool.execute("UPDATE cue_rules SET enabled = \(enabled) WHERE id = \(id)") == 1 else {
            throw HubError(.notFound, "no cue rule \(id): hubctl cue rule list --session ID lists them")
        }
        return try await rule(id)
    }

    /// One event a rule fired for.
    package struct Firing: Sendable, Hashable, Encodable {
        package var id: Int64
        package var ruleID: Int64
        package var eventKey: String
        package var handID: Int64?
        package var cueItemID: Int64?
        package var renderInstructionID: Int64?
        package var error: String?
        package var firedAt: Date

        enum CodingKeys: String, CodingKey {
            case id, ruleID = "rule_id", eventKey = "event_key", handID = "hand_id", cueItemID = "cue_item_id"
            case renderInstructionID = "render_instruction_id", error, firedAt = "fired_at"
        }
    }

    /// The events the rules of a session fired for, newest first.
    package func firings(session sessionID: Int64, limit: Int = 100) async throws -> [Firing] {
        try await pool.query("""
            SELECT f.id, f.rule_id, f.event_key, f.hand_id, f.cue_item_id, f.render_instruction_id, f.error, f.fired_at
            FROM cue_rule_firings f JOIN cue_rules r ON r.id = f.rule_id WHERE r.session_id = \(sessionID)
            ORDER BY f.id DESC LIMIT \(limit)
            """).map {
            Firing(id: try $0.decode(Int64.self, at: 0), ruleID: try $0.decode(Int64.self, at: 1), eventKey: try $0.decode(String.self, at: 2),
                   handID: try $0.decode(Int64?.self, at: 3), cueItemID: try $0.decode(Int64?.self, at: 4),
                   renderInstructionID: try $0.decode(Int64?.self, at: 5), error: try $0.decode(String?.self, at: 6), firedAt: try $0.decode(Date.self, at: 7))
        }
    }
}
