import ArgumentParser
import Foundation
import HubCommandSupport
import HubCore

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "PostgreSQL, Redis and schema health, sync status per source, the render queue by template and status, open alerts, and the workers with their dispatch mode."
    )

    @OptionGroup var global: GlobalOptions
    @Flag(help: "Print JSON.") var json = false

    struct Report: Encodable {
        var health: HealthReport
        var renderQueue: [RenderStore.QueueCount]
        var workers: [ServiceRegistry.Entry]
        /// The dashboard's sync rows (``DashboardQuery/syncRows()``).
        var sync: [DashboardSnapshot.SyncRow]
        /// The dashboard's alerts: the newest open ones (``DashboardQuery/openAlerts(limit:)``).
        var alerts: [DashboardSnapshot.AlertRow]
        /// How many alerts are open in all.
        var openAlerts: Int
        var compositions: [RenderStore.CompositionQueue]
    }

    func run() async throws {
        let report = try await global.withClients { clients in
            let health = await HealthReport.collect(clients, program: "hubctl")
            var queue: [RenderStore.QueueCount] = []
            var workers: [ServiceRegistry.Entry] = []
            var sync: [DashboardSnapshot.SyncRow] = []
            var alerts: (alerts: [DashboardSnapshot.AlertRow], open: Int) = ([], 0)
            var compositions: [RenderStore.CompositionQueue] = []
            if health.blocks["schema"] == "healthy" {
                // The same reads as /api/dashboard, so the terminal and the web page agree.
                let dashboard = DashboardQuery(pool: clients.database, windowHours: 24)
                sync = (try? await dashboard.syncRows()) ?? []
                alerts = (try? await dashboard.openAlerts()) ?? ([], 0)
                compositions = (try? await RenderStore(pool: clients.database).compositionQueues()) ?? []
                queue = (try? await RenderStore(pool: clients.database).queueCounts()) ?? []
                workers = (try? await ServiceRegistry(pool: clients.database).list(kind: "hub-worker")) ?? []
            }
            return Report(health: health, renderQueue: queue, workers: workers, sync: sync, alerts: alerts.alerts,
                          openAlerts: alerts.open, compositions: compositions)
        }
        if json {
            print(try JSONOutput.encode(report))
        } else {
            var table = [["COMPONENT", "STATUS", "ADDRESS", "DETAIL"]]
            for c in report.health.components { table.append([c.name, c.status, c.address, c.detail]) }
            print(TextTable.render(table))
            if !report.sync.isEmpty {
                print("\nsync (health: completed runs of the last 24 h; hub-sync status for the entities)")
                let formatter = ISO8601DateFormatter()
                var rows = [["SOURCE", "STATUS", "LAST SYNC", "NEXT SYNC", "HEALTH", "LAST ERROR"]]
                for s in report.sync {
                    rows.append([s.source, s.status, s.lastSync.map { formatter.string(from: $0) } ?? "never",
                                 s.due ? "due now" : (s.nextSync.map { formatter.string(from: $0) } ?? "-"),
                                 s.healthPercent.map { String(format: "%.1f %%", $0) + " of \(s.runs) run" + (s.runs == 1 ? "" : "s") } ?? "no runs",
                                 s.lastError ?? ""])
                }
                print(TextTable.render(rows))
            }
            if !report.renderQueue.isEmpty {
                print("\nrender queue (finished: last 24 h)")
                var rows = [["TEMPLATE", "STATUS", "COUNT", "OLDEST PENDING"]]
                for q in report.renderQueue {
                    rows.append([q.template, q.status.rawValue, String(q.count), q.oldestPendingSeconds.map { String(format: "%.0f s", $0) } ?? ""])
                }
                print(TextTable.render(rows))
            }
            if !report.compositions.isEmpty {
                print("\nrender queue per composition (finished: last 24 h)")
                var rows = [["TEMPLATE", "COMPOSITION", "PENDING", "RENDERING", "COMPLETED", "FAILED", "MEAN QUEUE TIME"]]
                for c in report.compositions {
                    rows.append([c.template, c.composition, String(c.pending), String(c.rendering), String(c.completed), String(c.failed),
                                 c.meanQueueSeconds.map { String(format: "%.1f s", $0) } ?? "-"])
                }
                print(TextTable.render(rows))
            }
            if !report.alerts.isEmpty {
                let shown = report.openAlerts > report.alerts.count ? "newest \(report.alerts.count) of \(report.openAlerts)" : "\(report.openAlerts)"
                print("\nopen alerts: \(shown) (hubctl monitor events --unresolved; hubctl monitor resolve ID)")
                var rows = [["ID", "LEVEL", "RULE", "SUBJECT", "SINCE", "SEEN", "MESSAGE"]]
                let formatter = ISO8601DateFormatter()
                for a in report.alerts {
                    rows.append([String(a.id), a.level, a.rule, a.subject.isEmpty ? "-" : a.subject, formatter.string(from: a.firstSeen),
                                 "\(a.occurrences)×", a.message])
                }
                print(TextTable.render(rows))
            }
            if !report.workers.isEmpty {
                print("\nworkers")
                let formatter = ISO8601DateFormatter()
                var rows = [["WORKER", "HEALTH", "MODE", "LAST HEARTBEAT", "VERSION"]]
                for w in report.workers {
                    rows.append([w.id, w.stoppedAt != nil ? "stopped" : (w.healthy ? "healthy" : "silent"), w.mode ?? "-",
                                 formatter.string(from: w.lastHeartbeat), w.version])
                }
                print(TextTable.render(rows))
            }
        }
        if report.health.status != "healthy" {
            for c in report.health.components where c.status != "ok" {
                FileHandle.standardError.write(Data("hubctl: error: \(c.name): \(c.detail)\n".utf8))
            }
            throw ExitCode.failure
        }
    }
}
