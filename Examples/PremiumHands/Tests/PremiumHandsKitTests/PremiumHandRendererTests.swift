import Foundation
import HubCore
import HubTesting
import PremiumHandsKit
import Testing

/// The service's logic against InMemoryHub: no PostgreSQL, no Redis; the test plays the worker.
@Suite struct PremiumHandRendererTests {
    static let quads = Hand(id: 42, gameID: 7, tableID: "GG", handNumber: 2, startedAt: Date(timeIntervalSince1970: 1_800_000_600),
                            pot: 96_000, board: ["Ah", "Ad", "7c", "7d", "2s"], winner: "SEAT 7", grade: .fourOfAKind,
                            isPremium: true, isBroadcastWorthy: true)
    static let pair = Hand(id: 41, gameID: 7, tableID: "GG", handNumber: 1, startedAt: Date(timeIntervalSince1970: 1_800_000_000),
                           grade: .pair, isPremium: false, isBroadcastWorthy: false)

    @Test func onlyPremiumHandsAreListed() async throws {
        let renderer = PremiumHandRenderer(hub: InMemoryHub(hands: [Self.pair, Self.quads]))
        #expect(try await renderer.latest().map(\.id) == [42])
    }

    @Test func theRenderIsSubmittedWithTheHandsDataAndFollowedToItsOutput() async throws {
        let hub = InMemoryHub(hands: [Self.quads])
        let renderer = PremiumHandRenderer(hub: hub)
        let worker = Task {
            // The worker's part: take the instruction once it is submitted, render, complete.
            while hub.instructions.isEmpty { try await Task.sleep(for: .milliseconds(5)) }
            let id = hub.instructions[0].id
            while hub.listeners == 0 { try await Task.sleep(for: .milliseconds(5)) } // follow listens
            try hub.start(id)
            try hub.complete(id, outputPath: "/renders/\(id).png")
        }
        let outcome = try await renderer.render(Self.quads)
        try await worker.value
        #expect(outcome.instruction.status == .completed)
        #expect(outcome.output?.outputPath == "/renders/\(outcome.instruction.id).png")
        #expect(outcome.events.last == "render_completed")
        let sent = outcome.instruction.layerData
        #expect(sent["grade"] == .string("four_of_a_kind"))
        #expect(sent["board"] == .array(["Ah", "Ad", "7c", "7d", "2s"].map(JSONValue.string)))
        #expect(outcome.instruction.templateName == "premium_hand")
    }

    @Test func aFailedRenderEndsWithoutAnOutput() async throws {
        let hub = InMemoryHub(hands: [Self.quads])
        let renderer = PremiumHandRenderer(hub: hub)
        let worker = Task {
            while hub.instructions.isEmpty { try await Task.sleep(for: .milliseconds(5)) }
            let id = hub.instructions[0].id
            while hub.listeners == 0 { try await Task.sleep(for: .milliseconds(5)) } // follow listens
            for _ in 0...3 { try hub.fail(id, error: "template missing on this machine") }
        }
        let outcome = try await renderer.render(Self.quads)
        try await worker.value
        #expect(outcome.instruction.status == .failed)
        #expect(outcome.output == nil)
    }
}
