import Foundation
import Logging

/// What a worker runs besides rendering, every ``RenderWorkerConfiguration/hunterInterval``: the
/// Zombie Hunter (with the reconciler) and the monitor, each guarded so that one process acts per
/// interval across all workers and `hubctl`.
package struct WorkerOperations: Sendable {
    /// The hunter's settings (its interval is the worker's `hunterInterval`).
    package var hunter = ZombieHunter.Settings()
    /// Where notifications are posted, if anywhere.
    package var webhook: WebhookSettings?
    /// Whether the worker also runs the anomaly monitor.
    package var runMonitor = true

    /// The defaults: hunter and monitor on, no webhook.
    package init() {}
}

extension RenderWorker {
    /// One turn of the hunter and the monitor; failures are logged and retried next interval.
    func runOperationsPass() async {
        let actor = "hub-worker:\(configuration.consumerPrefix)"
        var settings = configuration.operations.hunter
        settings.interval = configuration.hunterInterval
        settings.reconciler.silentAfter = max(settings.reconciler.silentAfter, configuration.lease)
        let notifier = Notifier(pool: queue.store.pool, events: queue.events, webhook: configuration.operations.webhook)
        do {
            _ = try await ZombieHunter(queue: queue, settings: settings, notifier: notifier, logger: logger).pass(actor: actor)
        } catch {
            logger.warning("zombie hunter pass failed (next try in \(configuration.hunterInterval)): \(error)")
        }
        guard configuration.operations.runMonitor else { return }
        do {
            guard case .act = try await PassGuard(pool: queue.store.pool, name: "monitor").acquire(actor: actor, interval: configuration.hunterInterval) else { return }
            let report = try await AnomalyDetector(pool: queue.store.pool, queue: queue, notifier: notifier, events: queue.events, logger: logger)
                .pass(at: Date(), actor: actor)
            for event in report.opened { logger.warning("alert \(event.rule) \(event.subject): \(event.message)") }
        } catch {
            logger.warning("monitor pass failed (next try in \(configuration.hunterInterval)): \(error)")
        }
    }
}
