import Foundation
import HubDriverSupport
import HubPostgres
import HubRedis
import Logging
import ServiceLifecycle
import UnixSignals

/// The identity of this process among the hub's: `<host>-<pid>`, the form the registry, the
/// worker's consumers and event sources use.
package enum HubInstance {
    /// `<host>-<pid>` of this process.
    package static let id = "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)"
    /// The registry id of this process as `program`: `<program>:<host>-<pid>`.
    package static func registryID(program: String) -> String { "\(program):\(id)" }
}

extension HubClients {
    /// The render queue over these clients (store, Redis, dispatch settings), with events signed
    /// by `source`.
    package func renderQueue(source: String) -> RenderQueue {
        RenderQueue(store: renderStore, redis: redis, dispatch: DispatchConfiguration(configuration: configuration),
                    source: source)
    }
}

/// How one long-running hub process runs: every executable (hub-worker, hub-sync `--watch`,
/// hub-server) is the list of its ``Service``s handed to ``run(_:services:)``.
///
/// The runtime owns what they all share: it bootstraps metrics, builds the clients
/// (``HubClients``), checks the schema (``SchemaGuard``), registers the process in
/// `service_registry` and heartbeats it (one loop, ``RegistryHeartbeat``), serves `/metrics`
/// when asked (``MetricsEndpoint``), and runs the services in one `ServiceGroup` that shuts down
/// gracefully on SIGTERM or SIGINT. A second signal calls ``Options/onSecondSignal`` (the worker
/// hands its renders back at once); when ``Options/gracePeriod`` passes the group is cancelled.
package struct HubRuntime: Sendable {
    /// What one process needs from the runtime.
    package struct Options: Sendable {
        /// The executable's name (`hub-worker`), also its registry kind.
        package var program: String
        /// The registry mode reported with each heartbeat (nil: none); read every half second.
        package var mode: @Sendable () -> String? = { nil }
        /// Extra registry details, read with each heartbeat.
        package var details: @Sendable () -> [String: JSONValue] = { [:] }
        /// How often the registry heartbeat is written (a change of mode is written at once).
        package var heartbeatInterval: Duration = .seconds(5)
        /// The longest a graceful shutdown may take before the services are cancelled (nil: no limit).
        package var gracePeriod: Duration?
        /// Called on the second SIGTERM/SIGINT (the first starts the graceful shutdown).
        package var onSecondSignal: @Sendable () -> Void = {}
        /// `--metrics-port`: serve `/metrics` there (0 picks a free port; nil: no endpoint).
        package var metricsPort: Int?
        /// Whether the process registers in `service_registry` (a one-shot command does not).
        package var registers = true
        /// Whether a database that cannot be reached at start-up (restarting, failing over, not up
        /// yet) is waited for — tried again with backoff and logged — instead of ending the process.
        /// `hub-worker` waits: a supervisor restarting an exiting worker in a tight loop gives up
        /// after a few tries (systemd's start limit), and the machine would render nothing. A
        /// refused password or a missing database still ends it at once.
        package var waitsForDatabase = false

        package init(program: String) { self.program = program }
    }

    /// The process's name.
    package let program: String
    /// The effective configuration.
    package let configuration: HubConfiguration
    /// The PostgreSQL pool and Redis client.
    package let clients: HubClients
    /// The process's logger.
    package let logger: Logger

    /// `<program>:<host>-<pid>`: the registry id and event source of this process.
    package var instanceID: String { HubInstance.registryID(program: program) }

    /// The render queue over the runtime's clients, events signed with ``instanceID``.
    package func renderQueue() -> RenderQueue { clients.renderQueue(source: instanceID) }

    /// Runs a long-running process: builds the clients from `configuration`, checks the schema,
    /// makes the services with `services` and runs them (with the registry heartbeat and the
    /// metrics endpoint) until they finish or a signal stops them; closes the clients last.
    package static func run(
        _ options: Options, configuration: HubConfiguration, logger: Logger,
        services makeServices: (HubRuntime) async throws -> [any Service]
    ) async throws {
        HubMetrics.bootstrap()
        let clients = try HubClients(configuration: configuration, logger: logger)
        do {
            try await verifySchema(clients, options, logger: logger)
            let runtime = HubRuntime(program: options.program, configuration: configuration, clients: clients, logger: logger)
            try await runtime.runServices(options, try await makeServices(runtime))
            await clients.shutdown()
        } catch {
            await clients.shutdown()
            throw error
        }
    }

    /// Checks the schema; with ``Options/waitsForDatabase``, waits for a database that cannot be
    /// reached yet (250 ms … 5 s between tries; logged on the first failure and every 20th).
    static func verifySchema(_ clients: HubClients, _ options: Options, logger: Logger) async throws {
        var failures = 0
        while true {
            do {
                try await SchemaGuard.verify(clients.database, program: options.program)
                if failures > 0 { logger.notice("the database answers again after \(failures) failed attempt(s)") }
                return
            } catch {
                guard options.waitsForDatabase, !Task.isCancelled, RenderWorker.isTransientDatabaseError(error) else { throw error }
                // A wrong password or database name does not fix itself.
                let text = String(describing: error)
                if text.contains("authentication failed") || text.contains("does not exist") || text.contains("no pg_hba.conf entry") { throw error }
                failures += 1
                if failures == 1 || failures % 20 == 0 {
                    logger.warning("cannot reach the database (\(error)); waiting for it (\(failures) failed so far; check HUB_DATABASE_URL if it does not come back)")
                }
                try await Task.sleep(for: RenderWorker.databaseBackoff(after: failures))
            }
        }
    }

    /// Runs `services` in one group with the runtime's own services around them.
    func runServices(_ options: Options, _ services: [any Service]) async throws {
        // Work services end the group when they return (hub-worker --once); the runtime's own
        // services run as long as the group does and stop last (a group stops in reverse order:
        // the heartbeat deregisters after the work has been handed back).
        var configured: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if options.registers {
            configured.append(.init(service: RegistryHeartbeat(
                registry: ServiceRegistry(pool: clients.database), id: instanceID, kind: options.program,
                interval: options.heartbeatInterval, mode: options.mode, details: options.details, logger: logger)))
        }
        if let port = options.metricsPort {
            let credentials = try HubCredentials(configuration: configuration)
            let host = configuration.value(.metricsHost) ?? "127.0.0.1"
            configured.append(.init(service: MetricsEndpoint(host: host, port: port, credentials: credentials,
                                                             program: options.program, logger: logger)))
        }
        let signals = SignalHandler(onSecond: options.onSecondSignal)
        configured.append(.init(service: signals))
        for service in services {
            configured.append(.init(service: service, successTerminationBehavior: .gracefullyShutdownGroup,
                                    failureTerminationBehavior: .gracefullyShutdownGroup))
        }
        // The group traps no signal itself: one process-wide trap (SignalHandler) sees every
        // SIGTERM/SIGINT, starts the graceful shutdown on the first and calls the hurry-up hook on
        // the second (two traps of one signal do not both see it).
        var groupConfiguration = ServiceGroupConfiguration(services: configured, logger: logger)
        groupConfiguration.maximumGracefulShutdownDuration = options.gracePeriod
        let group = ServiceGroup(configuration: groupConfiguration)
        signals.group.withLock { $0 = group }
        try await group.run()
    }
}

/// The process's SIGTERM/SIGINT trap: the first signal starts the group's graceful shutdown, a
/// second one calls `onSecond` (hurry: the worker hands its renders back at once). It stops after
/// the work services (the group shuts services down in reverse order), so a signal during their
/// shutdown is still seen.
final class SignalHandler: Service, Sendable {
    let onSecond: @Sendable () -> Void
    let group = PThreadLocked<ServiceGroup?>(nil)

    init(onSecond: @escaping @Sendable () -> Void) { self.onSecond = onSecond }

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sigterm, .sigint)
        await cancelWhenGracefulShutdown {
            var count = 0
            for await _ in signals {
                count += 1
                if count == 1 {
                    await self.group.withLock { $0 }?.triggerGracefulShutdown()
                } else {
                    self.onSecond()
                }
            }
        }
    }
}

/// The one registry heartbeat loop: registers the process in `service_registry`, writes its
/// heartbeat every `interval` (and at once when its mode changes), deregisters when it stops.
/// A failed write is logged at debug level and tried again; it never stops the process.
package struct RegistryHeartbeat: Service {
    let registry: ServiceRegistry
    let id: String
    let kind: String
    let interval: Duration
    let mode: @Sendable () -> String?
    let details: @Sendable () -> [String: JSONValue]
    let logger: Logger

    package init(registry: ServiceRegistry, id: String, kind: String, interval: Duration = .seconds(5),
                mode: @escaping @Sendable () -> String? = { nil }, details: @escaping @Sendable () -> [String: JSONValue] = { [:] },
                logger: Logger) {
        self.registry = registry
        self.id = id
        self.kind = kind
        self.interval = interval
        self.mode = mode
        self.details = details
        self.logger = logger
    }

    package func run() async throws {
        await cancelWhenGracefulShutdown {
            var written: (mode: String?, at: ContinuousClock.Instant)?
            while !Task.isCancelled {
                let mode = self.mode()
                if written == nil || written?.mode != mode || ContinuousClock.now - written!.at >= interval {
                    do {
                        try await registry.heartbeat(id: id, kind: kind, mode: mode, details: details())
                        written = (mode, ContinuousClock.now)
                    } catch {
                        logger.debug("registry heartbeat failed", metadata: ["error": "\(error)"])
                    }
                }
                try? await Task.sleep(for: .milliseconds(500))
            }
        }
        // In a task of its own: this one may be cancelled, and a cancelled task's statement is
        // refused before it is sent.
        await Task { [registry, id] in try? await registry.deregister(id: id) }.value
    }
}
