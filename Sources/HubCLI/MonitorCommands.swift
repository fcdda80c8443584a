import ArgumentParser
import Foundation
import HubCommandSupport
import HubCore
import HubRedis

/// `hubctl monitor …`: the anomaly detector, its events, the registered processes and the live
/// event feed. `hubctl monitor` alone runs one detector pass, as it always did.
struct MonitorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "monitor",
        abstract: "Monitoring: run the anomaly detector, list and resolve its events, list the hub processes, watch live events.",
        discussion: """
            `hubctl monitor` alone runs one detector pass (monitor check). The old top-level spellings still work and \
            do exactly the same: hubctl events list|resolve, hubctl services, hubctl watch.
            """,
        subcommands: [Check.self, Events.self, Resolve.self, Services.self, Watch.self],
        defaultSubcommand: Check.self
    )

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check",
            abstract: "One pass of the anomaly detector: delay, error spike, throughput drop, long queue, orphan premium hands, silent services.",
            discussion: "A condition that persists keeps one open event; a cleared one is resolved. Thresholds are in system_config (monitor.*). Workers run the same pass every HUB_HUNTER_INTERVAL_SECONDS."
        )
        @OptionGroup var global: GlobalOptions
        @Option(help: "Who runs it (recorded with created instructions and notifications).") var actor = "hubctl monitor"
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            try await global.withClients { clients in
                try await SchemaGuard.verify(clients.database, program: "hubctl")
                let queue = clients.renderQueue(source: "hubctl")
                let notifier = Notifier(pool: clients.database, events: queue.events, webhook: try WebhookSettings(configuration: clients.configuration))
                _ = try await PassGuard(pool: clients.database, name: "monitor").acquire(actor: actor, interval: .seconds(60), force: true)
                let report = try await AnomalyDetector(pool: clients.database, queue: queue, notifier: notifier, events: queue.events).pass(actor: actor)
                if json {
                    print(try JSONOutput.encode(report))
                    return
                }
                for note in report.notes { print("note: \(note)") }
                if report.findings.isEmpty {
                    print("no anomalies")
                } else {
                    var table = [["RULE", "SUBJECT", "LEVEL", "NEW", "MESSAGE"]]
                    let opened = Set(report.opened.map { "\($0.rule)/\($0.subject)" })
                    for f in report.findings {
                        table.append([f.rule, f.subject.isEmpty ? "-" : f.subject, f.level.rawValue, opened.contains("\(f.rule)/\(f.subject)") ? "yes" : "", f.message])
                    }
                    print(TextTable.render(table))
                }
                for event in report.resolved { print("resolved event \(event.id) (\(event.rule)): the condition cleared") }
                if !report.createdInstructions.isEmpty { print("created render instruction(s) for orphan hands: \(report.createdInstructions.map(String.init).joined(separator: ", "))") }
            }
        }
    }

    typealias Events = EventsCommand<Listed>

    struct EventsCommand<Spelling: CommandSpelling>: AsyncParsableCommand {
        static var configuration: CommandConfiguration {
            CommandConfiguration(commandName: "events", abstract: "List monitor events (anomalies and silent services), most recently seen first.").spelled(Spelling.self, oldName: "list")
        }
        @OptionGroup var global: GlobalOptions
        @Flag(help: "Only open events.") var unresolved = false
        @Option(help: "At most this many.") var limit = 100
        @Flag(help: "Print JSON.") var json = false

        func validate() throws { guard (1...10_000).contains(limit) else { throw ValidationError("--limit must be 1…10000") } }

        func run() async throws {
            let events = try await global.withClients { clients in
                try await SchemaGuard.verify(clients.database, program: "hubctl")
                return try await MonitorEventStore(pool: clients.database).list(unresolved: unresolved, limit: limit)
            }
            if json {
                print(try JSONOutput.encode(events))
                return
            }
            let formatter = ISO8601DateFormatter()
            var table = [["ID", "RULE", "SUBJECT", "LEVEL", "SEEN", "LAST SEEN", "STATE", "MESSAGE"]]
            for e in events {
                let state = e.resolvedAt == nil ? "open" : "resolved by \(e.resolvedBy ?? "?")"
                table.append([String(e.id), e.rule, e.subject.isEmpty ? "-" : e.subject, e.level.rawValue, "\(e.occurrences)×",
                              formatter.string(from: e.lastSeen), state, e.message])
            }
            print(events.isEmpty ? (unresolved ? "no open events" : "no events") : TextTable.render(table))
        }
    }

    struct Resolve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "resolve", abstract: "Resolve an event (if its condition still holds, the next monitor pass opens a new one).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var who: ActorOptions
        @Argument(help: "The event id.") var id: Int64
        @Flag(help: "Print the resolved event as JSON.") var json = false

        func run() async throws {
            let event = try await global.withClients { clients in
                try await SchemaGuard.verify(clients.database, program: "hubctl")
                let event = try await MonitorEventStore(pool: clients.database).resolve(id, actor: who.actor, reason: who.reason)
                // Open dashboards drop the alert now (a signal only: Redis down is no failure).
                await EventPublisher(redis: clients.redis, source: "hubctl").alertResolved(event)
                return event
            }
            print(json ? try JSONOutput.encode(event) : "event \(event.id) (\(event.rule)) resolved by \(who.actor)")
        }
    }

    typealias Services = ServicesCommand<Listed>

    struct ServicesCommand<Spelling: CommandSpelling>: AsyncParsableCommand {
        static var configuration: CommandConfiguration {
            CommandConfiguration(
                commandName: "services",
                abstract: "List the registered hub processes with their health, dispatch mode and last heartbeat."
            ).spelled(Spelling.self)
        }
        @OptionGroup var global: GlobalOptions
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let services = try await global.withClients { clients in
                try await SchemaGuard.verify(clients.database, program: "hubctl")
                return try await ServiceRegistry(pool: clients.database).list()
            }
            if json {
                print(try JSONOutput.encode(services))
                return
            }
            guard !services.isEmpty else {
                print("no hub process has registered in the last day")
                return
            }
            let formatter = ISO8601DateFormatter()
            var table = [["ID", "KIND", "HOST", "PID", "HEALTH", "MODE", "TAGS", "LAST HEARTBEAT", "VERSION"]]
            for s in services {
                let health = s.stoppedAt != nil ? "stopped" : (s.healthy ? "healthy" : "unhealthy")
                let tags = s.kind == "hub-worker" ? (s.tags.isEmpty ? "(none)" : s.tags.joined(separator: ",")) : "-"
                table.append([s.id, s.kind, s.host, String(s.pid), health, s.mode ?? "-", tags, formatter.string(from: s.lastHeartbeat), s.version])
            }
            print(TextTable.render(table))
        }
    }

    typealias Watch = WatchCommand<Listed>

    struct WatchCommand<Spelling: CommandSpelling>: AsyncParsableCommand {
        static var configuration: CommandConfiguration {
            CommandConfiguration(
                commandName: "watch",
                abstract: "Print live events as they happen (default channels: render-progress, notifications, sync-status).",
                discussion: "Example: hubctl monitor watch render:42 notifications. Patterns such as 'broadcast-*' are allowed. Stops on Ctrl-C, or after --count events."
            ).spelled(Spelling.self)
        }
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Channels or patterns to watch.") var channels: [String] = []
        @Option(help: "Exit after this many events.") var count: Int?
        @Flag(help: "Print each event's JSON as received.") var json = false

        func validate() throws {
            if let count, count < 1 { throw ValidationError("--count must be 1 or more") }
        }

        func run() async throws {
            let wanted = channels.isEmpty ? ["render-progress", Notifier.channel, "sync-status"] : channels
            let patterns = wanted.filter { $0.contains("*") || $0.contains("?") }
            let plain = wanted.filter { !patterns.contains($0) }
            try await global.withClients { clients in
                let subscription = try await clients.redis.subscribe(channels: plain, patterns: patterns)
                FileHandle.standardError.write(Data("hubctl: watching \(wanted.joined(separator: ", "))\n".utf8))
                var seen = 0
                let formatter = ISO8601DateFormatter()
                formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
                for try await message in subscription {
                    let line: String
                    if json {
                        line = message.string
                    } else if let event = try? HubEvent.decode(message.payload) {
                        let fields = event.data.sorted { $0.key < $1.key }.map { "\($0.key)=\(Self.text($0.value))" }.joined(separator: " ")
                        line = "\(formatter.string(from: event.timestamp)) \(message.channel) \(event.type) \(fields)"
                    } else {
                        line = "\(formatter.string(from: Date())) \(message.channel) \(message.string)"
                    }
                    // Unbuffered, so a pipe (a script, a test) sees each event as it arrives.
                    FileHandle.standardOutput.write(Data((line + "\n").utf8))
                    seen += 1
                    if let count, seen >= count { break }
                }
                subscription.cancel()
            }
        }

        static func text(_ value: JSONValue) -> String {
            if case let .string(s) = value { return s.contains(" ") ? "\"\(s)\"" : s }
            return value.canonicalText
        }
    }
}

/// `hubctl events list|resolve`: the spelling before `monitor events` and `monitor resolve`, hidden.
struct EventsAlias: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "List and resolve monitor events (hubctl monitor events, hubctl monitor resolve).",
        shouldDisplay: false,
        subcommands: [MonitorCommand.EventsCommand<OldSpelling>.self, MonitorCommand.Resolve.self]
    )
}
