import ArgumentParser
import Foundation
import HubCommandSupport
import HubCore

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "The sync state of each source and entity, and the latest runs with their counts and skipped files."
    )
    @OptionGroup var global: GlobalOptions
    @Option(help: "Runs to show.") var limit = 10
    @Flag(help: "Print JSON.") var json = false

    struct Report: Encodable {
        var status: [SyncStore.Status]
        var runs: [SyncStore.Run]
    }

    func run() async throws {
        let report = try await global.withClients { clients in
            try await SchemaGuard.verify(clients.database, program: "hub-sync")
            let store = SyncStore(pool: clients.database)
            try await store.refresh()
            return Report(status: try await store.statuses(), runs: try await store.history(limit: limit))
        }
        if json {
            print(try JSONOutput.encode(report))
            return
        }
        let formatter = ISO8601DateFormatter()
        var rows = [["SOURCE", "ENTITY", "STATUS", "LAST SYNC", "NEXT SYNC", "RETRIES", "LAST ERROR"]]
        for s in report.status {
            rows.append([s.source, s.entity, s.status, s.lastSyncAt.map(formatter.string) ?? "-", s.nextSyncAt.map(formatter.string) ?? "-",
                         String(s.retryCount), s.lastError.map { String($0.prefix(60)) } ?? ""])
        }
        print(TextTable.render(rows))
        guard !report.runs.isEmpty else { return }
        print("\nlatest runs")
        var runs = [["RUN", "SOURCE", "STATUS", "STARTED", "MS", "FILES", "IMPORTED", "UNCHANGED", "FAILED", "CREATED", "UPDATED", "CORRELATION"]]
        for r in report.runs {
            let c = r.counts
            runs.append([String(r.id), r.source, r.status, formatter.string(from: r.startedAt), r.durationMs.map(String.init) ?? "-",
                         String(c.filesSeen), String(c.filesImported), String(c.filesUnchanged), String(c.filesFailed),
                         String(c.rowsCreated), String(c.rowsUpdated), String(r.correlationID.prefix(8))])
        }
        print(TextTable.render(runs))
        for r in report.runs {
            if let error = r.error, r.status != "completed" { print("run \(r.id): \(error)") }
            for e in r.counts.errors { print("run \(r.id): skipped \(e)") }
        }
    }
}
