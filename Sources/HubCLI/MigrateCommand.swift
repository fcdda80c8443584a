import ArgumentParser
import Foundation
import HubCommandSupport
import HubCore
import HubPostgres

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply, revert or list schema migrations.",
        subcommands: [Up.self, Down.self, Status.self],
        defaultSubcommand: Status.self
    )

    struct Up: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Apply pending migrations (all, or up to --to VERSION).")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Stop after this version.") var to: Int?

        func run() async throws {
            try await global.withClients { clients in
                let applied = try await Migrator(pool: clients.database).up(to: to)
                if applied.isEmpty {
                    print("schema is up to date (version \(try await Migrator(pool: clients.database).currentVersion()))")
                }
                for migration in applied { print("applied \(migration.id)") }
            }
        }
    }

    struct Down: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revert the newest migration, or every migration above --to VERSION (0 = all).")
        @OptionGroup var global: GlobalOptions
        @Option(help: "The version to leave in place.") var to: Int?

        func validate() throws {
            if let to, to < 0 { throw ValidationError("--to must be 0 or a migration version") }
        }

        func run() async throws {
            try await global.withClients { clients in
                let reverted = try await Migrator(pool: clients.database).down(to: to)
                if reverted.isEmpty { print("nothing to revert") }
                for migration in reverted { print("reverted \(migration.id)") }
            }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List every migration and whether it is applied.")
        @OptionGroup var global: GlobalOptions
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            try await global.withClients { clients in
                let migrator = Migrator(pool: clients.database)
                let statuses = try await migrator.status()
                if json {
                    let encoder = JSONEncoder()
                    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                    encoder.dateEncodingStrategy = .iso8601
                    print(String(decoding: try encoder.encode(statuses), as: UTF8.self))
                    return
                }
                let current = statuses.filter { $0.state != "pending" }.map(\.version).max() ?? 0
                print("database: \(clients.database.configuration.redactedURL)")
                print("schema version \(current) of \(migrator.latestVersion) known to this build")
                let formatter = ISO8601DateFormatter()
                var table = [["VERSION", "NAME", "STATE", "APPLIED AT"]]
                for s in statuses {
                    table.append([String(format: "%04d", s.version), s.name, s.state, s.appliedAt.map { formatter.string(from: $0) } ?? "-"])
                }
                print(TextTable.render(table))
                if statuses.contains(where: { $0.state == "edited" || $0.state == "unknown" }) {
                    throw ExitCode.failure
                }
            }
        }
    }
}
