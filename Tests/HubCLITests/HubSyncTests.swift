import Foundation
import HubCore
import HubPostgres
import HubRedis
import HubTestSupport
import Testing

/// Runs the real `hub-sync` binary as cron or an operator would.
@Suite struct HubSyncTests {
    static let binary: String = HubctlTests.hubctl.replacingOccurrences(of: "/hubctl", with: "/hub-sync")
    static let samples = TestServices.repositoryRoot.appendingPathComponent("Samples")

    /// A migrated scratch database and the environment that points hub-sync at it.
    static func environment() async throws -> (env: [String: String], pool: PostgresPool) {
        let url = try await scratchDatabaseURL()
        let pool = try PostgresPool(url: url, maxConnections: 4)
        try await Migrator(pool: pool).up()
        let endpoints = try await TestServices.endpoints()
        return (["HUB_DATABASE_URL": url, "HUB_REDIS_URL": endpoints.redisURL], pool)
    }

    func run(_ arguments: [String], env: [String: String] = [:]) async throws -> ProcessRunner.Result {
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("HUB_") }
        environment.merge(env) { $1 }
        return try await ProcessRunner.run(Self.binary, arguments, environment: environment, currentDirectory: HubctlTests.workDirectory)
    }

    static func count(_ pool: PostgresPool, _ query: PostgresQuery) async throws -> Int {
        try await pool.query(query)[0].decode(Int.self, at: 0)
    }

    /// A folder of `count` distinct GFX exports made from the real ones (new session ids).
    static func exportTree(count: Int) throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("hub-sync tree=\(UUID().uuidString)")
        let template = try String(contentsOf: samples.appendingPathComponent("gfx/GG/PGFX_live_data_export GameID=638961999170907267.json"), encoding: .utf8)
        for i in 0..<count {
            let id = 638_961_999_170_907_267 + Int64(i) * 1_000
            let folder = root.appendingPathComponent("Table \(i % 3)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try template.replacingOccurrences(of: "\"ID\":638961999170907267", with: "\"ID\":\(id)")
                .write(to: folder.appendingPathComponent("PGFX_live_data_export GameID=\(id).json"), atomically: true, encoding: .utf8)
        }
        return root
    }

    @Test func helpAndUsageErrors() async throws {
        let help = try await run(["--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("gfx") && help.stdout.contains("wsop") && help.stdout.contains("status"))
        #expect(try await run(["all", "--help"]).status == 0)
        #expect(try await run(["gfx"], env: ["HUB_DATABASE_URL": "postgres://hub@127.0.0.1:1/hub"]).status == 2)
        #expect(try await run(["gfx", "x", "--concurrency", "0"], env: ["HUB_DATABASE_URL": "postgres://hub@127.0.0.1:1/hub"]).status == 2)
        let nothing = try await run(["all"], env: ["HUB_DATABASE_URL": "postgres://hub@127.0.0.1:1/hub"])
        #expect(nothing.status == 2)
        #expect(nothing.stderr.contains("nothing to sync"))
        let missing = try await run(["gfx", "/no/such/folder"], env: ["HUB_DATABASE_URL": "postgres://hub@127.0.0.1:1/hub"])
        #expect(missing.status == 3)
        #expect(missing.stderr.contains("/no/such/folder does not exist"))
    }

    @Test func fullSyncOfTheSamplesWithEventsAndOneCorrelationID() async throws {
        let (env, pool) = try await Self.environment()
        let endpoints = try await TestServices.endpoints()
        let listener = RedisClient(configuration: try RedisConfiguration(url: endpoints.redisURL))
        let subscription = try await listener.subscribe(channels: ["sync-status"])
        let received = LockedBox<[HubEvent]>([])
        let reader = Task {
            for await message in subscription {
                if let event = try? HubEvent.decode(message.payload) { received.withLock { $0.append(event) } }
            }
        }
        let result = try await run(["all", "--gfx", Self.samples.appendingPathComponent("gfx").path,
                                    "--wsop", Self.samples.appendingPathComponent("wsop").path, "--json"], env: env)
        #expect(result.status == 0, "\(result.stderr)")
        struct Output: Decodable {
            struct Source: Decodable { var source: String; var status: String; var counts: SyncCounts }
            var correlationID: String
            var sources: [Source]
            var handsGraded: Int
            var premiumHands: Int
            var playersLinked: Int?
            var renderInstructions: [Int64]?
            var succeeded: Bool
            // hub-sync prints snake_case keys; decoded with .convertFromSnakeCase, "correlation_id" is "correlationId".
            enum CodingKeys: String, CodingKey {
                case correlationID = "correlationId", sources, handsGraded, premiumHands, playersLinked, renderInstructions, succeeded
            }
        }
        let output = try JSONDecoder.snakeCase.decode(Output.self, from: Data(result.stdout.utf8))
        #expect(output.succeeded)
        #expect(Set(output.sources.map(\.source)) == ["gfx", "wsop"])
        #expect(output.sources.allSatisfy { $0.status == "completed" && $0.counts.filesFailed == 0 })
        #expect(output.handsGraded == 5 && output.premiumHands == 1)
        #expect(output.playersLinked == 1, "GFX 'jhkg' and WSOP+ 'Jhkg'")
        #expect(output.renderInstructions?.count == 1)
        #expect(try await Self.count(pool, "SELECT count(*) FROM render_instructions WHERE trigger_type = 'premium_hand'") == 1)
        let layers = try await pool.query("""
            SELECT layer_data->>'Board', layer_data->>'Rank', layer_data->>'Cards 3', template_name FROM render_instructions
            """)
        #expect(try layers[0].decode(String.self, at: 0) == "6d 6s 6h 6c Jh")
        #expect(try layers[0].decode(String.self, at: 1) == "four of a kind")
        #expect(try layers[0].decode(String?.self, at: 2) != nil, "three shown hands as slots 1…3")
        #expect(try layers[0].decode(String.self, at: 3) == "premium_hand")

        // Every event of the run carries its correlation id: both sources started and completed,
        // and a hand_created per hand.
        try await waitUntil("the run's events") {
            received.withLock { events in events.filter { $0.correlationID == output.correlationID && $0.type == "hand_created" }.count == 5 }
        }
        let mine = received.withLock { $0.filter { $0.correlationID == output.correlationID } }
        #expect(mine.filter { $0.type == "sync_started" }.count == 3, "gfx, wsop and the full run")
        #expect(mine.filter { $0.type == "sync_completed" }.count == 3)
        #expect(result.stderr.split(separator: "\n").filter { $0.contains(" info ") }.allSatisfy { $0.contains("correlation_id=\(output.correlationID)") })

        // Again: nothing new, no second instruction.
        let again = try await run(["all", "--gfx", Self.samples.appendingPathComponent("gfx").path,
                                   "--wsop", Self.samples.appendingPathComponent("wsop").path, "--json"], env: env)
        #expect(again.status == 0)
        let second = try JSONDecoder.snakeCase.decode(Output.self, from: Data(again.stdout.utf8))
        #expect(second.sources.allSatisfy { $0.counts.filesUnchanged == $0.counts.filesSeen && $0.counts.rowsCreated == 0 })
        #expect(try await Self.count(pool, "SELECT count(*) FROM render_instructions") == 1)

        let status = try await run(["status", "--json"], env: env)
        #expect(status.status == 0)
        #expect(status.stdout.contains("\"synced\""))
        reader.cancel()
        subscription.cancel()
        await listener.close()
        await pool.close()
    }

    @Test func badFilesMakeExitStatusOneAndAreInTheHistory() async throws {
        let (env, pool) = try await Self.environment()
        let root = try Self.exportTree(count: 2)
        try Data("{\"ID\": 1, \"Hands\": [".utf8).write(to: root.appendingPathComponent("Table 0/PGFX_live_data_export GameID=1.json"))
        let result = try await run(["gfx", root.path], env: env)
        #expect(result.status == 1)
        #expect(result.stdout.contains("GameID=1.json"))
        #expect(try await Self.count(pool, "SELECT count(*) FROM gfx_sessions") == 2, "the good files are imported")
        let recorded = try await pool.query("SELECT e.path, e.reason FROM sync_file_errors e JOIN sync_history h ON h.id = e.history_id WHERE h.status = 'failed'")
        #expect(recorded.count == 1)
        #expect(try recorded[0].decode(String.self, at: 0).hasSuffix("GameID=1.json"))
        #expect(try recorded[0].decode(String.self, at: 1).contains("not valid JSON"))
        #expect(try await Self.count(pool, "SELECT count(*) FROM sync_status WHERE source = 'gfx' AND status = 'failed' AND retry_count = 1") == 3)
        // A bad file is not a failing source: it never trips the circuit breaker.
        #expect(try await Self.count(pool, "SELECT count(*) FROM sync_status WHERE source = 'gfx' AND consecutive_failures = 0") == 3)
        let status = try await run(["status"], env: env)
        #expect(status.stdout.contains("GameID=1.json"))
        await pool.close()
    }

    @Test func badWSOPFilesMakeExitStatusOneAndTheGoodOnesImport() async throws {
        let (env, pool) = try await Self.environment()
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("wsop bad=\(UUID().uuidString)")
        try FileManager.default.copyItem(at: Self.samples.appendingPathComponent("wsop/2026-07-10"), to: root.appendingPathComponent("good"))
        let bad = root.appendingPathComponent("bad")
        try FileManager.default.createDirectory(at: bad, withIntermediateDirectories: true)
        try Data("event,player,chips,colour\nWSOP-2026-E76,Ann,100,red\n".utf8).write(to: bad.appendingPathComponent("ChipCounts.csv"))
        try Data("event,rank,player,chips\nWSOP-2026-E76,1,Ann,-100\n".utf8).write(to: bad.appendingPathComponent("Standings.csv"))
        let result = try await run(["wsop", root.path], env: env)
        #expect(result.status == 1)
        #expect(result.stdout.contains("unknown column 'colour'"))
        #expect(try await Self.count(pool, "SELECT count(*) FROM sync_file_errors") == 2)
        #expect(try await Self.count(pool, "SELECT count(*) FROM wsop_chip_counts") == 5, "only the good export's counts")
        #expect(try await Self.count(pool, "SELECT count(*) FROM wsop_standings") == 5)
        #expect(try await Self.count(pool, "SELECT count(*) FROM sync_status WHERE source = 'wsop' AND status = 'failed'") == 2,
                "chip_counts and standings failed; events and players synced")
        await pool.close()
    }

    @Test func twoConcurrentRunsNeverImportTwice() async throws {
        let (env, pool) = try await Self.environment()
        let root = try Self.exportTree(count: 60)
        let results = try await withThrowingTaskGroup(of: ProcessRunner.Result.self) { group in
            for _ in 0..<2 { group.addTask { try await run(["gfx", root.path, "--json", "--no-progress"], env: env) } }
            var all: [ProcessRunner.Result] = []
            for try await r in group { all.append(r) }
            return all
        }
        #expect(results.allSatisfy { $0.status == 0 }, "\(results.map(\.stderr))")
        #expect(try await Self.count(pool, "SELECT count(*) FROM gfx_sessions") == 60)
        #expect(try await Self.count(pool, "SELECT count(*) FROM gfx_hands") == 120)
        #expect(try await Self.count(pool, "SELECT count(*) FROM gfx_files") == 60)
        // Each file was imported by exactly one of the runs; the other skipped or found it unchanged.
        #expect(try await Self.count(pool, "SELECT coalesce(sum(files_imported), 0)::int FROM sync_history WHERE source = 'gfx'") == 60)
        await pool.close()
    }

    @Test func aRunWhileTheLockIsHeldIsSkipped() async throws {
        let (env, pool) = try await Self.environment()
        let root = try Self.exportTree(count: 3)
        try await pool.withConnection { connection in
            try await connection.query("SELECT pg_advisory_lock(\(SyncSource.gfx.lockKey))")
            let result = try await run(["gfx", root.path], env: env)
            #expect(result.status == 0)
            #expect(result.stdout.contains("another hub-sync run is importing PokerGFX"))
            try await connection.query("SELECT pg_advisory_unlock(\(SyncSource.gfx.lockKey))")
        }
        #expect(try await Self.count(pool, "SELECT count(*) FROM gfx_sessions") == 0)
        #expect(try await Self.count(pool, "SELECT count(*) FROM sync_history WHERE status = 'skipped'") == 1)
        await pool.close()
    }

    @Test func watchImportsANewExportAndStopsOnSIGTERM() async throws {
        let (env, pool) = try await Self.environment()
        let root = try Self.exportTree(count: 1)
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("HUB_") }
        environment.merge(env) { $1 }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["gfx", root.path, "--watch", "--poll-seconds", "1", "--no-progress"]
        process.environment = environment
        process.currentDirectoryURL = HubctlTests.workDirectory
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        try await waitUntil("the first export imported", timeout: 30) { try await Self.count(pool, "SELECT count(*) FROM gfx_sessions") == 1 }
        // A new export appears in another table's folder.
        let other = try Self.exportTree(count: 2)
        let added = root.appendingPathComponent("Table 9")
        try FileManager.default.createDirectory(at: added, withIntermediateDirectories: true)
        let source = try FileManager.default.contentsOfDirectory(at: other.appendingPathComponent("Table 1"), includingPropertiesForKeys: nil)[0]
        try FileManager.default.copyItem(at: source, to: added.appendingPathComponent(source.lastPathComponent))
        try await waitUntil("the new export imported", timeout: 30) { try await Self.count(pool, "SELECT count(*) FROM gfx_sessions") == 2 }
        #expect(try await Self.count(pool, "SELECT count(*) FROM service_registry WHERE kind = 'hub-sync'") == 1)
        process.terminate()
        try await waitUntil("hub-sync exits", timeout: 30) { !process.isRunning }
        #expect(process.terminationStatus == 0)
        await pool.close()
    }

    /// Under the process runtime (issue 14): `/metrics` on `--metrics-port` counts the watch's
    /// files while it imports, and SIGTERM in the middle of a long import stops it at a file
    /// boundary — the files started are whole, the rest wait for the next run — within the grace.
    @Test func watchStopsMidImportAtAFileBoundaryAndExposesMetrics() async throws {
        let (baseEnv, pool) = try await Self.environment()
        var env = baseEnv
        env["HUB_API_KEYS"] = "sync-metrics-key"
        let total = 400
        let root = try Self.exportTree(count: total)
        let handsPerFile = try SyncFixturesCount.handsIn(Self.samples.appendingPathComponent("gfx/GG/PGFX_live_data_export GameID=638961999170907267.json"))
        #expect(handsPerFile == 2)
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("HUB_") }
        environment.merge(env) { $1 }
        let port = HTTPProbe.freePort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["gfx", root.path, "--watch", "--poll-seconds", "1", "--no-progress", "--concurrency", "1",
                             "--metrics-port", String(port), "--grace", "60s"]
        process.environment = environment
        process.currentDirectoryURL = HubctlTests.workDirectory
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.interrupt() } }
        try await waitUntil("some exports imported", timeout: 60) { try await Self.count(pool, "SELECT count(*) FROM gfx_sessions") >= 10 }
        let metrics = try #require(HTTPProbe.get(port: port, path: "/metrics", headers: ["X-API-Key": "sync-metrics-key"]))
        #expect(metrics.status == 200)
        #expect(metrics.body.contains("hub_process_up{program=\"hub-sync\"} 1"))
        // Files are counted as each one ends, not when the pass ends (this pass is still running).
        let importedLine = metrics.body.split(separator: "\n").first { $0.hasPrefix("hub_sync_files_total{") && $0.contains("outcome=\"imported\"") }
        #expect(importedLine.flatMap { Double($0.split(separator: " ").last ?? "") }.map { $0 >= 1 } == true,
                "hub_sync_files_total mid-import: \(metrics.body.split(separator: "\n").filter { $0.contains("hub_sync") })")
        #expect(HTTPProbe.get(port: port, path: "/metrics")?.status == 401, "/metrics needs credentials")
        process.terminate()
        try await waitUntil("hub-sync exits after SIGTERM", timeout: 60) { !process.isRunning }
        #expect(process.terminationStatus == 0)
        let imported = try await Self.count(pool, "SELECT count(*) FROM gfx_sessions")
        #expect(imported < total, "stopped mid-import (\(imported) of \(total) files)")
        let hands = try await Self.count(pool, "SELECT count(*) FROM gfx_hands")
        #expect(hands == imported * handsPerFile, "every imported file is whole")
        #expect(try await Self.count(pool, "SELECT count(*) FROM service_registry WHERE kind = 'hub-sync' AND stopped_at IS NULL") == 0)

        // The next run imports the rest.
        let rest = try await run(["gfx", root.path, "--no-progress"], env: env)
        #expect(rest.status == 0)
        #expect(try await Self.count(pool, "SELECT count(*) FROM gfx_sessions") == total)
        await pool.close()
    }
}

/// The hands of one export file (its `Hands` array).
enum SyncFixturesCount {
    static func handsIn(_ url: URL) throws -> Int {
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any]
        return (object?["Hands"] as? [Any])?.count ?? 0
    }
}
