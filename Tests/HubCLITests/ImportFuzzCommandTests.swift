import Foundation
#if canImport(Glibc)
import Glibc
#endif
import HubCore
import HubPostgres
import HubTestSupport
import Testing

/// Issue 13 (fuzzing), through the real executables: `hub-sync` once and as a `--watch` daemon
/// over export folders full of mutated real files, links, pipes and oversized files, and
/// `hubctl aep import` / `graphics import` / `graphics mapping import` over mutated description,
/// catalog and mapping files. No process dies (a trap or a crash is an exit status beyond 3, or
/// no JSON); each bad file is named with its reason; the good files import.
@Suite(.serialized, .timeLimit(.minutes(4))) struct ImportFuzzCommandTests {
    static let seed = InputFuzzer.seed(fallback: 0x13_C11)
    static let samples = TestServices.repositoryRoot.appendingPathComponent("Samples")
    static let gfxSample = samples.appendingPathComponent("gfx/GG/PGFX_live_data_export GameID=638961999170907267.json")

    /// Runs `executable` under `timeout` (a hang is exit status 124, not a stuck test).
    static func run(_ executable: String, _ arguments: [String], env: [String: String], seconds: Int = 120) async throws -> ProcessRunner.Result {
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("HUB_") }
        environment.merge(env) { $1 }
        return try await ProcessRunner.run("/usr/bin/timeout", ["--kill-after=5", String(seconds), executable] + arguments,
                                           environment: environment, currentDirectory: HubctlTests.workDirectory)
    }

    /// The second real export with session id `id` (and `edit` applied to its text).
    static func export(id: Int64, edit: (String) -> String = { $0 }) throws -> Data {
        let text = try String(contentsOf: gfxSample, encoding: .utf8).replacingOccurrences(of: "\"ID\":638961999170907267", with: "\"ID\":\(id)")
        return Data(edit(text).utf8)
    }

    static func write(_ data: Data, _ url: URL) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: url)
    }

    /// A PokerGFX tree (`GG` with the real export, `Fuzz` with mutated ones and the files that are
    /// not exports) and a WSOP+ tree (`good` and mutated export folders, a folder of links and
    /// pipes, and values that trapped hub-sync: 20-digit ids and 1e19 in Events.json, a NUL in a
    /// CSV cell).
    static func trees(gfxMutations: Int, wsopMutations: Int) throws -> (gfx: URL, wsop: URL, cases: [String]) {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("hub-sync fuzz=\(UUID().uuidString)")
        let gfx = base.appendingPathComponent("gfx"), wsop = base.appendingPathComponent("wsop")
        var cases: [String] = []
        try write(try Data(contentsOf: gfxSample), gfx.appendingPathComponent("GG/\(gfxSample.lastPathComponent)"))
        for index in 0..<gfxMutations {
            var rng = InputFuzzer.generator(seed: seed, label: "hub-sync gfx", index: index)
            let mutation = InputFuzzer.mutate(try export(id: 800_000_000_000 + Int64(index)), format: .json, using: &rng)
            try write(mutation.data, gfx.appendingPathComponent("Fuzz/PGFX_live_data_export GameID=\(800_000_000_000 + index).json"))
            cases.append(InputFuzzer.caseName(seed: seed, label: "hub-sync gfx", index: index, mutation: mutation))
        }
        // A player named with a NUL, which PostgreSQL text cannot hold.
        try write(try export(id: 800_100_000_001) { $0.replacingOccurrences(of: "\"Name\":\"", with: "\"Name\":\"nul\\u0000") },
                  gfx.appendingPathComponent("Fuzz/nul-name.json"))
        try write(try export(id: 800_100_000_002) { $0 + String(repeating: " ", count: 300_000) }, gfx.appendingPathComponent("Fuzz/oversized.json"))
        try FileManager.default.createSymbolicLink(atPath: gfx.appendingPathComponent("Fuzz/passwd.json").path, withDestinationPath: "/etc/passwd")
        try FileManager.default.createSymbolicLink(atPath: gfx.appendingPathComponent("Fuzz/dangling.json").path, withDestinationPath: "/nonexistent/x.json")
        #expect(mkfifo(gfx.appendingPathComponent("Fuzz/pipe.json").path, 0o644) == 0)

        let sample = samples.appendingPathComponent("wsop/2026-07-10")
        let names = try FileManager.default.contentsOfDirectory(atPath: sample.path).sorted()
        for name in names { try write(try Data(contentsOf: sample.appendingPathComponent(name)), wsop.appendingPathComponent("good/\(name)")) }
        for index in 0..<wsopMutations {
            let name = names[index % names.count]
            var rng = InputFuzzer.generator(seed: seed, label: "hub-sync wsop", index: index)
            let mutation = InputFuzzer.mutate(try Data(contentsOf: sample.appendingPathComponent(name)), format: name.hasSuffix(".json") ? .json : .csv,
                                              using: &rng)
            try write(mutation.data, wsop.appendingPathComponent(String(format: "fuzz-%02d/", index) + name))
            cases.append(InputFuzzer.caseName(seed: seed, label: "hub-sync wsop", index: index, mutation: mutation))
        }
        try write(Data(#"[{"id": 12345678901234567890, "name": "twenty digits"}]"#.utf8), wsop.appendingPathComponent("trap-id/Events.json"))
        try write(Data(#"{"events": [{"id": "E-1e19", "name": "huge", "buy_in": 1e19, "entries": -1e19}]}"#.utf8),
                  wsop.appendingPathComponent("trap-number/Events.json"))
        try write(Data("event,player,chips\nE1,nul\u{0}name,1000\n".utf8), wsop.appendingPathComponent("trap-nul/ChipCounts.csv"))
        try FileManager.default.createDirectory(at: wsop.appendingPathComponent("links"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: wsop.appendingPathComponent("links/Players.json").path, withDestinationPath: "/etc/passwd")
        #expect(mkfifo(wsop.appendingPathComponent("links/ChipCounts.csv").path, 0o644) == 0)
        try FileManager.default.createDirectory(at: wsop.appendingPathComponent("links/Standings.csv"), withIntermediateDirectories: true)
        return (gfx, wsop, cases)
    }

    struct Output: Decodable {
        struct Source: Decodable { var source: String; var status: String; var counts: SyncCounts }
        var sources: [Source]
        var succeeded: Bool
    }

    @Test func hubSyncOnceOverMutatedExportsSkipsEachBadFileWithItsReason() async throws {
        let (env, pool) = try await HubSyncTests.environment()
        let (gfx, wsop, cases) = try Self.trees(gfxMutations: 24, wsopMutations: 21)
        var settings = env
        settings["HUB_SYNC_MAX_FILE_BYTES"] = "250000"
        let result = try await Self.run(HubSyncTests.binary, ["all", "--gfx", gfx.path, "--wsop", wsop.path, "--json", "--no-render", "--no-progress"],
                                        env: settings)
        let context = "seed 0x\(String(Self.seed, radix: 16)), cases:\n\(cases.joined(separator: "\n"))\nstderr: \(result.stderr.suffix(3000))"
        #expect(result.status == 1, "exit status \(result.status) (1: files were skipped; above 3: a crash or a hang); \(context)")
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let output = try #require(try? decoder.decode(Output.self, from: Data(result.stdout.utf8)), "no result printed; \(context)")
        let gfxResult = try #require(output.sources.first { $0.source == "gfx" })
        let wsopResult = try #require(output.sources.first { $0.source == "wsop" })
        let gfxErrors = Dictionary(gfxResult.counts.errors.map { (URL(fileURLWithPath: $0.path).lastPathComponent, $0.reason) }) { $1 }
        #expect(gfxErrors["oversized.json"]?.contains("HUB_SYNC_MAX_FILE_BYTES") == true, "\(gfxErrors)")
        #expect(gfxErrors["passwd.json"]?.contains("symbolic link") == true && gfxErrors["dangling.json"] != nil && gfxErrors["pipe.json"] != nil)
        #expect(gfxErrors["nul-name.json"] != nil, "\(gfxErrors)")
        #expect(gfxResult.counts.filesFailed == gfxResult.counts.errors.count)
        #expect(gfxResult.counts.filesImported + gfxResult.counts.filesFailed + gfxResult.counts.filesUnchanged == gfxResult.counts.filesSeen)
        #expect(gfxResult.counts.errors.allSatisfy { $0.path.contains("/Fuzz/") && !$0.reason.isEmpty }, "the real export imports: \(gfxErrors)")
        let wsopErrors = wsopResult.counts.errors
        for folder in ["trap-id", "trap-number", "trap-nul", "links"] {
            #expect(wsopErrors.contains { $0.path.contains("/\(folder)/") }, "\(folder) is skipped with its reason: \(wsopErrors)")
        }
        #expect(!wsopErrors.contains { $0.path.contains("/good/") }, "the good export imports: \(wsopErrors)")
        #expect(wsopResult.counts.filesFailed == wsopErrors.count)
        // Every skipped file is in the sync history with its reason.
        let recorded = try await HubSyncTests.count(pool, "SELECT count(*) FROM sync_file_errors WHERE reason <> ''")
        #expect(recorded == gfxResult.counts.errors.count + wsopErrors.count)
        #expect(try await HubSyncTests.count(pool, "SELECT count(*) FROM sync_history WHERE status = 'in_progress'") == 0)
        let real = try await pool.query("SELECT count(*) FROM gfx_hands h JOIN gfx_sessions s ON s.id = h.session_id WHERE s.gfx_id = 638961999170907267")
        #expect(try real[0].decode(Int.self, at: 0) == 2)
        #expect(try await HubSyncTests.count(pool, "SELECT count(*) FROM wsop_payouts") >= 6)
        let status = try await Self.run(HubSyncTests.binary, ["status"], env: env)
        #expect(status.status == 0, "\(status.stderr)")
        await pool.close()
    }

    @Test func theWatchDaemonSurvivesBadExportsAndImportsTheNextGoodOne() async throws {
        let (env, pool) = try await HubSyncTests.environment()
        let (gfx, wsop, cases) = try Self.trees(gfxMutations: 8, wsopMutations: 7)
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("HUB_") }
        environment.merge(env) { $1 }
        environment["HUB_SYNC_MAX_FILE_BYTES"] = "250000"
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("hub-sync-watch-\(UUID().uuidString).log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: HubSyncTests.binary)
        process.arguments = ["all", "--gfx", gfx.path, "--wsop", wsop.path, "--watch", "--poll-seconds", "1", "--no-render", "--no-progress"]
        process.environment = environment
        process.currentDirectoryURL = HubctlTests.workDirectory
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: log)
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        func context() -> String {
            "seed 0x\(String(Self.seed, radix: 16)); cases:\n\(cases.joined(separator: "\n"))\nlog: \(((try? String(contentsOf: log, encoding: .utf8)) ?? "").suffix(3000))"
        }
        try await waitUntil("both sources ran once", timeout: 60) {
            guard process.isRunning else { return true }
            return try await HubSyncTests.count(pool, "SELECT count(DISTINCT source) FROM sync_history WHERE finished_at IS NOT NULL") == 2
        }
        #expect(process.isRunning, "hub-sync --watch died on the bad files (status \(process.isRunning ? 0 : process.terminationStatus)); \(context())")
        guard process.isRunning else { return }
        // A new good export appears: the daemon is alive and imports it.
        try Self.write(try Self.export(id: 800_200_000_001), gfx.appendingPathComponent("GG/PGFX_live_data_export GameID=800200000001.json"))
        try await waitUntil("the new export imported", timeout: 60) {
            try await HubSyncTests.count(pool, "SELECT count(*) FROM gfx_sessions WHERE gfx_id = 800200000001") == 1 || !process.isRunning
        }
        #expect(try await HubSyncTests.count(pool, "SELECT count(*) FROM gfx_sessions WHERE gfx_id = 800200000001") == 1, "\(context())")
        process.terminate()
        try await waitUntil("hub-sync exits", timeout: 30) { !process.isRunning }
        #expect(process.terminationStatus == 0, "\(context())")
        await pool.close()
    }

    @Test func hubctlImportsOfMutatedDescriptionsCatalogsAndMappings() async throws {
        let (env, pool) = try await HubSyncTests.environment()
        let root = TestServices.repositoryRoot
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("hubctl fuzz=\(UUID().uuidString)")
        let inputs: [(label: String, file: URL, format: InputFuzzer.Format, command: [String])] = [
            ("aep", root.appendingPathComponent("Samples/aep/wsop-graphics.json"), .json, ["aep", "import"]),
            ("catalog", root.appendingPathComponent("Graphics/catalog.json"), .json, ["graphics", "import"]),
            ("mapping", root.appendingPathComponent("Graphics/CyprusDesign.yaml"), .yaml, ["graphics", "mapping", "import"]),
        ]
        for input in inputs {
            let original = try Data(contentsOf: input.file)
            for index in 0..<6 {
                var rng = InputFuzzer.generator(seed: Self.seed, label: "hubctl \(input.label)", index: index)
                let mutation = InputFuzzer.mutate(original, format: input.format, using: &rng)
                let file = folder.appendingPathComponent("\(input.label)-\(index).\(input.file.pathExtension)")
                try Self.write(mutation.data, file)
                let result = try await Self.run(HubctlTests.hubctl, input.command + [file.path], env: env)
                let name = InputFuzzer.caseName(seed: Self.seed, label: "hubctl \(input.label)", index: index, mutation: mutation)
                #expect((0...3).contains(result.status), "\(name): exit status \(result.status): \(result.stderr.suffix(2000))")
                if result.status != 0 { #expect(result.stderr.contains("error"), "\(name): \(result.stderr.suffix(500))") }
            }
            // Beyond the cap: refused before it is read, saying which setting.
            let big = try await Self.run(HubctlTests.hubctl, input.command + [input.file.path], env: env.merging(["HUB_SYNC_MAX_FILE_BYTES": "1024"]) { $1 })
            #expect(big.status != 0 && big.stderr.contains("HUB_SYNC_MAX_FILE_BYTES"), "\(input.label): \(big.stderr)")
            // A folder is not a file.
            let directory = try await Self.run(HubctlTests.hubctl, input.command + [folder.path], env: env)
            #expect((1...3).contains(directory.status) && directory.stderr.contains("folder"), "\(input.label): \(directory.stderr)")
            // A link the operator names is followed.
            let link = folder.appendingPathComponent("link-\(input.label).\(input.file.pathExtension)")
            try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: input.file.path)
            let linked = try await Self.run(HubctlTests.hubctl, input.command + [link.path], env: env)
            #expect(linked.status == 0, "\(input.label): \(linked.stderr)")
        }
        await pool.close()
    }
}
