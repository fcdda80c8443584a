import ArgumentParser
import Foundation
import HubCommandSupport
import HubCore

/// `hubctl aep …`: After Effects composition metadata (schema doc §5.2).
struct AEPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aep",
        abstract: "Register After Effects compositions, their field keys and layers, and media sources.",
        subcommands: [Import.self, List.self, Show.self]
    )

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register the compositions and media sources of a description file (format: Docs/players-and-cues.md).",
            discussion: "The whole file is checked first (duplicate layers, unknown patterns, missing slot counts, unknown media sources); nothing is written unless all of it is valid. A composition already registered is replaced."
        )
        @OptionGroup var global: GlobalOptions
        @OptionGroup var who: ActorOptions
        @Argument(help: "The description file (JSON).") var file: String
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let data = try InputFile.readNamed(file, configuration: try global.configuration())
            let description = try AEPDescription.parse(data, file: file)
            let result = try await global.withClients { clients in
                try await SchemaGuard.verify(clients.database, program: "hubctl")
                return try await AEPStore(pool: clients.database).importDescription(description, sourceFile: file, actor: who.actor)
            }
            if json { print(try JSONOutput.encode(result)); return }
            print("registered \(result.compositions.count) composition(s) (\(result.fieldKeys) field keys, \(result.layers) layers): \(result.compositions.joined(separator: ", "))")
            if !result.mediaSources.isEmpty { print("media sources: \(result.mediaSources.joined(separator: ", "))") }
            for retired in result.retired {
                let change = retired.previousVersion.map { "version \($0) → \(retired.version)" } ?? "version \(retired.version), none recorded before"
                let which = retired.instructions.isEmpty ? "" : " (instructions \(retired.instructions.map(String.init).joined(separator: ", "))\(retired.outputs > retired.instructions.count ? ", …" : ""))"
                print("template \(retired.template) changed (\(change)): \(retired.outputs) cached render(s) retired\(which); the same data renders anew")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List registered compositions and media sources.")
        @OptionGroup var global: GlobalOptions
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let (compositions, media) = try await global.withClients { clients in
                try await SchemaGuard.verify(clients.database, program: "hubctl")
                let store = AEPStore(pool: clients.database)
                return (try await store.list(), try await store.mediaSources())
            }
            if json {
                print(try JSONOutput.encode(["compositions": compositions.map { JSONValue.string("\($0.project)/\($0.name)") },
                                             "media_sources": media.map { JSONValue.string($0.kind) }]))
                return
            }
            print(TextTable.render([["PROJECT", "COMPOSITION", "FIELDS", "LAYERS"]] + compositions.map {
                [$0.project, $0.name, $0.fields.joined(separator: " "), String($0.layers)]
            }))
            if !media.isEmpty {
                print("")
                print(TextTable.render([["MEDIA", "PATH", "FALLBACK"]] + media.map { [$0.kind, $0.pathPattern, $0.fallback ?? "-"] }))
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One composition with its field keys.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The AEP project.") var project: String
        @Argument(help: "The composition.") var composition: String
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let found = try await global.withClients { clients in
                try await SchemaGuard.verify(clients.database, program: "hubctl")
                return try await AEPStore(pool: clients.database).composition(project: project, name: composition)
            }
            if json { print(try JSONOutput.encode(found)); return }
            print("\(found.project)/\(found.name)  \(found.width)×\(found.height) @ \(found.fps) fps, \(found.layers.count) layers")
            print(TextTable.render([["FIELD", "PATTERN", "SLOTS", "KIND", "LAYERS", "REQUIRED", "FORMAT", "MEDIA"]] + found.fields.map {
                [$0.key, $0.pattern.rawValue, $0.slotCount.map(String.init) ?? "-", $0.kind.rawValue,
                 $0.pattern == .slot ? "\($0.layerName(slot: 1)) … \($0.layerName(slot: $0.slotCount ?? 1))" : $0.layerPattern,
                 $0.required ? "yes" : "no", $0.format.rawValue, $0.mediaKind ?? "-"]
            }))
        }
    }
}
