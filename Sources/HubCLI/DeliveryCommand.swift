import ArgumentParser
import Foundation
import HubCommandSupport
import HubCore

/// `hubctl delivery set|list|remove|status|drop`: where each template's completed outputs are copied
/// (a NAS mount, the playout system's watch folder), and how those copies went.
struct DeliveryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delivery",
        abstract: "Deliver completed renders to a folder per template (playout watch folder, NAS).",
        discussion: """
            A completed render of a template with a delivery folder is copied there by the worker that \
            rendered it: under a hidden temporary name, then renamed to <template>-<instruction id>.<ext>, \
            so a watcher never sees a partial file. A failed copy is retried (5 s doubling to 5 min) and \
            raises the monitor's delivery_failed alert; the render stays completed.
            """,
        subcommands: [Set.self, List.self, Remove.self, Status.self, Drop.self]
    )

    static func withStore<T>(_ global: GlobalOptions, _ body: (DeliveryStore) async throws -> T) async throws -> T {
        try await global.withClients { clients in
            try await SchemaGuard.verify(clients.database, program: "hubctl")
            return try await body(DeliveryStore(pool: clients.database))
        }
    }

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set the folder a template's completed renders are delivered to.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The template (the After Effects project name render instructions name).") var template: String
        @Argument(help: "An absolute folder path as the render machines see it (e.g. /mnt/playout/watch).") var directory: String
        @Flag(help: "Print JSON.") var json = false

        func validate() throws {
            guard !template.trimmingCharacters(in: .whitespaces).isEmpty else { throw ValidationError("the template name is empty") }
            guard directory.hasPrefix("/") else { throw ValidationError("the folder must be an absolute path (got '\(directory)')") }
        }

        func run() async throws {
            let (target, moved) = try await DeliveryCommand.withStore(global) {
                try await $0.setTarget(template: template, directory: directory, actor: "hubctl")
            }
            if json { print(try JSONOutput.encode(target)); return }
            print("template \(target.template): completed renders are delivered to \(target.directory)")
            if moved > 0 { print("\(moved) owed delivery(ies) of it now go there, at once") }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The delivery folder of every template that has one.")
        @OptionGroup var global: GlobalOptions
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let targets = try await DeliveryCommand.withStore(global) { try await $0.targets() }
            if json { print(try JSONOutput.encode(targets)); return }
            guard !targets.isEmpty else { print("no template has a delivery folder (hubctl delivery set TEMPLATE FOLDER)"); return }
            var rows = [["TEMPLATE", "FOLDER", "SET BY", "SET AT"]]
            for target in targets {
                rows.append([target.template, target.directory, target.updatedBy, target.updatedAt.formatted(.iso8601)])
            }
            print(TextTable.render(rows))
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop delivering a template's renders (deliveries already owed still happen).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The template.") var template: String
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            try await DeliveryCommand.withStore(global) { try await $0.removeTarget(template: template) }
            if json { print(try JSONOutput.encode(["template": template, "removed": "true"])); return }
            print("template \(template): no longer delivered")
        }
    }

    struct Drop: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Give up an owed delivery (its machine is gone for good, or the file was copied by hand).",
            discussion: "It is marked dropped with your reason and no longer owed: no worker tries it again, the delivery_failed alert resolves, the purge may remove its instruction. Example: hubctl delivery drop 42 --reason \"render-3 decommissioned; copied by hand\"")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The render instruction whose delivery is owed.") var instruction: Int64
        @Option(help: "Why (recorded with your name).") var reason: String
        @Option(help: "Who drops it (recorded).") var actor = ProcessInfo.processInfo.environment["USER"] ?? "hubctl"
        @Flag(help: "Print JSON.") var json = false

        func validate() throws {
            guard !reason.trimmingCharacters(in: .whitespaces).isEmpty else { throw ValidationError("--reason must say why") }
        }

        func run() async throws {
            let delivery = try await DeliveryCommand.withStore(global) {
                try await $0.drop(instruction: instruction, actor: actor, reason: reason)
            }
            if json { print(try JSONOutput.encode(delivery)); return }
            print("instruction \(instruction): delivery to \(delivery.directory) dropped (\(delivery.lastError ?? reason))")
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Deliveries, newest first: delivered path and SHA-256, or the last error.")
        @OptionGroup var global: GlobalOptions
        @Flag(help: "Only deliveries not done yet (owed or failing).") var pending = false
        @Option(help: "At most this many (1…1000).") var limit = 20
        @Flag(help: "Print JSON.") var json = false

        func validate() throws {
            guard (1...1000).contains(limit) else { throw ValidationError("--limit must be 1…1000") }
        }

        func run() async throws {
            let deliveries = try await DeliveryCommand.withStore(global) { try await $0.deliveries(pendingOnly: pending, limit: limit) }
            if json { print(try JSONOutput.encode(deliveries)); return }
            guard !deliveries.isEmpty else { print(pending ? "no delivery is owed" : "no delivery yet"); return }
            var rows = [["INSTRUCTION", "STATUS", "ATTEMPTS", "HOST", "DELIVERED TO / LAST ERROR", "SHA-256"]]
            for delivery in deliveries {
                rows.append([String(delivery.instructionID), delivery.status, String(delivery.attempts), delivery.host,
                             delivery.deliveredPath ?? delivery.lastError ?? "due \(delivery.nextAttemptAt.formatted(.iso8601))",
                             delivery.checksum.map { String($0.prefix(16)) + "…" } ?? "-"])
            }
            print(TextTable.render(rows))
        }
    }
}
