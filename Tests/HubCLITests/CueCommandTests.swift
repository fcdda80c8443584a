import Foundation
import HubCore
import HubPostgres
import HubTestSupport
import Testing

/// The director's path through the real binaries: hub-sync imports the samples, hubctl registers
/// the compositions, builds a sheet and triggers its leaderboard; bad input exits with the
/// contract's codes and writes nothing.
@Suite(.timeLimit(.minutes(3))) struct CueCommandTests {
    @Test func theDirectorsPathFromImportToAQueuedLeaderboard() async throws {
        let (env, pool) = try await HubSyncTests.environment()
        let samples = HubSyncTests.samples
        let sync = try await ProcessRunner.run(HubSyncTests.binary, ["wsop", samples.appendingPathComponent("wsop").path],
                                               environment: ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("HUB_") }.merging(env) { $1 },
                                               currentDirectory: HubctlTests.workDirectory)
        #expect(sync.status == 0, "\(sync.stderr)")
        let imported = try await Hubctl.ok(["aep", "import", samples.appendingPathComponent("aep/wsop-graphics.json").path], env: env)
        #expect(imported.contains("registered 3 composition(s)"))
        _ = try await Hubctl.ok(["cue", "template", "save", "leaderboard", "--type", "leaderboard", "--project", "WSOP_2026_Graphics",
                          "--composition", "Leaderboard"], env: env)
        let session = try await Hubctl.ok(["cue", "session", "create", "--name", "Day 2", "--event", "WSOP-2026-E76"], env: env)
        let sheet = try await Hubctl.ok(["cue", "sheet", "create", session, "--name", "Main"], env: env)
        let item = try await Hubctl.ok(["cue", "item", "add", sheet, "--template", "leaderboard", "--top", "3", "--title", "Top three"], env: env)
        let triggered = try await Hubctl.ok(["cue", "trigger", item, "--json", "--actor", "director", "--reason", "after the break"], env: env)
        let output = try JSONValue.parse(triggered).objectValue ?? [:]
        guard case .object(let layers)? = output["layers"] else { Issue.record("no layers in \(triggered)"); return }
        #expect(layers["Name 1"] == .string("김민수") && layers["Chips 1"] == .string("1,500,000"))
        #expect(layers["Name 3"] == .string("Phil Ivey") && layers["Name 4"] == .string(""))
        let list = try await Hubctl.ok(["cue", "item", "list", sheet], env: env)
        #expect(list.contains("queued") && list.contains("Top three"))
        let shown = try await Hubctl.ok(["players", "show", "P-1001"], env: env)
        #expect(shown.contains("chip_count") && shown.contains("1500000") && shown.contains("wsop > gfx"))
        #expect(try await pool.query("SELECT count(*) FROM activity_log WHERE action = 'cue_trigger' AND reason = 'after the break'")[0].decode(Int.self, at: 0) == 1)

        // Re-triggering while it is queued: refused, exit 1.
        let again = try await Hubctl.run(["cue", "trigger", item], env: env)
        #expect(again.status == 1 && again.stderr.contains("is queued"), "\(again.stderr)")
        await pool.close()
    }

    @Test func badInputExitsWithTheContractsCodesAndWritesNothing() async throws {
        let (env, pool) = try await HubSyncTests.environment()
        let unknown = try await Hubctl.run(["players", "show", "Nobody Atall"], env: env)
        #expect(unknown.status == 3 && unknown.stderr.contains("no player is called"))
        let field = try await Hubctl.run(["players", "override", "P-1", "nickname", "Tiger"], env: env)
        #expect(field.status == 2 && field.stderr.contains("unknown player field \"nickname\""))

        let file = FileManager.default.temporaryDirectory.appendingPathComponent("dup-\(UUID()).json")
        try Data("""
            {"project": "P", "compositions": [{"name": "Board", "fields": [
              {"key": "name", "pattern": "slot", "slots": 2, "layer": "Name {n}"},
              {"key": "player", "pattern": "single", "layer": "Name 1"}]}]}
            """.utf8).write(to: file)
        let duplicate = try await Hubctl.run(["aep", "import", file.path], env: env)
        #expect(duplicate.status == 2, "\(duplicate.stderr)")
        #expect(duplicate.stderr.contains("duplicate layer \"Name 1\"") && duplicate.stderr.contains("nothing written"))
        #expect(try await pool.query("SELECT count(*) FROM aep_compositions")[0].decode(Int.self, at: 0) == 0)
        let missing = try await Hubctl.run(["aep", "import", "/no/such/file.json"], env: env)
        #expect(missing.status == 3)
        let badType = try await Hubctl.run(["cue", "template", "save", "x", "--type", "weather", "--project", "P", "--composition", "C"], env: env)
        #expect(badType.status == 2 && badType.stderr.contains("--type"))
        #expect(try await pool.query("SELECT count(*) FROM player_overrides")[0].decode(Int.self, at: 0) == 0)
        await pool.close()
    }

    /// The CLI twins of `POST /api/v1/players`, `PATCH /api/v1/players/{ref}` and
    /// `PATCH /api/v1/items/{id}/status`.
    @Test func manualPlayersAndAnItemsStatusByHand() async throws {
        let (env, pool) = try await HubSyncTests.environment()
        let ref = try await Hubctl.ok(["players", "create", "Minsu Park", "--korean", "박민수", "--country", "KR", "--wsop-id", "P-9001",
                                       "--actor", "director", "--reason", "feature table"], env: env)
        #expect(ref.hasPrefix("wsop:"))
        let created = try JSONValue.parse(try await Hubctl.ok(["players", "show", "P-9001", "--json"], env: env)).objectValue ?? [:]
        guard case .object(let player)? = created["player"] else { Issue.record("no player in \(created)"); return }
        #expect(player["name_korean"] == .string("박민수") && player["country_code"] == .string("KR"))
        let updated = try await Hubctl.ok(["players", "update", ref, "--wins", "2024 bracelet"], env: env)
        #expect(updated.contains("Minsu Park"))
        #expect(try await pool.query("SELECT count(*) FROM activity_log WHERE action IN ('new_player', 'player_update')")[0].decode(Int.self, at: 0) == 2)
        let again = try await Hubctl.run(["players", "create", "Other", "--wsop-id", "P-9001"], env: env)
        #expect(again.status == 1 && again.stderr.contains("P-9001"), "\(again.stderr)")
        let badCountry = try await Hubctl.run(["players", "create", "Other", "--country", "korea"], env: env)
        #expect(badCountry.status == 2, "\(badCountry.stderr)")

        let badStatus = try await Hubctl.run(["cue", "item", "status", "1", "rendering"], env: env)
        #expect(badStatus.status == 2 && badStatus.stderr.contains("pending, completed, cancelled"))
        let missing = try await Hubctl.run(["cue", "item", "status", "987654", "completed"], env: env)
        #expect(missing.status == 3, "\(missing.stderr)")
        await pool.close()
    }
}
