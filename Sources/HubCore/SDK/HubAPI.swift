import Foundation

/// What another service does with the hub: read hands, players and cue sheets, submit renders and
/// follow them.
///
/// ``Hub`` is the real thing, on PostgreSQL and Redis. Code written against `any HubAPI` can be
/// tested without servers against `InMemoryHub` (the `HubTesting` product), which keeps hands,
/// players and instructions in memory and lets the test play the render worker.
public protocol HubAPI: Sendable {
    /// The hands matching `query`, newest first, one page at a time.
    /// - Throws: ``HubError`` `.usage` for a limit outside 1…500 or a malformed cursor.
    func hands(_ query: HandQuery) async throws -> HandPage

    /// One hand by the hub's id.
    /// - Throws: ``HubError`` `.notFound` when there is none.
    func hand(id: Int64) async throws -> Hand

    /// Players whose name contains `text` (case and accents ignored), at most `limit`.
    func players(matching text: String, limit: Int) async throws -> [UnifiedPlayer]

    /// One player by reference: `wsop:<id>`, `gfx:<id>`, a WSOP+ player id or an exact name.
    /// - Throws: ``HubError`` `.notFound` when there is none.
    func player(_ reference: String) async throws -> UnifiedPlayer

    /// The cue sheets of a broadcast session.
    func cueSheets(session: Int64) async throws -> [CueSheet]

    /// The items of a cue sheet, in cue order.
    /// - Throws: ``HubError`` `.notFound` when the sheet does not exist.
    func cueItems(sheet: Int64) async throws -> [CueItem]

    /// Commits a render instruction and signals the workers; returns it as committed (`pending`).
    /// - Throws: ``HubError`` `.usage` for an invalid submission.
    func submit(_ submission: RenderSubmission) async throws -> RenderInstruction

    /// The instruction as it is now.
    /// - Throws: ``HubError`` `.notFound`.
    func instruction(_ id: Int64) async throws -> RenderInstruction

    /// Cancels an instruction; returns it after the request.
    /// - Throws: ``HubError`` `.notFound`; `.conflict` when it is finished.
    func cancel(_ id: Int64, reason: String?) async throws -> RenderInstruction

    /// Puts a failed or cancelled instruction back in the queue.
    /// - Throws: ``HubError`` `.notFound`; `.conflict` when there is nothing to retry.
    func retry(_ id: Int64, reason: String?) async throws -> RenderInstruction

    /// Every attempt's output of an instruction, oldest first.
    func outputs(of id: Int64) async throws -> [RenderOutput]

    /// The hub's live events on `channels` (see ``HubEvent/renderChannels(instruction:)``),
    /// until the iterating task is cancelled.
    func events(channels: [String]) -> AsyncThrowingStream<HubEvent, any Error>

    /// The events of one instruction until it is finished; the last one carries the final
    /// `status` (`completed`, `failed` or `cancelled`).
    func follow(_ instruction: RenderInstruction) -> AsyncThrowingStream<HubEvent, any Error>
}

extension HubAPI {
    /// Players whose name contains `text`, at most 50.
    public func players(matching text: String) async throws -> [UnifiedPlayer] {
        try await players(matching: text, limit: 50)
    }

    /// Cancels an instruction without a reason.
    public func cancel(_ id: Int64) async throws -> RenderInstruction { try await cancel(id, reason: nil) }

    /// Retries an instruction without a reason.
    public func retry(_ id: Int64) async throws -> RenderInstruction { try await retry(id, reason: nil) }

    /// The final state of `instruction` once it is finished: follows its events to the end, then
    /// reads it.
    public func finished(_ instruction: RenderInstruction) async throws -> RenderInstruction {
        for try await _ in follow(instruction) {}
        return try await self.instruction(instruction.id)
    }
}
