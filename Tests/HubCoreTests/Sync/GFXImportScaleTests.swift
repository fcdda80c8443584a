import Foundation
@testable import HubCore
import HubPostgres
import HubTestSupport
import Testing

/// What the import does to be fast (issue 17), and that it still means the same: the stat fast
/// path for unchanged files (and when it must not be trusted), grading and rule checks at import,
/// and the references between the GFX tables checked per statement.
@Suite struct GFXImportScaleTests {
    typealias F = SyncFixtures

    /// Writes both samples under a new tree, their times moved one minute back (so a read now is
    /// not racy), and returns the tree and the files.
    static func tree() throws -> (URL, [URL]) {
        let root = try F.temporaryDirectory()
        var urls: [URL] = []
        for name in [F.firstName, F.secondName] {
            let url = try F.write(try F.sample(name), to: "GG/\(name)", under: root)
            try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-60)], ofItemAtPath: url.path)
            urls.append(url)
        }
        return (root, urls)
    }

    /// An importer whose reads count as not racy once 50 ms passed since a file's last change.
    static func importer(_ pool: PostgresPool) -> GFXImporter {
        var importer = GFXImporter(pool: pool)
        importer.racyMarginNs = 50_000_000
        return importer
    }

    @Test func aPathIsTrustedOnlyWhenItsStatusIsUnchangedAndItsReadWasNotRacy() {
        let stat = GFXFileStat(size: 100, modifiedNs: 1_000_000_000_000, changedNs: 1_000_000_000_000, inode: 7, device: 3)
        let read = GFXRecordedPath(hash: "h", stat: stat, readAtNs: 1_000_000_000_000 + 5_000_000_000)
        #expect(read.proves(stat), "read 5 s after the last change, nothing changed since")
        var other = stat
        other.size = 101
        #expect(!read.proves(other), "size")
        other = stat
        other.modifiedNs += 1
        #expect(!read.proves(other), "modification time, to the nanosecond")
        other = stat
        other.changedNs += 1
        #expect(!read.proves(other), "change time (a copy that kept the original's modification time)")
        other = stat
        other.inode = 8
        #expect(!read.proves(other), "another file renamed over it")
        other = stat
        other.device = 4
        #expect(!read.proves(other), "another file system")
        // Racy: the read began within the margin of the last change, so a write right after the
        // read may have left every time as it was.
        for readAt in [stat.modifiedNs, stat.modifiedNs + 1_999_999_999, stat.modifiedNs - 1_000] {
            #expect(!GFXRecordedPath(hash: "h", stat: stat, readAtNs: readAt).proves(stat), "read at \(readAt - stat.modifiedNs) ns")
        }
        var changedLater = stat
        changedLater.changedNs = stat.modifiedNs + 4_000_000_000
        #expect(!GFXRecordedPath(hash: "h", stat: changedLater, readAtNs: read.readAtNs).proves(changedLater), "the change time counts too")
    }

    @Test func unchangedFilesAreNotReadAndChangedOnesAre() async throws {
        let pool = try await F.migratedPool()
        let (root, urls) = try Self.tree()
        let importer = Self.importer(pool)
        // The files' last change (ctime, set by the tree's touch) must lie beyond the racy margin,
        // or the first import's reads would not count as proof.
        try await waitUntil("the files' last change beyond the racy margin", timeout: 10) {
            urls.allSatisfy { url in
                GFXFileStat.of(url.path).map { GFXFileStat.nowNs() - $0.changedNs > importer.racyMarginNs } ?? false
            }
        }
        let first = try await importer.importFiles(try GFXScanner.scan([root.path]))
        #expect(first.counts.filesImported == 2 && first.filesNotRead == 0)
        let recorded = try await pool.query("SELECT path, file_hash, byte_size FROM gfx_file_paths ORDER BY path")
        #expect(try recorded.map { try $0.decode(String.self, at: 0) } == urls.map(\.path))
        #expect(try recorded.map { try $0.decode(String.self, at: 1) } == [GFXImporter.sha256(try F.sample(F.firstName)), GFXImporter.sha256(try F.sample(F.secondName))])

        let again = try await importer.importFiles(try GFXScanner.scan([root.path]))
        #expect(again.counts.filesUnchanged == 2 && again.filesNotRead == 2 && again.counts.filesImported == 0)

        // The same size, another byte, the modification time put back: the change time and the
        // content tell.
        let original = try Data(contentsOf: urls[1])
        let modified = try #require(FileManager.default.attributesOfItem(atPath: urls[1].path)[.modificationDate] as? Date)
        let edited = Data(String(decoding: original, as: UTF8.self).replacingOccurrences(of: "PokerGFX 3.2", with: "PokerGFX 3.3").utf8)
        #expect(edited.count == original.count && edited != original)
        try edited.write(to: urls[1])
        try FileManager.default.setAttributes([.modificationDate: modified], ofItemAtPath: urls[1].path)
        try await Task.sleep(for: .milliseconds(100))
        let third = try await importer.importFiles(try GFXScanner.scan([root.path]))
        #expect(third.filesNotRead == 1 && third.counts.filesImported == 1, "\(third.counts)")
        #expect(third.newHandIDs.isEmpty, "the same hands")
        #expect(try await F.count(pool, "SELECT count(*) FROM gfx_sessions WHERE software_version = 'PokerGFX 3.3'") == 1)

        // Another file with the same bytes and times renamed over it: another inode.
        let copy = root.appendingPathComponent("copy.tmp")
        try edited.write(to: copy)
        try FileManager.default.setAttributes([.modificationDate: modified], ofItemAtPath: copy.path)
        #expect(rename(copy.path, urls[1].path) == 0)
        try await Task.sleep(for: .milliseconds(100))
        let fourth = try await importer.importFiles(try GFXScanner.scan([root.path]))
        #expect(fourth.filesNotRead == 1 && fourth.counts.filesUnchanged == 2, "read again, and its content known: \(fourth.counts)")

        // A grown export in place: read, and only its new hand added.
        var grown = try F.editable(F.firstName)
        var hands = grown["Hands"]!.arrayValue!
        if case .object(var hand) = hands[2] {
            hand["HandNum"] = .integer(3)
            hand["StartDateTimeUTC"] = .string("2025-10-15T19:00:00.0000000Z")
            hands.append(.object(hand))
        }
        grown["Hands"] = .array(hands)
        try F.encode(grown).write(to: urls[0])
        try await Task.sleep(for: .milliseconds(100))
        let fifth = try await importer.importFiles(try GFXScanner.scan([root.path]))
        #expect(fifth.counts.filesImported == 1 && fifth.newHandIDs.count == 1 && fifth.filesNotRead == 1, "\(fifth.counts)")
        await pool.close()
    }

    /// A read that began within the margin of the file's last change is not trusted: the next run
    /// reads the file again, even with every part of its status unchanged.
    @Test func aRacyReadIsReadAgain() async throws {
        let pool = try await F.migratedPool()
        let (root, _) = try Self.tree()
        var importer = GFXImporter(pool: pool)
        importer.racyMarginNs = 600_000_000_000 // ten minutes: every read here is racy
        _ = try await importer.importFiles(try GFXScanner.scan([root.path]))
        let again = try await importer.importFiles(try GFXScanner.scan([root.path]))
        #expect(again.filesNotRead == 0 && again.counts.filesUnchanged == 2, "read and hashed again: \(again.counts)")
        // Rewritten to other bytes with every part of the recorded status kept (as a write in the
        // same tick as the read would leave it): a racy record does not hide it.
        let path = try #require(try await pool.query("SELECT path FROM gfx_file_paths ORDER BY path LIMIT 1").first).decode(String.self, at: 0)
        var grown = try F.editable(F.firstName)
        grown["EventTitle"] = .string("rewritten")
        try F.encode(grown).write(to: URL(fileURLWithPath: path))
        let now = try #require(GFXFileStat.of(path))
        try await pool.execute("""
            UPDATE gfx_file_paths SET byte_size = \(now.size), mtime_ns = \(now.modifiedNs), ctime_ns = \(now.changedNs), inode = \(now.inode),
                device = \(now.device), read_at_ns = \(now.modifiedNs + 1_000_000_000) WHERE path = \(path)
            """)
        importer.racyMarginNs = GFXRecordedPath.racyMarginNs
        let third = try await importer.importFiles(try GFXScanner.scan([root.path]))
        #expect(third.counts.filesImported == 1, "the racy record was not trusted: \(third.counts)")
        #expect(try await F.count(pool, "SELECT count(*) FROM gfx_sessions WHERE event_title = 'rewritten'") == 1)
        await pool.close()
    }

    /// The importer grades the hands it adds; grading them again with ``HandGrader`` gives the same
    /// grades, and the summaries match the `hands` view.
    @Test func handsAreGradedAtImportAsTheGraderGradesThem() async throws {
        let pool = try await F.migratedPool()
        let root = try F.temporaryDirectory()
        for name in [F.firstName, F.secondName] { try F.write(try F.sample(name), to: "GG/\(name)", under: root) }
        // A session whose hands differ in length (broadcast-worthy needs 1.5 × the average).
        var long = try F.editable(F.secondName)
        long["ID"] = .integer(777)
        var hands = long["Hands"]!.arrayValue!
        for (index, duration) in ["PT10M", "PT1M"].enumerated() {
            if case .object(var hand) = hands[index] { hand["Duration"] = .string(duration); hands[index] = .object(hand) }
        }
        long["Hands"] = .array(hands)
        try F.write(try F.encode(long), to: "GG/PGFX_live_data_export GameID=777.json", under: root)

        let report = try await GFXImporter(pool: pool).importFiles(try GFXScanner.scan([root.path]))
        #expect(report.counts.filesImported == 3 && report.graded.count == 7)
        #expect(try await F.count(pool, "SELECT count(*) FROM gfx_hands WHERE graded_at IS NULL") == 0)
        let view = try await pool.query("SELECT id, table_id, hand_number, hand_rank, is_premium, broadcast_worthy FROM hands ORDER BY id")
        let fromView = try view.map { row in
            HandGrader.GradedHand(handID: try row.decode(Int64.self, at: 0), table: try row.decode(String.self, at: 1),
                                  handNumber: try row.decode(Int.self, at: 2), category: try row.decode(String?.self, at: 3),
                                  isPremium: try row.decode(Bool.self, at: 4), broadcastWorthy: try row.decode(Bool.self, at: 5))
        }
        #expect(report.graded.sorted { $0.handID < $1.handID } == fromView)
        #expect(fromView.contains(where: \.isPremium) && fromView.contains(where: \.broadcastWorthy) && fromView.contains { $0.category == nil })

        func grades() async throws -> [String] {
            try await pool.query("""
                SELECT g.hand_id, g.seat, g.category, g.category_rank, g.strength, g.best_five, p.id = g.hand_player_id
                FROM hand_grades g JOIN gfx_hand_players p ON p.hand_id = g.hand_id AND p.seat = g.seat ORDER BY 1, 2
                """).map { row in (0..<7).map { (try? row.decode(String.self, at: $0)) ?? "" }.joined(separator: "|") }
        }
        let atImport = try await grades()
        #expect(atImport.count == 6, "the three shown hands of the one hand with a board, in two sessions")
        try await pool.execute("DELETE FROM hand_grades")
        try await pool.execute("UPDATE gfx_hands SET graded_at = NULL")
        let regraded = try await HandGrader(pool: pool, events: nil).gradePending()
        #expect(try await grades() == atImport)
        #expect(regraded.sorted { $0.handID < $1.handID } == fromView)
        await pool.close()
    }

    /// Hands are inserted with the rules checked unless an enabled rule of a live or planned
    /// broadcast session watches their table.
    @Test func rulesAreCheckedAtImportWhenNoRuleWatchesTheTable() async throws {
        let pool = try await F.migratedPool()
        _ = try await GraphicsStore(pool: pool).load(try CueRuleEndToEndTests.catalog, sourceFile: nil, actor: "test")
        let root = try F.temporaryDirectory()
        try F.write(try F.sample(F.firstName), to: "GG/\(F.firstName)", under: root)
        try F.write(try F.sample(F.secondName), to: "Other/\(F.secondName)", under: root)
        let session = try await pool.query("""
            INSERT INTO broadcast_sessions (name, table_id, status, created_by) VALUES ('Feature', 'GG', 'planned', 'test') RETURNING id
            """)[0].decode(Int64.self, at: 0)
        _ = try await CueRuleStore(pool: pool).add(session: session, table: "GG", on: .every(1), composition: "_MAIN Mini Chip Count", actor: "test")
        _ = try await GFXImporter(pool: pool).importFiles(try GFXScanner.scan([root.path]))
        let pending = try await pool.query("""
            SELECT s.table_id, count(*) FILTER (WHERE h.rules_checked_at IS NULL), count(*)
            FROM gfx_hands h JOIN gfx_sessions s ON s.id = h.session_id GROUP BY 1 ORDER BY 1
            """).map { "\(try $0.decode(String.self, at: 0)) \(try $0.decode(Int.self, at: 1))/\(try $0.decode(Int.self, at: 2))" }
        #expect(pending == ["GG 3/3", "Other 0/2"], "watched table pending for the rules, the other checked")
        await pool.close()
    }

    /// The references between the GFX tables hold as their foreign keys did.
    @Test func referencesAreCheckedPerStatementAsForeignKeysWere() async throws {
        let pool = try await F.migratedPool()
        let root = try F.temporaryDirectory()
        for name in [F.firstName, F.secondName] { try F.write(try F.sample(name), to: "GG/\(name)", under: root) }
        _ = try await GFXImporter(pool: pool).importFiles(try GFXScanner.scan([root.path]))
        func refused(_ statement: PostgresQuery) async -> String? {
            do {
                try await pool.execute(statement)
                return nil
            } catch let error as PostgresError {
                return error.sqlState
            } catch {
                return "\(error)"
            }
        }
        #expect(await refused("INSERT INTO gfx_events (hand_id, seq, event_type) VALUES (-1, 0, 'FOLD')") == "23503")
        #expect(await refused("INSERT INTO gfx_hand_players (hand_id, seat) VALUES (-1, 1)") == "23503")
        #expect(await refused("INSERT INTO gfx_hand_players (hand_id, seat, player_id) SELECT id, 99, -5 FROM gfx_hands LIMIT 1") == "23503")
        #expect(await refused("INSERT INTO gfx_hands (session_id, hand_num, started_at) VALUES (-1, 1, now())") == "23503")
        #expect(await refused("""
            INSERT INTO hand_grades (hand_id, hand_player_id, seat, category, category_rank, strength, best_five)
            SELECT hand_id, -1, seat, 'pair', 1, 1, '{}' FROM gfx_hand_players LIMIT 1
            """) == "23503")
        #expect(await refused("UPDATE gfx_hand_players SET player_id = -5 WHERE id = (SELECT min(id) FROM gfx_hand_players)") == "23503")
        #expect(await refused("DELETE FROM gfx_players WHERE id = (SELECT min(player_id) FROM gfx_hand_players)") == "23503")
        #expect(await refused("UPDATE gfx_hands SET id = -id WHERE id = (SELECT min(id) FROM gfx_hands)") == "23503")
        // A valid row still goes in, and deleting a session takes everything of it along.
        #expect(await refused("""
            INSERT INTO gfx_events (hand_id, seq, event_type)
            SELECT h.id, 999, 'NOTE' FROM gfx_hands h JOIN gfx_sessions s ON s.id = h.session_id WHERE s.gfx_id = 638961224831992165 ORDER BY h.id LIMIT 1
            """) == nil)
        try await pool.execute("DELETE FROM gfx_sessions WHERE gfx_id = 638961999170907267")
        let orphans = try await pool.query("""
            SELECT (SELECT count(*) FROM gfx_hands h WHERE NOT EXISTS (SELECT 1 FROM gfx_sessions s WHERE s.id = h.session_id)),
                   (SELECT count(*) FROM gfx_hand_players p WHERE NOT EXISTS (SELECT 1 FROM gfx_hands h WHERE h.id = p.hand_id)),
                   (SELECT count(*) FROM gfx_events e WHERE NOT EXISTS (SELECT 1 FROM gfx_hands h WHERE h.id = e.hand_id)),
                   (SELECT count(*) FROM hand_grades g WHERE NOT EXISTS (SELECT 1 FROM gfx_hand_players p WHERE p.id = g.hand_player_id)),
                   (SELECT count(*) FROM gfx_hands), (SELECT count(*) FROM gfx_hand_players), (SELECT count(*) FROM gfx_events),
                   (SELECT count(*) FROM hand_grades)
            """)[0]
        #expect(try (0..<8).map { try orphans.decode(Int.self, at: $0) } == [0, 0, 0, 0, 3, 26, 16, 0])
        // A player no seat names any more can go.
        try await pool.execute("DELETE FROM gfx_players p WHERE NOT EXISTS (SELECT 1 FROM gfx_hand_players s WHERE s.player_id = p.id)")
        await pool.close()
    }

    /// The binary array parameters read back as the values written.
    @Test func arrayParametersReadBackAsTheirValues() async throws {
        let pool = try await F.migratedPool(connections: 1)
        let integers: [Int64] = [0, -1, 42, .max, .min]
        let doubles: [Double] = [0, -0.0, 25, 33.333333333333336, 1e-7, -1, 1e300, .leastNonzeroMagnitude]
        let strings = ["", "a b", "say \"hi\"", "back\\slash", "{,}", "NULL", "Ünal 김민수 \u{1F0A1}"]
        var a = ArrayParameter(.int8), b = ArrayParameter(.float8), c = ArrayParameter(.text), d = ArrayParameter(.bool)
        integers.forEach { a.append($0) }
        doubles.forEach { b.append($0) }
        strings.forEach { c.append($0) }
        [true, false].forEach { d.append($0) }
        let empty = ArrayParameter(.text)
        let row = try await pool.query("""
            SELECT \(a)::bigint[], \(b)::float8[], \(c)::text[], \(d)::boolean[], cardinality(\(empty)::text[]), array_ndims(\(a)::bigint[])
            """)[0]
        #expect(try row.decode([Int64].self, at: 0) == integers)
        #expect(try row.decode([Double].self, at: 1).map(\.bitPattern) == doubles.map(\.bitPattern))
        #expect(try row.decode([String].self, at: 2) == strings)
        #expect(try row.decode([Bool].self, at: 3) == [true, false])
        #expect(try row.decode(Int.self, at: 4) == 0 && row.decode(Int.self, at: 5) == 1)
        var nul = ArrayParameter(.text)
        nul.append("a\u{0}b")
        #expect(nul.containsNUL && !c.containsNUL)
        await pool.close()
    }

    /// A name with a NUL character (valid JSON, not storable as PostgreSQL text): the file is
    /// skipped with its reason and nothing of it is written; the run goes on.
    @Test func aFileWithANULCharacterIsSkippedWithItsReason() async throws {
        let pool = try await F.migratedPool()
        let root = try F.temporaryDirectory()
        try F.write(try F.sample(F.firstName), to: "GG/\(F.firstName)", under: root)
        var bad = try F.editable(F.secondName)
        var hands = bad["Hands"]!.arrayValue!
        if case .object(var hand) = hands[0], case .array(var players) = hand["Players"]!, case .object(var player) = players[0] {
            player["Name"] = .string("SEAT\u{0}1")
            players[0] = .object(player)
            hand["Players"] = .array(players)
            hands[0] = .object(hand)
        }
        bad["Hands"] = .array(hands)
        try F.write(try F.encode(bad), to: "GG/\(F.secondName)", under: root)
        let report = try await GFXImporter(pool: pool).importFiles(try GFXScanner.scan([root.path]))
        #expect(report.counts.filesImported == 1 && report.counts.filesFailed == 1)
        #expect(report.counts.errors.first?.reason.contains("NUL") == true, "\(report.counts.errors)")
        #expect(try await F.count(pool, "SELECT count(*) FROM gfx_sessions") == 1)
        await pool.close()
    }
}
