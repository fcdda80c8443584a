import Foundation
import HubCore
import HubPostgres
import HubTestSupport
import Testing

/// Every `--json` of `hubctl` and `hub-sync`, run through the real binaries against one seeded
/// database: snake_case keys only, all the way down — except in maps whose keys are data (layer
/// names, field keys, parameters), which are printed exactly as stored. The commands are found by
/// walking `--help`, so a command added later without a check here fails the test.
@Suite(.timeLimit(.minutes(6))) struct JSONKeyStyleTests {
    /// Keys whose value is a map keyed by data, not by field names. Their own keys are printed as
    /// stored (the test proves it with layer names that are not snake_case); what is inside them is
    /// still checked.
    static let dataMaps: Set<String> = [
        "layer_data",    // an instruction's layer names → values (jobs, cue trigger)
        "layers",        // the bound layers of a triggered cue: After Effects layer names
        "default_data",  // a cue template's default parameters as the director wrote them
        "single_fields", // the gfx_data document's field keys, from the catalog ("AVERAGE STACK")
        "fields",        // a gfx_data slot's field keys, from the catalog
    ]

    static func isSnakeCase(_ key: String) -> Bool {
        key.range(of: #"^\$?[a-z0-9]+(_[a-z0-9]+)*$"#, options: .regularExpression) != nil
    }

    /// Paths of the keys in `value` that are not snake_case.
    static func violations(_ value: JSONValue, path: String = "$", dataMap: Bool = false) -> [String] {
        switch value {
        case .object(let object):
            return object.sorted { $0.key < $1.key }.flatMap { key, child -> [String] in
                if dataMap { return violations(child, path: "\(path){\(key)}") }
                return (isSnakeCase(key) ? [] : ["\(path).\(key)"]) + violations(child, path: "\(path).\(key)", dataMap: dataMaps.contains(key))
            }
        case .array(let array):
            return array.enumerated().flatMap { violations($1, path: "\(path)[\($0)]") }
        default:
            return []
        }
    }

    /// The leaf commands under `path` (walking the help's SUBCOMMANDS) and whether each takes `--json`.
    static func leaves(_ binary: String, _ path: [String] = []) async throws -> [(command: [String], json: Bool)] {
        let help = try await ProcessRunner.run(binary, path + ["--help"])
        let subcommands = HubctlNounTests.subcommands(help.stdout)
        if subcommands.isEmpty { return [(path, help.stdout.contains("--json"))] }
        var result: [(command: [String], json: Bool)] = []
        for subcommand in subcommands { result += try await leaves(binary, path + [subcommand]) }
        return result
    }

    @Test func theSnakeCaseCheckSeesCamelCase() {
        #expect(Self.violations(try! JSONValue.parse(#"{"retry_count":1,"a":{"workerID":2},"layer_data":{"Player Name":1,"x":{"oddKey":3}}}"#))
                == ["$.a.workerID", "$.layer_data{x}.oddKey"])
        #expect(Self.violations(try! JSONValue.parse(#"[{"$schema":"v3","hands_30h":[{"chip_change_10h":1}]}]"#)).isEmpty)
    }

    /// `config --json` redacts exactly as the table does: every value it prints is the table's.
    @Test func configJSONShowsWhatTheTableShows() async throws {
        let env = ["HUB_DATABASE_URL": "postgres://hub:PgSecret1@db:5432/hub", "HUB_REDIS_URL": "redis://:RedisSecret2@cache:6379/0",
                   "HUB_DASHBOARD_PASSWORD": "DashSecret3", "HUB_LEASE_SECONDS": "45"]
        let table = try await Hubctl.ok(["config"], env: env)
        let json = try await Hubctl.ok(["config", "--json"], env: env)
        for secret in ["PgSecret1", "RedisSecret2", "DashSecret3"] { #expect(!json.contains(secret)) }
        guard case .array(let entries) = try JSONValue.parse(json) else { Issue.record("not an array: \(json)"); return }
        #expect(entries.count == HubSetting.all.count)
        let rows = table.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
        for entry in entries {
            guard case .string(let variable)? = entry.objectValue?["variable"] else { Issue.record("\(entry)"); continue }
            let row = try #require(rows.first { $0.first == variable }, "\(variable) is in the table")
            switch entry.objectValue?["value"] {
            case .string(let value)?: #expect(row.count > 1 && row[1] == value, "\(variable): \(value) vs \(row)")
            default: #expect(row.count > 1 && row[1] == "(unset)", "\(variable) is unset in both")
            }
        }
        #expect(entries.contains { $0.objectValue?["variable"] == .string("HUB_LEASE_SECONDS") && $0.objectValue?["value"] == .string("45")
            && $0.objectValue?["source"] == .string("environment") })
    }

    @Test func everyJSONOutputUsesSnakeCaseKeys() async throws {
        let (hubEnv, pool) = try await HubSyncTests.environment()
        // The photo registered below is written to the temporary directory: a media root here
        // (besides the default /srv/media of the sample descriptions).
        let env = hubEnv.merging(["HUB_RENDER_STREAM": "json-\(UUID().uuidString.prefix(8))", "HUB_LOG_LEVEL": "error",
                                  "HUB_MEDIA_ROOTS": "/srv/media:" + FileManager.default.temporaryDirectory.path]) { $1 }
        let environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("HUB_") }.merging(env) { $1 }
        let samples = HubSyncTests.samples
        let root = TestServices.repositoryRoot
        let game = GraphicsCommandTests.game
        let covered = LockedBox<[String: Set<[String]>]>([:])

        /// Checks the keys of what `command` printed and returns it as JSON (every line of it, as
        /// an array, when `lines`).
        func check(_ result: ProcessRunner.Result, _ name: String, _ command: [String], lines: Bool,
                   sourceLocation: SourceLocation) throws -> JSONValue {
            covered.withLock { $0[name, default: []].insert(command) }
            #expect(result.status == 0, "\(name) \(command.joined(separator: " ")): \(result.stderr)", sourceLocation: sourceLocation)
            let value = lines
                ? JSONValue.array(try result.stdout.split(separator: "\n").map { try JSONValue.parse(String($0)) })
                : try JSONValue.parse(result.stdout)
            let wrong = Self.violations(value)
            #expect(wrong.isEmpty, "\(name) \(command.joined(separator: " ")) --json: keys not in snake_case: \(wrong)", sourceLocation: sourceLocation)
            return value
        }
        /// Runs `command arguments --json` and checks it.
        func json(_ command: [String], _ arguments: [String] = [], binary: String = HubctlTests.hubctl,
                  sourceLocation: SourceLocation = #_sourceLocation) async throws -> JSONValue {
            let result = try await ProcessRunner.run(binary, command + arguments + ["--json"], environment: environment,
                                                     currentDirectory: HubctlTests.workDirectory)
            return try check(result, URL(fileURLWithPath: binary).lastPathComponent, command, lines: false, sourceLocation: sourceLocation)
        }
        func integer(_ value: JSONValue, _ key: String) throws -> String {
            guard case .integer(let id)? = value.objectValue?[key] else { throw HubError(.usage, "no integer \(key) in \(value.canonicalText)") }
            return String(id)
        }

        // Migrations, and hub-sync importing the samples (players, hands, a premium-hand render).
        _ = try await json(["migrate", "status"])
        _ = try await json(["migrate", "down"], ["--yes"])
        _ = try await json(["migrate", "up"])
        let sync = HubSyncTests.binary
        _ = try await json(["all"], ["--gfx", samples.appendingPathComponent("gfx").path, "--wsop", samples.appendingPathComponent("wsop").path], binary: sync)
        _ = try await json(["gfx"], [samples.appendingPathComponent("gfx").path], binary: sync)
        _ = try await json(["wsop"], [samples.appendingPathComponent("wsop").path], binary: sync)
        _ = try await json(["status"], binary: sync)
        _ = try await json(["status"])
        _ = try await json(["config"])

        // Render jobs; layer names are data and come back exactly as submitted.
        let layers = #"{"playerName":"Kim","Chip Count":"1,500,000","LAYER_3":"x"}"#
        let submitted = try await json(["jobs", "submit"], ["--template", "lower_third", "--data", layers, "--format", "png"])
        let job = try integer(submitted, "id")
        #expect(submitted.objectValue?["layer_data"] == (try JSONValue.parse(layers)), "data keys are not converted")
        _ = try await json(["jobs", "list"])
        let shown = try await json(["jobs", "show"], [job])
        #expect(shown.objectValue?["instruction"]?.objectValue?["layer_data"] == (try JSONValue.parse(layers)))
        _ = try await json(["jobs", "priority"], [job, "3"])
        _ = try await json(["jobs", "cancel"], [job])
        _ = try await json(["jobs", "retry"], [job])
        try await pool.query("UPDATE render_instructions SET status = 'failed', completed_at = now(), error_message = 'boom' WHERE id = \(Int64(job)!)")
        let bulk = try await json(["jobs", "bulk-retry"], ["--dry-run"])
        #expect(bulk.objectValue?["matched"].map { if case .array(let a) = $0 { a.count } else { 0 } } == 1)
        _ = try await json(["jobs", "reap"], ["--force"])
        let purge = try await json(["jobs", "purge"], ["--finished-before", "30d", "--dry-run", "--files"])
        #expect(purge.objectValue?["removed"]?.objectValue?["failure_notices"] != nil)

        // Monitoring: a silent worker opens an event.
        try await ServiceRegistry(pool: pool).heartbeat(id: "hub-worker:gone-4242", kind: "hub-worker", mode: "redis")
        try await pool.query("UPDATE service_registry SET last_heartbeat = now() - interval '3 minutes' WHERE id = 'hub-worker:gone-4242'")
        _ = try await json(["monitor", "check"])
        guard case .array(let events) = try await json(["monitor", "events"]), let event = events.first else {
            Issue.record("monitor check opened no event")
            return
        }
        _ = try await json(["monitor", "resolve"], [try integer(event, "id")])
        _ = try await json(["monitor", "services"])
        // watch: the events of a real operator action (a priority change of a pending job).
        let pending = try integer(try await json(["jobs", "submit"], ["--template", "lower_third"]), "id")
        let channel = "render:\(pending)"
        let watcher = Task {
            try await ProcessRunner.run(HubctlTests.hubctl, ["monitor", "watch", channel, "--count", "1", "--json"], environment: environment,
                                        currentDirectory: HubctlTests.workDirectory)
        }
        let done = LockedBox(false)
        Task {
            _ = try? await watcher.value
            done.withLock { $0 = true }
        }
        let priority = LockedBox(1)
        try await waitUntil("monitor watch to print an event", timeout: 30) {
            let next = priority.withLock { $0 = $0 % 10 + 1; return $0 }
            _ = try await ProcessRunner.run(HubctlTests.hubctl, ["jobs", "priority", pending, String(next)], environment: environment,
                                            currentDirectory: HubctlTests.workDirectory)
            return done.withLock { $0 }
        }
        let watched = try check(try await watcher.value, "hubctl", ["monitor", "watch"], lines: true, sourceLocation: #_sourceLocation)
        guard case .array(let watchedEvents) = watched, case .object(let first)? = watchedEvents.first else {
            Issue.record("monitor watch printed nothing")
            return
        }
        #expect(first["type"] == .string("instruction_updated"))

        // Hands (the samples imported above).
        let hands = try await json(["hands", "list"], ["--premium"])
        guard case .object(let page) = hands, case .array(let premiumHands)? = page["hands"], case .object(let quads)? = premiumHands.first else {
            Issue.record("hands list --premium printed no hand")
            return
        }
        #expect(quads["grade"] == .string("four_of_a_kind"))
        _ = try await json(["hands", "show"], [try integer(.object(quads), "id")])

        // Players.
        _ = try await json(["players", "search"], ["e"])
        _ = try await json(["players", "show"], ["P-1001"])
        let override = try await json(["players", "override"], ["P-1001", "bio", "Two-time bracelet winner"])
        _ = try await json(["players", "override"], ["--deactivate", try integer(override, "override_id")])
        let unlinked = try await json(["players", "unlink"], ["jhkg"])
        _ = try await json(["players", "link"], ["wsop:\(try integer(unlinked, "wsop_player_id"))", "gfx:\(try integer(unlinked, "gfx_player_id"))"])
        _ = try await json(["players", "link"], ["--auto"])
        let photo = FileManager.default.temporaryDirectory.appendingPathComponent("photo-\(UUID()).png")
        try Data(base64Encoded: "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")!.write(to: photo)
        _ = try await json(["players", "image"], ["P-1001", photo.path])
        _ = try await json(["players", "create"], ["Minsu Park", "--korean", "박민수", "--photo", photo.path, "--wsop-id", "P-9001"])
        _ = try await json(["players", "update"], ["P-9001", "--wins", "2024 bracelet"])

        // AEP metadata, cue sheets, the graphics package.
        _ = try await json(["aep", "import"], [samples.appendingPathComponent("aep/wsop-graphics.json").path])
        _ = try await json(["aep", "list"])
        _ = try await json(["aep", "show"], ["WSOP_2026_Graphics", "Leaderboard"])
        _ = try await json(["graphics", "import"], [root.appendingPathComponent("Graphics/catalog.json").path])
        _ = try await json(["graphics", "mapping", "import"], [root.appendingPathComponent("Graphics/CyprusDesign.yaml").path])
        _ = try await json(["graphics", "list"])
        _ = try await json(["graphics", "data"], ["_MAIN Mini Chip Count", "--game", game])
        _ = try await json(["graphics", "render"], ["_MAIN Mini Chip Count", "--game", game])
        let contactSheet = FileManager.default.temporaryDirectory.appendingPathComponent("sheet-\(UUID()).png")
        _ = try await json(["graphics", "sheet"], ["--game", game, "--output", contactSheet.path])
        _ = try await json(["cue", "template", "save"], ["leaderboard", "--type", "leaderboard", "--project", "WSOP_2026_Graphics",
                                                         "--composition", "Leaderboard", "--data", #"{"top":3}"#])
        _ = try await json(["cue", "template", "list"])
        let session = try integer(try await json(["cue", "session", "create"], ["--name", "Day 2", "--event", "WSOP-2026-E76", "--table", "GG"]), "id")
        _ = try await json(["cue", "session", "list"])
        _ = try await json(["cue", "session", "start"], [session])
        let sheet = try integer(try await json(["cue", "sheet", "create"], [session, "--name", "Main"]), "id")
        _ = try await json(["cue", "sheet", "list"], [session])
        let item = try integer(try await json(["cue", "item", "add"], [sheet, "--template", "leaderboard", "--top", "3"]), "id")
        _ = try await json(["cue", "item", "list"], [sheet])
        _ = try await json(["cue", "item", "status"], [item, "completed"])
        _ = try await json(["cue", "trigger"], [item])
        let rule = try integer(try await json(["cue", "rule", "add"], ["--session", session, "--table", "GG", "--on", "every:2",
                                                                        "--composition", "_MAIN Mini Chip Count"]), "id")
        _ = try await json(["cue", "rule", "list"], ["--session", session])
        _ = try await json(["cue", "rule", "disable"], [rule])
        _ = try await json(["cue", "rule", "enable"], [rule])
        let staff = try integer(try await json(["cue", "staff", "add"], [session, "--role", "commentator", "--name", "Jeff Platt",
                                                                          "--handle", "@jeffplatt"]), "id")
        _ = try await json(["cue", "staff", "list"], [session])
        _ = try await json(["cue", "staff", "remove"], [session, staff])
        _ = try await json(["cue", "session", "end"], [session])

        // Delivery folders.
        _ = try await json(["delivery", "set"], ["lower_third", FileManager.default.temporaryDirectory.path])
        _ = try await json(["delivery", "list"])
        _ = try await json(["delivery", "status"])
        _ = try await json(["delivery", "remove"], ["lower_third"])
        try await pool.query("""
            INSERT INTO render_deliveries (instruction_id, template, source_path, directory, host)
            VALUES (\(Int64(job)!), 'lower_third', '/gone/lower_third.png', '/mnt/playout', 'render-3')
            """)
        _ = try await json(["delivery", "drop"], [job, "--reason", "render-3 decommissioned"])

        // Every command prints a result and takes --json, and every one of them was checked above.
        for (binary, name) in [(HubctlTests.hubctl, "hubctl"), (sync, "hub-sync")] {
            let all = try await Self.leaves(binary)
            #expect(all.count > 3, "\(name)'s commands were found")
            for leaf in all where !leaf.json { Issue.record("\(name) \(leaf.command.joined(separator: " ")) has no --json") }
            let missing = Set(all.map(\.command)).subtracting(covered.withLock { $0[name] } ?? [])
            #expect(missing.isEmpty, "\(name) commands whose --json is not checked here: \(missing.map { $0.joined(separator: " ") }.sorted())")
        }
        await pool.close()
    }
}

extension JSONDecoder {
    /// Reads what the executables print with `--json`: snake_case keys, ISO 8601 dates. (A type
    /// with explicit snake_case `CodingKeys` decodes with a plain decoder instead, and an `ID`
    /// property's key is spelled `…Id` here.)
    static var snakeCase: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }
}
