import ArgumentParser
import Foundation
import HubCommandSupport
import HubCore
import HubDriverSupport
import Logging

/// One `hub-sync` invocation: builds the clients, runs once or watches, prints the result.
struct SyncSession {
    var global: GlobalOptions
    var options: RunOptions
    var render = true
    var template = "premium_hand"
    let logger = Logger(label: "hub.sync")

    struct Output: Encodable {
        var correlationID: String
        var sources: [SyncRunner.SourceResult]
        var handsGraded: Int
        var premiumHands: Int
        var broadcastWorthyHands: Int
        var playersLinked: Int?
        var ambiguousNames: [String]?
        var renderInstructions: [Int64]?
        /// Automatic graphics the session rules queued for the new hands.
        var ruleInstructions: [Int64]?
        var rulesRefused: [String]?
        var phaseErrors: [String]
        var succeeded: Bool
    }

    func execute(gfx: [String], table: String?, wsop: String?, full: Bool) async throws {
        for directory in gfx + (wsop.map { [$0] } ?? []) {
            guard FileManager.default.fileExists(atPath: directory) else {
                throw HubError(.notFound, "folder \(directory) does not exist: check the path (or the NAS mount)")
            }
        }
        let adjust = { (configuration: HubConfiguration) in configuration.raising(.databasePoolSize, toAtLeast: options.concurrency + 4) }
        if options.watch {
            // The daemon: a service of the process runtime (registry heartbeat, /metrics, SIGTERM).
            let configuration = adjust(try global.configuration())
            var runtimeOptions = HubRuntime.Options(program: "hub-sync")
            runtimeOptions.mode = { "watch" }
            runtimeOptions.metricsPort = options.metricsPort
            runtimeOptions.gracePeriod = options.grace
            try await HubRuntime.run(runtimeOptions, configuration: configuration, logger: logger) { runtime in
                let clients = runtime.clients
                let queue = render ? clients.renderQueue(source: runtime.instanceID) : nil
                let poll = try options.pollSeconds ?? clients.configuration.integer(.syncPollSeconds, in: 1...3600)
                return [Watcher(session: self, clients: clients, events: EventPublisher(redis: clients.redis, source: runtime.instanceID),
                                queue: queue, progress: ProgressPrinter(enabled: !options.noProgress), poll: poll,
                                gfx: gfx, table: table, wsop: wsop, full: full)]
            }
            return
        }
        let succeeded = try await global.withClients(adjust: adjust) { clients in
            try await SchemaGuard.verify(clients.database, program: "hub-sync")
            let source = HubInstance.registryID(program: "hub-sync")
            return try await once(clients: clients, events: EventPublisher(redis: clients.redis, source: source),
                                  queue: render ? clients.renderQueue(source: source) : nil,
                                  progress: ProgressPrinter(enabled: !options.noProgress), gfx: gfx, table: table, wsop: wsop, full: full,
                                  report: true)
        }
        if !succeeded { throw ExitCode.failure }
    }

    /// One pass: the sources asked for, then (full) linking, grading and orphans, or (gfx) grading.
    func once(clients: HubClients, events: EventPublisher, queue: RenderQueue?, progress: ProgressPrinter, gfx: [String], table: String?,
              wsop: String?, full: Bool, report: Bool, stop: SyncStopFlag? = nil) async throws -> Bool {
        var runner = SyncRunner(pool: clients.database, events: events, logger: logger)
        runner.concurrency = options.concurrency
        runner.shouldStop = { stop?.isSet ?? false }
        runner.webhook = try WebhookSettings(configuration: clients.configuration)
        runner.media = clients.media
        runner.maxFileBytes = try InputFile.maxBytes(clients.configuration)
        runner.progress = { phase, done, total in progress.update(phase, done, total) }
        var output = Output(correlationID: runner.correlationID.uuidString.lowercased(), sources: [], handsGraded: 0, premiumHands: 0,
                            broadcastWorthyHands: 0, phaseErrors: [], succeeded: true)
        if full {
            let result = await runner.full(gfx: gfx, table: table, wsop: wsop, queue: queue, template: template)
            output.sources = result.sources
            output.handsGraded = result.handsGraded
            output.premiumHands = result.premiumHands
            output.broadcastWorthyHands = result.broadcastWorthyHands
            output.playersLinked = result.playersLinked
            output.ambiguousNames = result.ambiguousNames
            output.renderInstructions = queue == nil ? nil : result.renderInstructions
            output.phaseErrors = result.phaseErrors
            output.succeeded = result.succeeded
        } else if !gfx.isEmpty {
            let result = await runner.syncGFX(directories: gfx, table: table)
            output.sources = [result]
            do {
                let graded = try await runner.grade()
                output.handsGraded = graded.count
                output.premiumHands = graded.filter(\.isPremium).count
                output.broadcastWorthyHands = graded.filter(\.broadcastWorthy).count
            } catch {
                output.phaseErrors.append("grading: \(error)")
            }
            output.succeeded = !result.isFailure && output.phaseErrors.isEmpty
        } else if let wsop {
            let result = await runner.syncWSOP(directory: wsop)
            output.sources = [result]
            output.succeeded = !result.isFailure
        }
        if let queue, !gfx.isEmpty {
            // Automatic graphics: the broadcast sessions' rules for every graded hand they have not
            // looked at yet (this run's, and any an earlier run or the server graded and left).
            do {
                let rules = try await CueRuleEngine(director: CueDirector(queue: queue), logger: logger).firePending(actor: "hub-sync")
                output.ruleInstructions = rules.instructions
                output.rulesRefused = rules.refused.isEmpty ? nil : rules.refused
                if !rules.deferred.isEmpty { output.phaseErrors.append("automatic graphics deferred to the next run: " + rules.deferred.joined(separator: "; ")) }
                if !rules.instructions.isEmpty {
                    logger.info("automatic graphics: \(rules.instructions.count) render instructions", metadata: ["instructions": "\(rules.instructions)"])
                }
            } catch {
                output.phaseErrors.append("automatic graphics: \(error)")
            }
        }
        progress.finish()
        if report { try print(output) }
        return output.succeeded
    }

    func print(_ output: Output) throws {
        if options.json {
            Swift.print(try JSONOutput.encode(output))
            return
        }
        var rows = [["SOURCE", "STATUS", "FILES", "IMPORTED", "UNCHANGED", "FAILED", "ROWS CREATED", "ROWS UPDATED", "MS"]]
        for s in output.sources {
            let c = s.counts
            rows.append([s.source, s.status, String(c.filesSeen), String(c.filesImported), String(c.filesUnchanged), String(c.filesFailed),
                         String(c.rowsCreated), String(c.rowsUpdated), String(s.durationMs)])
        }
        Swift.print(TextTable.render(rows))
        for s in output.sources {
            if let reason = s.reason, s.status != "completed" { Swift.print("\(s.source): \(reason)") }
            for error in s.counts.errors { Swift.print("  skipped \(error)") }
            for warning in s.counts.warnings { Swift.print("  dropped \(warning)") }
        }
        var summary = "hands graded: \(output.handsGraded) (premium \(output.premiumHands), broadcast-worthy \(output.broadcastWorthyHands))"
        if let linked = output.playersLinked { summary += "; players linked: \(linked)" }
        if let ids = output.renderInstructions { summary += "; render instructions: \(ids.isEmpty ? "none" : ids.map(String.init).joined(separator: ", "))" }
        if let ids = output.ruleInstructions, !ids.isEmpty { summary += "; automatic graphics: \(ids.map(String.init).joined(separator: ", "))" }
        Swift.print(summary)
        for refused in output.rulesRefused ?? [] { Swift.print("automatic graphic refused: \(refused)") }
        for name in output.ambiguousNames ?? [] { Swift.print("ambiguous, not linked: \(name)") }
        for error in output.phaseErrors { Swift.print("error: \(error)") }
        Swift.print("correlation id: \(output.correlationID)")
    }
}

/// Progress on standard error: a bar on a terminal, a plain line per tenth otherwise.
final class ProgressPrinter: Sendable {
    let enabled: Bool
    let isTerminal = isatty(STDERR_FILENO) == 1
    private let state = PThreadLocked<(phase: String, step: Int, drawn: Bool)>(("", -1, false))

    init(enabled: Bool) { self.enabled = enabled }

    func update(_ phase: String, _ done: Int, _ total: Int) {
        guard enabled, total > 0 else { return }
        state.withLock { state in
            if isTerminal {
                let width = 30
                let filled = done * width / total
                let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
                FileHandle.standardError.write(Data("\r\(phase) [\(bar)] \(done)/\(total) files".utf8))
                state.drawn = true
                if done == total { FileHandle.standardError.write(Data("\n".utf8)); state.drawn = false }
            } else {
                let step = done * 10 / total
                if phase != state.phase || step != state.step {
                    state.phase = phase
                    state.step = step
                    FileHandle.standardError.write(Data("hub-sync: \(phase): \(done)/\(total) files\n".utf8))
                }
            }
        }
    }

    func finish() {
        state.withLock { state in
            if state.drawn { FileHandle.standardError.write(Data("\n".utf8)) }
            state = ("", -1, false)
        }
    }
}
