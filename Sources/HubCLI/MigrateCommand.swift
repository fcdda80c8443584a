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
        static let configuration = CommandConfiguration(commandName: "up", abstract: "Apply pending migrations (all, or up to --to VERSION).")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Stop after this version.") var to: Int?
        @Flag(help: "Print JSON: the migrations applied and the version now.") var json = false

        func run() async throws {
            try await global.withClients { clients in
                let applied = try await Migrator(pool: clients.database).up(to: to)
                let version = try await Migrator(pool: clients.database).currentVersion()
                if json {
                    print(try JSONOutput.encode(Change(applied: applied.map(Change.Step.init), version: version)))
                    return
                }
                if applied.isEmpty {
                    print("schema is up to date (version \(version))")
                }
                for migration in applied { print("applied \(migration.id)") }
            }
        }
    }

    struct Down: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "down",
            abstract: "Revert the newest migration, or every migration above --to VERSION (0 = all).",
            discussion: """
                Reverting drops what the migrations created, data included. On a terminal you are asked first; \
                elsewhere (a script, a pipe, cron) the command refuses (exit 2) unless --yes is given.
                """
        )
        @OptionGroup var global: GlobalOptions
        @Option(help: "The version to leave in place.") var to: Int?
        @Flag(help: "Revert without asking (required when standard input is not a terminal).") var yes = false
        @Flag(help: "Print JSON: the migrations reverted and the version now.") var json = false

        static var refusal: String { "migrate down reverts migrations and drops what they created, data included" }

        func validate() throws {
            if let to, to < 0 { throw ValidationError("--to must be 0 or a migration version") }
            // Refused before anything connects: a script that forgot --yes learns it at once.
            if !yes && !Confirmation.isInteractive {
                throw ValidationError("\(Self.refusal): pass --yes to confirm (standard input is not a terminal, so there is no one to ask)")
            }
        }

        func run() async throws {
            try await global.withClients { clients in
                let migrator = Migrator(pool: clients.database)
                if !yes {
                    let planned = try await Self.planned(migrator, to: to)
                    guard !planned.isEmpty else {
                        print(json ? try JSONOutput.encode(Change(reverted: [], version: try await migrator.currentVersion())) : "nothing to revert")
                        return
                    }
                    let names = planned.map { String(format: "%04d_%@", $0.version, $0.name) }.joined(separator: ", ")
                    try Confirmation.require("Revert \(planned.count) migration(s) on \(clients.database.configuration.redactedURL): \(names)? What they created is dropped, data included.",
                                             refusal: Self.refusal, yes: yes)
                }
                let reverted = try await migrator.down(to: to)
                if json {
                    print(try JSONOutput.encode(Change(reverted: reverted.map(Change.Step.init), version: try await migrator.currentVersion())))
                    return
                }
                if reverted.isEmpty { print("nothing to revert") }
                for migration in reverted { print("reverted \(migration.id)") }
            }
        }

        /// What `down(to:)` would revert: the applied migrations above the version that stays.
        static func planned(_ migrator: Migrator, to: Int?) async throws -> [Migrator.Status] {
            let statuses = try await migrator.status()
            let applied = statuses.filter { $0.state != "pending" }
            let current = applied.map(\.version).max() ?? 0
            let stop = to ?? statuses.map(\.version).filter { $0 < current }.max() ?? 0
            return applied.filter { $0.version > stop }.sorted { $0.version > $1.version }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "status", abstract: "List every migration and whether it is applied.")
        @OptionGroup var global: GlobalOptions
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            try await global.withClients { clients in
                let migrator = Migrator(pool: clients.database)
                let statuses = try await migrator.status()
                if json {
                    print(try JSONOutput.encode(statuses))
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

    /// What `migrate up --json` and `migrate down --json` print.
    struct Change: Encodable {
        struct Step: Encodable {
            var version: Int
            var name: String
            var id: String

            init(_ migration: Migration) {
                version = migration.version
                name = migration.name
                id = migration.id
            }
        }

        var applied: [Step]?
        var reverted: [Step]?
        /// The schema version after the command.
        var version: Int
    }
}
