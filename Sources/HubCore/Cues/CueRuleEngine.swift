import Foundation
import HubPostgres
import Logging

/// Fires automatic-graphics rules (GRAPHICS.md §5) for newly imported hands: each game event a
/// rule reacts to becomes a cue item on the session's "Automatic graphics" sheet, triggered at
/// once (its render instruction carries the composition's v3 document for that moment), and the
/// firing is recorded in the same transaction as the instruction. `cue_rule_firings` is unique
/// by (rule, event key), so a re-import or a grown re-export of the same session never fires an
/// event twice.
public struct CueRuleEngine: Sendable {
    public let director: CueDirector
    let logger: Logger

    /// The sheet automatic graphics land on.
    public static let sheetName = "Automatic graphics"

    public init(director: CueDirector, logger: Logger = Logger(label: "hub.cue.rules")) {
        self.director = director
        self.logger = logger
    }

    var pool: PostgresPool { director.queue.store.pool }

    /// What one evaluation did.
    public struct Report: Sendable, Hashable, Codable {
        /// Render instructions created.
        public var instructions: [Int64] = []
        /// Events that had fired before (a re-import).
        public var alreadyFired = 0
        /// Events whose graphic was refused (recorded with the reason).
        public var refused: [String] = []
        enum CodingKeys: String, CodingKey { case instructions, alreadyFired = "already_fired", refused }
    }

    /// A game event one rule fires for.
    struct Event: Sendable {
        var rule: Int64
        var session: Int64
        var composition: String
        var priority: Int
        var key: String
        var gfxSessionID: Int64
        var game: Int64
        var handID: Int64
        var handNumber: Int
        var player: String?
        var title: String
    }

    /// Evaluates the enabled rules of every live or planned broadcast session for `handIDs`
    /// (the hands an import added), oldest hand first. A failing event is recorded and logged;
    /// it never stops the others.
    /// - Throws: only when the database cannot be read at all.
    public func fire(handIDs: [Int64], actor: String = "hub-rules") async throws -> Report {
        var report = Report()
        guard !handIDs.isEmpty else { return report }
        let candidates = try await pool.query("""
            SELECT r.id, r.session_id, r.on_event, r.every_n, r.composition, r.priority, h.id, h.hand_num, h.started_at, s.id, s.gfx_id
            FROM gfx_hands h
            JOIN gfx_sessions s ON s.id = h.session_id
            JOIN cue_rules r ON r.table_id = s.table_id AND r.enabled
            JOIN broadcast_sessions b ON b.id = r.session_id AND b.status <> 'ended'
            WHERE h.id = ANY(\(handIDs))
            ORDER BY h.started_at, h.id, r.id
            """)
        guard !candidates.isEmpty else { return report }
        let store = GraphicsStore(pool: pool)
        var moments: [Int64: GraphicsMoment] = [:]
        for row in candidates {
            let ruleID = try row.decode(Int64.self, at: 0)
            guard let event = CueRuleEvent(kind: try row.decode(String.self, at: 2), everyN: try row.decode(Int?.self, at: 3)) else { continue }
            let handID = try row.decode(Int64.self, at: 6)
            let number = try row.decode(Int.self, at: 7)
            let started = try row.decode(Date.self, at: 8)
            let game = try row.decode(Int64.self, at: 10)
            let base = Event(rule: ruleID, session: try row.decode(Int64.self, at: 1), composition: try row.decode(String.self, at: 4),
                             priority: try row.decode(Int.self, at: 5), key: "", gfxSessionID: try row.decode(Int64.self, at: 9), game: game,
                             handID: handID, handNumber: number, player: nil, title: "")
            let handKey = "\(game):\(number):\(Int64((started.timeIntervalSince1970 * 1000).rounded()))"
            var events: [Event] = []
            do {
                if case .every(let n) = event {
                    if number > 0 && number % n == 0 {
                        events.append(with(base, key: "every:\(n):\(handKey)", player: nil, title: "Hand \(number)"))
                    }
                } else {
                    let moment: GraphicsMoment
                    if let cached = moments[handID] {
                        moment = cached
                    } else {
                        moment = try await store.moment(GraphicsStore.MomentRequest(game: game, handID: handID))
                        moments[handID] = moment
                    }
                    events += try await Self.events(event, base: base, handKey: handKey, moment: moment, pool: pool)
                }
            } catch {
                logger.error("rule evaluation failed", metadata: ["rule": "\(ruleID)", "hand_id": "\(handID)", "error": "\(error)"])
                report.refused.append("rule \(ruleID) hand \(number): \(error)")
                continue
            }
            for event in events {
                await fire(event, actor: actor, report: &report)
            }
        }
        return report
    }

    func with(_ base: Event, key: String, player: String?, title: String) -> Event {
        var event = base
        event.key = key
        event.player = player
        event.title = title
        return event
    }

    /// The events `rule` sees in the moment's hand.
    static func events(_ rule: CueRuleEvent, base: Event, handKey: String, moment: GraphicsMoment, pool: PostgresPool) async throws -> [Event] {
        func make(_ key: String, _ player: String?, _ title: String) -> Event {
            var event = base
            event.key = key
            event.player = player
            event.title = title
            return event
        }
        let hand = moment.hand
        switch rule {
        case .elimination:
            return moment.eliminatedThisHand.map {
                make("elimination:\(moment.gameID):\($0.key)", "seat:\($0.seat)", "Eliminated: \($0.name.uppercased()) (\($0.eliminationRank)) hand \(hand.number)")
            }
        case .levelChange:
            guard let previous = moment.previousHand,
                  (previous.smallBlind, previous.bigBlind, previous.thirdBlind, previous.ante) != (hand.smallBlind, hand.bigBlind, hand.thirdBlind, hand.ante)
                  || (previous.level ?? 0) != (hand.level ?? 0) else { return [] }
            return [make("level_change:\(handKey)", nil, "Blinds \(hand.blindsText ?? "?") from hand \(hand.number)")]
        case .chipLeader:
            guard let previous = moment.previousHand, let leader = hand.ranked.first, let before = previous.ranked.first, leader.key != before.key else { return [] }
            return [make("chip_leader:\(handKey)", "seat:\(leader.seat)", "Chip leader: \(leader.name.uppercased()) hand \(hand.number)")]
        case .premiumHand:
            guard let best = try await pool.query("""
                SELECT seat, category FROM hand_grades WHERE hand_id = \(hand.id) AND is_premium ORDER BY strength DESC, seat LIMIT 1
                """).first else { return [] }
            let seat = try best.decode(Int.self, at: 0)
            return [make("premium_hand:\(handKey)", "seat:\(seat)", "Premium hand: \(try best.decode(String.self, at: 1)) (seat \(seat)) hand \(hand.number)")]
        case .every:
            return []
        }
    }

    /// Creates the item and triggers it with the firing in the same transaction; a refused
    /// graphic is recorded as a firing with its reason and a failed item.
    func fire(_ event: Event, actor: String, report: inout Report) async {
        let metadata: Logger.Metadata = ["rule": "\(event.rule)", "event": "\(event.key)", "session": "\(event.session)"]
        do {
            let done = try await pool.query("SELECT 1 FROM cue_rule_firings WHERE rule_id = \(event.rule) AND event_key = \(event.key)")
            if !done.isEmpty {
                report.alreadyFired += 1
                return
            }
            let sheet = try await sheet(session: event.session, actor: actor)
            let request = GraphicsRequest(composition: event.composition, game: event.game, hand: event.handNumber, player: event.player, handID: event.handID)
            let item = try await director.addItem(sheet: sheet, template: GraphicsStore.templateName(event.composition), title: event.title, data: request.cueData)
            let details = PostgresJSON(["title": JSONValue.string(event.title), "composition": .string(event.composition)])
            do {
                let triggered = try await director.trigger(item.id, actor: actor, reason: "rule \(event.rule): \(event.key)", kind: "auto") { connection, instruction in
                    let inserted = try await connection.query("""
                        INSERT INTO cue_rule_firings (rule_id, event_key, gfx_session_id, hand_id, details, cue_item_id, render_instruction_id)
                        VALUES (\(event.rule), \(event.key), \(event.gfxSessionID), \(event.handID), \(details), \(item.id), \(instruction))
                        ON CONFLICT (rule_id, event_key) DO NOTHING RETURNING id
                        """)
                    if inserted.isEmpty { throw HubError(.conflict, "event \(event.key) fired meanwhile") }
                }
                report.instructions.append(triggered.instruction.id)
                logger.info("rule fired", metadata: metadata.merging(["instruction_id": "\(triggered.instruction.id)"]) { $1 })
            } catch let error as HubError where error.code == .conflict {
                _ = try? await pool.execute("DELETE FROM cue_items WHERE id = \(item.id) AND status = 'pending'")
                report.alreadyFired += 1
            } catch {
                let reason = (error as? HubError)?.message ?? "\(error)"
                try await pool.withTransaction { connection in
                    try await connection.execute("""
                        INSERT INTO cue_rule_firings (rule_id, event_key, gfx_session_id, hand_id, details, cue_item_id, error)
                        VALUES (\(event.rule), \(event.key), \(event.gfxSessionID), \(event.handID), \(details), \(item.id), \(reason))
                        ON CONFLICT (rule_id, event_key) DO NOTHING
                        """)
                    try await connection.execute("""
                        UPDATE cue_items SET status = 'failed', error = \(reason), completed_at = now(), updated_at = now() WHERE id = \(item.id)
                        """)
                }
                if let failed = try? await director.store.item(item.id) { await director.publish(failed) }
                report.refused.append("\(event.key): \(reason)")
                logger.warning("rule refused", metadata: metadata.merging(["reason": "\(reason)"]) { $1 })
            }
        } catch {
            report.refused.append("\(event.key): \(error)")
            logger.error("rule failed", metadata: metadata.merging(["error": "\(error)"]) { $1 })
        }
    }

    /// The session's "Automatic graphics" sheet, created on first use.
    func sheet(session: Int64, actor: String) async throws -> Int64 {
        if let id = try await pool.query("SELECT id FROM cue_sheets WHERE session_id = \(session) AND name = \(Self.sheetName)").first {
            return try id.decode(Int64.self, at: 0)
        }
        do {
            return try await director.createSheet(session: session, name: Self.sheetName, actor: actor).id
        } catch let error as HubError where error.code == .conflict {
            return try await pool.query("SELECT id FROM cue_sheets WHERE session_id = \(session) AND name = \(Self.sheetName)")[0].decode(Int64.self, at: 0)
        }
    }
}
