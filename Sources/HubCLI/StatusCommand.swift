import ArgumentParser
import Foundation
import HubCommandSupport
import HubCore

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "PostgreSQL, Redis and schema health, the render queue by template and status, and the workers with their dispatch mode."
    )

    @OptionGroup var global: GlobalOptions
    @Flag(help: "Print JSON.") var json = false

    struct Report: Encodable {
        var health: HealthReport
        var renderQueue: [RenderStore.QueueCount]
        var workers: [ServiceRegistry.Entry]
        var openAlerts: [MonitorEvent]
        var compositions: [RenderStore.CompositionQueue]
    }

    func run() async throws {
        let report = try await global.withClients { clients in
            let health = await HealthReport.collect(clients, program: "hubctl")
            var queue: [RenderStore.QueueCount] = []
            var workers: [ServiceRegistry.Entry] = []
            var alerts: [MonitorEvent] = []
            var compositions: [RenderStore.CompositionQueue] = []
            if health.blocks["schema"] == "healthy" {
                compositions = (try? await RenderStore(pool: clients.database).compositionQueues()) ?? []
                alerts = (try? await MonitorEventStore(pool: clients.database).list(unresolved: true, limit: 20)) ?? []
                queue = (try? await RenderStore(pool: clients.database).queueCounts()) ?? []
                workers = (try? await ServiceRegistry(pool: clients.database).list(kind: "hub-worker")) ?? []
            }
            return Report(health: health, renderQueue: queue, workers: workers, openAlerts: alerts, compositions: compositions)
        }
        if json {
            print(try JSONOutput.encode(report))
        } else {
            var table = [["COMPONENT", "STATUS", "ADDRESS", "DETAIL"]]
            for c in report.health.components { table.append([c.name, c.status, c.address, c.detail]) }
            print(TextTable.render(table))
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
            if !report.openAlerts.isEmpty {
                print("\nopen alerts (hubctl events list --unresolved)")
                var rows = [["ID", "LEVEL", "RULE", "SINCE", "MESSAGE"]]
                let formatter = ISO8601DateFormatter()
                for a in report.openAlerts {
                    rows.append([String(a.id), a.level.rawValue, a.rule, formatter.string(from: a.firstSeen), a.message])
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
