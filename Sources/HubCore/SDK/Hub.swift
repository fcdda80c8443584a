import Foundation
import HubPostgres
import HubRedis
import Logging

/// The hub as another Swift service uses it: read hands, players and cue sheets, submit renders,
/// follow them.
///
/// ```swift
/// let hub = try Hub(configuration: HubConfiguration())   // HUB_DATABASE_URL, HUB_REDIS_URL, .env
/// let premium = try await hub.hands(HandQuery(premium: true, limit: 5))
/// let submitted = try await hub.submit(RenderSubmission(templateName: "premium_hand"))
/// for try await event in hub.follow(submitted) { print(event.type) }
/// await hub.shutdown()
/// ```
///
/// Connections open lazily: creating a hub never touches the network. Write code that only needs
/// these operations against ``HubAPI`` and test it with `InMemoryHub` from the `HubTesting`
/// product.
public final class Hub: HubAPI {
    /// The PostgreSQL pool and Redis client underneath.
    package let clients: HubClients
    /// Hands imported from the feature tables.
    public let handStore: HandStore
    /// The render queue: submit, cancel, retry, read instructions.
    package let renders: RenderQueue
    /// Who submissions and events are attributed to (`<name>:<host>-<pid>`).
    public let actor: String
    let logger: Logger

    /// Connects (lazily) with `configuration`.
    /// - Parameters:
    ///   - configuration: where PostgreSQL and Redis are (`HUB_DATABASE_URL`, `HUB_REDIS_URL`).
    ///   - name: how this service appears in timelines and events (e.g. `stats-service`).
    ///   - logger: where the hub's own messages go (reconnects, skipped messages).
    /// - Throws: ``HubError`` `.configuration` for a missing or malformed setting.
    public init(configuration: HubConfiguration, name: String = "hub-sdk", logger: Logger = Logger(label: "hub.sdk")) throws {
        clients = try HubClients(configuration: configuration, logger: logger)
        actor = HubInstance.registryID(program: name)
        handStore = HandStore(pool: clients.database)
        renders = clients.renderQueue(source: actor)
        self.logger = logger
    }

    /// The hands matching `query`, newest first (see ``HandStore/hands(_:)``).
    public func hands(_ query: HandQuery) async throws -> HandPage {
        try await handStore.hands(query)
    }

    /// One hand by the hub's id.
    /// - Throws: ``HubError`` `.notFound` when there is none.
    public func hand(id: Int64) async throws -> Hand {
        try await handStore.hand(id: id)
    }

    /// Players whose name (or Korean name, or WSOP+ id) contains `text`, accents and case ignored.
    /// - Throws: ``HubError`` `.usage` for an empty text or a limit outside 1…500.
    public func players(matching text: String, limit: Int = 50) async throws -> [UnifiedPlayer] {
        guard (1...500).contains(limit) else { throw HubError(.usage, "limit must be 1…500 (got \(limit))") }
        return try await PlayerStore(pool: clients.database).search(text, limit: limit)
    }

    /// One player by reference: `wsop:<id>`, `gfx:<id>`, a WSOP+ player id (`P-1001`) or an exact name.
    /// - Throws: ``HubError`` `.notFound` when there is none.
    public func player(_ reference: String) async throws -> UnifiedPlayer {
        try await PlayerStore(pool: clients.database).player(reference)
    }

    /// The cue sheets of broadcast session `session`, in the order they were created.
    public func cueSheets(session: Int64) async throws -> [CueSheet] {
        try await CueStore(pool: clients.database).sheets(session: session)
    }

    /// The items of cue sheet `sheet`, in cue order.
    /// - Throws: ``HubError`` `.notFound` when the sheet does not exist.
    public func cueItems(sheet: Int64) async throws -> [CueItem] {
        let store = CueStore(pool: clients.database)
        _ = try await store.sheet(sheet)
        return try await store.items(sheet: sheet)
    }

    /// Checks that the database has the schema this library expects (run `hubctl migrate up` when
    /// it is behind).
    /// - Throws: ``HubError`` `.schemaBehind`/`.schemaAhead`, or a connection error.
    public func verifySchema() async throws {
        try await SchemaGuard.verify(clients.database, program: actor)
    }

    /// Commits a render instruction (with its outbox row) and signals the workers.
    /// - Throws: ``HubError`` `.usage` for an invalid submission; database errors.
    public func submit(_ submission: RenderSubmission) async throws -> RenderInstruction {
        try await renders.submit(submission, actor: actor).instruction
    }

    /// The instruction as it is now.
    /// - Throws: ``HubError`` `.notFound`.
    public func instruction(_ id: Int64) async throws -> RenderInstruction {
        try await renders.store.instruction(id)
    }

    /// Cancels instruction `id`: a pending one at once, a running one on its worker within a
    /// heartbeat (``RenderInstruction/cancelRequested`` is set until the worker stops it).
    /// - Returns: the instruction after the request.
    /// - Throws: ``HubError`` `.notFound`; `.conflict` when it is finished or already being cancelled.
    public func cancel(_ id: Int64, reason: String? = nil) async throws -> RenderInstruction {
        _ = try await OperatorActions(queue: renders, logger: logger).cancel(id, actor: actor, reason: reason)
        return try await renders.store.instruction(id)
    }

    /// Puts a `failed`, `cancelled` or `stale` instruction back to `pending` with a fresh set of
    /// retries, or makes a `pending` one waiting for its backoff due now.
    /// - Throws: ``HubError`` `.notFound`; `.conflict` for a completed, running or already due instruction.
    public func retry(_ id: Int64, reason: String? = nil) async throws -> RenderInstruction {
        try await OperatorActions(queue: renders, logger: logger).retry(id, actor: actor, reason: reason)
    }

    /// Every attempt's output of instruction `id`, oldest first (empty while none finished).
    public func outputs(of id: Int64) async throws -> [RenderOutput] {
        try await RenderOutput.list(instruction: id, pool: clients.database)
    }

    /// The hub's live events on `channels` (`render-progress`, `render:<id>`, `sync-status`, `notifications`, …),
    /// decoded. The stream reconnects by itself when Redis restarts (events published while it
    /// was away are lost: Pub/Sub is a signal, PostgreSQL is the truth); it ends when the
    /// iterating task is cancelled. Messages that are not hub events are skipped.
    public func events(channels: [String]) -> AsyncThrowingStream<HubEvent, any Error> {
        let redis = clients.redis
        let logger = self.logger
        return AsyncThrowingStream { continuation in
            let task = Task {
                var failures = 0
                while !Task.isCancelled {
                    do {
                        let subscription = try await redis.subscribe(channels: channels)
                        failures = 0
                        for await message in subscription {
                            guard let event = try? HubEvent.decode(message.payload) else {
                                logger.debug("skipped a message that is not a hub event", metadata: ["channel": "\(message.channel)"])
                                continue
                            }
                            continuation.yield(event)
                        }
                    } catch {
                        failures += 1
                        if failures == 1 { logger.warning("live events unavailable (\(error)); retrying") }
                    }
                    guard !Task.isCancelled else { break }
                    try? await Task.sleep(for: .milliseconds(min(5_000, 250 << min(max(failures - 1, 0), 5))))
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// The events of one instruction until it is finished, with the row read every two seconds
    /// (see ``follow(_:checkEvery:)``).
    public func follow(_ instruction: RenderInstruction) -> AsyncThrowingStream<HubEvent, any Error> {
        follow(instruction, checkEvery: .seconds(2))
    }

    /// The events of one instruction until it is finished (`completed`, `failed` or `cancelled`).
    /// The instruction's state is read from PostgreSQL when the stream starts and after every
    /// reconnect-sized silence, so a finish that happened before or between events still ends
    /// the stream; the last element is then a synthetic `instruction_updated` event with the
    /// final status.
    ///
    /// - Parameters:
    ///   - instruction: the instruction to follow (its ``RenderInstruction/id`` is what counts).
    ///   - interval: how often the row is read while no finishing event arrives.
    public func follow(_ instruction: RenderInstruction, checkEvery interval: Duration) -> AsyncThrowingStream<HubEvent, any Error> {
        let id = instruction.id
        // Only the instruction's own channel: every render event goes to `render-progress` too, and
        // subscribing to both would yield each event twice.
        let events = self.events(channels: [HubEvent.instructionChannel(id)])
        let store = renders.store
        let actor = self.actor
        return AsyncThrowingStream { continuation in
            let task = Task {
                // Merges the live events with a periodic read of the row; whichever sees the end
                // first yields it, once.
                let finished = FinishFlag()
                await withTaskGroup(of: Void.self) { group in
                    group.addTask {
                        do {
                            for try await event in events {
                                if case .integer(let eventID)? = event.data["instruction_id"], eventID != id { continue }
                                if case .string(let status)? = event.data["status"], RenderStatus(rawValue: status)?.isFinished == true {
                                    if finished.claim() { continuation.yield(event) }
                                    break
                                }
                                if finished.isSet { break }
                                continuation.yield(event)
                            }
                        } catch {}
                    }
                    group.addTask {
                        while !Task.isCancelled && !finished.isSet {
                            let current: RenderInstruction?
                            do {
                                current = try await store.instruction(id)
                            } catch let error as HubError where error.code == .notFound {
                                // Never submitted, or purged: nothing will ever finish it.
                                if finished.claim() { continuation.finish(throwing: error) }
                                break
                            } catch {
                                current = nil // a blip: look again at the next interval
                            }
                            if let current, current.status.isFinished {
                                try? await Task.sleep(for: .milliseconds(200)) // let the live event arrive first
                                if finished.claim() {
                                    continuation.yield(HubEvent(type: "instruction_updated", data: [
                                        "instruction_id": .integer(id), "status": .string(current.status.rawValue)], source: actor))
                                }
                                break
                            }
                            try? await Task.sleep(for: interval)
                        }
                    }
                    await group.next()
                    group.cancelAll()
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// Closes every connection.
    public func shutdown() async { await clients.shutdown() }
}

/// Set once by whichever half of ``Hub/follow(_:checkEvery:)`` sees the instruction finish.
final class FinishFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
    /// Sets the flag; true for the one call that set it.
    func claim() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard !value else { return false }
        value = true
        return true
    }
}
