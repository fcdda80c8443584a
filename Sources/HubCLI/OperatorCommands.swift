import ArgumentParser
import Foundation
import HubCommandSupport
import HubCore

/// Who acts and why: every operator command records both (SPEC §7.3).
struct ActorOptions: ParsableArguments {
    @Option(help: "Who acts (recorded in the timeline; default: your login name).")
    var actor: String = ProcessInfo.processInfo.environment["USER"] ?? ProcessInfo.processInfo.environment["LOGNAME"] ?? "hubctl"
    @Option(help: "Why (recorded in the timeline).") var reason: String?

    func validate() throws {
        guard !actor.trimmingCharacters(in: .whitespaces).isEmpty else { throw ValidationError("--actor must not be empty") }
    }
}

extension GlobalOptions {
    /// Runs `body` with the operator actions on this configuration's queue.
    func withActions<T>(_ body: (OperatorActions) async throws -> T) async throws -> T {
        try await withClients { clients in
            try await SchemaGuard.verify(clients.database, program: "hubctl")
            let queue = RenderQueue(store: RenderStore(pool: clients.database), redis: clients.redis,
                                    dispatch: DispatchConfiguration(configuration: clients.configuration), source: "hubctl")
            return try await body(OperatorActions(queue: queue))
        }
    }
}

struct RetryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retry",
        abstract: "Put a failed, cancelled or stale render instruction back to pending with fresh retries.",
        discussion: "A pending instruction waiting for its retry backoff becomes due now. A completed or running one is refused (exit 1); an unknown id exits 3."
    )
    @OptionGroup var global: GlobalOptions
    @OptionGroup var who: ActorOptions
    @Argument(help: "The instruction id.") var id: Int64
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let instruction = try await global.withActions { try await $0.retry(id, actor: who.actor, reason: who.reason) }
        print(json ? try JSONOutput.encode(instruction) : "instruction \(id) is pending again (retried by \(who.actor))")
    }
}

struct BulkRetryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bulk-retry",
        abstract: "Retry every instruction that matches the filters (default: all failed); --dry-run lists them only.",
        discussion: """
            Examples:
              hubctl bulk-retry --template leaderboard --since 2h --dry-run
              hubctl bulk-retry --error "missing footage" --reason "footage restored on the NAS"
            """
    )
    @OptionGroup var global: GlobalOptions
    @OptionGroup var who: ActorOptions
    @Option(help: "Status to retry: failed, cancelled or stale (repeatable; default failed).") var status: [String] = []
    @Option(help: "Only this template.") var template: String?
    @Option(help: "Only instructions finished within this window: 90s, 30m, 2h, 1d.") var since: String?
    @Option(name: .customLong("error"), help: "Only those whose error contains this text (case-insensitive).") var errorText: String?
    @Option(help: "At most this many.") var limit = 1000
    @Flag(name: .customLong("dry-run"), help: "List what would be retried; change nothing.") var dryRun = false
    @Flag(help: "Print JSON.") var json = false

    func filter() throws -> OperatorActions.BulkRetryFilter {
        let statuses = try (status.isEmpty ? ["failed"] : status).map { text -> RenderStatus in
            guard let status = RenderStatus(rawValue: text), [.failed, .cancelled, .stale].contains(status) else {
                throw ValidationError("--status must be failed, cancelled or stale, not '\(text)'")
            }
            return status
        }
        var since: Date?
        if let text = self.since {
            guard let seconds = parseDuration(text) else { throw ValidationError("--since '\(text)' is not a duration: use e.g. 90s, 30m, 2h, 1d") }
            since = Date().addingTimeInterval(-seconds)
        }
        guard (1...100_000).contains(limit) else { throw ValidationError("--limit must be 1…100000") }
        return OperatorActions.BulkRetryFilter(statuses: statuses, template: template, since: since, errorContains: errorText, limit: limit)
    }

    func validate() throws { _ = try filter() }

    func run() async throws {
        let filter = try filter()
        let result = try await global.withActions { try await $0.bulkRetry(filter, dryRun: dryRun, actor: who.actor, reason: who.reason) }
        if json {
            print(try JSONOutput.encode(result))
            return
        }
        if result.matched.isEmpty {
            print("no instruction matches")
            return
        }
        var table = [["ID", "STATUS", "TEMPLATE", "ERROR"]]
        for m in result.matched { table.append([String(m.id), m.status.rawValue, m.template, String((m.errorMessage ?? "").prefix(80))]) }
        print(TextTable.render(table))
        print(dryRun ? "dry run: \(result.matched.count) instruction(s) would be retried" : "retried \(result.retried.count) instruction(s)")
    }
}

/// Parses `90s`, `30m`, `2h`, `1d` (or plain seconds) into seconds.
func parseDuration(_ text: String) -> Double? {
    let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
    let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
    guard let last = trimmed.last else { return nil }
    if let unit = units[last], let value = Double(trimmed.dropLast()), value >= 0 { return value * unit }
    if let value = Double(trimmed), value >= 0 { return value }
    return nil
}

struct PriorityCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "priority",
        abstract: "Change the priority of an unfinished render instruction: 1 (highest) … 10 (lowest)."
    )
    @OptionGroup var global: GlobalOptions
    @OptionGroup var who: ActorOptions
    @Argument(help: "The instruction id.") var id: Int64
    @Argument(help: "The new priority, 1 … 10.") var priority: Int
    @Flag(help: "Print JSON.") var json = false

    func validate() throws {
        guard (1...10).contains(priority) else { throw ValidationError("priority must be 1 (highest) … 10 (lowest)") }
    }

    func run() async throws {
        let instruction = try await global.withActions { try await $0.changePriority(id, to: priority, actor: who.actor, reason: who.reason) }
        print(json ? try JSONOutput.encode(instruction) : "instruction \(id) now has priority \(priority)")
    }
}

struct CancelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel",
        abstract: "Cancel a render instruction: a pending one at once, a running one on its worker within seconds."
    )
    @OptionGroup var global: GlobalOptions
    @OptionGroup var who: ActorOptions
    @Argument(help: "The instruction id.") var id: Int64

    func run() async throws {
        let before = try await global.withActions { try await $0.cancel(id, actor: who.actor, reason: who.reason) }
        print(before == .processing ? "instruction \(id) is running: its worker stops it at its next heartbeat" : "instruction \(id) cancelled")
    }
}
