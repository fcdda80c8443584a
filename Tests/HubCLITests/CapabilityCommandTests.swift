import Foundation
import HubCore
import HubPostgres
import HubTestSupport
import Testing

/// `hubctl render submit --requires TAGS`, `hubctl jobs show`, and `hub-worker --tags` /
/// `HUB_WORKER_TAGS` as users meet them: tags stored lower case, shown, and bad ones refused with
/// a usage error naming the flag or setting.
@Suite(.timeLimit(.minutes(2))) struct CapabilityCommandTests {
    @Test func requiresIsStoredShownAndCheckedAndBadWorkerTagsAreUsageErrors() async throws {
        let (env, pool) = try await HubSyncTests.environment()
        let id = try #require(Int64(try await Hubctl.ok(["render", "submit", "--template", "card", "--requires", "GPU, ae-2025"], env: env)))
        let stored = try await pool.query("SELECT required_tags FROM render_instructions WHERE id = \(id)")[0].decode([String].self, at: 0)
        #expect(stored == ["ae-2025", "gpu"])
        let shown = try await Hubctl.ok(["jobs", "show", String(id)], env: env)
        #expect(shown.contains("requires tags: ae-2025,gpu"), "\(shown)")
        let json = try await Hubctl.ok(["jobs", "show", String(id), "--json"], env: env)
        #expect(json.contains("\"required_tags\""), "\(json)")

        let bad = try await Hubctl.run(["render", "submit", "--template", "card", "--requires", "gpu card"], env: env)
        #expect(bad.status == 2 && bad.stderr.contains("--requires") && bad.stderr.contains("not a tag"), "\(bad.stderr)")

        let worker = DispatchAtScaleTests.binaries.appendingPathComponent("hub-worker").path
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("HUB_") }
        environment.merge(env) { $1 }
        let flag = try await ProcessRunner.run(worker, ["--tags", "ae/2025", "--once"], environment: environment,
                                               currentDirectory: HubctlTests.workDirectory)
        #expect(flag.status == 64 || flag.status == 2, "a usage error: \(flag.status)")
        #expect(flag.stderr.contains("--tags") && flag.stderr.contains("ae/2025"), "\(flag.stderr)")
        environment["HUB_WORKER_TAGS"] = "gpu,,bad tag"
        let setting = try await ProcessRunner.run(worker, ["--once"], environment: environment, currentDirectory: HubctlTests.workDirectory)
        #expect(setting.status != 0 && setting.stderr.contains("HUB_WORKER_TAGS"), "\(setting.status): \(setting.stderr)")
        await pool.close()
    }
}
