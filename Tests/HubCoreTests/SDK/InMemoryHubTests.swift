import Foundation
import HubCore
import HubTestSupport
import HubTesting
import Testing

/// ``InMemoryHub`` behaves as ``Hub`` does where a consumer can tell: validation, paging, the
/// worker's transitions and their events, and `follow` ending on a finished status.
@Suite struct InMemoryHubTests {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    static func hand(_ id: Int64, minute: Int, premium: Bool = false, table: String = "FT-1") -> Hand {
        Hand(id: id, gameID: 7, tableID: table, handNumber: Int(id), startedAt: t0.addingTimeInterval(Double(minute) * 60),
             grade: premium ? .fullHouse : .pair, isPremium: premium, isBroadcastWorthy: premium)
    }

    @Test func handsPageNewestFirstWithTheCursorAndFiltersOfTheRealStore() async throws {
        // Two hands share a start time: the id breaks the tie, as in HandStore.
        let hub = InMemoryHub(hands: [Self.hand(1, minute: 0), Self.hand(2, minute: 5, premium: true), Self.hand(3, minute: 5),
                                      Self.hand(4, minute: 9, table: "FT-2"), Self.hand(5, minute: 12, premium: true)])
        var seen: [Int64] = []
        var query = HandQuery(limit: 2)
        var pages = 0
        repeat {
            let page = try await hub.hands(query)
            seen += page.hands.map(\.id)
            query.cursor = page.nextCursor
            pages += 1
        } while query.cursor != nil
        #expect(seen == [5, 4, 3, 2, 1])
        #expect(pages == 3)
        #expect(try await hub.hands(HandQuery(premium: true)).hands.map(\.id) == [5, 2])
        #expect(try await hub.hands(HandQuery(tableID: "FT-2")).hands.map(\.id) == [4])
        #expect(try await hub.hands(HandQuery(startedFrom: Self.t0.addingTimeInterval(300))).hands.map(\.id) == [5, 4, 3, 2])
        await #expect(throws: HubError.self) { try await hub.hands(HandQuery(limit: 0)) }
        await #expect(throws: HubError.self) { try await hub.hands(HandQuery(cursor: "abc")) }
        #expect(try await hub.hand(id: 4).tableID == "FT-2")
        let missing = await #expect(throws: HubError.self) { try await hub.hand(id: 99) }
        #expect(missing?.code == .notFound)
    }

    @Test func submissionsAreValidatedAndTheWorkersPartEndsFollow() async throws {
        let hub = InMemoryHub()
        let refused = await #expect(throws: HubError.self) { try await hub.submit(RenderSubmission(templateName: "x", priority: 11)) }
        #expect(refused?.code == .usage)
        #expect(hub.instructions.isEmpty, "a refused submission stores nothing")

        let submitted = try await hub.submit(RenderSubmission(templateName: "premium_hand", layerData: ["hand_id": .integer(2)]))
        #expect(submitted.status == .pending)
        #expect(submitted.dataHash == RenderSubmission(templateName: "premium_hand", layerData: ["hand_id": .integer(2)]).dataHash)

        let events = Task {
            var types: [String] = []
            for try await event in hub.follow(submitted) { types.append(event.type) }
            return types
        }
        try await waitUntil("follow to listen") { hub.listeners == 1 }
        try hub.start(submitted.id)
        try hub.progress(submitted.id, frame: 10, of: 90)
        try hub.complete(submitted.id, outputPath: "/out/premium.png", fileSize: 1234)
        #expect(try await events.value == ["render_started", "render_progress", "render_completed"])

        let done = try await hub.instruction(submitted.id)
        #expect(done.status == .completed && done.attempt == 1)
        let outputs = try await hub.outputs(of: submitted.id)
        #expect(outputs.map(\.status) == [.completed])
        #expect(outputs.first?.outputPath == "/out/premium.png")
        // A finished instruction: follow yields its state once and ends.
        var after: [String] = []
        for try await event in hub.follow(done) { after.append(event.type + ":" + (event.data["status"].map { "\($0)" } ?? "")) }
        #expect(after.count == 1 && after[0].hasPrefix("instruction_updated"))
        #expect(try await hub.finished(done).status == .completed)
    }

    @Test func failuresRetryUntilTheLimitThenCancelAndRetryFollowTheRules() async throws {
        let hub = InMemoryHub()
        let instruction = try await hub.submit(RenderSubmission(templateName: "t", maxRetries: 1))
        #expect(try hub.fail(instruction.id, error: "aerender exited 1").status == .pending, "one retry left")
        #expect(try hub.fail(instruction.id, error: "aerender exited 1").status == .failed)
        #expect(try await hub.outputs(of: instruction.id).map(\.status) == [.failed, .failed])
        let completed = await #expect(throws: HubError.self) { try await hub.cancel(instruction.id) }
        #expect(completed?.code == .conflict)

        let retried = try await hub.retry(instruction.id)
        #expect(retried.status == .pending && retried.retryCount == 0)
        try hub.start(instruction.id)
        let requested = try await hub.cancel(instruction.id)
        #expect(requested.status == .processing && requested.cancelRequested, "a running render is stopped by its worker")
        #expect(try hub.stop(instruction.id).status == .cancelled)

        let pending = try await hub.submit(RenderSubmission(templateName: "t"))
        #expect(try await hub.cancel(pending.id).status == .cancelled, "a pending one is cancelled at once")
        let stillPending = try await hub.submit(RenderSubmission(templateName: "t"))
        let due = await #expect(throws: HubError.self) { try await hub.retry(stillPending.id) }
        #expect(due?.code == .conflict)
    }

    @Test func keysDueTimesAndCancelsBehaveAsOnTheHub() async throws {
        let hub = InMemoryHub()
        let due = Date().addingTimeInterval(600)
        let first = try await hub.submit(RenderSubmission(templateName: "card", idempotencyKey: "k1", scheduledAt: due))
        #expect(abs(first.scheduledAt.timeIntervalSince(due)) < 0.001 && first.idempotencyKey == "k1")
        let again = try await hub.submit(RenderSubmission(templateName: "card", idempotencyKey: "k1", scheduledAt: due.addingTimeInterval(1)))
        #expect(again.id == first.id && hub.instructions.count == 1, "a replay returns the first instruction")
        let other = await #expect(throws: HubError.self) { try await hub.submit(RenderSubmission(templateName: "other", idempotencyKey: "k1")) }
        #expect(other?.code == .conflict)
        let running = try await hub.submit(RenderSubmission(templateName: "card"))
        try hub.start(running.id)
        _ = try await hub.cancel(running.id)
        #expect(try hub.fail(running.id, error: "killed").status == .cancelled, "a failure of a cancel-requested render ends it cancelled")
    }

    @Test func playersAndCueSheetsAreSearchedAndListedAsTheHubDoes() async throws {
        let hub = InMemoryHub(
            players: [UnifiedPlayer(ref: "wsop:1", wsopPlayerKey: "P-1001", name: "José Ángel", sources: [.name: .wsop]),
                      UnifiedPlayer(ref: "gfx:2", name: "Daniel Negreanu", handsPlayed: 12)],
            cueSheets: [CueSheet(id: 3, sessionID: 1, name: "Day 2")],
            cueItems: [CueItem(id: 2, sheetID: 3, sessionID: 1, number: 2, cueType: .leaderboard, title: "Leaders", templateName: "lb"),
                       CueItem(id: 1, sheetID: 3, sessionID: 1, number: 1, cueType: .playerInfo, title: "Intro", templateName: "pi")])
        #expect(try await hub.players(matching: "jose angel").map(\.ref) == ["wsop:1"], "accents and case ignored")
        #expect(try await hub.players(matching: "P-1001").map(\.ref) == ["wsop:1"])
        #expect(try await hub.player("daniel negreanu").ref == "gfx:2")
        #expect(try await hub.player("P-1001").name == "José Ángel")
        await #expect(throws: HubError.self) { try await hub.players(matching: "  ") }
        #expect(try await hub.cueSheets(session: 1).map(\.name) == ["Day 2"])
        #expect(try await hub.cueItems(sheet: 3).map(\.number) == [1, 2])
        let noSheet = await #expect(throws: HubError.self) { try await hub.cueItems(sheet: 9) }
        #expect(noSheet?.code == .notFound)
    }

    @Test func eventsReachOnlyTheChannelsSubscribed() async throws {
        let hub = InMemoryHub()
        let stream = hub.events(channels: ["sync-status"])
        let received = Task { () -> [String] in
            var types: [String] = []
            for try await event in stream {
                types.append(event.type)
                if types.count == 1 { break }
            }
            return types
        }
        try await waitUntil("the stream to listen") { hub.listeners == 1 }
        _ = try await hub.submit(RenderSubmission(templateName: "t")) // render channels only
        hub.publish(HubEvent(type: "hand_created", data: ["hand_id": .integer(1)], source: "test"), on: ["sync-status"])
        #expect(try await received.value == ["hand_created"])
    }
}
