import Foundation
import HubPostgres
import Logging
import ServiceLifecycle

/// A ``RenderWorker`` as a service of ``HubRuntime``: graceful shutdown stops claiming and gives
/// running renders the worker's grace (``RenderWorkerConfiguration/shutdownGrace``) before they
/// are handed back; cancellation (the group's grace period passed) hands them back at once. It
/// returns when the worker does (with `--once`, when nothing is due), which ends the group.
package struct RenderWorkerService: Service {
    package let worker: RenderWorker
    let logger: Logger

    package init(worker: RenderWorker, logger: Logger) {
        self.worker = worker
        self.logger = logger
    }

    package func run() async throws {
        let worker = self.worker
        let summary = try await withTaskCancellationHandler {
            try await withGracefulShutdownHandler {
                try await worker.run()
            } onGracefulShutdown: {
                logger.notice("stopping: no new claims; running renders get \(worker.configuration.shutdownGrace.components.seconds) s (signal again to hand back now)")
                worker.stop()
            }
        } onCancel: {
            worker.stop(grace: .zero)
        }
        logger.notice("hub-worker done: \(summary.completed) completed, \(summary.failed) failed, \(summary.cancelled) cancelled, \(summary.handedBack) handed back",
                      metadata: ["worker": "\(worker.configuration.consumerPrefix)"])
    }
}

/// The Zombie Hunter (with the reconciler) and the anomaly monitor, one pass every
/// ``RenderWorkerConfiguration/hunterInterval`` (each guarded so that one process acts per
/// interval across all workers and `hubctl`). Stops at graceful shutdown.
package struct OperationsLoop: Service {
    let worker: RenderWorker

    package init(worker: RenderWorker) { self.worker = worker }

    package func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await worker.runOperationsPass()
                if let depth = try? await worker.queue.store.outboxDepth() { HubMetrics.outboxDepth(depth) }
                try? await Task.sleep(for: worker.configuration.hunterInterval)
            }
        }
    }
}

extension RenderWorker {
    /// The registry details of a worker: slots, backend and completions.
    package var registryDetails: [String: JSONValue] {
        ["slots": .integer(Int64(configuration.concurrency)), "backend": .string(backend.name),
         "completed": .integer(Int64(summary.completed)), "tags": .array(configuration.tags.map(JSONValue.string))]
    }

    /// The worker's registry heartbeat when it runs standalone: its mode and ``registryDetails``.
    func registryHeartbeat(interval: Duration = .seconds(5)) -> RegistryHeartbeat {
        RegistryHeartbeat(registry: ServiceRegistry(pool: queue.store.pool), id: "hub-worker:\(configuration.consumerPrefix)", kind: "hub-worker", interval: interval, mode: { [self] in mode.rawValue },
                          details: { [self] in registryDetails }, logger: logger)
    }
}

extension RenderStore {
    /// Outbox rows not yet published to Redis (the `hub_outbox_depth` gauge).
    package func outboxDepth() async throws -> Int {
        try await pool.query("SELECT count(*) FROM render_outbox WHERE published_at IS NULL")[0].decode(Int.self, at: 0)
    }
}
