import ArgumentParser
import Foundation
import HubCommandSupport
import HubCore

/// `hubctl cue …`: the broadcast director's commands (SPEC §5 "Cue sheets"; Docs/players-and-cues.md).
struct CueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cue",
        abstract: "Broadcast sessions, cue sheets, cue templates and items; trigger a cue to render it.",
        discussion: """
            Typical show:
              hubctl cue template save leaderboard --type leaderboard --project WSOP_Graphics --composition Leaderboard
              hubctl cue session create --name "Day 2 Feature" --event WSOP-2026-E76
              hubctl cue sheet create 1 --name "Main"
              hubctl cue item add 1 --template leaderboard --top 10
              hubctl cue trigger 1
            Every change is published on the channel broadcast-SESSION_ID (hubctl monitor watch broadcast-1).
            """,
        subcommands: [Session.self, Sheet.self, Template.self, Item.self, Trigger.self, Rule.self, Staff.self]
    )

    static func withDirector<T>(_ global: GlobalOptions, _ body: (CueDirector) async throws -> T) async throws -> T {
        try await global.withClients { clients in
            try await SchemaGuard.verify(clients.database, program: "hubctl")
            let queue = clients.renderQueue(source: "hubctl")
            let notifier = Notifier(pool: clients.database, events: queue.events, webhook: try WebhookSettings(configuration: clients.configuration))
            return try await body(CueDirector(queue: queue, notifier: notifier))
        }
    }

    static var dates: ISO8601DateFormatter { ISO8601DateFormatter() }

    static func jsonObject(_ text: String?, flag: String) throws -> [String: JSONValue] {
        guard let text else { return [:] }
        let source: String
        if text.hasPrefix("@") {
            let path = String(text.dropFirst())
            let contents: Data
            do { contents = try InputFile.read(path, maxBytes: InputFile.defaultMaxBytes, followLinks: true) }
            catch { throw ValidationError("cannot read \(path): \(error)") }
            source = String(decoding: contents, as: UTF8.self)
        } else {
            source = text
        }
        do {
            guard let object = try JSONValue.parse(source).objectValue else { throw ValidationError("\(flag) must be a JSON object") }
            return object
        } catch let error as HubError {
            throw ValidationError("\(flag): \(error.message)")
        }
    }

    // MARK: Sessions

    struct Session: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Broadcast sessions: create, list, start, end.",
                                                        subcommands: [Create.self, List.self, Start.self, End.self])

        struct Create: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Create a broadcast session and print its id.")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var who: ActorOptions
            @Option(help: "The session's name.") var name: String
            @Option(help: "The WSOP+ event it covers (its Event ID in the exports), for chip-count cues.") var event: String?
            @Option(help: "The feature table.") var table: String?
            @Flag(help: "Print JSON.") var json = false

            func run() async throws {
                let session = try await CueCommand.withDirector(global) {
                    try await $0.createSession(name: name, eventKey: event, tableID: table, actor: who.actor)
                }
                print(json ? try JSONOutput.encode(session) : String(session.id))
            }
        }

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List broadcast sessions, newest first.")
            @OptionGroup var global: GlobalOptions
            @Flag(help: "Print JSON.") var json = false

            func run() async throws {
                let sessions = try await CueCommand.withDirector(global) { try await $0.store.sessions() }
                if json { print(try JSONOutput.encode(sessions)); return }
                var rows = [["ID", "NAME", "EVENT", "TABLE", "STATUS", "STARTED", "CHANNEL"]]
                for s in sessions {
                    rows.append([String(s.id), s.name, s.wsopEventKey ?? "-", s.tableID ?? "-", s.status.rawValue,
                                 s.startedAt.map(CueCommand.dates.string(from:)) ?? "-", s.channel])
                }
                print(TextTable.render(rows))
            }
        }

        struct Start: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Put a planned session on air (raises the session-start notification).")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var who: ActorOptions
            @Argument(help: "The session id.") var id: Int64
            @Flag(help: "Print the session as JSON.") var json = false

            func run() async throws {
                let session = try await CueCommand.withDirector(global) { try await $0.setSessionStatus(id, to: .live, actor: who.actor, reason: who.reason) }
                print(json ? try JSONOutput.encode(session) : "session \(session.id) (\(session.name)) is live")
            }
        }

        struct End: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "End a live session.")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var who: ActorOptions
            @Argument(help: "The session id.") var id: Int64
            @Flag(help: "Print the session as JSON.") var json = false

            func run() async throws {
                let session = try await CueCommand.withDirector(global) { try await $0.setSessionStatus(id, to: .ended, actor: who.actor, reason: who.reason) }
                print(json ? try JSONOutput.encode(session) : "session \(session.id) (\(session.name)) has ended")
            }
        }
    }

    // MARK: Sheets

    struct Sheet: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Cue sheets of a session: create, list.", subcommands: [Create.self, List.self])

        struct Create: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Add a cue sheet to a session and print its id.")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var who: ActorOptions
            @Argument(help: "The session id.") var session: Int64
            @Option(help: "The sheet's name (unique in the session).") var name: String
            @Flag(help: "Print the sheet as JSON.") var json = false

            func run() async throws {
                let sheet = try await CueCommand.withDirector(global) { try await $0.createSheet(session: session, name: name, actor: who.actor) }
                print(json ? try JSONOutput.encode(sheet) : String(sheet.id))
            }
        }

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List the sheets of a session.")
            @OptionGroup var global: GlobalOptions
            @Argument(help: "The session id.") var session: Int64
            @Flag(help: "Print JSON.") var json = false

            func run() async throws {
                let sheets = try await CueCommand.withDirector(global) { try await $0.store.sheets(session: session) }
                if json { print(try JSONOutput.encode(sheets)); return }
                print(TextTable.render([["ID", "NAME", "STATUS"]] + sheets.map { [String($0.id), $0.name, $0.status.rawValue] }))
            }
        }
    }

    // MARK: Templates

    struct Template: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Cue templates: which composition a kind of cue renders.", subcommands: [Save.self, List.self])

        struct Save: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Create or replace a cue template (its composition must be registered with hubctl aep import).")
            @OptionGroup var global: GlobalOptions
            @Argument(help: "The template's name.") var name: String
            @Option(help: "The kind of cue.") var type: CueType
            @Option(help: "The AEP project.") var project: String
            @Option(help: "The composition in the project.") var composition: String
            @Option(help: "Output format.") var format: OutputSettings.Format = .png
            @Option(help: "Render priority 1 (highest) … 10.") var priority = 2
            @Option(help: "Default parameters as a JSON object (e.g. {\"top\":10}).") var data: String?
            @Flag(help: "Print the template as JSON.") var json = false

            func validate() throws {
                guard (1...10).contains(priority) else { throw ValidationError("--priority must be 1 (highest) … 10 (lowest)") }
                let parameters = try CueCommand.jsonObject(data, flag: "--data")
                do { try CueStore.validateParameters(parameters, for: type) } catch let error as HubError { throw ValidationError(error.message) }
            }

            func run() async throws {
                let template = try await CueCommand.withDirector(global) {
                    try await $0.store.saveTemplate(name: name, cueType: type, project: project, composition: composition,
                                                    format: format, priority: priority,
                                                    defaultData: try CueCommand.jsonObject(data, flag: "--data"))
                }
                if json { print(try JSONOutput.encode(template)); return }
                print("template \(template.name) (\(template.cueType.rawValue)) renders \(template.aepProject)/\(template.aepComposition)")
            }
        }

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List cue templates.")
            @OptionGroup var global: GlobalOptions
            @Flag(help: "Print JSON.") var json = false

            func run() async throws {
                let templates = try await CueCommand.withDirector(global) { try await $0.store.templates() }
                if json { print(try JSONOutput.encode(templates)); return }
                print(TextTable.render([["NAME", "TYPE", "COMPOSITION", "FORMAT", "PRI", "DEFAULTS"]] + templates.map {
                    [$0.name, $0.cueType.rawValue, "\($0.aepProject)/\($0.aepComposition)", $0.outputFormat.rawValue, String($0.priority),
                     JSONValue.object($0.defaultData).canonicalText]
                }))
            }
        }
    }

    // MARK: Items

    struct Item: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Cue items of a sheet: add, list, set a status by hand.",
                                                        subcommands: [Add.self, List.self, Status.self])

        struct Add: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Add a cue from a template to a sheet and print its id.")
            @OptionGroup var global: GlobalOptions
            @Argument(help: "The sheet id.") var sheet: Int64
            @Option(help: "The cue template.") var template: String
            @Option(help: "The cue number (default: the next one).") var number: Int?
            @Option(help: "Title shown on the graphic.") var title: String?
            @Option(help: "How many players a leaderboard or chip count shows (default: the composition's slots).") var top: Int?
            @Option(help: "The player of a player_info cue.") var player: String?
            @Option(parsing: .upToNextOption, help: "The players of a chip_count cue.") var players: [String] = []
            @Option(help: "Other parameters as a JSON object, or @FILE (custom cues: {\"fields\":{…},\"rows\":[…]}).") var data: String?
            @Flag(help: "Print JSON.") var json = false

            var parameters: [String: JSONValue] {
                get throws {
                    var data = try CueCommand.jsonObject(self.data, flag: "--data")
                    if let top { data["top"] = .integer(Int64(top)) }
                    if let player { data["player"] = .string(player) }
                    if !players.isEmpty { data["players"] = .array(players.map(JSONValue.string)) }
                    return data
                }
            }

            func validate() throws {
                if let top, top <= 0 { throw ValidationError("--top must be positive") }
                if let number, number <= 0 { throw ValidationError("--number must be positive") }
                _ = try parameters
            }

            func run() async throws {
                let item = try await CueCommand.withDirector(global) {
                    try await $0.addItem(sheet: sheet, template: template, number: number, title: title, data: try parameters)
                }
                print(json ? try JSONOutput.encode(item) : String(item.id))
            }
        }

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List the cues of a sheet with their state and instruction.")
            @OptionGroup var global: GlobalOptions
            @Argument(help: "The sheet id.") var sheet: Int64
            @Flag(help: "Print JSON.") var json = false

            func run() async throws {
                let items = try await CueCommand.withDirector(global) { try await $0.store.items(sheet: sheet) }
                if json { print(try JSONOutput.encode(items)); return }
                print(TextTable.render([["ID", "CUE", "TYPE", "TITLE", "TEMPLATE", "STATUS", "INSTRUCTION", "ERROR"]] + items.map {
                    [String($0.id), String($0.number), $0.cueType.rawValue, $0.title, $0.templateName, $0.status.rawValue,
                     $0.renderInstructionID.map(String.init) ?? "-", $0.error ?? ""]
                }))
            }
        }

        struct Status: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Set a cue item's status by hand: pending (re-arm), completed (played), cancelled (skipped).",
                discussion: "The same as PATCH /api/v1/items/{id}/status: an item queued or rendering is refused (exit 1); it publishes cue_item_updated."
            )
            @OptionGroup var global: GlobalOptions
            @OptionGroup var who: ActorOptions
            @Argument(help: "The item id.") var item: Int64
            @Argument(help: "pending, completed or cancelled.") var status: String
            @Flag(help: "Print JSON.") var json = false

            func validate() throws {
                guard let parsed = CueItemStatus(rawValue: status), CueItemStatus.settableByHand.contains(parsed) else {
                    throw ValidationError("STATUS must be \(CueItemStatus.settableByHand.map(\.rawValue).joined(separator: ", ")), not '\(status)'")
                }
            }

            func run() async throws {
                let updated = try await CueCommand.withDirector(global) {
                    try await $0.setItemStatus(item, to: CueItemStatus(rawValue: status) ?? .pending, actor: who.actor, reason: who.reason)
                }
                print(json ? try JSONOutput.encode(updated) : "cue item \(updated.id) is \(updated.status.rawValue)")
            }
        }
    }

    // MARK: Trigger

    struct Trigger: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Trigger a cue: snapshot its data, bind it to the composition and queue the render; prints the instruction id.",
            discussion: "Data that does not fit the composition (more rows than slots, a required field missing) is refused before anything is rendered (exit 2). An item already queued or rendering is refused (exit 1)."
        )
        @OptionGroup var global: GlobalOptions
        @OptionGroup var who: ActorOptions
        @Argument(help: "The cue item id.") var item: Int64
        @Flag(help: "Print the item, the snapshot and the bound layers as JSON.") var json = false

        func run() async throws {
            let result = try await CueCommand.withDirector(global) { try await $0.trigger(item, actor: who.actor, reason: who.reason) }
            if json {
                print(try JSONOutput.encode(result.summary))
            } else {
                print(result.instruction.id)
            }
            if !result.published {
                FileHandle.standardError.write(Data("hubctl: warning: Redis is unreachable; instruction \(result.instruction.id) is committed and workers in fallback mode will claim it\n".utf8))
            }
        }
    }
}
