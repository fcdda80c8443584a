import Foundation
import HubCore

/// A ``HubCore/HubAPI`` that keeps everything in memory, for testing a service's logic without
/// PostgreSQL or Redis: seed it with hands, players and cue sheets, run the code under test, and
/// play the render worker with ``start(_:worker:)``, ``progress(_:frame:of:)``,
/// ``complete(_:outputPath:fileSize:frameCount:)``, ``fail(_:error:)`` and ``stop(_:)``.
///
/// It behaves as ``HubCore/Hub`` does where a consumer can tell: submissions are validated with
/// the same rules, hands are paged newest first with the same cursor rules and limits, the same
/// event types go to the same channels, a failed attempt with retries left goes back to
/// `pending`, and ``follow(_:)`` ends on `completed`, `failed` or `cancelled`. It does not model
/// leases, backoff delays, priorities between workers or the render cache.
public final class InMemoryHub: HubAPI, @unchecked Sendable {
    private struct State {
        var hands: [Hand] = []
        var players: [UnifiedPlayer] = []
        var sheets: [CueSheet] = []
        var items: [CueItem] = []
        var instructions: [Int64: RenderInstruction] = [:]
        var outputs: [Int64: [RenderOutput]] = [:]
        var nextID: Int64 = 1
        var keys: [String: (id: Int64, submission: RenderSubmission)] = [:]
        var subscribers: [UUID: (channels: Set<String>, continuation: AsyncThrowingStream<HubEvent, any Error>.Continuation)] = [:]
    }

    private let lock = NSLock()
    private var state = State()
    /// The `source` of the events this hub publishes.
    public let actor: String

    /// Creates a hub holding `hands`, `players`, `cueSheets` and `cueItems`.
    public init(hands: [Hand] = [], players: [UnifiedPlayer] = [], cueSheets: [CueSheet] = [], cueItems: [CueItem] = [],
                actor: String = "in-memory-hub") {
        state.hands = hands
        state.players = players
        state.sheets = cueSheets
        state.items = cueItems
        self.actor = actor
    }

    private func locked<T>(_ body: (inout State) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(&state)
    }

    // MARK: Seeding

    /// Adds hands (as an import would).
    public func add(hands: [Hand]) { locked { $0.hands.append(contentsOf: hands) } }

    /// Adds players.
    public func add(players: [UnifiedPlayer]) { locked { $0.players.append(contentsOf: players) } }

    /// How many event streams (``events(channels:)``, ``follow(_:)``) are listening now: a test
    /// waits for it before it plays the worker, so no event is published before anyone listens.
    public var listeners: Int { locked { $0.subscribers.count } }

    /// Every instruction submitted so far, oldest first.
    public var instructions: [RenderInstruction] {
        locked { $0.instructions.values.sorted { $0.id < $1.id } }
    }

    // MARK: HubAPI: reading

    /// The hands matching `query`, newest first (started time, then id), paged as ``HubCore/Hub`` pages them.
    public func hands(_ query: HandQuery) async throws -> HandPage {
        guard (1...500).contains(query.limit) else { throw HubError(.usage, "limit must be 1…500 (got \(query.limit))") }
        let all = locked { $0.hands }
        var after: Hand?
        if let cursor = query.cursor {
            guard let id = Int64(cursor), id > 0 else {
                throw HubError(.usage, "cursor '\(cursor)' is not a cursor of this API: pass next_cursor of the previous page")
            }
            after = all.first { $0.id == id }
            if after == nil { return HandPage(hands: [], nextCursor: nil) }
        }
        let matching = all.filter { hand in
            (query.gameID == nil || hand.gameID == query.gameID)
                && (query.tableID == nil || hand.tableID == query.tableID)
                && (query.startedFrom.map { hand.startedAt >= $0 } ?? true)
                && (query.startedBefore.map { hand.startedAt < $0 } ?? true)
                && (query.premium.map { hand.isPremium == $0 } ?? true)
                && (query.broadcastWorthy.map { hand.isBroadcastWorthy == $0 } ?? true)
                && (after.map { (hand.startedAt, hand.id) < ($0.startedAt, $0.id) } ?? true)
        }.sorted { ($0.startedAt, $0.id) > ($1.startedAt, $1.id) }
        let page = Array(matching.prefix(query.limit))
        return HandPage(hands: page, nextCursor: matching.count > query.limit ? page.last.map { String($0.id) } : nil)
    }

    /// One hand by id.
    public func hand(id: Int64) async throws -> Hand {
        guard let hand = locked({ $0.hands.first { $0.id == id } }) else {
            throw HubError(.notFound, "hand \(id) does not exist")
        }
        return hand
    }

    /// Players whose name, Korean name or WSOP+ id contains `text` (case and accents ignored).
    public func players(matching text: String, limit: Int) async throws -> [UnifiedPlayer] {
        let needle = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !needle.isEmpty else { throw HubError(.usage, "the search text is empty") }
        guard (1...500).contains(limit) else { throw HubError(.usage, "limit must be 1…500 (got \(limit))") }
        let options: String.CompareOptions = [.caseInsensitive, .diacriticInsensitive]
        return Array(locked { $0.players }.filter { player in
            [player.name, player.nameKorean, player.wsopPlayerKey].contains { $0?.range(of: needle, options: options) != nil }
        }.sorted { $0.name < $1.name }.prefix(limit))
    }

    /// One player by `ref` (`wsop:<id>`, `gfx:<id>`), WSOP+ player id or exact name.
    public func player(_ reference: String) async throws -> UnifiedPlayer {
        let text = reference.trimmingCharacters(in: .whitespaces)
        guard !text.isEmpty else { throw HubError(.usage, "the player reference is empty") }
        let players = locked { $0.players }
        guard let player = players.first(where: { $0.ref == text || $0.wsopPlayerKey == text })
                ?? players.first(where: { $0.name.caseInsensitiveCompare(text) == .orderedSame }) else {
            throw HubError(.notFound, "no player '\(text)'")
        }
        return player
    }

    /// The sheets of `session`, oldest first.
    public func cueSheets(session: Int64) async throws -> [CueSheet] {
        locked { $0.sheets.filter { $0.sessionID == session }.sorted { $0.id < $1.id } }
    }

    /// The items of `sheet`, in cue order.
    public func cueItems(sheet: Int64) async throws -> [CueItem] {
        try locked { state in
            guard state.sheets.contains(where: { $0.id == sheet }) else { throw HubError(.notFound, "cue sheet \(sheet) does not exist") }
            return state.items.filter { $0.sheetID == sheet }.sorted { $0.number < $1.number }
        }
    }

    // MARK: HubAPI: rendering

    /// Validates and stores `submission` as a `pending` instruction (due at its `scheduledAt`,
    /// not before now), and publishes `instruction_updated`. A submission whose idempotency key
    /// was used before returns that instruction as it is now; with another request it is refused
    /// (``HubCore/HubError`` `.conflict`), as the hub does.
    public func submit(_ submission: RenderSubmission) async throws -> RenderInstruction {
        try submission.validate()
        let (instruction, replayed) = try locked { state -> (RenderInstruction, Bool) in
            if let key = submission.idempotencyKey, let earlier = state.keys[key] {
                var same = submission
                same.scheduledAt = earlier.submission.scheduledAt
                same.trigger = earlier.submission.trigger
                same.triggerID = earlier.submission.triggerID
                guard same == earlier.submission else {
                    throw HubError(.conflict, "idempotency key '\(key)' was used for render instruction \(earlier.id) with a different request")
                }
                return (try Self.existing(earlier.id, state), true)
            }
            let now = Date()
            let instruction = RenderInstruction(
                id: state.nextID, templateName: submission.templateName, composition: submission.composition,
                layerData: submission.layerData, outputSettings: submission.outputSettings, priority: submission.priority,
                trigger: submission.trigger, triggerID: submission.triggerID, cueItemID: submission.cueItemID,
                maxRetries: submission.maxRetries, dataHash: submission.dataHash, createdAt: now,
                scheduledAt: max(now, submission.scheduledAt ?? now), idempotencyKey: submission.idempotencyKey,
                requiredTags: try RenderTags.normalize(submission.requiredTags))
            state.nextID += 1
            state.instructions[instruction.id] = instruction
            if let key = submission.idempotencyKey { state.keys[key] = (instruction.id, submission) }
            return (instruction, false)
        }
        if !replayed { publish("instruction_updated", instruction) }
        return instruction
    }

    /// The instruction as it is now.
    public func instruction(_ id: Int64) async throws -> RenderInstruction {
        try locked { try Self.existing(id, $0) }
    }

    /// Cancels a pending instruction at once; marks a processing one ``HubCore/RenderInstruction/cancelRequested``
    /// until the test's worker calls ``stop(_:)``.
    public func cancel(_ id: Int64, reason: String?) async throws -> RenderInstruction {
        let instruction = try locked { state -> RenderInstruction in
            var instruction = try Self.existing(id, state)
            switch instruction.status {
            case .completed, .failed, .cancelled:
                throw HubError(.conflict, "render instruction \(id) is \(instruction.status.rawValue): there is nothing to cancel")
            case .processing:
                guard !instruction.cancelRequested else { throw HubError(.conflict, "render instruction \(id) is already being cancelled") }
                instruction.cancelRequested = true
            case .pending, .stale:
                instruction.status = .cancelled
                instruction.completedAt = Date()
            }
            state.instructions[id] = instruction
            return instruction
        }
        publish("instruction_updated", instruction, extra: ["action": .string("cancel"), "actor": .string(actor)])
        return instruction
    }

    /// Puts a failed, cancelled or stale instruction back to `pending` with its retries reset.
    public func retry(_ id: Int64, reason: String?) async throws -> RenderInstruction {
        let instruction = try locked { state -> RenderInstruction in
            var instruction = try Self.existing(id, state)
            switch instruction.status {
            case .completed:
                throw HubError(.conflict, "render instruction \(id) is completed: there is nothing to retry")
            case .processing:
                throw HubError(.conflict, "render instruction \(id) is running: cancel it first or wait for it to finish")
            case .pending:
                throw HubError(.conflict, "render instruction \(id) is already pending and due")
            case .failed, .cancelled, .stale:
                instruction.status = .pending
                instruction.retryCount = 0
                instruction.cancelRequested = false
                instruction.completedAt = nil
                instruction.scheduledAt = Date()
            }
            state.instructions[id] = instruction
            return instruction
        }
        publish("instruction_updated", instruction, extra: ["action": .string("retry"), "actor": .string(actor)])
        return instruction
    }

    /// Every attempt's output, oldest first.
    public func outputs(of id: Int64) async throws -> [RenderOutput] {
        try locked { state in
            _ = try Self.existing(id, state)
            return state.outputs[id] ?? []
        }
    }

    // MARK: Playing the worker

    /// A worker claims `id`: `pending` → `processing`, `render_started`.
    /// - Throws: ``HubCore/HubError`` `.conflict` when the instruction is not pending.
    @discardableResult
    public func start(_ id: Int64, worker: String = "test-worker") throws -> RenderInstruction {
        let instruction = try transition(id, from: [.pending]) { instruction in
            instruction.status = .processing
            instruction.attempt += 1
            instruction.workerID = worker
            instruction.startedAt = Date()
        }
        publish("render_started", instruction, extra: ["worker": .string(worker)])
        return instruction
    }

    /// The worker reports progress: `render_progress`.
    public func progress(_ id: Int64, frame: Int, of total: Int) throws {
        let instruction = try transition(id, from: [.processing]) { instruction in
            instruction.progressFrame = frame
            instruction.progressTotal = total
        }
        publish("render_progress", instruction, extra: ["frame": .integer(Int64(frame)), "total_frames": .integer(Int64(total))])
    }

    /// The render succeeded: `completed` with one completed output, `render_completed`. A pending
    /// instruction is started first.
    @discardableResult
    public func complete(_ id: Int64, outputPath: String, fileSize: Int64? = nil, frameCount: Int? = nil) throws -> RenderInstruction {
        if try instruction(sync: id).status == .pending { try start(id) }
        let instruction = try transition(id, from: [.processing]) { instruction in
            instruction.status = .completed
            instruction.completedAt = Date()
        }
        locked { state in
            state.outputs[id, default: []].append(RenderOutput(
                instructionID: id, attempt: instruction.attempt, status: .completed, outputPath: outputPath, fileSize: fileSize,
                frameCount: frameCount, completedAt: instruction.completedAt ?? Date()))
        }
        publish("render_completed", instruction, extra: ["output": .string(outputPath), "cache_hit": .bool(false)])
        return instruction
    }

    /// The attempt failed: back to `pending` while retries are left (`retry_count` + 1), else
    /// `failed` — or `cancelled` when a cancel was requested; a failed output row and
    /// `render_failed` (`instruction_updated` for a cancel) either way. A pending instruction is
    /// started first.
    @discardableResult
    public func fail(_ id: Int64, error message: String) throws -> RenderInstruction {
        if try instruction(sync: id).status == .pending { try start(id) }
        let instruction = try transition(id, from: [.processing]) { instruction in
            instruction.errorMessage = message
            instruction.workerID = nil
            if instruction.cancelRequested {
                instruction.status = .cancelled
                instruction.completedAt = Date()
            } else if instruction.retryCount < instruction.maxRetries {
                instruction.retryCount += 1
                instruction.status = .pending
            } else {
                instruction.status = .failed
                instruction.completedAt = Date()
            }
        }
        locked { state in
            state.outputs[id, default: []].append(RenderOutput(
                instructionID: id, attempt: instruction.attempt, status: .failed, errorMessage: message, completedAt: Date()))
        }
        if instruction.status == .cancelled {
            publish("instruction_updated", instruction)
        } else {
            publish("render_failed", instruction, extra: ["error": .string(message), "retry_count": .integer(Int64(instruction.retryCount))])
        }
        return instruction
    }

    /// The worker stopped a render whose cancel was requested: `cancelled`.
    @discardableResult
    public func stop(_ id: Int64) throws -> RenderInstruction {
        let instruction = try transition(id, from: [.processing]) { instruction in
            instruction.status = .cancelled
            instruction.completedAt = Date()
        }
        publish("instruction_updated", instruction)
        return instruction
    }

    private func instruction(sync id: Int64) throws -> RenderInstruction { try locked { try Self.existing(id, $0) } }

    private func transition(_ id: Int64, from allowed: Set<RenderStatus>, _ change: (inout RenderInstruction) -> Void) throws -> RenderInstruction {
        try locked { state in
            var instruction = try Self.existing(id, state)
            guard allowed.contains(instruction.status) else {
                throw HubError(.conflict, "render instruction \(id) is \(instruction.status.rawValue), not \(allowed.map(\.rawValue).sorted().joined(separator: " or "))")
            }
            change(&instruction)
            state.instructions[id] = instruction
            return instruction
        }
    }

    private static func existing(_ id: Int64, _ state: State) throws -> RenderInstruction {
        guard let instruction = state.instructions[id] else { throw HubError(.notFound, "render instruction \(id) does not exist") }
        return instruction
    }

    // MARK: Events

    /// Publishes `event` to the subscribers of any of `channels` (to test code that reacts to
    /// events this hub does not raise itself, such as `hand_created`).
    public func publish(_ event: HubEvent, on channels: [String]) {
        let targets = locked { state in
            state.subscribers.values.filter { !$0.channels.isDisjoint(with: channels) }.map(\.continuation)
        }
        for continuation in targets { continuation.yield(event) }
    }

    private func publish(_ type: String, _ instruction: RenderInstruction, extra: [String: JSONValue] = [:]) {
        var data: [String: JSONValue] = [
            "instruction_id": .integer(instruction.id), "template": .string(instruction.templateName),
            "status": .string(instruction.status.rawValue),
        ]
        data.merge(extra) { $1 }
        publish(HubEvent(type: type, data: data, source: actor), on: HubEvent.renderChannels(instruction: instruction.id))
    }

    /// The events published on `channels` from now on, until the iterating task is cancelled.
    public func events(channels: [String]) -> AsyncThrowingStream<HubEvent, any Error> {
        AsyncThrowingStream { continuation in
            let key = UUID()
            locked { $0.subscribers[key] = (Set(channels), continuation) }
            continuation.onTermination = { [weak self] _ in self?.locked { _ = $0.subscribers.removeValue(forKey: key) } }
        }
    }

    /// The events of `instruction` until it is finished; an instruction already finished yields
    /// one `instruction_updated` event with its status.
    public func follow(_ instruction: RenderInstruction) -> AsyncThrowingStream<HubEvent, any Error> {
        let id = instruction.id
        return AsyncThrowingStream { continuation in
            let key = UUID()
            let relay = AsyncThrowingStream<HubEvent, any Error>.makeStream()
            let current: RenderInstruction? = locked { state in
                state.subscribers[key] = ([HubEvent.instructionChannel(id)], relay.continuation)
                return state.instructions[id]
            }
            guard let current else {
                locked { _ = $0.subscribers.removeValue(forKey: key) }
                continuation.finish(throwing: HubError(.notFound, "render instruction \(id) does not exist"))
                return
            }
            if current.status.isFinished {
                locked { _ = $0.subscribers.removeValue(forKey: key) }
                continuation.yield(HubEvent(type: "instruction_updated", data: [
                    "instruction_id": .integer(id), "status": .string(current.status.rawValue)], source: actor))
                continuation.finish()
                return
            }
            let task = Task {
                for try await event in relay.stream {
                    continuation.yield(event)
                    if case .string(let status)? = event.data["status"], RenderStatus(rawValue: status)?.isFinished == true { break }
                }
                continuation.finish()
            }
            continuation.onTermination = { [weak self] _ in
                task.cancel()
                relay.continuation.finish()
                self?.locked { _ = $0.subscribers.removeValue(forKey: key) }
            }
        }
    }
}
