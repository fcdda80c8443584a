import Foundation
@testable import HubCore
import HubPostgres
import HubTestSupport
import Testing

/// Issue 13 (fuzzing): the importers over seeded mutations of the real exports, against a real
/// database. Every file is imported alone and the tables compared before and after: a refused file
/// changes nothing (not a row, not a value), an imported one adds exactly the hands, seats and
/// events its parse holds; the same tree through a ``SyncRunner`` records each refused file with
/// its reason and still imports the good ones.
@Suite(.serialized, .timeLimit(.minutes(3))) struct ImportFuzzTests {
    typealias F = SyncFixtures
    static let seed = InputFuzzer.seed(fallback: 0x13_5EED)

    /// Row count and a digest of every row of each table: equal digests mean nothing was
    /// written, updated or deleted.
    static func fingerprint(_ pool: PostgresPool, _ tables: [String]) async throws -> [String: (rows: Int, digest: String)] {
        var result: [String: (rows: Int, digest: String)] = [:]
        for table in tables {
            let row = try await pool.query("""
                SELECT count(*), coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') FROM \(identifier: table) t
                """)[0]
            result[table] = (try row.decode(Int.self, at: 0), try row.decode(String.self, at: 1))
        }
        return result
    }

    static let gfxTables = ["gfx_sessions", "gfx_hands", "gfx_hand_players", "gfx_events", "gfx_players", "gfx_files"]
    static let wsopTables = ["wsop_events", "wsop_players", "wsop_event_players", "wsop_chip_counts", "wsop_standings", "wsop_payouts",
                             "broadcast_schedule"]

    /// `count` mutations of the two real exports, each first given a session id of its own (so
    /// their rows can be told apart), written under `root/Fuzz`; the real exports under `root/GG`.
    static func gfxTree(count: Int) throws -> (root: URL, cases: [String: String]) {
        let root = try F.temporaryDirectory()
        var cases: [String: String] = [:]
        for name in [F.firstName, F.secondName] { try F.write(try F.sample(name), to: "GG/\(name)", under: root) }
        for index in 0..<count {
            let name = index % 2 == 0 ? F.firstName : F.secondName
            let id = 700_000_000_000 + index
            let original = String(decoding: try F.sample(name), as: UTF8.self)
            let text = original.replacingOccurrences(of: "\"ID\":\(name == F.firstName ? "638961224831992165" : "638961999170907267")",
                                                     with: "\"ID\":\(id)")
            precondition(text != original)
            var rng = InputFuzzer.generator(seed: seed, label: "gfx import", index: index)
            let mutation = InputFuzzer.mutate(Data(text.utf8), format: .json, using: &rng)
            let url = try F.write(mutation.data, to: "Fuzz/PGFX_live_data_export GameID=\(id).json", under: root)
            cases[url.standardizedFileURL.path] = InputFuzzer.caseName(seed: seed, label: "gfx import", index: index, mutation: mutation)
        }
        return (root, cases)
    }

    @Test func mutatedPokerGFXExportsImportWholeOrNotAtAll() async throws {
        let pool = try await F.migratedPool()
        let (root, cases) = try Self.gfxTree(count: 60)
        let files = try GFXScanner.scan([root.path])
        #expect(files.count == 62)
        var handKeys = Set<String>(), nameKeys = Set<String>(), hashes = Set<String>(), sessions = Set<Int64>()
        var failed: [String: SyncFileError] = [:], refusedByDatabase = 0
        var before = try await Self.fingerprint(pool, Self.gfxTables)
        for file in files {
            let name = cases[file.path] ?? "real export \(file.path)"
            let data = try Data(contentsOf: URL(fileURLWithPath: file.path))
            let parsed = Result { try GFXImporter.check(data, path: file.path) }
            let report = try await GFXImporter(pool: pool, concurrency: 1).importFiles([file])
            let after = try await Self.fingerprint(pool, Self.gfxTables)
            defer { before = after }
            if report.counts.filesFailed == 1 {
                let error = try #require(report.counts.errors.first)
                failed[file.path] = error
                #expect(!error.reason.isEmpty, "\(name)")
                for table in Self.gfxTables {
                    #expect(after[table]!.digest == before[table]!.digest, "\(name): refused (\(error)) but \(table) changed")
                }
                if case .success = parsed { refusedByDatabase += 1 }
                continue
            }
            guard case .success(let record) = parsed else {
                Issue.record("\(name): imported although its check fails: \(parsed)")
                continue
            }
            let hash = GFXImporter.sha256(data)
            if report.counts.filesUnchanged == 1 || hashes.contains(hash) {
                #expect(report.counts.filesUnchanged == 1 && hashes.contains(hash), "\(name)")
                for table in Self.gfxTables { #expect(after[table]!.digest == before[table]!.digest, "\(name): unchanged, but \(table) changed") }
                continue
            }
            #expect(report.counts.filesImported == 1, "\(name): \(report.counts)")
            hashes.insert(hash)
            // Exactly the hands this file adds (a hand is its session, number and start), with their
            // seats and events, the new master players, the session if new, the file row.
            var seats = 0, events = 0, players = 0, hands = 0
            for hand in record.hands where handKeys.insert("\(record.gfxID)|\(hand.handNum)|\(hand.startedAt)").inserted {
                hands += 1
                seats += hand.players.count
                events += hand.events.count
                for player in hand.players where !player.nameKey.isEmpty && nameKeys.insert(player.nameKey).inserted { players += 1 }
            }
            let newSession = sessions.insert(record.gfxID).inserted
            func delta(_ table: String) -> Int { after[table]!.rows - before[table]!.rows }
            #expect(delta("gfx_sessions") == (newSession ? 1 : 0), "\(name)")
            #expect(delta("gfx_hands") == hands, "\(name)")
            #expect(delta("gfx_hand_players") == seats, "\(name)")
            #expect(delta("gfx_events") == events, "\(name)")
            #expect(delta("gfx_players") == players, "\(name)")
            #expect(delta("gfx_files") == 1, "\(name)")
        }
        print("gfx import fuzz (seed 0x\(String(Self.seed, radix: 16))): \(files.count) files, \(failed.count) refused (\(refusedByDatabase) by the database)")
        #expect(failed.count > 20 && failed.count < 60, "the mutations reach both outcomes")
        #expect(failed.keys.allSatisfy { $0.contains("/Fuzz/") }, "the real exports import")

        // The same tree through a sync run: each refused file in sync_file_errors with its reason,
        // the real exports imported, the same rows.
        let fresh = try await F.migratedPool()
        var runner = SyncRunner(pool: fresh, events: nil)
        runner.concurrency = 1
        let result = await runner.syncGFX(directories: [root.path])
        #expect(result.status == "failed" && result.counts.filesFailed == failed.count && result.counts.filesSeen == 62, "\(result)")
        let recorded = try await fresh.query("SELECT path, reason FROM sync_file_errors WHERE history_id = \(result.runID)")
        let recordedPaths = Set(try recorded.map { try $0.decode(String.self, at: 0) })
        #expect(recordedPaths == Set(failed.keys), """
            only in the run: \(recordedPaths.subtracting(failed.keys).map { cases[$0] ?? $0 }); \
            only file by file: \(Set(failed.keys).subtracting(recordedPaths).map { "\(cases[$0] ?? $0): \(failed[$0]!)" })
            """)
        #expect(try recorded.allSatisfy { !(try $0.decode(String.self, at: 1)).isEmpty })
        let history = try await fresh.query("SELECT status, files_failed FROM sync_history WHERE id = \(result.runID)")
        #expect(try history[0].decode(String.self, at: 0) == "failed" && history[0].decode(Int.self, at: 1) == failed.count)
        let real = try await fresh.query("""
            SELECT s.gfx_id, count(h.id) FROM gfx_sessions s JOIN gfx_hands h ON h.session_id = s.id
            WHERE s.gfx_id IN (638961224831992165, 638961999170907267) GROUP BY 1 ORDER BY 1
            """)
        #expect(try real.map { [try $0.decode(Int64.self, at: 0), try $0.decode(Int64.self, at: 1)] }
                == [[638_961_224_831_992_165, 3], [638_961_999_170_907_267, 2]])
        let mine = try await Self.fingerprint(fresh, Self.gfxTables)
        for table in Self.gfxTables { #expect(mine[table]!.rows == before[table]!.rows, "\(table)") }
        await pool.close()
        await fresh.close()
    }

    /// The parser of each WSOP+ file, to tell whether a mutated file is well-formed.
    static let wsopParsers: [String: @Sendable (Data) throws -> Void] = [
        "Events.json": { _ = try WSOPRecords.events($0) },
        "Players.json": { _ = try WSOPRecords.players($0) },
        "ChipCounts.csv": { _ = try WSOPRecords.chipCounts($0, defaultTime: "2026-07-10T18:00:00Z") },
        "Standings.csv": { _ = try WSOPRecords.standings($0, defaultTime: "2026-07-10T18:00:00Z") },
        "tournament_data.csv": { _ = try WSOPRecords.tournaments($0) },
        "payout_structure.csv": { _ = try WSOPRecords.payouts($0) },
        "broadcast_schedule.csv": { _ = try WSOPRecords.schedule($0) },
    ]

    @Test func mutatedWSOPExportsImportWholeOrNotAtAll() async throws {
        let pool = try await F.migratedPool()
        let sample = TestServices.repositoryRoot.appendingPathComponent("Samples/wsop/2026-07-10")
        let names = try FileManager.default.contentsOfDirectory(atPath: sample.path).sorted()
        #expect(names.count == 7)
        let root = try F.temporaryDirectory()
        var cases: [String: String] = [:]
        for name in names { try F.write(try Data(contentsOf: sample.appendingPathComponent(name)), to: "0-sample/\(name)", under: root) }
        for index in 0..<56 {
            let name = names[index % names.count]
            var rng = InputFuzzer.generator(seed: Self.seed, label: "wsop import", index: index)
            let mutation = InputFuzzer.mutate(try Data(contentsOf: sample.appendingPathComponent(name)),
                                              format: name.hasSuffix(".json") ? .json : .csv, using: &rng)
            let url = try F.write(mutation.data, to: String(format: "fuzz-%02d/", index) + name, under: root)
            cases[url.standardizedFileURL.path] = InputFuzzer.caseName(seed: Self.seed, label: "wsop import", index: index, mutation: mutation)
        }
        let files = try WSOPImporter.scan(root.path)
        #expect(files.count == 63)
        var failed: [String: SyncFileError] = [:]
        var before = try await Self.fingerprint(pool, Self.wsopTables)
        for file in files {
            let name = cases[file.path] ?? "sample \(file.path)"
            let fileName = URL(fileURLWithPath: file.path).lastPathComponent
            let parses = (try? Self.wsopParsers[fileName]!(try Data(contentsOf: URL(fileURLWithPath: file.path)))) != nil
            let report = try await WSOPImporter(pool: pool).importFiles([file])
            let after = try await Self.fingerprint(pool, Self.wsopTables)
            defer { before = after }
            let log = try await pool.query("SELECT status FROM wsop_import_logs WHERE file_name = \(file.path) ORDER BY id DESC LIMIT 1")
            if report.counts.filesFailed == 1 {
                let error = try #require(report.counts.errors.first)
                failed[file.path] = error
                #expect(!error.reason.isEmpty, "\(name)")
                #expect(try log.first?.decode(String.self, at: 0) == "failed", "\(name): the refusal is logged")
                for table in Self.wsopTables {
                    #expect(after[table]!.digest == before[table]!.digest, "\(name): refused (\(error)) but \(table) changed")
                }
            } else {
                #expect(parses, "\(name): imported although its parse fails")
                if report.counts.filesImported == 1 { #expect(try log.first?.decode(String.self, at: 0) == "imported", "\(name)") }
            }
        }
        print("wsop import fuzz (seed 0x\(String(Self.seed, radix: 16))): \(files.count) files, \(failed.count) refused")
        #expect(failed.count > 20, "most mutations break a file")
        #expect(failed.keys.allSatisfy { $0.contains("/fuzz-") }, "the sample export imports")
        await pool.close()
    }
}
