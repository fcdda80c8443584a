import ArgumentParser
import Foundation
import HubCommandSupport
import HubCore
import HubDriverSupport
import HubPostgres
import HubRedis
import Logging

/// `hub-worker`: claims render instructions and renders them (SPEC §3, §5).
struct HubWorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hub-worker",
        abstract: "Claim render instructions and render them.",
        discussion: """
            Waits for dispatch signals on the Redis stream (HUB_RENDER_STREAM, group HUB_CONSUMER_GROUP) \
            and claims from PostgreSQL in priority order; while Redis is unreachable it claims on \
            PostgreSQL LISTEN/NOTIFY wake-ups and switches back when Redis returns. SIGTERM or SIGINT \
            stops claiming, lets running renders finish within --grace, hands the rest back \
            and exits 0; a second signal hands back at once.

            Durations (--grace, --lease, --max-render-seconds, --nexrender-poll-interval) are written \
            90s, 5m, 2h or 1d, or 250ms; a bare number is seconds, as before.

            --backend nexrender-server posts each job to a nexrender server (--nexrender-url or \
            HUB_NEXRENDER_URL; the secret comes from HUB_NEXRENDER_SECRET, never from a flag) and polls \
            it every --nexrender-poll-interval; a cancelled render deletes the server's job.
            """,
        version: HubVersion.current
    )

    @OptionGroup var global: GlobalOptions
    @Option(help: "Render slots (parallel renders) in this process.") var concurrency = 1
    @Option(help: "Backend (default HUB_RENDER_BACKEND or preview).") var backend: RenderBackendName?
    @Option(name: .customLong("command"), help: "Executable of the command backend (default HUB_RENDER_COMMAND).") var commandPath: String?
    @Option(name: .customLong("nexrender-url"),
            help: "nexrender server of the nexrender-server backend, e.g. http://render-01:3050 (default HUB_NEXRENDER_URL; its secret comes from HUB_NEXRENDER_SECRET).")
    var nexrenderURL: String?
    @Option(name: .customLong("nexrender-poll-interval"),
            help: ArgumentHelp("Time between job state polls of the nexrender-server backend (50ms…60s; a bare number is seconds).",
                               valueName: DurationOption.valueName),
            transform: DurationOption.seconds)
    var nexrenderPollInterval = 1.0
    @Option(help: "Where outputs are written (default HUB_OUTPUT_DIR).") var outputDir: String?
    @Option(help: ArgumentHelp("Lease length, 5s…1h (default HUB_LEASE_SECONDS; a bare number is seconds).", valueName: DurationOption.valueName),
            transform: DurationOption.wholeSeconds)
    var lease: Int?
    @Option(help: ArgumentHelp("How long running renders get to finish after SIGTERM (a bare number is seconds).", valueName: DurationOption.valueName),
            transform: DurationOption.wholeSeconds)
    var grace = 30
    @Option(help: ArgumentHelp("The longest one render may run, printing or not, 1s…7d (default HUB_MAX_RENDER_SECONDS or 1h; a bare number is seconds); a longer one is stopped and the attempt fails (retryable).",
                               valueName: DurationOption.valueName),
            transform: DurationOption.wholeSeconds)
    var maxRenderSeconds: Int?
    @Option(help: ArgumentHelp("What this machine has, comma-separated (default HUB_WORKER_TAGS): it claims only instructions whose required tags it has all of, e.g. ae-2025,gpu,cyprusdesign.",
                               valueName: "tags"))
    var tags: String?
    @Flag(help: "Render what is due now, then exit.") var once = false
    @Option(help: "Serve /metrics (Prometheus; credentials as hub-server's) on this port; 0 picks a free one (address HUB_METRICS_HOST).")
    var metricsPort: Int?

    func validate() throws {
        guard (1...128).contains(concurrency) else { throw ValidationError("--concurrency must be 1…128") }
        if let metricsPort, !(0...65_535).contains(metricsPort) { throw ValidationError("--metrics-port must be 0…65535") }
        guard grace >= 0 else { throw ValidationError("--grace must be 0s or more") }
        if let lease, !(5...3600).contains(lease) { throw ValidationError("--lease must be 5s…1h (5…3600 seconds)") }
        if let maxRenderSeconds, !(1...604_800).contains(maxRenderSeconds) { throw ValidationError("--max-render-seconds must be 1s…7d (1…604800 seconds)") }
        guard (0.05...60).contains(nexrenderPollInterval) else { throw ValidationError("--nexrender-poll-interval must be 50ms…60s") }
        if let tags {
            do { _ = try RenderTags.parse(tags) } catch let error as HubError { throw ValidationError("--tags: \(error.message)") }
        }
    }

    func run() async throws {
        let settings = try global.configuration()
        let logger = Logger(label: "hub.worker")
        let backend = try Self.makeBackend(name: backend?.rawValue ?? settings.value(.renderBackend) ?? "preview",
                                           command: commandPath ?? settings.value(.renderCommand), settings: settings,
                                           nexrenderURL: nexrenderURL, nexrenderPollInterval: .milliseconds(Int((nexrenderPollInterval * 1000).rounded())))
        var configuration = RenderWorkerConfiguration()
        configuration.concurrency = concurrency
        configuration.once = once
        do {
            configuration.tags = try RenderTags.parse(tags ?? settings.value(.workerTags) ?? "")
        } catch let error as HubError {
            throw HubError(.usage, "HUB_WORKER_TAGS: \(error.message)")
        }
        configuration.recordsCrashes = true
        configuration.lease = .seconds(try lease ?? settings.integer(.leaseSeconds, in: 5...3600))
        configuration.heartbeatInterval = configuration.lease / 4
        configuration.shutdownGrace = .seconds(grace)
        configuration.maxRenderTime = .seconds(try maxRenderSeconds ?? (settings.value(.maxRenderSeconds).map { _ in
            try settings.integer(.maxRenderSeconds, in: 1...604_800)
        } ?? 3600))
        configuration.hunterInterval = .seconds(try settings.integer(.hunterIntervalSeconds, in: 5...3600))
        configuration.retryPolicy = RetryPolicy(base: .seconds(try settings.integer(.retryBaseSeconds, in: 1...86_400)))
        configuration.outputDirectory = URL(fileURLWithPath: outputDir ?? settings.value(.outputDirectory) ?? ".hub/output")
        configuration.media = try MediaPolicy(configuration: settings)
        configuration.operations.hunter = try ZombieHunter.Settings(configuration: settings)
        configuration.operations.webhook = try WebhookSettings(configuration: settings)
        configuration.operations.purge = try PurgeSettings(configuration: settings)

        // Every slot may hold a database connection (claim, heartbeat) and a Redis connection
        // (a blocking stream read) at once: size the pools for the slots.
        let slots = concurrency
        let adjusted = settings.raising(.databasePoolSize, toAtLeast: slots + 3).raising(.redisPoolSize, toAtLeast: slots + 2)
        configuration.standalone = false
        let worker = PThreadLocked<RenderWorker?>(nil)
        var options = HubRuntime.Options(program: "hub-worker")
        options.mode = { worker.withLock { $0 }?.mode.rawValue }
        options.details = { worker.withLock { $0 }?.registryDetails ?? [:] }
        options.metricsPort = metricsPort
        // A worker started while PostgreSQL is down waits for it (a one-shot run exits).
        options.waitsForDatabase = !once
        // The worker's grace, then time to hand back what is still running; a second signal hands
        // back at once.
        options.gracePeriod = configuration.shutdownGrace + configuration.lease + .seconds(5)
        options.onSecondSignal = { worker.withLock { $0 }?.stop(grace: .zero) }
        try await HubRuntime.run(options, configuration: adjusted, logger: logger) { [configuration] runtime in
            let renderWorker = RenderWorker(queue: runtime.clients.renderQueue(source: "hub-worker:\(configuration.consumerPrefix)"),
                                            backend: backend, configuration: configuration, logger: logger)
            worker.withLock { $0 = renderWorker }
            logger.notice("hub-worker \(configuration.consumerPrefix): \(concurrency) slot(s), backend \(backend.name), tags \(configuration.tags.isEmpty ? "none" : configuration.tags.joined(separator: ",")), output \(configuration.outputDirectory.path), renders stopped after \(configuration.maxRenderTime.components.seconds) s")
            // The daily purge (HUB_PURGE_FINISHED_AFTER) runs beside the hunter, never in its way.
            if configuration.operations.purge.finishedAfter != nil {
                return [OperationsLoop(worker: renderWorker), RenderWorkerService(worker: renderWorker, logger: logger), PurgeLoop(worker: renderWorker)]
            }
            return [OperationsLoop(worker: renderWorker), RenderWorkerService(worker: renderWorker, logger: logger)]
        }
    }

    static func makeBackend(name: String, command: String?, settings: HubConfiguration, nexrenderURL: String? = nil,
                            nexrenderPollInterval: Duration = .seconds(1)) throws -> any RenderBackend {
        let timeout = Duration.seconds(try settings.integer(.rendererTimeoutSeconds, in: 1...86_400))
        switch name {
        case "noop": return NoopBackend()
        case "preview": return try PreviewBackend(inactivityTimeout: timeout)
        case "nexrender", "aerender":
            let templates = URL(fileURLWithPath: settings.value(.templateDirectory) ?? "templates")
            let binarySetting: HubSetting = name == "nexrender" ? .nexrenderBinary : .aerenderBinary
            let binary = try resolveExecutable(settings.value(binarySetting) ?? name, variable: binarySetting.name)
            return name == "nexrender"
                ? NexrenderBackend(binary: binary, templateDirectory: templates, inactivityTimeout: timeout)
                : AerenderBackend(binary: binary, templateDirectory: templates, inactivityTimeout: timeout)
        case "nexrender-server":
            guard let text = nexrenderURL ?? settings.value(.nexrenderURL), !text.isEmpty else {
                throw ValidationError("the nexrender-server backend needs --nexrender-url URL or HUB_NEXRENDER_URL (e.g. http://render-01:3050)")
            }
            guard let url = URL(string: text) else {
                throw ValidationError("the nexrender server URL is not a URL: set --nexrender-url or HUB_NEXRENDER_URL to e.g. http://render-01:3050")
            }
            return try NexrenderServerBackend(
                baseURL: url, secret: settings.value(.nexrenderSecret),
                templateDirectory: URL(fileURLWithPath: settings.value(.templateDirectory) ?? "templates"),
                pollInterval: nexrenderPollInterval, inactivityTimeout: timeout)
        case "command":
            guard let command, !command.isEmpty else {
                throw ValidationError("the command backend needs --command PATH or HUB_RENDER_COMMAND")
            }
            guard FileManager.default.isExecutableFile(atPath: command) else {
                throw ValidationError("\(command) is not an executable file")
            }
            return CommandBackend(executable: command, inactivityTimeout: timeout)
        default:
            throw ValidationError("unknown backend '\(name)': use preview, nexrender, nexrender-server, aerender, command or noop")
        }
    }

    /// An absolute path, or a name found on PATH.
    static func resolveExecutable(_ name: String, variable: String) throws -> String {
        if name.contains("/") {
            guard FileManager.default.isExecutableFile(atPath: name) else {
                throw ValidationError("\(name) is not an executable file: fix \(variable)")
            }
            return name
        }
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw ValidationError("\(name) was not found on PATH: install it or set \(variable) to its full path")
    }
}

@main
enum HubWorkerMain {
    static func main() async {
        HubLogging.bootstrap()
        await CommandRunner.run(HubWorkerCommand.self, program: "hub-worker")
    }
}
