import ArgumentParser
import Foundation
import HubCommandSupport
import HubCore

struct JobsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs",
        abstract: "Render jobs: list, show, submit, retry, bulk-retry, priority, cancel, reap the jobs of dead workers, and purge finished ones.",
        discussion: """
            The old top-level spellings still work and do exactly the same: hubctl retry, bulk-retry, \
            priority, cancel and reap, and hubctl render submit; hubctl purge is jobs purge.
            """,
        subcommands: [List.self, Show.self, Submit.self, Retry.self, BulkRetry.self, Priority.self, Cancel.self, Reap.self, Purge.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List render instructions, newest first.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Only this status.") var status: RenderStatus?
        @Option(help: "At most this many.") var limit = 50
        @Flag(help: "Print JSON.") var json = false

        func validate() throws {
            guard (1...10_000).contains(limit) else { throw ValidationError("--limit must be 1…10000") }
        }

        func run() async throws {
            try await global.withClients { clients in
                try await SchemaGuard.verify(clients.database, program: "hubctl")
                let jobs = try await RenderStore(pool: clients.database).list(status: status, limit: limit)
                if json {
                    print(try JSONOutput.encode(jobs))
                    return
                }
                var table = [["ID", "STATUS", "PRI", "TEMPLATE", "ATTEMPT", "RETRIES", "WORKER", "CREATED"]]
                let formatter = ISO8601DateFormatter()
                for job in jobs {
                    table.append([String(job.id), job.status.rawValue, String(job.priority), job.templateName,
                                  String(job.attempt), "\(job.retryCount)/\(job.maxRetries)", job.workerID ?? "-",
                                  formatter.string(from: job.createdAt)])
                }
                print(TextTable.render(table))
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one render instruction with its whole timeline.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The instruction id.") var id: Int64
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            try await global.withClients { clients in
                try await SchemaGuard.verify(clients.database, program: "hubctl")
                let store = RenderStore(pool: clients.database)
                let job = try await store.instruction(id)
                let timeline = try await store.timeline(id)
                let attempts = try await store.attempts(id)
                let actions = timeline.filter { OperatorActions.timelineEvents.contains($0.event) || ($0.event == "cancelled" && $0.workerID == nil) }
                if json {
                    struct Story: Encodable {
                        var instruction: RenderInstruction
                        var attempts: [RenderStore.Attempt]
                        var operatorActions: [RenderStore.TimelineEntry]
                        var timeline: [RenderStore.TimelineEntry]
                    }
                    print(try JSONOutput.encode(Story(instruction: job, attempts: attempts, operatorActions: actions, timeline: timeline)))
                    return
                }
                let formatter = ISO8601DateFormatter()
                formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
                print("instruction \(job.id): \(job.templateName) / \(job.composition)")
                print("status \(job.status.rawValue), priority \(job.priority), attempt \(job.attempt), retries \(job.retryCount)/\(job.maxRetries)")
                if let frame = job.progressFrame { print("progress \(frame)/\(job.progressTotal.map(String.init) ?? "?") frames") }
                if let error = job.errorMessage { print("last error: \(error)") }
                if !job.requiredTags.isEmpty { print("requires tags: \(job.requiredTags.joined(separator: ",")) (only a worker started with all of them claims it)") }
                print("layers: \(JSONValue.object(job.layerData).canonicalText)")
                print("")
                if !attempts.isEmpty {
                    print("attempts")
                    var rows = [["#", "WORKER", "LEASE", "CLAIMED", "OUTCOME", "PROGRESS", "REASON / OUTPUT"]]
                    for a in attempts {
                        rows.append([String(a.attempt), a.workerID ?? "-", a.leaseToken.map { String($0.uuidString.prefix(8)).lowercased() } ?? "-",
                                     a.claimedAt.map { formatter.string(from: $0) } ?? "-", a.outcome, a.lastProgress ?? "",
                                     a.outputPath ?? a.reason ?? ""])
                    }
                    print(TextTable.render(rows))
                    print("")
                }
                if !actions.isEmpty {
                    print("operator actions")
                    var rows = [["TIME", "ACTION", "ACTOR", "REASON"]]
                    for a in actions { rows.append([formatter.string(from: a.occurredAt), a.event, a.actor, a.reason ?? ""]) }
                    print(TextTable.render(rows))
                    print("")
                }
                print("timeline")
                var table = [["TIME", "EVENT", "FROM", "TO", "ACTOR", "ATTEMPT", "LEASE", "REASON"]]
                for entry in timeline {
                    table.append([formatter.string(from: entry.occurredAt), entry.event, entry.fromStatus ?? "-", entry.toStatus,
                                  entry.actor, entry.attempt.map(String.init) ?? "-",
                                  entry.leaseToken.map { String($0.uuidString.prefix(8)).lowercased() } ?? "-", entry.reason ?? ""])
                }
                print(TextTable.render(table))
            }
        }
    }
}
