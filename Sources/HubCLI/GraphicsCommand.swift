import ArgumentParser
import Foundation
import HubCommandSupport
import HubCore

/// `hubctl graphics …`: the broadcast's graphics package (GRAPHICS.md; Docs/graphics.md).
struct GraphicsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "graphics",
        abstract: "The graphics package: load the catalog and layer mappings, show a graphic's data, render it, draw a contact sheet.",
        discussion: """
            --game is the PokerGFX session id (the GameID= of the export's file name); --hand defaults to the latest hand.
            Unknown composition, game, hand or player: exit 3 with what exists. A graphic the moment cannot fill: exit 1 with the reason.
              hubctl graphics import Graphics/catalog.json
              hubctl graphics mapping import Graphics/CyprusDesign.yaml
              hubctl graphics data Elimination --game 638961224831992165 --json
              hubctl graphics render "Chip Flow" --game 638961224831992165 --player "SEAT 3"
              hubctl graphics sheet --game 638961224831992165 --output sheet.png
            """,
        subcommands: [Import.self, Mapping.self, List.self, Data.self, Render.self, Sheet.self]
    )

    /// The moment and player options every graphic takes.
    struct Moment: ParsableArguments {
        @Option(help: "The PokerGFX session id (GameID= of the export's file name).") var game: Int64
        @Option(help: "The hand number (default: the latest hand).") var hand: Int?
        @Option(help: "The player the graphic is about: a name or seat:N.") var player: String?
        @Option(name: .customLong("start-rank"), help: "First place of a payout table from a start rank.") var startRank: Int?

        func validate() throws {
            if let startRank, !(1...100_000).contains(startRank) { throw ValidationError("--start-rank must be 1…100000") }
            if let player, player.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("--player must not be empty") }
        }

        func request(_ composition: String) -> GraphicsRequest {
            GraphicsRequest(composition: composition, game: game, hand: hand, player: player, startRank: startRank)
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Load a graphics catalog (Graphics/catalog.json); it replaces the loaded one.",
            discussion: "The whole file is checked first (unknown derivations, slot fields without rows, duplicates); nothing is written unless all of it is valid."
        )
        @OptionGroup var global: GlobalOptions
        @OptionGroup var who: ActorOptions
        @Argument(help: "The catalog file (default Graphics/catalog.json).") var file = "Graphics/catalog.json"
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let data = try InputFile.readNamed(file, configuration: try global.configuration())
            let catalog = try GraphicsCatalog.parse(data, file: file)
            let result = try await global.withClients { clients in
                try await SchemaGuard.verify(clients.database, program: "hubctl")
                return try await GraphicsStore(pool: clients.database).load(catalog, sourceFile: file, actor: who.actor)
            }
            if json { print(try JSONOutput.encode(result)); return }
            print("loaded \(result.compositions) compositions of project \(result.project)")
            if !result.removed.isEmpty { print("removed (no longer in the file): \(result.removed.joined(separator: ", "))") }
            if !result.kept.isEmpty { print("kept (no longer in the file, but cue rules use them): \(result.kept.joined(separator: ", "))") }
        }
    }

    struct Mapping: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Layer mappings of After Effects projects.", subcommands: [MappingImport.self])
    }

    struct MappingImport: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import",
            abstract: "Import a layer mapping file (CyprusDesign.yaml format): field keys to the project's layer names; it replaces the project's mapping."
        )
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The mapping file (YAML).") var file: String
        @Option(help: "The AE project (default: the file's template.name).") var project: String?
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let data = try InputFile.readNamed(file, configuration: try global.configuration())
            guard let text = String(data: data, encoding: .utf8) else { throw HubError(.usage, "\(file) is not UTF-8 text") }
            let mapping = try LayerMapping.parse(yaml: text, project: project)
            let result = try await global.withClients { clients in
                try await SchemaGuard.verify(clients.database, program: "hubctl")
                return try await LayerMappingStore(pool: clients.database).importMapping(mapping, sourceFile: file)
            }
            if json { print(try JSONOutput.encode(result)); return }
            print("project \(result.project): \(result.mappings) layer mappings in \(result.compositions) compositions, \(result.commonFields) common fields")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The catalog's compositions: category, slots, fields with their derivations.")
        @OptionGroup var global: GlobalOptions
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let catalog = try await global.withClients { clients in
                try await SchemaGuard.verify(clients.database, program: "hubctl")
                return try await GraphicsStore(pool: clients.database).catalog()
            }
            if json { print(try JSONOutput.encode(catalog)); return }
            print(TextTable.render([["COMPOSITION", "CATEGORY", "SLOTS", "ROWS", "FIELDS"]] + catalog.compositions.map { composition in
                [composition.name, composition.category.rawValue, String(composition.slots), composition.rows?.rawValue ?? "-",
                 composition.fields.map { "\($0.key)\($0.required ? "*" : "")" }.joined(separator: " ")]
            }))
            print("\(catalog.compositions.count) compositions of project \(catalog.project); * = required")
        }
    }

    struct Data: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The gfx_data v3 document of a composition for a moment.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The catalog's composition name (e.g. Elimination).") var composition: String
        @OptionGroup var moment: Moment
        @Flag(help: "Print the v3 document as JSON.") var json = false

        func run() async throws {
            let document = try await global.withClients { clients in
                try await SchemaGuard.verify(clients.database, program: "hubctl")
                return try await GraphicsService(pool: clients.database).document(moment.request(composition))
            }
            if json { print(try JSONOutput.encode(document)); return }
            print("\(document.compName) (\(document.category)) — game \(moment.game) hand \(document.metadata.handNum.map(String.init) ?? "?"), blinds \(document.metadata.blindLevel ?? "-")")
            if !document.slots.isEmpty {
                let keys = Array(Set(document.slots.flatMap(\.fields.keys))).sorted()
                print(TextTable.render([["SLOT"] + keys.map { $0.uppercased() }] + document.slots.map { slot in
                    [String(slot.slotIndex)] + keys.map { slot.fields[$0] ?? "" }
                }))
            }
            for key in document.singleFields.keys.sorted() { print("\(key): \(document.singleFields[key]!)") }
            for warning in document.metadata.warnings { print("warning: \(warning)") }
        }
    }

    struct Render: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Submit a render instruction carrying the graphic's v3 document and print its id.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var who: ActorOptions
        @Argument(help: "The catalog's composition name.") var composition: String
        @OptionGroup var moment: Moment
        @Option(help: "1 (highest) … 10 (lowest).") var priority = 5
        @Flag(help: "Print JSON.") var json = false

        func validate() throws {
            guard (1...10).contains(priority) else { throw ValidationError("--priority must be 1 (highest) … 10 (lowest)") }
        }

        func run() async throws {
            let rendered = try await global.withClients { clients in
                try await SchemaGuard.verify(clients.database, program: "hubctl")
                let queue = clients.renderQueue(source: "hubctl")
                return try await GraphicsService(pool: clients.database).render(moment.request(composition), queue: queue, priority: priority, actor: who.actor)
            }
            if json {
                print(try JSONOutput.encode(["instruction_id": JSONValue.integer(rendered.instruction.id), "published": .bool(rendered.published),
                                             "composition": .string(rendered.document.compName), "template": .string(rendered.instruction.templateName)]))
                return
            }
            print(rendered.instruction.id)
            for warning in rendered.document.metadata.warnings { FileHandle.standardError.write(Foundation.Data("warning: \(warning)\n".utf8)) }
        }
    }

    struct Sheet: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Render every composition of one moment with the preview backend into one contact-sheet PNG.",
            discussion: "Compositions about one player show --player, else the chip leader; a graphic the moment cannot fill is a tile with its reason."
        )
        @OptionGroup var global: GlobalOptions
        @Option(help: "The PokerGFX session id (GameID= of the export's file name).") var game: Int64
        @Option(help: "The hand number (default: the latest hand).") var hand: Int?
        @Option(help: "The player of the player graphics: a name or seat:N (default: the chip leader).") var player: String?
        @Option(help: "The PNG file to write.") var output: String
        @Flag(help: "Print JSON.") var json = false

        func validate() throws {
            guard output.lowercased().hasSuffix(".png") else { throw ValidationError("--output must name a .png file") }
        }

        func run() async throws {
            let preview = try PreviewBackend()
            let sheet = try await global.withClients { clients in
                try await SchemaGuard.verify(clients.database, program: "hubctl")
                return try await GraphicsService(pool: clients.database).sheet(game: game, hand: hand, player: player, output: output, preview: preview)
            }
            if json { print(try JSONOutput.encode(sheet)); return }
            let refused = sheet.entries.filter { $0.refused != nil }
            print("wrote \(sheet.output): \(sheet.entries.count) compositions of game \(sheet.game) hand \(sheet.hand) (\(sheet.columns)×\(sheet.rows))")
            for entry in refused { print("refused: \(entry.composition): \(entry.refused!)") }
        }
    }
}
