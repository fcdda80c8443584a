import ArgumentParser
import Foundation
import HubCommandSupport
import HubCore

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Check PostgreSQL, Redis and the schema version."
    )

    @OptionGroup var global: GlobalOptions
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let report = try await global.withClients { clients in
            await HealthReport.collect(clients, program: "hubctl")
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            encoder.dateEncodingStrategy = .iso8601
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            var table = [["COMPONENT", "STATUS", "ADDRESS", "DETAIL"]]
            for c in report.components { table.append([c.name, c.status, c.address, c.detail]) }
            print(TextTable.render(table))
        }
        if report.status != "healthy" {
            for c in report.components where c.status != "ok" {
                FileHandle.standardError.write(Data("hubctl: error: \(c.name): \(c.detail)\n".utf8))
            }
            throw ExitCode.failure
        }
    }
}
