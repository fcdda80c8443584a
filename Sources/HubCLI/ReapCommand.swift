import ArgumentParser
import Foundation
import HubCommandSupport
import HubCore

struct ReapCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reap",
        abstract: "One pass of the lease rule: take back processing instructions whose worker stopped heartbeating.",
        discussion: "Expired leases go back to pending while retries remain, else fail with \"Timeout exceeded max retries\". Workers run the same pass every HUB_HUNTER_INTERVAL_SECONDS; this is for cron."
    )
    @OptionGroup var global: GlobalOptions
    @Option(help: "Who reaps (recorded in the timeline).") var actor = "hubctl reap"
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        try await global.withClients { clients in
            try await SchemaGuard.verify(clients.database, program: "hubctl")
            let reaped = try await RenderStore(pool: clients.database).reapExpiredLeases(actor: actor)
            if json {
                print(try JSONOutput.encode(reaped))
            } else if reaped.isEmpty {
                print("no expired leases")
            } else {
                var table = [["ID", "NOW", "WORKER", "CRASHES"]]
                for r in reaped { table.append([String(r.id), r.status.rawValue, r.workerID ?? "-", String(r.crashCount)]) }
                print(TextTable.render(table))
            }
        }
    }
}
