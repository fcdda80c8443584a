import ArgumentParser
import Foundation
import HubCommandSupport
import HubCore

extension JobsCommand {
    typealias Reap = ReapCommand<Listed>

    struct ReapCommand<Spelling: CommandSpelling>: AsyncParsableCommand {
        static var configuration: CommandConfiguration {
            CommandConfiguration(
                commandName: "reap",
                abstract: "One pass of the Zombie Hunter: take back jobs of dead workers and reconcile Redis with PostgreSQL.",
                discussion: """
                    Expired leases go back to pending (republished) with no retry counted (a killed or frozen worker is no \
                    fault of the job); a job whose worker processes crashed HUB_QUARANTINE_CRASHES times is quarantined, one \
                    whose lease expired 10 times fails. Then stream entries \
                    of finished jobs are acknowledged, dead consumers' entries reclaimed and the consumers removed, unsignalled \
                    pending jobs republished and the stream trimmed. Workers run the same pass every HUB_HUNTER_INTERVAL_SECONDS; \
                    one process acts per interval, so a pass that ran recently is skipped unless --force.
                    """
            ).spelled(Spelling.self)
        }
        @OptionGroup var global: GlobalOptions
        @Option(help: "Who reaps (recorded in the timeline).") var actor = "hubctl reap"
        @Flag(help: "Run even if a pass ran less than an interval ago.") var force = false
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            try await global.withClients { clients in
                try await SchemaGuard.verify(clients.database, program: "hubctl")
                let queue = clients.renderQueue(source: "hubctl")
                let notifier = Notifier(pool: clients.database, events: queue.events, webhook: try WebhookSettings(configuration: clients.configuration))
                let report = try await ZombieHunter(queue: queue, settings: try ZombieHunter.Settings(configuration: clients.configuration), notifier: notifier)
                    .pass(actor: actor, force: force)
                if json {
                    print(try JSONOutput.encode(report))
                    return
                }
                guard report.acted else {
                    let formatter = ISO8601DateFormatter()
                    print("skipped: \(report.lastRun?.actor ?? "another process") ran a pass at \(report.lastRun?.at.map { formatter.string(from: $0) } ?? "?"), less than an interval ago (--force runs anyway)")
                    return
                }
                if report.reaped.isEmpty {
                    print("no expired leases")
                } else {
                    var table = [["ID", "NOW", "WORKER", "CRASHES", "REASON"]]
                    for r in report.reaped { table.append([String(r.id), r.status.rawValue, r.workerID ?? "-", String(r.crashCount), r.reason ?? ""]) }
                    print(TextTable.render(table))
                }
                if let r = report.reconciled {
                    print("reconciler: \(r.acknowledged) acknowledged, \(r.reclaimed) reclaimed, \(r.removedConsumers.count) dead consumer(s) removed, \(r.resignalled) re-signalled, \(r.published) published, \(r.trimmed) trimmed")
                } else if let error = report.reconcileError {
                    FileHandle.standardError.write(Data("hubctl: warning: Redis was not reconciled (\(error)); nothing in PostgreSQL is lost, the next pass catches up\n".utf8))
                }
                if !report.notifiedFailures.isEmpty { print("notified \(report.notifiedFailures.count) failed instruction(s)") }
            }
        }
    }
}
