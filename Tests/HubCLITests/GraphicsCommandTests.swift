import Foundation
import HubCore
import HubPostgres
import HubTestSupport
import Testing

/// `hubctl graphics …` and `hubctl cue rule|staff …` through the real binaries: the exact
/// command-line contract scripts depend on (the v3 document on `--json`, exit 3 naming what
/// exists, exit 1 with the reason of a refused graphic), and a rule firing under `hub-sync`.
@Suite(.timeLimit(.minutes(3))) struct GraphicsCommandTests {
    static let game = "638961999170907267"

    @Test func theGraphicsCommandsKeepTheirContract() async throws {
        let (env, pool) = try await HubSyncTests.environment()
        let root = TestServices.repositoryRoot
        let loaded = try await Hubctl.ok(["graphics", "import", root.appendingPathComponent("Graphics/catalog.json").path], env: env)
        #expect(loaded.contains("loaded 26 compositions of project CyprusDesign"), "\(loaded)")
        let mapped = try await Hubctl.ok(["graphics", "mapping", "import", root.appendingPathComponent("Graphics/CyprusDesign.yaml").path], env: env)
        #expect(mapped.contains("project CyprusDesign"))
        let session = try await Hubctl.ok(["cue", "session", "create", "--name", "Feature table", "--table", "GG"], env: env)
        let rule = try await Hubctl.ok(["cue", "rule", "add", "--session", session, "--table", "GG", "--on", "every:2", "--composition", "_MAIN Mini Chip Count"], env: env)
        #expect(Int(rule) != nil)
        let badRule = try await Hubctl.run(["cue", "rule", "add", "--session", session, "--table", "GG", "--on", "sometimes", "--composition", "NAME"], env: env)
        #expect(badRule.status == 2 && badRule.stderr.contains("every:N"), "\(badRule.stderr)")

        // The import fires the rule for hand 2 of each sample game, once.
        let sync = try await ProcessRunner.run(HubSyncTests.binary, ["gfx", HubSyncTests.samples.appendingPathComponent("gfx").path],
                                               environment: ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("HUB_") }.merging(env) { $1 },
                                               currentDirectory: HubctlTests.workDirectory)
        #expect(sync.status == 0 && sync.stdout.contains("automatic graphics"), "\(sync.stdout)\(sync.stderr)")
        let rules = try JSONValue.parse(try await Hubctl.ok(["cue", "rule", "list", "--session", session, "--json"], env: env))
        guard case .array(let list) = rules, case .object(let first)? = list.first else { Issue.record("\(rules)"); return }
        #expect(first["fired"] == .integer(2) && first["on"] == .string("every:2"))

        let catalogList = try await Hubctl.ok(["graphics", "list"], env: env)
        #expect(catalogList.contains("Payouts 등수 바꾸기 가능") && catalogList.contains("26 compositions"))
        let document = try JSONValue.parse(try await Hubctl.ok(["graphics", "data", "_MAIN Mini Chip Count", "--game", Self.game, "--json"], env: env))
        #expect(document.objectValue?["$schema"] == .string("render_gfx_data_v3") && document.objectValue?["comp_name"] == .string("_MAIN Mini Chip Count"))
        let text = try await Hubctl.ok(["graphics", "data", "NAME 3줄+", "--game", Self.game, "--hand", "2", "--player", "SEAT 3"], env: env)
        #expect(text.contains("player_name: SEAT 3") && text.contains("chips: 8,005,000"), "\(text)")

        let unknown = try await Hubctl.run(["graphics", "data", "Nope", "--game", Self.game], env: env)
        #expect(unknown.status == 3 && unknown.stderr.contains("_MAIN Mini Chip Count"), "exit 3 with what exists: \(unknown.stderr)")
        let noGame = try await Hubctl.run(["graphics", "data", "Payouts", "--game", "1"], env: env)
        #expect(noGame.status == 3 && noGame.stderr.contains(Self.game))
        let noHand = try await Hubctl.run(["graphics", "data", "Payouts", "--game", Self.game, "--hand", "7"], env: env)
        #expect(noHand.status == 3 && noHand.stderr.contains("1–2"))
        let noPlayer = try await Hubctl.run(["graphics", "data", "NAME", "--game", Self.game, "--player", "Nobody"], env: env)
        #expect(noPlayer.status == 3 && noPlayer.stderr.contains("SEAT 10"))
        let refused = try await Hubctl.run(["graphics", "data", "Elimination", "--game", Self.game], env: env)
        #expect(refused.status == 1 && refused.stderr.contains("Elimination") && refused.stderr.contains("elimination_rank"), "\(refused.stderr)")
        let before = try await pool.query("SELECT count(*) FROM render_instructions")[0].decode(Int.self, at: 0)
        let refusedRender = try await Hubctl.run(["graphics", "render", "Payouts", "--game", Self.game], env: env)
        #expect(refusedRender.status == 1 && refusedRender.stderr.contains("payout"), "\(refusedRender.stderr)")
        #expect(try await pool.query("SELECT count(*) FROM render_instructions")[0].decode(Int.self, at: 0) == before, "nothing written")

        let id = try await Hubctl.ok(["graphics", "render", "At Risk of Elimination", "--game", Self.game, "--priority", "2"], env: env)
        let stored = try await pool.query("SELECT template_name, composition, priority FROM render_instructions WHERE id = \(Int64(id) ?? 0)")
        #expect(stored.count == 1)
        #expect(try stored[0].decode(String.self, at: 0) == "CyprusDesign" && stored[0].decode(String.self, at: 1) == "At Risk of Elimination")

        let staff = try await Hubctl.ok(["cue", "staff", "add", session, "--role", "reporter", "--name", "Kara Scott", "--handle", "@karascott"], env: env)
        #expect(Int(staff) != nil)
        let reporter = try await Hubctl.ok(["graphics", "data", "Reporter", "--game", Self.game], env: env)
        #expect(reporter.contains("Kara Scott") && reporter.contains("@karascott"), "\(reporter)")
        await pool.close()
    }
}
