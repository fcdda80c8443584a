import ArgumentParser
import Foundation
import HubCommandSupport
import HubCore
import HubRedis

extension JobsCommand {
    struct Submit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "submit",
            abstract: "Submit a render instruction and print its id.",
            discussion: """
                The instruction is committed with its outbox row, then signalled to the workers through Redis; with Redis down it is still committed and workers in fallback mode claim it.
                With --at or --in, the instruction waits until then (no worker claims it before; it can be cancelled or reprioritised meanwhile) and starts within milliseconds of that time when a worker is idle.
                With --key, submitting again with the same key prints the id of the instruction the first submission created (and "existing instruction N" on standard error) instead of creating another; the same key with a different template, data, output, priority or retries is refused (exit 1).
                """
        )
        @OptionGroup var global: GlobalOptions
        @Option(help: "Template (AEP project) name.") var template: String
        @Option(help: "Composition in the template.") var composition = "Main"
        @Option(help: "Layer data as a JSON object, or @FILE to read it from a file.") var data: String?
        @Option(help: "1 (highest) … 10 (lowest).") var priority = 5
        @Option(name: .customLong("max-retries"), help: "Retries after a failed attempt.") var maxRetries = 3
        @Option(help: "Output format.") var format: OutputSettings.Format = .mp4
        @Option(help: "Idempotency key (1-255 bytes): a repeated submission with the same key returns the existing instruction.")
        var key: String?
        @Option(help: ArgumentHelp("Start no earlier than this time: ISO 8601 with a time zone, e.g. 2026-12-07T17:25:00Z or 2026-12-07T18:25:00+01:00.", valueName: "time"),
                transform: Submit.time)
        var at: Date?
        @Option(name: .customLong("in"), help: ArgumentHelp("Start no earlier than this long from now (e.g. 90s, 10m, 2h).", valueName: DurationOption.valueName),
                transform: DurationOption.seconds)
        var delay: Double?
        @Flag(name: .customLong("no-cache"), help: "Render anew even when the render cache holds the same render.") var noCache = false
        @Option(help: ArgumentHelp("Tags a worker must have to render it, comma-separated (e.g. gpu,ae-2025), besides those its composition's description requires.",
                                   valueName: "tags"))
        var requires: String?
        @Option(help: "Who submits (recorded in the timeline).") var actor = ProcessInfo.processInfo.environment["USER"] ?? "hubctl"
        @Flag(help: "Print JSON.") var json = false

        /// An ISO 8601 time with a zone (fractions of a second allowed).
        static func time(_ text: String) throws -> Date {
            guard let date = ISO8601DateFormatter.time(text) else {
                throw ValidationError("'\(text)' is not a time: use ISO 8601 with a time zone, e.g. 2026-12-07T17:25:00Z")
            }
            return date
        }

        /// When the instruction is due (nil: now).
        var dueTime: Date? {
            if let at { return at }
            return delay.map { Date().addingTimeInterval($0) }
        }

        func validate() throws {
            if at != nil && delay != nil { throw ValidationError("give --at or --in, not both") }
            if let delay, delay < 0 { throw ValidationError("--in must not be negative") }
            if let due = dueTime, due.timeIntervalSinceNow > RenderSubmission.maxScheduleAhead {
                throw ValidationError("the due time is more than 366 days ahead")
            }
            guard (1...10).contains(priority) else { throw ValidationError("--priority must be 1 (highest) … 10 (lowest)") }
            guard (0...100).contains(maxRetries) else { throw ValidationError("--max-retries must be 0…100") }
            if let requires {
                do { _ = try RenderTags.parse(requires) } catch let error as HubError { throw ValidationError("--requires: \(error.message)") }
            }
            if let key {
                do { try RenderSubmission(templateName: "t", idempotencyKey: key).validate() } catch let error as HubError {
                    throw ValidationError("--key: \(error.message)")
                }
            }
        }

        func run() async throws {
            var layers: [String: JSONValue] = [:]
            if let data {
                let text: String
                if data.hasPrefix("@") {
                    let path = String(data.dropFirst())
                    let contents: Data
                    do { contents = try InputFile.read(path, maxBytes: InputFile.defaultMaxBytes, followLinks: true) }
                    catch { throw ValidationError("cannot read \(path): \(error)") }
                    text = String(decoding: contents, as: UTF8.self)
                } else {
                    text = data
                }
                guard let object = try JSONValue.parse(text).objectValue else {
                    throw ValidationError("--data must be a JSON object of layer names to values")
                }
                layers = object
            }
            let submission = RenderSubmission(templateName: template, composition: composition, layerData: layers,
                                              outputSettings: OutputSettings(format: format),
                                              priority: priority, maxRetries: maxRetries, idempotencyKey: key, scheduledAt: dueTime, noCache: noCache,
                                              requiredTags: try RenderTags.parse(requires ?? ""))
            try await global.withClients { clients in
                try await SchemaGuard.verify(clients.database, program: "hubctl")
                let queue = clients.renderQueue(source: "hubctl")
                // A one-shot process pays its Redis connection before the commit, not between the
                // commit and the dispatch signal, where it was the CLI's extra dispatch latency
                // (issue 17). Redis down: the submit's own publish reports it, as before.
                _ = try? await clients.redis.ping()
                let result = try await queue.submit(submission, actor: actor)
                if json {
                    print(try JSONOutput.encode(result.instruction))
                } else {
                    print(result.instruction.id)
                }
                if result.replayed {
                    FileHandle.standardError.write(Data("hubctl: existing instruction \(result.instruction.id) (key \(key ?? "")): submitted before with this key; nothing new was submitted\n".utf8))
                } else if !result.published {
                    FileHandle.standardError.write(Data("hubctl: warning: Redis is unreachable; instruction \(result.instruction.id) is committed and workers in fallback mode will claim it\n".utf8))
                }
            }
        }
    }
}

/// `hubctl render submit`: the spelling of SPEC §8 and of older scripts, hidden; the same command
/// as `hubctl jobs submit`.
struct RenderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Submit render instructions (hubctl jobs submit).",
        shouldDisplay: false,
        subcommands: [JobsCommand.Submit.self]
    )
}
