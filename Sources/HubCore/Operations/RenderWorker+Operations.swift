import Foundation
import Logging
import ServiceLifecycle

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
    /// The daily retention pass (off unless `HUB_PURGE_FINISHED_AFTER` is set).
    package var purge = PurgeSettings()

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

extension RenderWorker {
    /// The retention pass, when ``PurgeSettings/finishedAfter`` is set and no process ran it in
    /// the last ``PurgeSettings/interval`` (`hunter_runs` row `purge`). Output files are deleted
    /// only with ``PurgeSettings/files``, under the worker's output directory.
    /// - Returns: the report, or nil when it was not this process's turn (or it is off).
    @discardableResult
    package func runPurgePass(now: Date = Date()) async -> RenderPurge.Report? {
        let settings = configuration.operations.purge
        guard let after = settings.finishedAfter else { return nil }
        let actor = "hub-worker:\(configuration.consumerPrefix)"
        do {
            guard case .act = try await PassGuard(pool: queue.store.pool, name: "purge").acquire(actor: actor, interval: settings.interval) else { return nil }
            let cutoff = now.addingTimeInterval(-after.seconds)
            let report = try await RenderPurge(pool: queue.store.pool, logger: logger)
                .run(finishedBefore: cutoff, outputRoot: settings.files ? configuration.outputDirectory : nil)
            let r = report.removed
            logger.notice("purge: removed \(r.instructions) instructions finished before \(cutoff) (\(r.outputs) outputs, \(r.outbox) outbox, \(r.timeline) timeline, \(r.failureNotices) failure notices rows\(report.files.map { ", \($0.deleted) files deleted, \($0.missing) missing" } ?? "")) in \(report.batches) batches")
            return report
        } catch {
            logger.warning("purge pass failed (next try in \(configuration.hunterInterval)): \(error)")
            return nil
        }
    }
}

/// The daily retention pass of ``PurgeSettings`` as a service of ``HubRuntime``, apart from
/// ``OperationsLoop`` so a long purge never delays the Zombie Hunter. Checks every
/// ``RenderWorkerConfiguration/hunterInterval`` whether a pass is due; stops at graceful shutdown
/// (between batches).
package struct PurgeLoop: Service {
    let worker: RenderWorker

    /// A loop for `worker` (its ``WorkerOperations/purge`` settings).
    package init(worker: RenderWorker) { self.worker = worker }

    package func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await worker.runPurgePass()
                try? await Task.sleep(for: worker.configuration.hunterInterval)
            }
        }
    }
}
