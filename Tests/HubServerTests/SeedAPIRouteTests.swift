import Foundation
import HubCore
import HubPostgres
import HubRedis
import HubServerCore
import HubTestSupport
import Hummingbird
import HummingbirdTesting
import Testing

/// The routes of seed 004 §9 that were missing (issue 15): manual players (`POST /api/v1/players`,
/// `PATCH /api/v1/players/{ref}`), `GET /api/v1/players/search?q=`, an event's players and
/// standings, `PATCH /api/v1/items/{id}/status`, `GET /api/v1/sessions/{id}/sheets` and
/// notifications list/read — through the real HTTP server on real PostgreSQL and Redis, on the
/// bundled WSOP+ export.
@Suite struct SeedAPIRouteTests {
    /// A server whose only media root is a fresh folder, with the WSOP+ sample imported.
    static func prepared() async throws -> (ServerHarness, media: URL) {
        let media = FileManager.default.temporaryDirectory.appendingPathComponent("seed-api-media-\(UUID())")
        try FileManager.default.createDirectory(at: media, withIntermediateDirectories: true)
        let harness = try await ServerHarness.make(environment: ["HUB_MEDIA_ROOTS": media.path])
        let report = try await WSOPImporter(pool: harness.clients.database).importFiles(try WSOPImporter.scan(EventRouteTests.wsopSample.path))
        #expect(report.counts.filesFailed == 0, "\(report.counts.errors)")
        return (harness, media)
    }

    /// A 1×1 PNG written to `folder`.
    static func photo(in folder: URL) throws -> String {
        let url = folder.appendingPathComponent("photo-\(UUID()).png")
        try Data(base64Encoded: "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")!.write(to: url)
        return url.path
    }

    /// Collects the events published on `channels` until cancelled.
    final class Events: Sendable {
        let received = LockedBox<[HubEvent]>([])
        let task: Task<Void, Never>

        init(_ redis: RedisClient, channels: [String]) async throws {
            let subscription = try await redis.subscribe(channels: channels)
            let received = self.received
            task = Task {
                for await message in subscription {
                    if let event = try? HubEvent.decode(message.payload) { received.withLock { $0.append(event) } }
                }
            }
        }

        var all: [HubEvent] { received.withLock { $0 } }
    }

    static func count(_ pool: PostgresPool, _ query: PostgresQuery) async throws -> Int {
        try await pool.query(query)[0].decode(Int.self, at: 0)
    }

    @Test func manualPlayersAreCreatedUpdatedAndFound() async throws {
        let (harness, media) = try await Self.prepared()
        let pool = harness.clients.database
        let photo = try Self.photo(in: media)
        let outside = try Self.photo(in: FileManager.default.temporaryDirectory)
        try await harness.run(waitForLiveFeed: false) { client in
            // Create: every value given is a manual value; the activity log records the new player.
            let created = try await client.send(.post, "/api/v1/players", json: """
                {"name":"Minsu Park","name_korean":"박민수","country_code":"KR","bio":"Seoul grinder","profile_image":"\(photo)","reason":"feature table"}
                """)
            #expect(created.status == .created, "\(created.text)")
            let player = try created.json()
            let ref = try #require(player["ref"] as? String)
            #expect(ref.hasPrefix("wsop:"))
            #expect(player["name"] as? String == "Minsu Park" && player["name_korean"] as? String == "박민수")
            #expect(player["country_code"] as? String == "KR" && player["profile_image"] as? String == photo)
            let sources = try #require(player["sources"] as? [String: String])
            #expect(sources["name"] == "manual" && sources["country_code"] == "manual" && sources["profile_image"] == "manual" && sources["bio"] == "manual")
            #expect((player["wsop_player_key"] as? String)?.hasPrefix("M-") == true)
            #expect(try await Self.count(pool, "SELECT count(*) FROM activity_log WHERE action = 'new_player' AND entity_id = \(ref) AND actor = 'user:operator' AND details->>'source' = 'manual'") == 1)

            // With a WSOP+ id: a second player with it is a conflict.
            let keyed = try await client.send(.post, "/api/v1/players", json: #"{"name":"Kim Nam","wsop_player_key":"P-9001"}"#)
            #expect(keyed.status == .created)
            #expect(try keyed.json()["wsop_player_key"] as? String == "P-9001")
            let duplicate = try await client.send(.post, "/api/v1/players", json: #"{"name":"Other","wsop_player_key":"P-9001"}"#)
            #expect(duplicate.status == .conflict && duplicate.errorCode == "CONFLICT")

            // Bad input: 400 naming the field, 422 for a photo outside the media roots; nothing stored.
            let before = try await Self.count(pool, "SELECT count(*) FROM wsop_players")
            for (body, field) in [(#"{"name_korean":"이름"}"#, "name"), (#"{"name":"  "}"#, "name"), (#"{"name":"A","country_code":"korea"}"#, "country_code"),
                                  (#"{"name":"A","nickname":"x"}"#, "nickname"), (#"{"name":42}"#, "name"), (#"{"name":"A","wsop_player_key":"bad key!"}"#, "wsop_player_key"),
                                  (#"["name"]"#, "JSON")] {
                let refused = try await client.send(.post, "/api/v1/players", json: body)
                #expect(refused.status == .badRequest && refused.errorCode == "VALIDATION_ERROR", "\(body): \(refused.status)")
                #expect(refused.text.contains(field), "\(body): \(refused.text)")
            }
            let outsidePhoto = try await client.send(.post, "/api/v1/players", json: #"{"name":"A","profile_image":"\#(outside)"}"#)
            #expect(outsidePhoto.status == .unprocessableContent && outsidePhoto.errorCode == "REFUSED", "\(outsidePhoto.text)")
            let notAnImage = media.appendingPathComponent("notes.png")
            try Data("not a picture".utf8).write(to: notAnImage)
            let damaged = try await client.send(.post, "/api/v1/players", json: #"{"name":"A","profile_image":"\#(notAnImage.path)"}"#)
            #expect(damaged.status == .badRequest && damaged.errorCode == "VALIDATION_ERROR")
            #expect(try await Self.count(pool, "SELECT count(*) FROM wsop_players") == before)

            // Update: a WSOP+ player's values by hand, by any reference.
            let patched = try await client.send(.patch, "/api/v1/players/P-1003", json: #"{"notable_wins":"10 bracelets","name_korean":"필 아이비","reason":"graphics"}"#)
            #expect(patched.status == .ok, "\(patched.text)")
            let ivey = try patched.json()
            #expect(ivey["name"] as? String == "Phil Ivey" && ivey["notable_wins"] as? String == "10 bracelets" && ivey["name_korean"] as? String == "필 아이비")
            #expect((ivey["sources"] as? [String: String])?["name"] == "wsop")
            let renamed = try await client.send(.patch, "/api/v1/players/\(ref)", json: #"{"name":"Park Minsu"}"#).json()
            #expect(renamed["name"] as? String == "Park Minsu" && renamed["bio"] as? String == "Seoul grinder")
            #expect(try await Self.count(pool, "SELECT count(*) FROM activity_log WHERE action = 'player_update'") == 2)
            let nothing = try await client.send(.patch, "/api/v1/players/P-1003", json: "{}")
            #expect(nothing.status == .badRequest && nothing.text.contains("nothing to change"))
            let badCountry = try await client.send(.patch, "/api/v1/players/P-1003", json: #"{"country_code":"u"}"#)
            #expect(badCountry.status == .badRequest && badCountry.errorCode == "VALIDATION_ERROR")
            let creatingKey = try await client.send(.patch, "/api/v1/players/P-1003", json: #"{"wsop_player_key":"P-1"}"#)
            #expect(creatingKey.status == .badRequest)
            let unknown = try await client.send(.patch, "/api/v1/players/wsop:987654", json: #"{"bio":"x"}"#)
            #expect(unknown.status == .notFound && unknown.errorCode == "NOT_FOUND")

            // Search: case-insensitive, accents ignored for source names, exact names first, limited.
            let search = try await client.send(.get, "/api/v1/players/search?q=PARK")
            #expect(search.status == .ok, "/players/search is a route, not the player called search")
            let patchSearch = try await client.send(.patch, "/api/v1/players/search", json: #"{"bio":"x"}"#)
            #expect(patchSearch.status == .methodNotAllowed && patchSearch.headers[.allow] == "GET", "the literal path wins over {ref}, as in the router")
            #expect((try search.json()["players"] as? [[String: Any]])?.map { $0["name"] as? String } == ["Park Minsu"])
            let jose = try await client.send(.get, "/api/v1/players/search?q=jose").json()["players"] as? [[String: Any]]
            #expect(jose?.map { $0["name"] as? String } == ["José Álvarez"])
            let korean = try await client.send(.get, "/api/v1/players/search?q=%EB%B0%95").json()["players"] as? [[String: Any]]
            #expect(korean?.map { $0["ref"] as? String } == [ref], "Korean names are searched")
            let byKey = try await client.send(.get, "/api/v1/players/search?q=p-100&limit=2").json()["players"] as? [[String: Any]]
            #expect(byKey?.count == 2)
            let quote = try await client.send(.get, "/api/v1/players/search?q=%27%20OR%201%3D1%20--").json()["players"] as? [[String: Any]]
            #expect(quote?.isEmpty == true, "the text is a bound parameter")
            for uri in ["/api/v1/players/search", "/api/v1/players/search?q=%20", "/api/v1/players/search?q=a&limit=0"] {
                let bad = try await client.send(.get, uri)
                #expect(bad.status == .badRequest && bad.errorCode == "VALIDATION_ERROR", "\(uri)")
            }

            // Without credentials: 401, nothing created.
            let port = try #require(client.port)
            #expect(HTTPProbe.get(port: port, path: "/api/v1/players", method: "POST")?.status == 401)
            #expect(HTTPProbe.get(port: port, path: "/api/v1/players/P-1003", method: "PATCH")?.status == 401)
            #expect(HTTPProbe.get(port: port, path: "/api/v1/players/search?q=park")?.status == 401)
        }
    }

    @Test func anEventsPlayersAndStandings() async throws {
        let (harness, _) = try await Self.prepared()
        try await harness.run(waitForLiveFeed: false) { client in
            let field = try await client.send(.get, "/api/v1/events/WSOP-2026-E76/players")
            #expect(field.status == .ok)
            let body = try field.json()
            #expect((body["event"] as? [String: Any])?["event_key"] as? String == "WSOP-2026-E76")
            let players = try #require(body["players"] as? [[String: Any]])
            #expect(players.map { $0["player_key"] as? String } == ["P-1001", "P-1002", "P-1003", "P-1004", "P-1005"], "most chips first, the eliminated last")
            #expect(players.map { $0["status"] as? String } == ["active", "active", "active", "active", "eliminated"])
            #expect(players.first?["chips"] as? Int == 1_500_000 && players.first?["table"] as? String == "12" && players.first?["seat"] as? Int == 3)
            #expect((players.first?["ref"] as? String)?.hasPrefix("wsop:") == true)
            let out = try await client.send(.get, "/api/v1/events/WSOP-2026-E76/players?status=eliminated").json()["players"] as? [[String: Any]]
            #expect(out?.map { $0["name"] as? String } == ["Ole Schemion"])
            let eventID = try #require((body["event"] as? [String: Any])?["id"] as? Int)
            let limited = try await client.send(.get, "/api/v1/events/\(eventID)/players?limit=2").json()["players"] as? [Any]
            #expect(limited?.count == 2)

            let standings = try await client.send(.get, "/api/v1/events/WSOP-2026-E76/standings")
            #expect(standings.status == .ok)
            let table = try standings.json()
            #expect(table["snapshot_at"] as? String == "2026-07-10T18:00:00.000Z")
            let rows = try #require(table["standings"] as? [[String: Any]])
            #expect(rows.map { $0["rank"] as? Int } == [1, 2, 3, 4, 5])
            #expect(rows.map { $0["name"] as? String } == ["김민수", "Daniel Negreanu", "Phil Ivey", "José Álvarez", "Ole Schemion"])
            #expect(rows.last?["prize"] as? Int == 15_000 && rows.first?["chips"] as? Int == 1_500_000)
            let none = try await client.send(.get, "/api/v1/events/WSOP-2026-E77/standings").json()
            #expect(none["snapshot_at"] is NSNull && (none["standings"] as? [Any])?.isEmpty == true)

            for uri in ["/api/v1/events/WSOP-1999-E1/players", "/api/v1/events/WSOP-1999-E1/standings"] {
                let missing = try await client.send(.get, uri)
                #expect(missing.status == .notFound && missing.errorCode == "NOT_FOUND", "\(uri)")
            }
            let badStatus = try await client.send(.get, "/api/v1/events/WSOP-2026-E76/players?status=busted")
            #expect(badStatus.status == .badRequest && badStatus.errorCode == "VALIDATION_ERROR")
            let port = try #require(client.port)
            #expect(HTTPProbe.get(port: port, path: "/api/v1/events/WSOP-2026-E76/standings")?.status == 401)
        }
    }

    @Test func sessionSheetsAndAnItemsStatusByHand() async throws {
        let harness = try await CueRouteTests.prepared()
        let pool = harness.clients.database
        let director = CueDirector(queue: harness.server.queue)
        let session = try await director.createSession(name: "Day 2", eventKey: "WSOP-2026-E76", actor: "test")
        let main = try await director.createSheet(session: session.id, name: "Main", actor: "test")
        let backup = try await director.createSheet(session: session.id, name: "Backup", actor: "test")
        let item = try await director.addItem(sheet: main.id, template: "leaderboard", data: ["top": .integer(3)])
        let events = try await Events(harness.clients.redis, channels: [session.channel])
        try await harness.run { client in
            let sheets = try await client.send(.get, "/api/v1/sessions/\(session.id)/sheets")
            #expect(sheets.status == .ok)
            #expect((try sheets.json()["sheets"] as? [[String: Any]])?.map { $0["id"] as? Int } == [Int(main.id), Int(backup.id)])
            #expect(try await client.send(.get, "/api/v1/sessions/987654/sheets").status == .notFound)

            let done = try await client.send(.patch, "/api/v1/items/\(item.id)/status", json: #"{"status":"completed","reason":"played live"}"#)
            #expect(done.status == .ok, "\(done.text)")
            #expect(try done.json()["status"] as? String == "completed")
            try await waitUntil("cue_item_updated (completed) on the session channel") {
                events.all.contains { $0.type == "cue_item_updated" && $0.data["status"] == .string("completed") && $0.data["id"] == .integer(item.id) }
            }
            #expect(try await Self.count(pool, "SELECT count(*) FROM activity_log WHERE action = 'cue_item_status' AND entity_id = \(String(item.id))") == 1)
            let rearmed = try await client.send(.patch, "/api/v1/items/\(item.id)/status", json: #"{"status":"pending"}"#).json()
            #expect(rearmed["status"] as? String == "pending" && rearmed["completed_at"] == nil)

            for (body, status) in [(#"{"status":"rendering"}"#, 400), (#"{"status":"done"}"#, 400), ("{}", 400), (#"{"status":"cancelled"}"#, 200)] {
                let answer = try await client.send(.patch, "/api/v1/items/\(item.id)/status", json: body)
                #expect(Int(answer.status.code) == status, "\(body): \(answer.text)")
            }
            // In flight: the render instruction moves it, not the operator.
            _ = try await client.send(.patch, "/api/v1/items/\(item.id)/status", json: #"{"status":"pending"}"#)
            #expect(try await client.send(.post, "/api/v1/items/\(item.id)/trigger").status == .created)
            let busy = try await client.send(.patch, "/api/v1/items/\(item.id)/status", json: #"{"status":"completed"}"#)
            #expect(busy.status == .conflict && busy.errorCode == "CONFLICT")
            let missing = try await client.send(.patch, "/api/v1/items/987654/status", json: #"{"status":"completed"}"#)
            #expect(missing.status == .notFound)
            let port = try #require(client.port)
            #expect(HTTPProbe.get(port: port, path: "/api/v1/items/\(item.id)/status", method: "PATCH")?.status == 401)
            #expect(HTTPProbe.get(port: port, path: "/api/v1/sessions/\(session.id)/sheets")?.status == 401)
        }
        events.task.cancel()
    }

    @Test func notificationsAreListedAndMarkedRead() async throws {
        let harness = try await ServerHarness.make()
        let pool = harness.clients.database
        let notifier = Notifier(pool: pool, events: harness.server.queue.events)
        let first = try #require(try await notifier.notify(.syncCompleted(source: "gfx")))
        let second = try #require(try await notifier.notify(.jobFailed(id: 7, template: "leaderboard", error: "aerender exited 1")))
        let events = try await Events(harness.clients.redis, channels: [Notifier.channel])
        try await harness.run { client in
            let all = try await client.send(.get, "/api/v1/notifications")
            #expect(all.status == .ok)
            let listed = try #require(try all.json()["notifications"] as? [[String: Any]])
            #expect(listed.map { $0["id"] as? Int } == [Int(second.id), Int(first.id)], "newest first")
            #expect(listed.first?["rule"] as? String == "job_failed" && listed.first?["read_at"] is NSNull)
            #expect(listed.first?["webhook_status"] as? String == "none")

            let read = try await client.send(.post, "/api/v1/notifications/\(first.id)/read")
            #expect(read.status == .ok, "\(read.text)")
            let marked = try #require(try read.json()["notification"] as? [String: Any])
            #expect(marked["read_at"] is String)
            try await waitUntil("notification_read on the notifications channel") {
                events.all.contains { $0.type == Notifier.readEvent && $0.data["id"] == .integer(first.id) && $0.data["read_by"] == .string("user:operator") }
            }
            let unread = try await client.send(.get, "/api/v1/notifications?unread=true").json()["notifications"] as? [[String: Any]]
            #expect(unread?.map { $0["id"] as? Int } == [Int(second.id)])

            // PATCH does the same; marking again keeps the first read_at and publishes nothing new.
            #expect(try await client.send(.patch, "/api/v1/notifications/\(second.id)/read", json: "{}").status == .ok)
            let again = try await client.send(.post, "/api/v1/notifications/\(first.id)/read").json()["notification"] as? [String: Any]
            #expect(again?["read_at"] as? String == marked["read_at"] as? String)
            try await waitUntil("the second notification_read") { events.all.filter { $0.type == Notifier.readEvent }.count == 2 }
            #expect((try await client.send(.get, "/api/v1/notifications?unread=1").json()["notifications"] as? [Any])?.isEmpty == true)
            #expect(try await Self.count(pool, "SELECT count(*) FROM activity_log WHERE action = 'notification_read'") == 2)

            #expect(try await client.send(.post, "/api/v1/notifications/987654/read").status == .notFound)
            #expect(try await client.send(.get, "/api/v1/notifications?unread=maybe").status == .badRequest)
            let port = try #require(client.port)
            #expect(HTTPProbe.get(port: port, path: "/api/v1/notifications")?.status == 401)
            #expect(HTTPProbe.get(port: port, path: "/api/v1/notifications/\(first.id)/read", method: "POST")?.status == 401)
        }
        #expect(events.all.filter { $0.type == Notifier.readEvent }.count == 2, "no event for a notification already read")
        events.task.cancel()
    }

    @Test func importersRaiseTheNewPlayerRuleOncePerNewPlayer() async throws {
        let harness = try await ServerHarness.make()
        let pool = harness.clients.database
        let samples = TestServices.repositoryRoot.appendingPathComponent("Samples/gfx/GG")
        let names = try FileManager.default.contentsOfDirectory(atPath: samples.path).filter { $0.hasSuffix(".json") }.sorted()
        try #require(names.count == 2)
        /// Imports `data` as `name` from a folder of its own (table GG).
        func importGFX(_ data: Data, as name: String) async throws {
            let root = FileManager.default.temporaryDirectory.appendingPathComponent("seed-api-gfx-\(UUID())")
            try FileManager.default.createDirectory(at: root.appendingPathComponent("GG"), withIntermediateDirectories: true)
            try data.write(to: root.appendingPathComponent("GG/\(name)"))
            let report = try await GFXImporter(pool: pool).importFiles(try GFXScanner.scan([root.path]))
            #expect(report.counts.filesFailed == 0)
        }
        /// Players without exactly one new_player entry.
        func playersWithoutOneEntry() async throws -> Int {
            try await Self.count(pool, """
                SELECT count(*) FROM gfx_players g
                WHERE (SELECT count(*) FROM activity_log a WHERE a.action = 'new_player' AND a.entity_id = 'gfx:' || g.id) <> 1
                """)
        }

        try await importGFX(try Data(contentsOf: samples.appendingPathComponent(names[0])), as: names[0])
        let first = try await Self.count(pool, "SELECT count(*) FROM gfx_players")
        #expect(first > 0)
        #expect(try await Self.count(pool, """
            SELECT count(*) FROM activity_log a JOIN gfx_players g ON a.entity_id = 'gfx:' || g.id
            WHERE a.action = 'new_player' AND a.actor = 'hub-sync' AND a.details->>'source' = 'gfx' AND a.reason = 'New player ' || g.name
            """) == first, "one entry per new GFX player, with its name")

        // The second export with one seat renamed: its other players may be known already; only
        // the ones new to the hub get an entry.
        var edited = try JSONDecoder().decode([String: JSONValue].self, from: try Data(contentsOf: samples.appendingPathComponent(names[1])))
        guard case .array(var hands) = edited["Hands"], case .object(var hand) = hands[0], case .array(var seats) = hand["Players"],
              case .object(var seat) = seats[0] else { Issue.record("unexpected export shape"); return }
        seat["Name"] = .string("Newcomer Lee")
        seat["LongName"] = .string("Newcomer Lee")
        seats[0] = .object(seat)
        hand["Players"] = .array(seats)
        hands[0] = .object(hand)
        edited["Hands"] = .array(hands)
        try await importGFX(try JSONEncoder().encode(JSONValue.object(edited)), as: names[1])
        let second = try await Self.count(pool, "SELECT count(*) FROM gfx_players")
        #expect(second > first)
        #expect(try await Self.count(pool, "SELECT count(*) FROM activity_log WHERE action = 'new_player'") == second)
        #expect(try await playersWithoutOneEntry() == 0)
        #expect(try await Self.count(pool, "SELECT count(*) FROM activity_log WHERE action = 'new_player' AND details->>'name' = 'Newcomer Lee'") == 1)

        _ = try await WSOPImporter(pool: pool).importFiles(try WSOPImporter.scan(EventRouteTests.wsopSample.path))
        let wsopPlayers = try await Self.count(pool, "SELECT count(*) FROM wsop_players")
        #expect(wsopPlayers > 0)
        #expect(try await Self.count(pool, """
            SELECT count(*) FROM activity_log a JOIN wsop_players w ON a.entity_id = 'wsop:' || w.id
            WHERE a.action = 'new_player' AND a.details->>'source' = 'wsop' AND a.details->>'wsop_player_key' = w.player_key
            """) == wsopPlayers, "one entry per new WSOP+ player")
        // Imported again (the files are known) and with a changed chip count file naming a new
        // player by name only: only that player is new.
        _ = try await WSOPImporter(pool: pool).importFiles(try WSOPImporter.scan(EventRouteTests.wsopSample.path))
        let chips = FileManager.default.temporaryDirectory.appendingPathComponent("seed-api-wsop-\(UUID())")
        try FileManager.default.createDirectory(at: chips, withIntermediateDirectories: true)
        try Data("Event ID,Player Name,Player ID,Chip Count,Table,Seat,Recorded At\nWSOP-2026-E76,Newcomer Choi,,\"300,000\",15,2,2026-07-10T19:00:00Z\n".utf8)
            .write(to: chips.appendingPathComponent("ChipCounts.csv"))
        let report = try await WSOPImporter(pool: pool).importFiles(try WSOPImporter.scan(chips.path))
        #expect(report.counts.filesFailed == 0, "\(report.counts.errors)")
        #expect(try await Self.count(pool, "SELECT count(*) FROM wsop_players") == wsopPlayers + 1)
        #expect(try await Self.count(pool, "SELECT count(*) FROM activity_log WHERE action = 'new_player'") == second + wsopPlayers + 1,
                "players seen before raise nothing")
        #expect(try await Self.count(pool, "SELECT count(*) FROM activity_log WHERE action = 'new_player' AND details->>'name' = 'Newcomer Choi'") == 1)
        await harness.clients.shutdown()
    }
}
