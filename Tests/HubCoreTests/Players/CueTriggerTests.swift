import Foundation
@testable import HubCore
import HubPostgres
import HubRedis
import HubTestSupport
import Testing

@Suite(.timeLimit(.minutes(3))) struct CueTriggerTests {
    typealias F = PlayerFixtures
    let url: String
    let endpoints: ServiceEndpoints
    let dispatch = DispatchConfiguration(stream: "test:cue:\(UUID().uuidString.prefix(8))", group: "ae-workers")

    init() async throws {
        url = try await scratchDatabaseURL()
        endpoints = try await TestServices.endpoints()
        let pool = try PostgresPool(url: url, maxConnections: 1)
        try await Migrator(pool: pool).up()
        await pool.close()
    }

    /// A director's desk on this database with the sample compositions, the two templates and an
    /// event of `players` players (chip counts 3,200,000, 3,100,000, …; one more eliminated at 0).
    func desk(players: Int) async throws -> (PostgresPool, RedisClient, CueDirector, event: String) {
        let pool = try PostgresPool(url: url, maxConnections: 4)
        let redis = try RedisClient(url: endpoints.redisURL)
        let director = CueDirector(queue: RenderQueue(store: RenderStore(pool: pool), redis: redis, dispatch: dispatch))
        try await director.queue.ensureGroup()
        _ = try await AEPStore(pool: pool).importDescription(try F.sampleDescription, sourceFile: nil, actor: "test")
        _ = try await director.store.saveTemplate(name: "leaderboard", cueType: .leaderboard, project: "WSOP_2026_Graphics", composition: "Leaderboard")
        _ = try await director.store.saveTemplate(name: "player_card", cueType: .playerInfo, project: "WSOP_2026_Graphics", composition: "PlayerCard")
        let event = try await F.event(pool, name: "Event #76")
        for n in 0...players {
            let id = try await F.wsopPlayer(pool, key: "P-\(n)", name: n == 0 ? "김민수" : "Player \(n)", country: n % 2 == 0 ? "KR" : "US")
            // An earlier count that the latest one replaces, then the latest; player `players` is out.
            try await F.chips(pool, event: event.id, player: id, 10, at: Date(timeIntervalSince1970: 1_783_000_000))
            try await F.chips(pool, event: event.id, player: id, n == players ? 0 : Int64(3_200_000 - n * 100_000),
                              at: Date(timeIntervalSince1970: 1_783_003_600))
        }
        return (pool, redis, director, event.key)
    }

    @Test func aThirtySlotLeaderboardIsBoundFromTheLatestChipCounts() async throws {
        let (pool, redis, director, event) = try await desk(players: 31)
        let session = try await director.createSession(name: "Day 2", eventKey: event, actor: "director")
        let sheet = try await director.createSheet(session: session.id, name: "Main", actor: "director")
        let item = try await director.addItem(sheet: sheet.id, template: "leaderboard", title: "Chip leaders")
        #expect(item.status == .pending && item.number == 1)

        let triggered = try await director.trigger(item.id, actor: "director")
        #expect(triggered.item.status == .queued && triggered.item.renderInstructionID == triggered.instruction.id)
        #expect(triggered.snapshot.rows.count == 30, "the composition's 30 slots of the 31 players still in")
        let layers = triggered.instruction.layerData
        #expect(layers["Name 1"] == .string("김민수") && layers["Chips 1"] == .string("3,200,000") && layers["Flag 1"] == .string("/srv/media/flags/KR.png"))
        #expect(layers["Name 30"] == .string("Player 29") && layers["Chips 30"] == .string("300,000") && layers["Rank 30"] == .string("30"))
        #expect(layers["Title"] == .string("Chip leaders") && layers["Event"] == .string("Event #76"))
        #expect(!layers.values.contains(.string("Player 31")), "the eliminated player is not on the board")
        #expect(triggered.instruction.trigger == .cueItem && triggered.instruction.cueItemID == item.id)
        #expect(triggered.instruction.templateName == "WSOP_2026_Graphics" && triggered.instruction.composition == "Leaderboard")
        let stored = try await pool.query("SELECT gfx_data, render_instruction_id FROM gfx_triggers WHERE cue_item_id = \(item.id)")
        #expect(stored.count == 1)
        #expect(try stored[0].decode(Int64.self, at: 1) == triggered.instruction.id)

        let again = await #expect(throws: HubError.self, "a cue in flight is not triggered twice") {
            try await director.trigger(item.id, actor: "director")
        }
        #expect(again?.code == .conflict)

        // Asking for more rows than the composition has slots is refused before anything is written.
        let tooMany = try await director.addItem(sheet: sheet.id, template: "leaderboard", data: ["top": .integer(31)])
        let before = try await F.count(pool, "render_instructions")
        let error = await #expect(throws: HubError.self) { try await director.trigger(tooMany.id, actor: "director") }
        #expect(error?.code == .usage && error?.message.contains("31 rows do not fit") == true, "\(error?.message ?? "")")
        #expect(try await F.count(pool, "render_instructions") == before)
        #expect(try await F.count(pool, "gfx_triggers") == 1)
        #expect(try await director.store.item(tooMany.id).status == .pending)
        await pool.close()
        await redis.close()
    }

    @Test func aTriggeredCueFollowsItsInstructionToCompletedWithLiveEvents() async throws {
        let (pool, redis, director, event) = try await desk(players: 5)
        let session = try await director.createSession(name: "Feature table", eventKey: event, actor: "director")
        let sheet = try await director.createSheet(session: session.id, name: "Main", actor: "director")
        let title = "Player card \(UUID().uuidString.prefix(6))"
        let item = try await director.addItem(sheet: sheet.id, template: "player_card", title: title, data: ["player": .string("김민수")])

        let listener = try RedisClient(url: endpoints.redisURL)
        let subscription = try await listener.subscribe(channels: [session.channel])
        let seen = LockedBox<[String]>([])
        let collector = Task {
            for await message in subscription {
                guard let event = try? HubEvent.decode(message.payload), event.type == "cue_item_updated",
                      event.data["id"] == .integer(item.id), event.data["title"] == .string(title),
                      case .string(let status)? = event.data["status"] else { continue }
                seen.withLock { $0.append(status) }
                if status == "completed" { break }
            }
        }
        let triggered = try await director.trigger(item.id, actor: "director")
        #expect(triggered.layers["Name"] == .string("김민수") && triggered.layers["Chips"] == .string("3,200,000"))
        #expect(triggered.layers["Rank"] == .string("1") && triggered.layers["Flag"] == .string("/srv/media/flags/KR.png"))
        #expect(triggered.layers["Photo"] == .string("/srv/media/profile/silhouette.png"), "no photo: the profile source's fallback")

        let worker = try WorkerHarness.start(databaseURL: url, redisURL: endpoints.redisURL, dispatch: dispatch,
                                             backend: NoopBackend(), concurrency: 1, name: "cue-\(UUID().uuidString.prefix(6))")
        try await waitUntil("the cue item to complete", timeout: 30) {
            try await director.store.item(item.id).status == .completed
        }
        try await waitUntil("the completed event", timeout: 10) { seen.withLock { $0.last == "completed" } }
        collector.cancel()
        let statuses = seen.withLock { $0 }
        #expect(statuses.first == "queued" && statuses.contains("rendering") && statuses.last == "completed", "\(statuses)")
        #expect(statuses.firstIndex(of: "rendering")! < statuses.firstIndex(of: "completed")!)
        let done = try await director.store.item(item.id)
        #expect(done.completedAt != nil && done.error == nil)
        #expect(try await RenderStore(pool: pool).instruction(triggered.instruction.id).status == .completed)

        // A finished cue can be taken again: a new instruction, the item queued again.
        let retake = try await director.trigger(item.id, actor: "director")
        #expect(retake.instruction.id != triggered.instruction.id && retake.item.status == .queued)
        try await waitUntil("the second take to complete", timeout: 30) { try await director.store.item(item.id).status == .completed }
        _ = try await worker.stop()
        await listener.close()
        await pool.close()
        await redis.close()
    }

    @Test func cueBadInputIsRefusedWithNothingWritten() async throws {
        let (pool, redis, director, event) = try await desk(players: 2)
        let session = try await director.createSession(name: "Day 3", eventKey: event, actor: "director")
        let sheet = try await director.createSheet(session: session.id, name: "Main", actor: "director")
        let unknown = try await director.addItem(sheet: sheet.id, template: "player_card", data: ["player": .string("Nobody Atall")])
        let error = await #expect(throws: HubError.self) { try await director.trigger(unknown.id, actor: "director") }
        #expect(error?.code == .notFound, "\(error?.message ?? "")")
        #expect(try await F.count(pool, "render_instructions") == 0)
        #expect(try await F.count(pool, "gfx_triggers") == 0)
        #expect(try await director.store.item(unknown.id).status == .pending)

        await #expect(throws: HubError.self, "an unknown parameter") {
            try await director.addItem(sheet: sheet.id, template: "leaderboard", data: ["players": .array([])])
        }
        await #expect(throws: HubError.self, "an unknown template") { try await director.addItem(sheet: sheet.id, template: "nope") }
        await #expect(throws: HubError.self, "an unknown event") { try await director.createSession(name: "x", eventKey: "NO-SUCH", actor: "d") }
        await #expect(throws: HubError.self, "a composition that is not registered") {
            try await director.store.saveTemplate(name: "ghost", cueType: .custom, project: "WSOP_2026_Graphics", composition: "Ghost")
        }
        let noEvent = try await director.createSession(name: "No event", eventKey: nil, actor: "director")
        let noEventSheet = try await director.createSheet(session: noEvent.id, name: "Main", actor: "director")
        let board = try await director.addItem(sheet: noEventSheet.id, template: "leaderboard")
        let needsEvent = await #expect(throws: HubError.self) { try await director.trigger(board.id, actor: "director") }
        #expect(needsEvent?.message.contains("has no WSOP+ event") == true)
        await #expect(throws: HubError.self, "ended before it started") { try await director.setSessionStatus(noEvent.id, to: .ended, actor: "d") }
        #expect(try await director.setSessionStatus(noEvent.id, to: .live, actor: "d").status == .live)
        #expect(try await F.count(pool, "render_instructions") == 0)

        // A description with a duplicate layer, or a media source nobody registered: nothing is written.
        let compositions = try await F.count(pool, "aep_compositions")
        let orphanMedia = try AEPDescription.parse(Data("""
            {"project": "Q", "compositions": [{"name": "Card", "fields": [{"key": "photo", "kind": "image", "media": "headshot"}]}]}
            """.utf8))
        await #expect(throws: HubError.self) {
            try await AEPStore(pool: pool).importDescription(orphanMedia, sourceFile: "q.json", actor: "test")
        }
        #expect(try await F.count(pool, "aep_compositions") == compositions)
        await pool.close()
        await redis.close()
    }
}
