import Foundation
@testable import HubCore
import HubPostgres
import HubRedis
import HubTestSupport
import Testing

/// Automatic graphics end to end (GRAPHICS.md §5): a PokerGFX export is imported, the session's
/// rules fire for the events of its new hands, the instructions are rendered by a worker with the
/// preview backend and the cue items follow them to completed with live events; a re-import fires
/// nothing and a grown re-export fires only its new events.
@Suite(.timeLimit(.minutes(3))) struct CueRuleEndToEndTests {
    let url: String
    let endpoints: ServiceEndpoints
    let dispatch = DispatchConfiguration(stream: "test:rules:\(UUID().uuidString.prefix(8))", group: "ae-workers")
    static let game: Int64 = 638_970_000_000_000_001

    init() async throws {
        url = try await scratchDatabaseURL()
        endpoints = try await TestServices.endpoints()
        let pool = try PostgresPool(url: url, maxConnections: 1)
        try await Migrator(pool: pool).up()
        await pool.close()
    }

    /// The repository's shipped catalog.
    static var catalog: GraphicsCatalog {
        get throws {
            let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            return try GraphicsCatalog.parse(try Data(contentsOf: root.appendingPathComponent("Graphics/catalog.json")))
        }
    }

    /// One seat of a constructed hand: (seat, name, end stack, elimination rank).
    typealias Seat = (seat: Int, name: String, stack: Int64, rank: Int)

    /// A four-handed final table: seat 4 busts in hand 3 (rank 4, sticking on later hands with 0
    /// chips), the blinds go up at hand 4, seat 3 busts in hand 5 (rank 3), heads-up after.
    static let hands: [(number: Int, sb: Int64, bb: Int64, seats: [Seat])] = [
        (1, 10_000, 20_000, [(1, "Alice", 1_000_000, -1), (2, "Bob", 800_000, -1), (3, "Carol", 600_000, -1), (4, "Dave", 400_000, -1)]),
        (2, 10_000, 20_000, [(1, "Alice", 1_100_000, -1), (2, "Bob", 700_000, -1), (3, "Carol", 600_000, -1), (4, "Dave", 400_000, -1)]),
        (3, 10_000, 20_000, [(1, "Alice", 1_500_000, -1), (2, "Bob", 700_000, -1), (3, "Carol", 600_000, -1), (4, "Dave", 0, 4)]),
        (4, 15_000, 30_000, [(1, "Alice", 1_400_000, -1), (2, "Bob", 800_000, -1), (3, "Carol", 600_000, -1), (4, "Dave", 0, 4)]),
        (5, 15_000, 30_000, [(1, "Alice", 2_000_000, -1), (2, "Bob", 800_000, -1), (3, "Carol", 0, 3), (4, "Dave", 0, 4)]),
        (6, 15_000, 30_000, [(1, "Alice", 1_900_000, -1), (2, "Bob", 900_000, -1), (3, "Carol", 0, 3), (4, "Dave", 0, 4)]),
    ]

    /// Writes the export with its first `count` hands (a growing session re-exported) into `folder`.
    static func writeExport(hands count: Int, to folder: URL) throws {
        let start = Date(timeIntervalSince1970: 1_765_000_000)
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let hands: [[String: Any]] = Self.hands.prefix(count).map { hand in
            [
                "HandNum": hand.number, "StartDateTimeUTC": formatter.string(from: start.addingTimeInterval(Double(hand.number) * 120)),
                "Duration": "PT1M30S", "GameVariant": "HOLDEM", "GameClass": "FLOP", "BetStructure": "NOLIMIT", "AnteAmt": 0, "BombPotAmt": 0,
                "NumBoards": 1, "RunItNumTimes": 1, "Description": "",
                "FlopDrawBlinds": ["AnteType": "BB_ANTE_BB1ST", "BigBlindAmt": hand.bb, "SmallBlindAmt": hand.sb, "BlindLevel": 0,
                                   "ButtonPlayerNum": 1, "BigBlindPlayerNum": 2, "SmallBlindPlayerNum": 1, "ThirdBlindAmt": 0, "ThirdBlindPlayerNum": 0],
                "Players": hand.seats.map { seat -> [String: Any] in
                    ["PlayerNum": seat.seat, "Name": seat.name, "LongName": "", "HoleCards": [""], "StartStackAmt": seat.stack, "EndStackAmt": seat.stack,
                     "CumulativeWinningsAmt": 0, "BlindBetStraddleAmt": 0, "SittingOut": false, "EliminationRank": seat.rank,
                     "VPIPPercent": 25.0, "PreFlopRaisePercent": 10, "AggressionFrequencyPercent": 0, "WentToShowDownPercent": 0]
                },
                "Events": [] as [Any],
            ]
        }
        let export: [String: Any] = [
            "ID": game, "CreatedDateTimeUTC": "2025-12-06T05:46:40Z", "EventTitle": "FINAL TABLE", "Type": "FEATURE_TABLE",
            "SoftwareVersion": "PokerGFX 3.2", "Payouts": [1000, 500, 300, 200], "Hands": hands,
        ]
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try JSONSerialization.data(withJSONObject: export, options: [.sortedKeys])
            .write(to: folder.appendingPathComponent("PGFX_live_data_export GameID=\(game).json"))
    }

    /// One pass of hub-sync: import, grade, fire the rules for the graded hands.
    func sync(_ folder: URL, pool: PostgresPool, director: CueDirector) async throws -> CueRuleEngine.Report {
        let runner = SyncRunner(pool: pool, events: nil)
        let result = await runner.syncGFX(directories: [folder.path], table: "FT")
        #expect(result.status == "completed", "\(result)")
        _ = try await runner.grade()
        return try await CueRuleEngine(director: director).firePending()
    }

    static func automaticItems(_ director: CueDirector, session: Int64) async throws -> [CueItem] {
        try await director.store.items(sheet: try await CueRuleEngine(director: director).sheet(session: session, actor: "test"))
    }

    @Test func rulesFireOncePerEventThroughImportRenderAndLiveEvents() async throws {
        let pool = try PostgresPool(url: url, maxConnections: 6)
        let redis = try RedisClient(url: endpoints.redisURL)
        let director = CueDirector(queue: RenderQueue(store: RenderStore(pool: pool), redis: redis, dispatch: dispatch))
        try await director.queue.ensureGroup()
        _ = try await GraphicsStore(pool: pool).load(try Self.catalog, sourceFile: nil, actor: "test")
        let session = try await director.createSession(name: "Final table", eventKey: nil, tableID: "FT", actor: "director")
        let rules = CueRuleStore(pool: pool)
        let elimination = try await rules.add(session: session.id, table: "FT", on: .elimination, composition: "Elimination", actor: "director")
        let every = try await rules.add(session: session.id, table: "FT", on: .every(3), composition: "_MAIN Mini Chip Count", actor: "director")
        let level = try await rules.add(session: session.id, table: "FT", on: try CueRuleEvent(parsing: "level_change"),
                                        composition: "Block Transition Level-Blinds", actor: "director")

        let listener = try RedisClient(url: endpoints.redisURL)
        let subscription = try await listener.subscribe(channels: [session.channel])
        let seen = LockedBox<[Int64: [String]]>([:])
        let collector = Task {
            for await message in subscription {
                guard let event = try? HubEvent.decode(message.payload), event.type == "cue_item_updated",
                      case .integer(let id)? = event.data["id"], case .string(let status)? = event.data["status"] else { continue }
                seen.withLock { $0[id, default: []].append(status) }
            }
        }

        let root = FileManager.default.temporaryDirectory.appendingPathComponent("hub-rules-\(UUID())")
        let folder = root.appendingPathComponent("FT")
        try Self.writeExport(hands: 4, to: folder)
        let first = try await sync(root, pool: pool, director: director)
        #expect(first.instructions.count == 3, "Dave's elimination (hand 3), every 3rd hand (hand 3), the level change (hand 4): \(first)")
        #expect(first.refused.isEmpty, "\(first.refused)")

        let worker = try WorkerHarness.start(databaseURL: url, redisURL: endpoints.redisURL, dispatch: dispatch,
                                             backend: try PreviewBackend(), concurrency: 2, name: "rules-\(UUID().uuidString.prefix(6))")
        let items = { @Sendable () async throws -> [CueItem] in try await Self.automaticItems(director, session: session.id) }
        try await waitUntil("the automatic graphics to complete", timeout: 60) {
            let all = try await items()
            return all.count == 3 && all.allSatisfy { $0.status == .completed }
        }

        // The elimination graphic: Dave, 4th, the session's payout of 4th place (dollars).
        let out = try await pool.query("""
            SELECT i.layer_data::text FROM render_instructions i JOIN cue_rule_firings f ON f.render_instruction_id = i.id WHERE f.rule_id = \(elimination.id)
            """)
        #expect(out.count == 1)
        let document = try #require(GFXDataDocument(layerData: try JSONValue.parse(try out[0].decode(String.self, at: 0)).objectValue ?? [:]))
        #expect(document.singleFields["name"] == "DAVE" && document.singleFields["rank"] == "4" && document.singleFields["prize"] == "$200", "\(document.singleFields)")
        #expect(document.metadata.handNum == 3 && document.compName == "Elimination")

        // Every item went queued → … → completed on broadcast-{id}, as it happened.
        try await waitUntil("the completed events", timeout: 10) {
            let ids = try await items().map(\.id)
            return seen.withLock { events in ids.allSatisfy { events[$0]?.last == "completed" } }
        }
        for item in try await items() {
            let statuses = seen.withLock { $0[item.id] ?? [] }
            #expect(statuses.first == "pending" && statuses.contains("queued") && statuses.last == "completed", "\(item.title): \(statuses)")
        }

        // The same file again: nothing new, nothing fired.
        let again = try await sync(root, pool: pool, director: director)
        #expect(again.instructions.isEmpty && again.alreadyFired == 0)
        // Firing the same hands again (a crashed run retried) fires nothing twice.
        let handIDs = try await pool.query("SELECT id FROM gfx_hands").map { try $0.decode(Int64.self, at: 0) }
        let retried = try await CueRuleEngine(director: director).fire(handIDs: handIDs)
        #expect(retried.instructions.isEmpty && retried.alreadyFired == 3, "\(retried)")

        #expect(try await pool.query("SELECT count(*) FROM gfx_hands WHERE rules_checked_at IS NULL")[0].decode(Int.self, at: 0) == 0,
                "every graded hand was looked at")

        // The grown re-export: Carol's elimination (hand 5) and hand 6 fire; Dave's sticky rank does not.
        try Self.writeExport(hands: 6, to: folder)
        let grown = try await sync(root, pool: pool, director: director)
        #expect(grown.instructions.count == 2, "\(grown)")
        let firings = try await pool.query("SELECT rule_id, event_key FROM cue_rule_firings ORDER BY id").map {
            (try $0.decode(Int64.self, at: 0), try $0.decode(String.self, at: 1))
        }
        #expect(firings.filter { $0.0 == elimination.id }.map(\.1) == ["elimination:\(Self.game):4:dave", "elimination:\(Self.game):3:carol"])
        #expect(firings.filter { $0.0 == every.id }.count == 2 && firings.filter { $0.0 == level.id }.count == 1)
        try await waitUntil("the grown export's graphics to complete", timeout: 60) {
            let all = try await items()
            return all.count == 5 && all.allSatisfy { $0.status == .completed }
        }
        let outputs = try await pool.query("SELECT count(*) FROM render_outputs o JOIN cue_rule_firings f ON f.render_instruction_id = o.instruction_id")
        #expect(try outputs[0].decode(Int.self, at: 0) == 5, "one output per fired graphic")

        _ = try await worker.stop()
        collector.cancel()
        await listener.close()
        try? FileManager.default.removeItem(at: root)
        await pool.close()
        await redis.close()
    }

    @Test func aRuleSeesOnlyHandsImportedAfterItAndAPassingFailureIsNotARefusal() async throws {
        let pool = try PostgresPool(url: url, maxConnections: 4)
        let redis = try RedisClient(url: endpoints.redisURL)
        let director = CueDirector(queue: RenderQueue(store: RenderStore(pool: pool), redis: redis, dispatch: dispatch))
        _ = try await GraphicsStore(pool: pool).load(try Self.catalog, sourceFile: nil, actor: "test")
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("hub-rules-\(UUID())")
        try Self.writeExport(hands: 4, to: root.appendingPathComponent("FT"))
        let before = try await sync(root, pool: pool, director: director)
        #expect(before.instructions.isEmpty && before.handsChecked == 0, "no rule yet: the import marked the hands checked: \(before)")
        #expect(try await pool.query("SELECT count(*) FROM gfx_hands WHERE rules_checked_at IS NULL")[0].decode(Int.self, at: 0) == 0)
        let session = try await director.createSession(name: "Final table", eventKey: nil, tableID: "FT", actor: "director")
        _ = try await CueRuleStore(pool: pool).add(session: session.id, table: "FT", on: .every(1), composition: "_MAIN Mini Chip Count", actor: "director")
        try await pool.execute("UPDATE gfx_hands SET rules_checked_at = NULL")
        let replayed = try await CueRuleEngine(director: director).firePending()
        #expect(replayed.instructions.isEmpty, "a new rule does not replay hands imported before it: \(replayed)")

        // A graphic about one player needs an event that names one.
        let noPlayer = await #expect(throws: HubError.self) {
            try await CueRuleStore(pool: pool).add(session: session.id, table: "FT", on: .levelChange, composition: "NAME", actor: "director")
        }
        #expect(noPlayer?.code == .usage && noPlayer?.message.contains("names none") == true, "\(noPlayer?.message ?? "")")
        let notElimination = await #expect(throws: HubError.self) {
            try await CueRuleStore(pool: pool).add(session: session.id, table: "FT", on: .chipLeader, composition: "Elimination", actor: "director")
        }
        #expect(notElimination?.code == .usage)
        #expect(CueRuleEngine.isLasting(HubError(.refused, "no payouts")) && CueRuleEngine.isLasting(HubError(.notFound, "no player")))
        #expect(!CueRuleEngine.isLasting(HubError(.unavailable, "connection reset")), "a lost connection is tried again, not recorded")
        try? FileManager.default.removeItem(at: root)
        await pool.close()
        await redis.close()
    }

    @Test func aRefusedGraphicIsRecordedOnceWithItsReason() async throws {
        let pool = try PostgresPool(url: url, maxConnections: 4)
        let redis = try RedisClient(url: endpoints.redisURL)
        let director = CueDirector(queue: RenderQueue(store: RenderStore(pool: pool), redis: redis, dispatch: dispatch))
        try await director.queue.ensureGroup()
        _ = try await GraphicsStore(pool: pool).load(try Self.catalog, sourceFile: nil, actor: "test")
        let session = try await director.createSession(name: "Final table", eventKey: nil, tableID: "FT", actor: "director")
        // The Reporter graphic needs a reporter; the session has none.
        _ = try await CueRuleStore(pool: pool).add(session: session.id, table: "FT", on: .every(2), composition: "Reporter", actor: "director")
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("hub-rules-\(UUID())")
        try Self.writeExport(hands: 4, to: root.appendingPathComponent("FT"))
        let report = try await sync(root, pool: pool, director: director)
        #expect(report.instructions.isEmpty && report.refused.count == 2, "hands 2 and 4: \(report)")
        #expect(report.refused.allSatisfy { $0.contains("Reporter") && $0.contains("reporter") }, "\(report.refused)")
        let failed = try await pool.query("SELECT count(*) FROM cue_items WHERE status = 'failed' AND error LIKE '%reporter%'")
        #expect(try failed[0].decode(Int.self, at: 0) == 2)
        let handIDs = try await pool.query("SELECT id FROM gfx_hands").map { try $0.decode(Int64.self, at: 0) }
        let retried = try await CueRuleEngine(director: director).fire(handIDs: handIDs)
        #expect(retried.refused.isEmpty && retried.alreadyFired == 2, "a refused event is not retried on every import")
        #expect(try await pool.query("SELECT count(*) FROM render_instructions")[0].decode(Int.self, at: 0) == 0)
        try? FileManager.default.removeItem(at: root)
        await pool.close()
        await redis.close()
    }
}
