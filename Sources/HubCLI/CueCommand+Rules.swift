import ArgumentParser
import Foundation
import HubCommandSupport
import HubCore

extension CueCommand {
    /// `hubctl cue rule …`: automatic graphics (GRAPHICS.md §5).
    struct Rule: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Automatic graphics: on a game event at a table, queue a composition for that moment.",
            discussion: """
                Each event fires once (re-imports and grown re-exports fire nothing), as a cue item on the session's "Automatic graphics" sheet.
                  hubctl cue rule add --session 1 --table GG --on elimination --composition Elimination
                  hubctl cue rule add --session 1 --table GG --on every:10 --composition "_MAIN Mini Chip Count"
                """,
            subcommands: [Add.self, List.self, Enable.self, Disable.self]
        )

        struct Add: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Add a rule and print its id.")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var who: ActorOptions
            @Option(help: "The broadcast session.") var session: Int64
            @Option(help: "The PokerGFX table id.") var table: String
            @Option(help: "The game event (every:N: every hand whose number is a multiple of N).") var on: CueRuleEvent
            @Option(help: "The catalog's composition name.") var composition: String
            @Option(help: "1 (highest) … 10 (lowest).") var priority = 2
            @Flag(help: "Print JSON.") var json = false

            func validate() throws {
                guard (1...10).contains(priority) else { throw ValidationError("--priority must be 1 (highest) … 10 (lowest)") }
            }

            func run() async throws {
                let rule = try await global.withClients { clients in
                    try await SchemaGuard.verify(clients.database, program: "hubctl")
                    return try await CueRuleStore(pool: clients.database).add(session: session, table: table, on: on,
                                                                              composition: composition, priority: priority, actor: who.actor)
                }
                print(json ? try JSONOutput.encode(rule) : String(rule.id))
            }
        }

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "The rules of a session with how often each fired.")
            @OptionGroup var global: GlobalOptions
            @Option(help: "The broadcast session.") var session: Int64
            @Flag(help: "Print JSON.") var json = false

            func run() async throws {
                let rules = try await global.withClients { clients in
                    try await SchemaGuard.verify(clients.database, program: "hubctl")
                    return try await CueRuleStore(pool: clients.database).rules(session: session)
                }
                if json { print(try JSONOutput.encode(rules)); return }
                print(TextTable.render([["ID", "TABLE", "ON", "COMPOSITION", "PRIORITY", "ENABLED", "FIRED", "REFUSED"]] + rules.map {
                    [String($0.id), $0.tableID, $0.event.text, $0.composition, String($0.priority), $0.enabled ? "yes" : "no", String($0.fired), String($0.refused)]
                }))
            }
        }

        struct Enable: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Turn a rule on.")
            @OptionGroup var global: GlobalOptions
            @Argument(help: "The rule id.") var id: Int64
            @Flag(help: "Print the rule as JSON.") var json = false
            func run() async throws {
                let rule = try await global.withClients { try await CueRuleStore(pool: $0.database).setEnabled(id, true) }
                print(json ? try JSONOutput.encode(rule) : "rule \(id) enabled")
            }
        }

        struct Disable: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Turn a rule off (it fires nothing until enabled).")
            @OptionGroup var global: GlobalOptions
            @Argument(help: "The rule id.") var id: Int64
            @Flag(help: "Print the rule as JSON.") var json = false
            func run() async throws {
                let rule = try await global.withClients { try await CueRuleStore(pool: $0.database).setEnabled(id, false) }
                print(json ? try JSONOutput.encode(rule) : "rule \(id) disabled")
            }
        }
    }

    /// `hubctl cue staff …`: commentators and reporters of a session.
    struct Staff: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Commentators and reporters of a broadcast session (the Commentator and Reporter graphics).",
            subcommands: [Add.self, List.self, Remove.self]
        )

        struct Add: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Add a commentator or reporter and print the entry's id.")
            @OptionGroup var global: GlobalOptions
            @Argument(help: "The broadcast session.") var session: Int64
            @Option(help: "The staff role.") var role: GraphicsMoment.StaffMember.Role
            @Option(help: "The name as aired.") var name: String
            @Option(help: "The social handle (e.g. @jeffplatt).") var handle = ""
            @Option(help: "Position among the role (default: last).") var order: Int?
            @Flag(help: "Print JSON.") var json = false

            func run() async throws {
                let entry = try await global.withClients { clients in
                    try await SchemaGuard.verify(clients.database, program: "hubctl")
                    return try await CueStore(pool: clients.database).addStaff(session: session, role: role,
                                                                              name: name, socialHandle: handle, order: order)
                }
                print(json ? try JSONOutput.encode(entry) : String(entry.id))
            }
        }

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "The staff of a session.")
            @OptionGroup var global: GlobalOptions
            @Argument(help: "The broadcast session.") var session: Int64
            @Flag(help: "Print JSON.") var json = false

            func run() async throws {
                let staff = try await global.withClients { clients in
                    try await SchemaGuard.verify(clients.database, program: "hubctl")
                    let store = CueStore(pool: clients.database)
                    _ = try await store.session(session)
                    return try await store.staff(session: session)
                }
                if json { print(try JSONOutput.encode(staff)); return }
                print(TextTable.render([["ID", "ROLE", "ORDER", "NAME", "HANDLE"]] + staff.map {
                    [String($0.id), $0.role.rawValue, String($0.displayOrder), $0.name, $0.socialHandle]
                }))
            }
        }

        struct Remove: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Remove a staff entry.")
            @OptionGroup var global: GlobalOptions
            @Argument(help: "The broadcast session.") var session: Int64
            @Argument(help: "The staff entry id.") var id: Int64
            @Flag(help: "Print JSON.") var json = false
            func run() async throws {
                try await global.withClients { try await CueStore(pool: $0.database).removeStaff(session: session, id: id) }
                print(json ? try JSONOutput.encode(["id": JSONValue.integer(id), "session_id": .integer(session), "removed": .bool(true)]) : "removed staff entry \(id)")
            }
        }
    }
}
