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
            let queue = clients.renderQueue(source: "hubctl")
            return try await body(OperatorActions(queue: queue))
        }
    }
}

extension JobsCommand {
    typealias Retry = RetryCommand<Listed>

    struct RetryCommand<Spelling: CommandSpelling>: AsyncParsableCommand {
        static var configuration: CommandConfiguration {
            CommandConfiguration(
                commandName: "retry",
                abstract: "Put a failed, cancelled or stale render instruction back to pending with fresh retries.",
                discussion: "A pending instruction waiting for its retry backoff becomes due now. A completed or running one is refused (exit 1); an unknown id exits 3."
            ).spelled(Spelling.self)
        }
        @OptionGroup var global: GlobalOptions
        @OptionGroup var who: ActorOptions
        @Argument(help: "The instruction id.") var id: Int64
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let instruction = try await global.withActions { try await $0.retry(id, actor: who.actor, reason: who.reason) }
            print(json ? try JSONOutput.encode(instruction) : "instruction \(id) is pending again (retried by \(who.actor))")
        }
    }

    typealias BulkRetry = BulkRetryCommand<Listed>

    struct BulkRetryCommand<Spelling: CommandSpelling>: AsyncParsableCommand {
        static var configuration: CommandConfiguration {
            CommandConfiguration(
                commandName: "bulk-retry",
                abstract: "Retry every instruction that matches the filters (default: all failed); --dry-run lists them only.",
                discussion: """
                    Examples:
                      hubctl jobs bulk-retry --template leaderboard --since 2h --dry-run
                      hubctl jobs bulk-retry --error "missing footage" --reason "footage restored on the NAS"
                    """
            ).spelled(Spelling.self)
        }
        @OptionGroup var global: GlobalOptions
        @OptionGroup var who: ActorOptions
        @Option(help: "Status to retry (repeatable; default failed).") var status: [RetryableStatus] = []
        @Option(help: "Only this template.") var template: String?
        @Option(help: ArgumentHelp("Only instructions finished within this window: 90s, 30m, 2h, 1d (a bare number is seconds).",
                                   valueName: DurationOption.valueName),
                transform: DurationOption.seconds)
        var since: Double?
        @Option(name: .customLong("error"), help: "Only those whose error contains this text (case-insensitive).") var errorText: String?
        @Option(help: "At most this many.") var limit = 1000
        @Flag(name: .customLong("dry-run"), help: "List what would be retried; change nothing.") var dryRun = false
        @Flag(help: "Print JSON.") var json = false

        func filter() throws -> OperatorActions.BulkRetryFilter {
            let statuses = (status.isEmpty ? [.failed] : status).map(\.status)
            let since = self.since.map { Date().addingTimeInterval(-$0) }
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

    /// The statuses `jobs bulk-retry --status` takes: the finished ones an operator can retry.
    enum RetryableStatus: String, CaseIterable, ExpressibleByArgument {
        case failed, cancelled, stale

        var status: RenderStatus {
            switch self {
            case .failed: .failed
            case .cancelled: .cancelled
            case .stale: .stale
            }
        }
    }

    typealias Priority = PriorityCommand<Listed>

    struct PriorityCommand<Spelling: CommandSpelling>: AsyncParsableCommand {
        static var configuration: CommandConfiguration {
            CommandConfiguration(
                commandName: "priority",
                abstract: "Change the priority of an unfinished render instruction: 1 (highest) … 10 (lowest)."
            ).spelled(Spelling.self)
        }
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

    typealias Cancel = CancelCommand<Listed>

    struct CancelCommand<Spelling: CommandSpelling>: AsyncParsableCommand {
        static var configuration: CommandConfiguration {
            CommandConfiguration(
                commandName: "cancel",
                abstract: "Cancel a render instruction: a pending one at once, a running one on its worker within seconds."
            ).spelled(Spelling.self)
        }
        @OptionGroup var global: GlobalOptions
        @OptionGroup var who: ActorOptions
        @Argument(help: "The instruction id.") var id: Int64
        @Flag(help: "Print JSON: the id, the status before, whether its worker is stopping it, and the instruction.") var json = false

        /// The answer of `POST /api/actions/cancel`, in the same keys.
        struct Result: Encodable {
            var id: Int64
            var previousStatus: RenderStatus
            var stopping: Bool
            var instruction: RenderInstruction
        }

        func run() async throws {
            let (before, instruction) = try await global.withActions { actions in
                let before = try await actions.cancel(id, actor: who.actor, reason: who.reason)
                return (before, try await actions.queue.store.instruction(id))
            }
            if json {
                print(try JSONOutput.encode(Result(id: id, previousStatus: before, stopping: before == .processing, instruction: instruction)))
                return
            }
            print(before == .processing ? "instruction \(id) is running: its worker stops it at its next heartbeat" : "instruction \(id) cancelled")
        }
    }
}
