import Foundation
import HubPostgres
import Logging

/// Fires automatic-graphics rules (GRAPHICS.md §5) for newly imported hands: each game event a
/// rule reacts to becomes a cue item on the session's "Automatic graphics" sheet, triggered at
/// once (its render instruction carries the composition's v3 document for that moment), and the
/// firing is recorded in the same transaction as the instruction. `cue_rule_firings` is unique
/// by (rule, event key), so a re-import or a grown re-export of the same session never fires an
/// event twice.
///
/// Every graded hand is pending (`gfx_hands.rules_checked_at IS NULL`) until the rules have looked
/// at it: ``firePending(actor:)`` takes the pending hands in start order, whoever graded them (a
/// `hub-sync` run, the server's sync route), and marks a hand checked only when each of its events
/// fired, had fired before, or was refused for a reason that will not go away by itself (a missing
/// required field, an unknown player). A lost connection or a restarted database leaves the hand
/// pending for the next run. A rule sees only hands imported after it was created, so adding a
/// rule does not replay a session's past. The PokerGFX importer inserts a hand already checked
/// when no enabled rule of a live or planned session watches its table (the candidates of
/// ``fire(handIDs:actor:)``), so a season imported with no rules is not rewritten hand by hand.
package struct CueRuleEngine: Sendable {
    package let director: CueDirector
    let logger: Logger

    /// The sheet automatic graphics land on.
    package static let sheetName = "Automatic graphics"

    package init(director: CueDirector, logger: Logger = Logger(label: "hub.cue.rules")) {
        self.director = director
        self.logger = logger
    }

    var pool: PostgresPool { director.queue.store.pool }

    /// What one evaluation did.
    package struct Report: Sendable, Hashable, Codable {
        /// Render instructions created.
        package var instructions: [Int64] = []
        /// Events that had fired before (a re-import).
        package var alreadyFired = 0
        /// Events whose graphic was refused (recorded with the reason).
        package var refused: [String] = []
        /// Events that failed for a passing reason (their hands stay pending for the next run).
        package var deferred: [String] = []
        /// Hands the rules have now looked at.
        package var handsChecked = 0
        enum CodingKeys: String, CodingKey { case instructions, alreadyFired = "already_fired", refused, deferred, handsChecked = "hands_checked" }

        mutating func add(_ other: Report) {
            instructions += other.instructions
            alreadyFired += other.alreadyFired
            refused += other.refused
            deferred += other.deferred
            handsChecked += other.handsChecked
        }
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

    /// Evaluates the rules for every pending graded hand, oldest first, in batches of `batch`, and
    /// marks each hand checked when its events are settled (see the type's description). Stops
    /// at the first batch with a passing failure: those hands are taken again by the next run.
    /// - Throws: only when the database cannot be read at all.
    package func firePending(actor: String = "hub-rules", batch: Int = 500) async throws -> Report {
        var report = Report()
        while true {
            let pending = try await pool.query("""
                SELECT id FROM gfx_hands WHERE rules_checked_at IS NULL AND graded_at IS NOT NULL ORDER BY started_at, id LIMIT \(batch)
                """).map { try $0.decode(Int64.self, at: 0) }
            guard !pending.isEmpty else { break }
            let done = try await fire(handIDs: pending, actor: actor)
            report.add(done)
            if !done.deferred.isEmpty || pending.count < batch { break }
        }
        return report
    }

    /// Evaluates the enabled rules of every live or planned broadcast session for `handIDs`,
    /// oldest hand first, and marks the hands whose events are settled as checked. A failing
    /// event is recorded (a lasting reason) or deferred (a passing one) and logged; it never
    /// stops the others.
    /// - Throws: only when the database cannot be read at all.
    package func fire(handIDs: [Int64], actor: String = "hub-rules") async throws -> Report {
        var report = Report()
        guard !handIDs.isEmpty else { return report }
        let candidates = try await pool.query("""
            SELECT r.id, r.session_id, r.on_event, r.every_n, r.composition, r.priority, h.id, h.hand_num, h.started_at, s.id, s.gfx_id
            FROM gfx_hands h
            JOIN gfx_sessions s ON s.id = h.session_id
            JOIN cue_rules r ON r.table_id = s.table_id AND r.enabled AND h.imported_at >= r.created_at
            JOIN broadcast_sessions b ON b.id = r.session_id AND b.status <> 'ended'
            WHERE h.id = ANY(\(handIDs))
            ORDER BY h.started_at, h.id, r.id
            """)
        var unsettled = Set<Int64>()
        try await evaluate(candidates, actor: actor, report: &report, unsettled: &unsettled)
        let settled = handIDs.filter { !unsettled.contains($0) }
        try await pool.execute("UPDATE gfx_hands SET rules_checked_at = now() WHERE id = ANY(\(settled)) AND rules_checked_at IS NULL")
        report.handsChecked = settled.count
        return report
    }

    /// Whether an error will go away by itself (the hand is tried again) or not (recorded).
    static func isLasting(_ error: any Error) -> Bool {
        guard let hub = error as? HubError else { return false }
        return [HubError.Code.refused, .usage, .notFound].contains(hub.code)
    }

    /// Fires the events of `candidates` (rule × hand rows); hands with an unsettled event go to `unsettled`.
    func evaluate(_ candidates: PostgresResult, actor: String, report: inout Report, unsettled: inout Set<Int64>) async throws {
        guard !candidates.isEmpty else { return }
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
                    // Keyed by the hand number: a restarted hand (a repeated HandNum) is one event.
                    if number > 0 && number % n == 0 {
                        events.append(Self.with(base, key: "every:\(n):\(game):\(number)", player: nil, title: "Hand \(number)"))
                    }
                } else {
                    let moment: GraphicsMoment
                    if let cached = moments[handID] {
                        moment = cached
                    } else {
                        moment = try await store.moment(GraphicsStore.MomentRequest(game: game, handID: handID, broadcastSession: base.session))
                        moments[handID] = moment
                    }
                    events += try await Self.events(event, base: base, handKey: handKey, moment: moment, pool: pool)
                }
            } catch {
                logger.error("rule evaluation failed", metadata: ["rule": "\(ruleID)", "hand_id": "\(handID)", "error": "\(error)"])
                if Self.isLasting(error) {
                    report.refused.append("rule \(ruleID) hand \(number): \(error)")
                } else {
                    report.deferred.append("rule \(ruleID) hand \(number): \(error)")
                    unsettled.insert(handID)
                }
                continue
            }
            for event in events where await !fire(event, actor: actor, report: &report) {
                unsettled.insert(handID)
            }
        }
    }

    /// `base` as the event `key` about `player`.
    static func with(_ base: Event, key: String, player: String?, title: String) -> Event {
        var event = base
        event.key = key
        event.player = player
        event.title = title
        return event
    }

    /// The events `rule` sees in the moment's hand.
    static func events(_ rule: CueRuleEvent, base: Event, handKey: String, moment: GraphicsMoment, pool: PostgresPool) async throws -> [Event] {
        func make(_ key: String, _ player: String?, _ title: String) -> Event { with(base, key: key, player: player, title: title) }
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

    /// Creates the item and triggers it with the firing in the same transaction; a graphic
    /// refused for a lasting reason is recorded as a firing with its reason and a failed item; a
    /// passing failure (the database, Redis) records nothing, so the event is tried again.
    /// - Returns: whether the event is settled.
    @discardableResult
    func fire(_ event: Event, actor: String, report: inout Report) async -> Bool {
        let metadata: Logger.Metadata = ["rule": "\(event.rule)", "event": "\(event.key)", "session": "\(event.session)"]
        do {
            let done = try await pool.query("SELECT 1 FROM cue_rule_firings WHERE rule_id = \(event.rule) AND event_key = \(event.key)")
            if !done.isEmpty {
                report.alreadyFired += 1
                return true
            }
            let sheet = try await sheet(session: event.session, actor: actor)
            let request = GraphicsRequest(composition: event.composition, game: event.game, hand: event.handNumber, player: event.player, handID: event.handID)
            let item = try await director.addItem(sheet: sheet, template: GraphicsStore.templateName(event.composition), title: event.title, data: request.cueData)
            let details = PostgresJSON(["title": JSONValue.string(event.title), "composition": .string(event.composition)])
            do {
                let triggered = try await director.trigger(item.id, actor: actor, reason: "rule \(event.rule): \(event.key)", kind: "auto",
                                                           priority: event.priority) { connection, instruction in
                    let inserted = try await connection.query("""
                        INSERT INTO cue_rule_firings (rule_id, event_key, gfx_session_id, hand_id, details, cue_item_id, render_instruction_id)
                        VALUES (\(event.rule), \(event.key), \(event.gfxSessionID), \(event.handID), \(details), \(item.id), \(instruction))
                        ON CONFLICT (rule_id, event_key) DO NOTHING RETURNING id
                        """)
                    if inserted.isEmpty { throw HubError(.conflict, "event \(event.key) fired meanwhile") }
                }
                report.instructions.append(triggered.instruction.id)
                logger.info("rule fired", metadata: metadata.merging(["instruction_id": "\(triggered.instruction.id)"]) { $1 })
                return true
            } catch let error as HubError where error.code == .conflict {
                _ = try? await pool.execute("DELETE FROM cue_items WHERE id = \(item.id) AND status = 'pending'")
                report.alreadyFired += 1
                return true
            } catch where !Self.isLasting(error) {
                // The database or Redis failed: nothing of the firing was committed. The item says
                // so and the hand stays pending; the next run fires the event on a fresh item.
                _ = try? await pool.execute("""
                    UPDATE cue_items SET status = 'failed', error = \("not fired yet, tried again on the next import: \(error)"),
                           completed_at = now(), updated_at = now()
                    WHERE id = \(item.id) AND status = 'pending'
                    """)
                if let failed = try? await director.store.item(item.id) { await director.publish(failed) }
                report.deferred.append("\(event.key): \(error)")
                logger.warning("rule deferred", metadata: metadata.merging(["error": "\(error)"]) { $1 })
                return false
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
                return true
            }
        } catch {
            report.deferred.append("\(event.key): \(error)")
            logger.error("rule failed", metadata: metadata.merging(["error": "\(error)"]) { $1 })
            return false
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
