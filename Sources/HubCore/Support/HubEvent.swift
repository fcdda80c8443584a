import Foundation
import HubDriverSupport
import HubRedis
import Logging

/// A realtime event (SPEC §6): type, data, timestamp, source and correlation id, published as JSON
/// on Redis pub/sub channels. Events are signals for dashboards; PostgreSQL stays the truth, so a
/// publish that fails (Redis down) is logged at debug level and dropped.
public struct HubEvent: Sendable, Codable, Hashable {
    /// `instruction_updated`, `render_started`, `render_progress`, `render_completed`, `render_failed`, …
    public var type: String
    /// The event's payload.
    public var data: [String: JSONValue]
    /// When it happened.
    public var timestamp: Date
    /// The process that sent it (`hub-worker:<host>-<pid>`, `hubctl`, …).
    public var source: String
    /// Ties together the events of one operation (a sync run, a cue trigger).
    public var correlationID: String?

    /// Creates an event stamped now.
    public init(type: String, data: [String: JSONValue], source: String, correlationID: String? = nil) {
        self.type = type
        self.data = data
        self.timestamp = Date()
        self.source = source
        self.correlationID = correlationID
    }

    enum CodingKeys: String, CodingKey {
        case type, data, timestamp, source
        case correlationID = "correlation_id"
    }

    /// The render channels: every render event goes to `render-progress`, and to the instruction's
    /// own channel `render:<id>`.
    public static func renderChannels(instruction id: Int64) -> [String] { ["render-progress", instructionChannel(id)] }

    /// The channel of one instruction's render events only (`render:<id>`).
    public static func instructionChannel(_ id: Int64) -> String { "render:\(id)" }

    /// Decodes an event from the JSON text ``json`` produces.
    public static func decode(_ data: some Sequence<UInt8>) throws -> HubEvent {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            guard let date = ISO8601DateFormatter.withFractions.date(from: text) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not an ISO 8601 time: \(text)"))
            }
            return date
        }
        return try decoder.decode(HubEvent.self, from: Data(data))
    }

    /// The event as JSON text (sorted keys; the timestamp in UTC with milliseconds).
    public var json: String {
        var writer = JSONWriter()
        writer.raw("{")
        if let correlationID {
            writer.raw("\"correlation_id\":")
            writer.string(correlationID)
            writer.raw(",")
        }
        writer.raw("\"data\":")
        writer.object(data)
        writer.raw(",\"source\":")
        writer.string(source)
        writer.raw(",\"timestamp\":")
        writer.timestamp(timestamp)
        writer.raw(",\"type\":")
        writer.string(type)
        writer.raw("}")
        return writer.text
    }
}

extension ISO8601DateFormatter {
    /// `2026-11-22T03:27:36.366Z`.
    nonisolated(unsafe) static let withFractions: ISO8601DateFormatter = {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter
    }()

    /// An RFC 3339 time with a zone, with or without fractions of a second
    /// (`2026-12-07T17:25:00Z`, `2026-12-07T18:25:00.5+01:00`); nil for anything else. Its own
    /// formatters: callers parse at the same time (API requests), and a formatter is not safe to
    /// share for that.
    package static func time(_ text: String) -> Date? {
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return ISO8601DateFormatter().date(from: text) ?? fractional.date(from: text)
    }
}

/// Publishes ``HubEvent``s on Redis, never throwing: events are best-effort signals.
package struct EventPublisher: Sendable {
    /// The Redis client.
    package let redis: RedisClient
    /// The `source` of every event.
    package let source: String
    let logger: Logger
    /// Whether the last publish failed: the first failure of an outage is a warning, the rest debug.
    private let failing: PThreadLocked<Bool>
    /// Looks up the cue item of an instruction, so its changes reach `broadcast-{session_id}`.
    let cueItems: CueStore?
    /// Closed for half a second after a failed publish: events are dropped meanwhile.
    private let gate: OutageGate
    /// Events published at the same time share one pipeline (one round trip), in order.
    private let batcher: Coalescer<(text: String, type: String, channels: [String]), Void>

    /// Creates a publisher.
    ///
    /// With `cueItems`, every render event of an instruction that a cue item triggered is followed
    /// by a `cue_item_updated` event on the item's session channel, carrying the item's state as
    /// PostgreSQL holds it (the item follows its instruction in the same transaction).
    package init(redis: RedisClient, source: String, cueItems: CueStore? = nil, logger: Logger = Logger(label: "hub.events")) {
        self.redis = redis
        self.source = source
        self.cueItems = cueItems
        self.logger = logger
        let failing = PThreadLocked(false)
        self.failing = failing
        let gate = OutageGate()
        self.gate = gate
        self.batcher = Coalescer(maxBatch: 256, maxConcurrentFlushes: 1) { events in
            // In an outage, events go unpublished anyway: try Redis again only every half second.
            guard gate.shouldAttempt else { return events.map { _ in .success(()) } }
            let commands: [[RedisArgument]] = events.flatMap { event in
                event.channels.map { ["PUBLISH", RedisArgument($0), RedisArgument(event.text)] }
            }
            do {
                _ = try await redis.pipeline(commands)
                gate.succeeded()
                if failing.withLock({ $0 }) {
                    failing.withLock { $0 = false }
                    logger.notice("events are published again")
                }
            } catch {
                gate.failed()
                let first = failing.withLock { state -> Bool in
                    defer { state = true }
                    return !state
                }
                if first {
                    logger.warning("events are not being published (dropped until Redis answers): \(error)")
                } else {
                    logger.debug("\(events.count) event(s) not published (\(events.map(\.type).joined(separator: ", "))): \(error)")
                }
            }
            return events.map { _ in .success(()) }
        }
    }

    /// Publishes `type` with `data` on `channels` in one pipeline (shared with any events
    /// published at the same moment). Never throws: a failure is logged.
    package func publish(_ type: String, data: [String: JSONValue], channels: [String], correlationID: String? = nil) async {
        // In an outage the batcher would drop it: not even written (the fallback mode's hot path).
        guard gate.shouldAttempt else { return }
        let text = HubEvent(type: type, data: data, source: source, correlationID: correlationID).json
        guard !channels.isEmpty else { return }
        _ = try? await batcher.submit((text, type, channels))
    }

    /// The data of a render event: the instruction's id, template and status, and `extra`.
    static func renderData(_ instruction: RenderInstruction, status: RenderStatus? = nil, extra: [String: JSONValue] = [:]) -> [String: JSONValue] {
        var data: [String: JSONValue] = [
            "instruction_id": .integer(instruction.id),
            "template": .string(instruction.templateName),
            "status": .string((status ?? instruction.status).rawValue),
        ]
        data.merge(extra) { $1 }
        return data
    }

    /// The JSON text of a render event, for a caller that sends it in a pipeline of its own
    /// (the submit path sends `instruction_updated` with the dispatch signal: one round trip,
    /// the event first).
    package func renderEventText(_ type: String, _ instruction: RenderInstruction) -> String {
        HubEvent(type: type, data: Self.renderData(instruction), source: source).json
    }

    /// Publishes the same render event for each of `instructions` in one pipeline (the bulk
    /// submit path).
    package func render(_ type: String, _ instructions: [RenderInstruction]) async {
        await withTaskGroup(of: Void.self) { group in
            // Concurrent publishes share the batcher's pipelines.
            for instruction in instructions {
                group.addTask { await self.render(type, instruction) }
            }
        }
    }

    /// Publishes a render event on the render channels, with the instruction's id, template, status
    /// and any extra fields.
    package func render(_ type: String, _ instruction: RenderInstruction, status: RenderStatus? = nil, extra: [String: JSONValue] = [:]) async {
        await publish(type, data: Self.renderData(instruction, status: status, extra: extra), channels: HubEvent.renderChannels(instruction: instruction.id))
        if let cueItemID = instruction.cueItemID, let cueItems, type != "render_progress" {
            do {
                let item = try await cueItems.item(cueItemID)
                guard item.renderInstructionID == instruction.id else { return } // an older take of the item
                await publish("cue_item_updated", data: item.eventData, channels: [BroadcastSession.channel(item.sessionID)])
            } catch {
                logger.debug("cue item \(cueItemID) of instruction \(instruction.id) not published: \(error)")
            }
        }
    }
}
