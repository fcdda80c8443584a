import Foundation
import HubPostgres
import Logging

/// The Zombie Hunter (PRD-0001 §4.2, SPEC §3): one pass per interval across every worker and
/// `hubctl reap` (a ``PassGuard``), which
/// - takes back instructions whose lease expired, quarantining those whose worker processes
///   crashed on them too often (``RenderStore/reapExpiredLeases(actor:legacyTimeout:quarantineAfter:lostLeaseLimit:)``);
/// - republishes what went back to `pending` and reconciles the stream (``Reconciler``);
/// - raises a `job_failed` notification, exactly once, for every failure recorded since (a render
///   error with no retries left, a timeout, a quarantine; see ``notifyFailures(actor:)``).
package struct ZombieHunter: Sendable {
    /// The hunter's settings.
    package struct Settings: Sendable, Hashable {
        /// One pass per this interval (`HUB_HUNTER_INTERVAL_SECONDS`).
        package var interval: Duration = .seconds(60)
        /// Processing rows without a lease are zombies after this (PRD-0001's 10 minutes).
        package var legacyTimeout: Duration = .seconds(600)
        /// An instruction whose worker processes crashed this many times while holding it is
        /// quarantined (`HUB_QUARANTINE_CRASHES`; crashes are reported by the next worker on the
        /// machine, ``RenderStore/recordWorkerCrash(process:signal:actor:quarantineAfter:)``).
        package var quarantineAfter = 3
        /// The reconciler's limits.
        package var reconciler = Reconciler.Settings()

        /// The defaults.
        package init() {}

        /// Reads `HUB_HUNTER_INTERVAL_SECONDS` and `HUB_QUARANTINE_CRASHES`.
        /// - Throws: ``HubError`` `.configuration` for a value out of range.
        package init(configuration: HubConfiguration) throws {
            interval = .seconds(try configuration.integer(.hunterIntervalSeconds, in: 1...3600))
            quarantineAfter = try configuration.integer(.quarantineCrashes, in: 1...100)
        }
    }

    /// What one pass did.
    package struct Report: Sendable, Codable {
        /// False when another process ran the pass less than an interval ago.
        package var acted: Bool
        /// The last pass before this call (who and when), for a skipped call.
        package var lastRun: PassGuard.LastRun?
        /// Instructions taken back from dead workers.
        package var reaped: [RenderStore.Reaped] = []
        /// What the reconciler did (nil when Redis was unreachable: see `reconcileError`).
        package var reconciled: Reconciler.Report?
        package var reconcileError: String?
        /// Failed instructions notified in this pass.
        package var notifiedFailures: [Int64] = []
    }

    /// The queue (store, Redis, names).
    package let queue: RenderQueue
    /// The settings.
    package let settings: Settings
    /// Raises `job_failed` notifications (nil: none).
    package let notifier: Notifier?
    let logger: Logger

    /// Creates a hunter.
    package init(queue: RenderQueue, settings: Settings = Settings(), notifier: Notifier? = nil, logger: Logger = Logger(label: "hub.hunter")) {
        self.queue = queue
        self.settings = settings
        self.notifier = notifier
        self.logger = logger
    }

    /// The guard row of the hunter.
    package var guardRow: PassGuard { PassGuard(pool: queue.store.pool, name: "zombie_hunter") }

    /// Runs one pass unless another ran within the interval (`force` runs it anyway; passes are
    /// still serialized by the reaper's advisory lock).
    package func pass(actor: String, force: Bool = false) async throws -> Report {
        guard case .act = try await guardRow.acquire(actor: actor, interval: settings.interval, force: force) else {
            return Report(acted: false, lastRun: try await guardRow.lastRun())
        }
        var report = Report(acted: true)
        report.reaped = try await queue.store.reapExpiredLeases(actor: actor, legacyTimeout: settings.legacyTimeout,
                                                               quarantineAfter: settings.quarantineAfter)
        HubMetrics.reaped(report.reaped.count, quarantined: report.reaped.filter(\.quarantined).count)
        for reaped in report.reaped {
            logger.warning("instruction \(reaped.id) taken back from \(reaped.workerID ?? "?"): \(reaped.status.rawValue) (\(reaped.reason ?? ""))",
                           metadata: ["instruction_id": "\(reaped.id)", "worker": "\(reaped.workerID ?? "")"])
            if let instruction = try? await queue.store.instruction(reaped.id) {
                await queue.events.render(reaped.status == .failed ? "render_failed" : "instruction_updated", instruction,
                                          extra: ["error": .string(reaped.reason ?? ""), "reaped_by": .string(actor)])
            }
        }
        do {
            report.reconciled = try await Reconciler(queue: queue, settings: settings.reconciler).reconcile()
        } catch {
            // Redis down: the reaped rows are pending with outbox rows; fallback workers claim them
            // and the relay publishes when Redis returns.
            report.reconcileError = String(describing: error)
            logger.info("reconciler skipped: \(error)")
        }
        report.notifiedFailures = try await notifyFailures(actor: actor)
        return report
    }

    /// Raises a `job_failed` notification for every failure notice and removes the notice.
    ///
    /// A notice (`render_failure_notices`) is written by a trigger in the transaction that records
    /// the failure, so it exists exactly when the failure is committed, whatever order failures
    /// commit in (a cursor over timeline ids skipped those committed after a higher id was seen).
    /// The notification's dedupe key (`job_failed:<timeline id>`) makes a second raise — a
    /// concurrent pass, a pass that died before removing the notice — store and post nothing.
    /// Without a notifier the notices wait for a hunter that has one.
    /// - Returns: the instructions this pass notified.
    func notifyFailures(actor: String) async throws -> [Int64] {
        guard let notifier else { return [] }
        let pool = queue.store.pool
        let rows = try await pool.query("""
            SELECT n.timeline_id, n.instruction_id, r.template_name, coalesce(r.error_message, t.reason, 'failed')
            FROM render_failure_notices n
            JOIN render_timeline t ON t.id = n.timeline_id
            JOIN render_instructions r ON r.id = n.instruction_id
            ORDER BY n.timeline_id LIMIT 1000
            """)
        var notified: [Int64] = []
        for row in rows {
            let timelineID = try row.decode(Int64.self, at: 0)
            let id = try row.decode(Int64.self, at: 1)
            let raised = try await notifier.notify(.jobFailed(id: id, template: try row.decode(String.self, at: 2), error: try row.decode(String.self, at: 3)),
                                                   data: ["instruction_id": .integer(id)], actor: actor, dedupeKey: "job_failed:\(timelineID)")
            if raised != nil { notified.append(id) }
            try await pool.query("DELETE FROM render_failure_notices WHERE timeline_id = \(timelineID)")
        }
        return notified
    }
}
