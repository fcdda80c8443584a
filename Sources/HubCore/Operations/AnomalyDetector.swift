import Foundation
import HubPostgres
import Logging

/// The monitor (SPEC §7.1, §7.4): reads a ``MonitorSnapshot``, applies ``AnomalyRules``, and keeps
/// `monitor_events` in step — a new condition opens one event (and a notification), a persisting
/// one updates it, a cleared one is resolved. It also marks silent processes unhealthy and, when
/// `monitor.orphan_action` is `create`, submits render instructions for orphan premium hands.
///
/// The clock is a parameter of ``pass(at:actor:)`` so every rule can be tested at a chosen moment.
package struct AnomalyDetector: Sendable {
    /// The database.
    package let pool: PostgresPool
    /// Submits instructions for orphan hands (needed only for the `create` action).
    package let queue: RenderQueue?
    /// Raises notifications for newly opened events (nil: events only).
    package let notifier: Notifier?
    /// Publishes `alert` events live (nil: none).
    package let events: EventPublisher?
    let logger: Logger

    /// The relation that holds graded hands (SPEC §2 "Hands"): `id` and `is_premium`.
    package static let handsRelation = "hands"

    /// Creates a detector.
    package init(pool: PostgresPool, queue: RenderQueue? = nil, notifier: Notifier? = nil, events: EventPublisher? = nil,
                logger: Logger = Logger(label: "hub.monitor")) {
        self.pool = pool
        self.queue = queue
        self.notifier = notifier
        self.events = events
        self.logger = logger
    }

    /// What one pass did.
    package struct Report: Sendable, Codable {
        package var at: Date
        package var findings: [MonitorFinding] = []
        /// Events opened by this pass.
        package var opened: [MonitorEvent] = []
        /// Events resolved because their condition cleared.
        package var resolved: [MonitorEvent] = []
        /// Instructions created for orphan premium hands.
        package var createdInstructions: [Int64] = []
        /// Rules that could not run and why (e.g. the hands table does not exist yet).
        package var notes: [String] = []
    }

    /// The thresholds, from `system_config` (`monitor.*`), defaults where a key is missing.
    package func settings() async throws -> AnomalySettings {
        var settings = AnomalySettings()
        let rows = try await pool.query("SELECT key, value FROM system_config WHERE key LIKE 'monitor.%'")
        for row in rows {
            let key = try row.decode(String.self, at: 0)
            let value = try row.decode(PostgresJSON<JSONValue>.self, at: 1).value
            let number: Double? = switch value {
            case let .integer(n): Double(n)
            case let .number(n): n
            default: nil
            }
            switch (key, value) {
            case ("monitor.delay_threshold", _): if let number { settings.delayThreshold = .seconds(number) }
            case ("monitor.error_spike_ratio", _): if let number { settings.errorSpikeRatio = number }
            case ("monitor.throughput_drop", _): if let number { settings.throughputDropRatio = number }
            case let ("monitor.orphan_action", .string(text)):
                if let action = AnomalySettings.OrphanAction(rawValue: text) { settings.orphanAction = action }
                else { logger.warning("system_config monitor.orphan_action '\(text)' is neither alert nor create; alerting") }
            case let ("monitor.orphan_template", .string(text)) where !text.isEmpty: settings.orphanTemplate = text
            default: break
            }
        }
        return settings
    }

    /// Reads every rule's inputs as of `now`.
    package func snapshot(at now: Date, settings: AnomalySettings) async throws -> MonitorSnapshot {
        var snapshot = MonitorSnapshot()
        let counts = try await pool.query("""
            SELECT count(*) FILTER (WHERE status = 'pending' AND created_at <= \(now) AND scheduled_at <= \(now)),
                   count(*) FILTER (WHERE status = 'pending' AND scheduled_at <= \(now) - make_interval(secs => \(settings.delayThreshold.seconds))),
                   min(scheduled_at) FILTER (WHERE status = 'pending' AND scheduled_at <= \(now) - make_interval(secs => \(settings.delayThreshold.seconds))),
                   count(*) FILTER (WHERE status IN ('completed', 'failed') AND completed_at > \(now) - interval '1 hour' AND completed_at <= \(now)),
                   count(*) FILTER (WHERE status = 'failed' AND completed_at > \(now) - interval '1 hour' AND completed_at <= \(now)),
                   count(*) FILTER (WHERE status = 'completed' AND completed_at > \(now) - interval '1 hour' AND completed_at <= \(now)),
                   count(*) FILTER (WHERE status = 'completed' AND completed_at > \(now) - interval '2 hours' AND completed_at <= \(now) - interval '1 hour')
            FROM render_instructions
            WHERE status IN ('pending', 'completed', 'failed')
            """)
        let row = counts[0]
        snapshot.pending = try row.decode(Int.self, at: 0)
        snapshot.overdue = try row.decode(Int.self, at: 1)
        snapshot.oldestOverdue = try row.decode(Date?.self, at: 2)
        snapshot.finishedLastHour = try row.decode(Int.self, at: 3)
        snapshot.failedLastHour = try row.decode(Int.self, at: 4)
        snapshot.completedLastHour = try row.decode(Int.self, at: 5)
        snapshot.completedPreviousHour = try row.decode(Int.self, at: 6)
        snapshot.orphanHands = try await orphanHands()
        let silent = try await pool.query("""
            SELECT id, kind, last_heartbeat FROM service_registry
            WHERE stopped_at IS NULL AND last_heartbeat < \(now) - make_interval(secs => \(settings.silentAfter.seconds))
              AND last_heartbeat > \(now) - interval '1 day'
            ORDER BY id
            """)
        snapshot.silentServices = try silent.map {
            .init(id: try $0.decode(String.self, at: 0), kind: try $0.decode(String.self, at: 1), lastHeartbeat: try $0.decode(Date.self, at: 2))
        }
        // A first failure is often a file still being moved or a share remounting: alert from the second.
        snapshot.failingDeliveries = try await pool.query("""
            SELECT host, directory, count(*), (array_agg(instruction_id ORDER BY instruction_id))[1:10],
                   coalesce((array_agg(last_error ORDER BY id DESC))[1], '')
            FROM render_deliveries WHERE status = 'pending' AND attempts >= 2
            GROUP BY host, directory ORDER BY host, directory LIMIT 100
            """).map {
            .init(host: try $0.decode(String.self, at: 0), directory: try $0.decode(String.self, at: 1), count: try $0.decode(Int.self, at: 2),
                  instructionIDs: try $0.decode([Int64].self, at: 3), lastError: try $0.decode(String.self, at: 4))
        }
        // Tagged instructions due now that no live worker has all the tags of: they would wait
        // silently. (Untagged ones with no worker at all are the delay and service rules' job.)
        snapshot.unroutable = try await pool.query("""
            WITH live AS (
                SELECT ARRAY(SELECT jsonb_array_elements_text(CASE WHEN jsonb_typeof(details->'tags') = 'array' THEN details->'tags' ELSE '[]' END)) AS tags
                FROM service_registry
                WHERE kind = 'hub-worker' AND stopped_at IS NULL AND last_heartbeat > \(now) - make_interval(secs => \(settings.silentAfter.seconds))
            )
            SELECT r.required_tags, count(*), (array_agg(r.id ORDER BY r.id))[1:10]
            FROM render_instructions r
            WHERE r.status = 'pending' AND r.scheduled_at <= \(now) AND NOT r.cancel_requested AND r.required_tags <> '{}'
              AND NOT EXISTS (SELECT 1 FROM live WHERE r.required_tags <@ live.tags)
            GROUP BY r.required_tags ORDER BY r.required_tags LIMIT 100
            """).map {
            .init(tags: try $0.decode([String].self, at: 0), count: try $0.decode(Int.self, at: 1), instructionIDs: try $0.decode([Int64].self, at: 2))
        }
        return snapshot
    }

    /// Premium hands with no render instruction triggered by them; nil when the hands relation
    /// does not exist yet (it arrives with the sync work).
    func orphanHands() async throws -> [String]? {
        let exists = try await pool.query("SELECT to_regclass(\(Self.handsRelation)) IS NOT NULL")
        guard try exists[0].decode(Bool.self, at: 0) else { return nil }
        let rows = try await pool.query("""
            SELECT h.id::text FROM \(identifier: Self.handsRelation) h
            WHERE h.is_premium
              AND NOT EXISTS (SELECT 1 FROM render_instructions r WHERE r.trigger_type = 'premium_hand' AND r.trigger_id = h.id::text)
            ORDER BY h.id LIMIT 1000
            """)
        return try rows.map { try $0.decode(String.self, at: 0) }
    }

    /// One pass at `now`: read, evaluate, record events, mark silent processes, act on orphans.
    package func pass(at now: Date = Date(), actor: String) async throws -> Report {
        let settings = try await settings()
        let snapshot = try await snapshot(at: now, settings: settings)
        var report = Report(at: now)
        if snapshot.orphanHands == nil {
            let note = "orphan_hand skipped: the \(Self.handsRelation) table does not exist yet (it arrives with hub-sync's migrations)"
            logger.info("\(note)")
            report.notes.append(note)
        }
        report.findings = AnomalyRules.evaluate(snapshot, settings: settings, now: now)
        for finding in report.findings {
            let (event, opened) = try await MonitorEventStore(pool: pool).raise(
                rule: finding.rule, subject: finding.subject, level: finding.level, message: finding.message, details: finding.details, at: now)
            guard opened else { continue }
            report.opened.append(event)
            var data = finding.details
            data["event_id"] = .integer(event.id)
            data["rule"] = .string(event.rule)
            data["subject"] = .string(event.subject)
            data["level"] = .string(event.level.rawValue)
            data["message"] = .string(event.message)
            await events?.publish("alert", data: data, channels: [Notifier.channel])
            try await notifier?.notify(.monitorEvent(rule: finding.rule, level: finding.level, message: finding.message), data: data, actor: actor)
        }
        for rule in AnomalyRules.all where !(rule == "orphan_hand" && snapshot.orphanHands == nil) {
            let holding = report.findings.filter { $0.rule == rule }.map(\.subject)
            let cleared = try await MonitorEventStore(pool: pool).resolveCleared(rule: rule, holding: holding, at: now)
            for event in cleared { await events?.alertResolved(event) }
            report.resolved += cleared
        }
        try await markHealth(silent: snapshot.silentServices.map(\.id), at: now)
        if settings.orphanAction == .create, let hands = snapshot.orphanHands, !hands.isEmpty {
            report.createdInstructions = try await createOrphanInstructions(hands, template: settings.orphanTemplate, actor: actor)
        }
        return report
    }

    /// Marks the silent processes unhealthy and every other one healthy again.
    func markHealth(silent: [String], at now: Date) async throws {
        try await pool.query("""
            UPDATE service_registry
            SET health = CASE WHEN id = ANY(\(silent)) THEN 'unhealthy' ELSE 'healthy' END,
                unhealthy_since = CASE WHEN id = ANY(\(silent)) THEN coalesce(unhealthy_since, \(now)) END
            WHERE health <> CASE WHEN id = ANY(\(silent)) THEN 'unhealthy' ELSE 'healthy' END
            """)
    }

    /// Submits one render instruction per orphan hand (trigger `premium_hand`, trigger id the hand).
    func createOrphanInstructions(_ hands: [String], template: String, actor: String) async throws -> [Int64] {
        guard let queue else {
            logger.warning("monitor.orphan_action is create, but this monitor has no render queue; alerting instead")
            return []
        }
        var created: [Int64] = []
        for hand in hands {
            let submission = RenderSubmission(templateName: template, layerData: ["hand_id": .string(hand)], trigger: .premiumHand, triggerID: hand)
            created.append(try await queue.submit(submission, actor: actor).instruction.id)
        }
        logger.notice("created \(created.count) render instruction(s) for orphan premium hands")
        return created
    }
}
