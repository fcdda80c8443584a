import Foundation
import HubCore
import HubPostgres
import HubTestSupport
import Testing

/// Issue 16 through the real `hubctl`: `render submit --key` (idempotent submission) and
/// `purge --finished-before DURATION [--dry-run] [--files]` (retention).
@Suite(.timeLimit(.minutes(3))) struct PurgeAndKeyCommandTests {
    @Test func submitWithAKeyTwiceGivesTheExistingInstruction() async throws {
        let (env, pool) = try await HubSyncTests.environment()
        let first = try await Hubctl.run(["render", "submit", "--template", "lower_third", "--data", #"{"Name":"Kim"}"#, "--key", "req-1"], env: env)
        #expect(first.status == 0, "\(first.stderr)")
        let id = try #require(Int64(first.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(!first.stderr.contains("existing instruction"))
        let second = try await Hubctl.run(["render", "submit", "--template", "lower_third", "--data", #"{"Name":"Kim"}"#, "--key", "req-1"], env: env)
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == String(id))
        #expect(second.stderr.contains("existing instruction \(id)"))
        // Ten processes at once with one key: one instruction.
        let racers = try await withThrowingTaskGroup(of: ProcessRunner.Result.self) { group in
            for _ in 0..<10 {
                group.addTask { try await Hubctl.run(["jobs", "submit", "--template", "race", "--key", "req-race", "--json"], env: env) }
            }
            var all: [ProcessRunner.Result] = []
            for try await result in group { all.append(result) }
            return all
        }
        #expect(racers.allSatisfy { $0.status == 0 }, "\(racers.map(\.stderr))")
        let ids = Set(try racers.map { result -> Int64 in
            guard case .object(let object) = try JSONValue.parse(result.stdout), case .integer(let id)? = object["id"] else { return -1 }
            #expect(object["idempotency_key"] == .string("req-race"))
            return id
        })
        #expect(ids.count == 1 && !ids.contains(-1))
        #expect(try await HubSyncTests.count(pool, "SELECT count(*) FROM render_instructions WHERE template_name = 'race'") == 1)
        // The same key with another request: refused, exit 1, naming the instruction.
        let other = try await Hubctl.run(["render", "submit", "--template", "lower_third", "--data", #"{"Name":"Lee"}"#, "--key", "req-1"], env: env)
        #expect(other.status == 1)
        #expect(other.stderr.contains("idempotency key 'req-1'") && other.stderr.contains("instruction \(id)"), "\(other.stderr)")
        // A malformed key is a usage error.
        let empty = try await Hubctl.run(["render", "submit", "--template", "t", "--key", ""], env: env)
        #expect(empty.status == 2)
        #expect(empty.stderr.contains("--key"), "\(empty.stderr)")
        #expect(try await HubSyncTests.count(pool, "SELECT count(*) FROM render_instructions") == 2)
        await pool.close()
    }

    func seed(_ pool: PostgresPool, env: [String: String], status: String, daysAgo: Int, output: String? = nil) async throws -> Int64 {
        let id = try #require(Int64(try await Hubctl.ok(["jobs", "submit", "--template", "old_\(status)"], env: env)))
        let finished = ["completed", "failed", "cancelled"].contains(status)
        try await pool.query("""
            UPDATE render_instructions SET status = \(status),
                completed_at = CASE WHEN \(finished) THEN now() - make_interval(secs => \(Double(daysAgo) * 86_400)) END
            WHERE id = \(id)
            """)
        if let output {
            try await pool.query("INSERT INTO render_outputs (instruction_id, attempt, status, output_path) VALUES (\(id), 1, 'completed', \(output))")
        }
        return id
    }

    @Test func purgeDryRunThenPurgeThroughTheBinary() async throws {
        let (env, pool) = try await HubSyncTests.environment()
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("purge-cli-\(UUID())")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let oldFile = root.appendingPathComponent("old.png")
        let recentFile = root.appendingPathComponent("recent.png")
        try Data("old".utf8).write(to: oldFile)
        try Data("new".utf8).write(to: recentFile)
        let old = try await seed(pool, env: env, status: "completed", daysAgo: 40, output: oldFile.path)
        // hubctl published its signal (the outbox row is gone): one owed signal, as Redis being
        // down at submit would leave.
        try await pool.query("INSERT INTO render_outbox (instruction_id) VALUES (\(old))")
        _ = try await seed(pool, env: env, status: "cancelled", daysAgo: 35)
        let recent = try await seed(pool, env: env, status: "completed", daysAgo: 5, output: recentFile.path)
        let pending = try await seed(pool, env: env, status: "pending", daysAgo: 0)

        let dry = try await Hubctl.run(["purge", "--finished-before", "30d", "--dry-run", "--json"], env: env)
        #expect(dry.status == 0, "\(dry.stderr)")
        guard case .object(let dryReport) = try JSONValue.parse(dry.stdout), case .object(let wouldRemove)? = dryReport["removed"] else {
            Issue.record("not a report: \(dry.stdout)")
            return
        }
        #expect(dryReport["dry_run"] == .bool(true))
        #expect(wouldRemove["instructions"] == .integer(2))
        #expect(wouldRemove["timeline"] == .integer(2))
        #expect(try await HubSyncTests.count(pool, "SELECT count(*) FROM render_instructions") == 4)
        let human = try await Hubctl.ok(["jobs", "purge", "--finished-before", "30d", "--dry-run"], env: env)
        #expect(human.contains("render_instructions") && human.contains("nothing was removed"), "\(human)")

        // Without --files the file stays; with it (under HUB_OUTPUT_DIR) it goes.
        var withRoot = env
        withRoot["HUB_OUTPUT_DIR"] = root.path
        let purge = try await Hubctl.run(["purge", "--finished-before", "30d", "--files", "--json"], env: withRoot)
        #expect(purge.status == 0, "\(purge.stderr)")
        guard case .object(let report) = try JSONValue.parse(purge.stdout), case .object(let removed)? = report["removed"],
              case .object(let files)? = report["files"] else {
            Issue.record("not a report: \(purge.stdout)")
            return
        }
        #expect(removed["instructions"] == .integer(2))
        #expect(removed["outputs"] == .integer(1))
        #expect(removed["outbox"] == .integer(1))
        #expect(files["deleted"] == .integer(1))
        #expect(!FileManager.default.fileExists(atPath: oldFile.path))
        #expect(FileManager.default.fileExists(atPath: recentFile.path))
        let left = Set(try await pool.query("SELECT id FROM render_instructions").map { try $0.decode(Int64.self, at: 0) })
        #expect(left == [recent, pending])
        #expect(!left.contains(old))
        #expect(try await HubSyncTests.count(pool, "SELECT count(*) FROM render_instructions") == 2)
        await pool.close()
    }

    @Test(arguments: [
        (["purge"], "--finished-before"),
        (["purge", "--finished-before", "soon"], "duration"),
        (["purge", "--finished-before", "0"], "positive"),
        (["purge", "--finished-before", "30d", "--bogus"], "--bogus"),
        (["jobs", "purge", "--finished-before", "30d", "--output-dir", "/tmp"], "--files"),
    ])
    func badPurgeArgumentsAreUsageErrors(arguments: [String], mentions: String) async throws {
        let result = try await Hubctl.run(arguments, env: ["HUB_DATABASE_URL": "postgres://hub@127.0.0.1:1/hub"])
        #expect(result.status == 2, "\(arguments): \(result.stderr)")
        #expect(result.stderr.contains(mentions), "\(arguments): \(result.stderr)")
    }
}
