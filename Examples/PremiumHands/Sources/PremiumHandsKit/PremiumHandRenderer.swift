import Foundation
import HubCore

/// Renders the graphic of a premium hand and follows it to the end: what a stats or social
/// service would do with the hub.
public struct PremiumHandRenderer: Sendable {
    /// The hub (a ``Hub`` in production, an `InMemoryHub` in tests).
    public let hub: any HubAPI
    /// The After Effects template premium hands render with.
    public let template: String

    public init(hub: any HubAPI, template: String = "premium_hand") {
        self.hub = hub
        self.template = template
    }

    /// The latest premium hands, newest first.
    public func latest(limit: Int = 5) async throws -> [Hand] {
        try await hub.hands(HandQuery(premium: true, limit: limit)).hands
    }

    /// The render request for `hand`: the winner, the grade, the board and the pot bound to the
    /// template's layers; a PNG still at priority 3.
    public func submission(for hand: Hand) -> RenderSubmission {
        RenderSubmission(
            templateName: template,
            layerData: [
                "hand_id": .integer(hand.id),
                "table": .string(hand.tableID),
                "hand_number": .integer(Int64(hand.handNumber)),
                "winner": hand.winner.map(JSONValue.string) ?? .null,
                "grade": hand.grade.map { .string($0.name) } ?? .null,
                "board": .array(hand.board.map(JSONValue.string)),
                "pot": .integer(hand.pot),
            ],
            outputSettings: OutputSettings(format: .png, width: 1280, height: 720),
            priority: 3, trigger: .api, triggerID: String(hand.id))
    }

    /// How a render ended.
    public struct Outcome: Sendable {
        /// The instruction as it finished.
        public var instruction: RenderInstruction
        /// Its completed output, when it completed.
        public var output: RenderOutput?
        /// The event types seen while following it.
        public var events: [String]
    }

    /// Submits the render of `hand` and follows it until it is finished; `onEvent` sees each event.
    public func render(_ hand: Hand, onEvent: @Sendable (HubEvent) -> Void = { _ in }) async throws -> Outcome {
        let submitted = try await hub.submit(submission(for: hand))
        var seen: [String] = []
        for try await event in hub.follow(submitted) {
            seen.append(event.type)
            onEvent(event)
        }
        let finished = try await hub.instruction(submitted.id)
        let output = try await hub.outputs(of: submitted.id).last { $0.status == .completed }
        return Outcome(instruction: finished, output: output, events: seen)
    }
}
