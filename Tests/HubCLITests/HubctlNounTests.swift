import Foundation
import HubCore
import HubPostgres
import HubTestSupport
import Testing

/// `hubctl` grouped by noun, through the real binary: `--help` lists nouns, the old flat spellings
/// are hidden aliases that run the very same command, closed values and durations are checked by
/// the parser (exit 2 naming what is valid), and `migrate down` asks before it drops anything.
@Suite(.timeLimit(.minutes(3))) struct HubctlNounTests {
    static let nouns = ["status", "config", "migrate", "jobs", "monitor", "hands", "players", "cue", "aep", "graphics", "delivery"]

    /// The old spellings and the commands they stand for.
    static let aliases: [(old: [String], new: [String])] = [
        (["retry"], ["jobs", "retry"]), (["bulk-retry"], ["jobs", "bulk-retry"]), (["priority"], ["jobs", "priority"]),
        (["cancel"], ["jobs", "cancel"]), (["reap"], ["jobs", "reap"]), (["render", "submit"], ["jobs", "submit"]), (["purge"], ["jobs", "purge"]),
        (["events", "list"], ["monitor", "events"]), (["events", "resolve"], ["monitor", "resolve"]),
        (["services"], ["monitor", "services"]), (["watch"], ["monitor", "watch"]),
    ]

    /// The names a help text lists under SUBCOMMANDS (a default one is listed as `name (default)`).
    static func subcommands(_ help: String) -> [String] {
        guard let start = help.range(of: "SUBCOMMANDS:\n") else { return [] }
        var names: [String] = []
        for line in help[start.upperBound...].split(separator: "\n") {
            if line.hasPrefix("  See ") { break }
            guard line.hasPrefix("  "), !line.hasPrefix("   ") else { continue }
            names.append(String(line.dropFirst(2).prefix { !$0.isWhitespace }))
        }
        return names
    }

    @Test func helpListsNounsNotVerbs() async throws {
        let help = try await Hubctl.run(["--help"], env: [:])
        #expect(help.status == 0)
        #expect(Self.subcommands(help.stdout) == Self.nouns, "\(help.stdout)")
        let jobs = try await Hubctl.run(["jobs", "--help"], env: [:])
        #expect(Self.subcommands(jobs.stdout) == ["list", "show", "submit", "retry", "bulk-retry", "priority", "cancel", "reap", "purge"])
        let monitor = try await Hubctl.run(["monitor", "--help"], env: [:])
        #expect(Self.subcommands(monitor.stdout) == ["check", "events", "resolve", "services", "watch"])
        // The shell completions offer the nouns, not the hidden spellings.
        let bash = try await Hubctl.run(["--generate-completion-script", "bash"], env: [:])
        #expect(bash.status == 0)
        #expect(bash.stdout.contains("'\((Self.nouns + ["help"]).joined(separator: " "))'"))
    }

    @Test func everyOldSpellingIsTheSameCommandHidden() async throws {
        for (old, new) in Self.aliases {
            let oldHelp = try await Hubctl.run(old + ["--help"], env: [:])
            let newHelp = try await Hubctl.run(new + ["--help"], env: [:])
            #expect(oldHelp.status == 0 && newHelp.status == 0, "\(old)")
            // The same options and text; only the spelling in the usage lines differs.
            let spelled = oldHelp.stdout.replacingOccurrences(of: "hubctl \(old.joined(separator: " ")) ",
                                                              with: "hubctl \(new.joined(separator: " ")) ")
                .replacingOccurrences(of: "hubctl \(old.joined(separator: " "))'", with: "hubctl \(new.joined(separator: " "))'")
            #expect(spelled == newHelp.stdout, "hubctl \(old.joined(separator: " ")) --help")
        }
    }

    @Test func retry42AndJobsRetry42DoTheSame() async throws {
        let (env, pool) = try await HubSyncTests.environment()
        func failed() async throws -> Int64 {
            let id = try #require(Int64(try await Hubctl.ok(["jobs", "submit", "--template", "lower_third", "--data", #"{"Name":"Kim"}"#,
                                                              "--max-retries", "1"], env: env)))
            try await pool.query("""
                UPDATE render_instructions SET status = 'failed', completed_at = now(), error_message = 'missing footage', retry_count = 1
                WHERE id = \(id)
                """)
            return id
        }
        let a = try await failed()
        let b = try await failed()
        let old = try await Hubctl.run(["retry", String(a), "--json", "--actor", "ops", "--reason", "footage back"], env: env)
        let new = try await Hubctl.run(["jobs", "retry", String(b), "--json", "--actor", "ops", "--reason", "footage back"], env: env)
        #expect(old.status == 0 && new.status == 0, "\(old.stderr)\(new.stderr)")

        // The same instruction afterwards (but for its id and times) …
        func comparable(_ text: String) throws -> JSONValue {
            guard case .object(var object) = try JSONValue.parse(text) else { return .null }
            for key in object.keys where key == "id" || key.hasSuffix("_at") || key.hasSuffix("At") { object[key] = nil }
            return .object(object)
        }
        #expect(try comparable(old.stdout) == comparable(new.stdout))
        #expect(try comparable(old.stdout).objectValue?["status"] == .string("pending"))
        // … the same timeline entries and the same activity log row.
        func story(_ id: Int64) async throws -> [[String?]] {
            let timeline = try await pool.query("""
                SELECT event, from_status, to_status, actor, reason FROM render_timeline WHERE instruction_id = \(id) ORDER BY id
                """)
            let log = try await pool.query("""
                SELECT action, actor, reason FROM activity_log WHERE entity_type = 'render_instruction' AND entity_id = \(String(id)) ORDER BY id
                """)
            return try timeline.map { row in try (0..<5).map { try row.decode(String?.self, at: $0) } }
                + log.map { row in try (0..<3).map { try row.decode(String?.self, at: $0) } }
        }
        let storyA = try await story(a)
        #expect(storyA.contains { $0 == ["operator_retry", "failed", "pending", "ops", "footage back"] }, "\(storyA)")
        #expect(try await story(b) == storyA)

        // Refused alike: a pending one again is exit 1, an unknown id exit 3.
        let againOld = try await Hubctl.run(["retry", String(a)], env: env)
        let againNew = try await Hubctl.run(["jobs", "retry", String(b)], env: env)
        #expect(againOld.status == 1 && againNew.status == 1)
        #expect(againOld.stderr.replacingOccurrences(of: String(a), with: "ID") == againNew.stderr.replacingOccurrences(of: String(b), with: "ID"))
        #expect(try await Hubctl.run(["retry", "999999"], env: env).status == 3)
        #expect(try await Hubctl.run(["jobs", "retry", "999999"], env: env).status == 3)
        await pool.close()
    }

    @Test(arguments: [
        (["jobs", "list"], ["--status", "done"], ["pending", "processing", "completed", "failed", "stale", "cancelled"]),
        (["jobs", "bulk-retry"], ["--status", "completed"], ["failed", "cancelled", "stale"]),
        (["jobs", "submit"], ["--template", "t", "--format", "gif"], ["mp4", "mov", "png"]),
        (["cue", "template", "save"], ["x", "--type", "ticker", "--project", "p", "--composition", "c"], ["leaderboard", "chip_count", "player_info", "custom"]),
        (["cue", "staff", "add"], ["1", "--role", "host", "--name", "n"], ["commentator", "reporter"]),
        (["cue", "rule", "add"], ["--session", "1", "--table", "GG", "--on", "sometimes", "--composition", "c"], ["elimination", "every:N"]),
        (["status"], ["--log-format", "yaml"], ["text", "json"]),
    ])
    func closedValuesAreUsageErrorsNamingTheValidOnes(command: [String], arguments: [String], valid: [String]) async throws {
        let result = try await Hubctl.run(command + arguments, env: ["HUB_DATABASE_URL": "postgres://hub@127.0.0.1:1/hub"])
        #expect(result.status == 2, "\(command): \(result.stderr)")
        for value in valid { #expect(result.stderr.contains(value), "\(command) names \(value): \(result.stderr)") }
        // The help lists them too (and so do the completions).
        let help = try await Hubctl.run(command + ["--help"], env: [:])
        #expect(help.stdout.contains("(values: \(valid[0])"), "\(command): \(help.stdout)")
    }

    @Test func hubWorkerBackendIsAClosedValue() async throws {
        let worker = HubctlTests.hubctl.replacingOccurrences(of: "/hubctl", with: "/hub-worker")
        let result = try await ProcessRunner.run(worker, ["--backend", "blender"], environment: ["HUB_DATABASE_URL": "postgres://hub@127.0.0.1:1/hub"],
                                                 currentDirectory: HubctlTests.workDirectory)
        #expect(result.status == 2)
        for value in ["preview", "nexrender", "nexrender-server", "aerender", "command", "noop"] { #expect(result.stderr.contains(value)) }
    }

    /// One duration syntax: what parses gets as far as connecting (exit 1 against a closed port),
    /// what does not is a usage error (exit 2) saying how to write one.
    @Test func durationsParseTheSameEverywhere() async throws {
        let closed = ["HUB_DATABASE_URL": "postgres://hub@127.0.0.1:1/hub?connect_timeout=2", "HUB_REDIS_URL": "redis://127.0.0.1:1/0"]
        let worker = HubctlTests.hubctl.replacingOccurrences(of: "/hubctl", with: "/hub-worker")
        func run(_ binary: String, _ arguments: [String]) async throws -> ProcessRunner.Result {
            try await ProcessRunner.run(binary, arguments, environment: ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("HUB_") }.merging(closed) { $1 },
                                        currentDirectory: HubctlTests.workDirectory)
        }
        for accepted in [["--grace", "90s"], ["--grace", "45"], ["--lease", "2m"], ["--lease", "30"], ["--max-render-seconds", "2h"],
                         ["--max-render-seconds", "1d"], ["--nexrender-poll-interval", "250ms"], ["--nexrender-poll-interval", "0.5"]] {
            let result = try await run(worker, ["--once"] + accepted)
            #expect(result.status == 1, "hub-worker \(accepted) parses, then cannot connect: \(result.stderr)")
        }
        for (refused, says) in [(["--grace", "soon"], "90s, 5m, 2h or 1d"), (["--lease", "2h"], "5s…1h"), (["--lease", "1.5s"], "whole seconds"),
                                (["--max-render-seconds", "8d"], "1s…7d"), (["--nexrender-poll-interval", "10ms"], "50ms…60s")] {
            let result = try await run(worker, ["--once"] + refused)
            #expect(result.status == 2 && result.stderr.contains(says), "hub-worker \(refused): \(result.stderr)")
        }
        // hub-sync: a good --poll-seconds gets as far as the missing folder (exit 3).
        for accepted in ["5m", "90s", "10"] {
            let result = try await run(HubSyncTests.binary, ["gfx", "/no/such/folder", "--watch", "--poll-seconds", accepted])
            #expect(result.status == 3, "hub-sync --poll-seconds \(accepted): \(result.stderr)")
        }
        for refused in ["2h", "5x", "-1"] {
            let result = try await run(HubSyncTests.binary, ["gfx", "/no/such/folder", "--watch", "--poll-seconds", refused])
            #expect(result.status == 2, "hub-sync --poll-seconds \(refused): \(result.stderr)")
        }
        // hubctl jobs bulk-retry --since: days too.
        #expect(try await run(HubctlTests.hubctl, ["jobs", "bulk-retry", "--since", "1d", "--dry-run"]).status == 1)
        let yesterday = try await run(HubctlTests.hubctl, ["jobs", "bulk-retry", "--since", "yesterday"])
        #expect(yesterday.status == 2 && yesterday.stderr.contains("90s, 5m, 2h or 1d"))
    }

    @Test func migrateDownAsksOnATerminalAndWantsYesElsewhere() async throws {
        let url = try await scratchDatabaseURL()
        let env = ["HUB_DATABASE_URL": url]
        _ = try await Hubctl.ok(["migrate", "up"], env: env)
        let latest = HubSchema.expectedVersion
        func version() async throws -> Int {
            let pool = try PostgresPool(url: url, maxConnections: 1)
            defer { Task { await pool.close() } }
            return try await Migrator(pool: pool).currentVersion()
        }

        // Not a terminal (the test's pipe): refused before connecting, nothing reverted.
        let refused = try await Hubctl.run(["migrate", "down"], env: env)
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("--yes") && refused.stderr.contains("not a terminal"), "\(refused.stderr)")
        #expect(try await version() == latest)

        // On a terminal: asked; anything but yes changes nothing (exit 1), yes reverts.
        let script = "/usr/bin/script"
        try #require(FileManager.default.isExecutableFile(atPath: script), "util-linux script(1) gives the command a terminal")
        func onTerminal(answer: String) async throws -> ProcessRunner.Result {
            let command = ([HubctlTests.hubctl, "migrate", "down"]).map { "'\($0)'" }.joined(separator: " ")
            let environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("HUB_") }.merging(env) { $1 }
            return try await ProcessRunner.run(script, ["-qec", command, "/dev/null"], environment: environment,
                                               currentDirectory: HubctlTests.workDirectory, standardInput: answer + "\n")
        }
        let no = try await onTerminal(answer: "n")
        #expect(no.status == 1, "\(no.stdout)\(no.stderr)")
        #expect(no.stdout.contains("[y/N]") && no.stdout.contains("nothing was changed"), "\(no.stdout)")
        #expect(try await version() == latest)
        let yes = try await onTerminal(answer: "y")
        #expect(yes.status == 0, "\(yes.stdout)\(yes.stderr)")
        #expect(yes.stdout.contains("reverted"))
        #expect(try await version() < latest)

        // --yes: no question anywhere.
        _ = try await Hubctl.ok(["migrate", "up"], env: env)
        let confirmed = try await Hubctl.run(["migrate", "down", "--yes"], env: env)
        #expect(confirmed.status == 0 && confirmed.stdout.contains("reverted"), "\(confirmed.stderr)")
        #expect(try await version() < latest)
    }
}
