import Crypto
import Foundation
import HubDriverSupport
import HubPostgres
import Logging

/// Imports PokerGFX exports into the GFX tables (SPEC §4.1).
///
/// A path whose file status (size, modification and change times, inode and device) is the one
/// recorded when it was last read, read well after the file's last change, is unchanged and is not
/// read at all. Every other file is read and hashed; a hash already in `gfx_files` (the same file
/// again, or a byte-identical copy in another folder) is unchanged and costs nothing more. Every
/// other file is checked completely before anything is written, then written in one transaction
/// with its hands graded: a session re-exported as it grew adds only its new hands (a hand is
/// (session, HandNum, start time), so a restarted hand with a repeated HandNum is a second hand),
/// and a bad file is skipped with its reason while the others go on. Files stream through
/// ``concurrency`` workers, each reading, hashing, checking and writing one file at a time, so
/// memory holds a few files whatever the size of the tree, and one worker's parsing overlaps
/// another's writing.
package struct GFXImporter: Sendable {
    /// The database.
    package let pool: PostgresPool
    /// Files imported at once (each on its own connection).
    package var concurrency: Int
    /// Checked before each file: true stops the import at that file boundary (`hub-sync --watch`
    /// on SIGTERM); files not reached are left for the next run.
    package var shouldStop: @Sendable () -> Bool = { false }
    /// How long after a file's last change a read of it must have begun to be trusted
    /// (``GFXRecordedPath/racyMarginNs``; tests shorten it).
    var racyMarginNs = GFXRecordedPath.racyMarginNs
    /// The largest export read (``HubSetting/syncMaxFileBytes``): a larger file is refused unread.
    package var maxFileBytes = InputFile.defaultMaxBytes
    let logger: Logger

    /// Creates an importer.
    package init(pool: PostgresPool, concurrency: Int = 4, logger: Logger = Logger(label: "hub.sync.gfx")) {
        self.pool = pool
        self.concurrency = max(1, concurrency)
        self.logger = logger
    }

    /// What an import did.
    package struct Report: Sendable {
        /// Files and rows.
        package var counts = SyncCounts()
        /// Hands added by this import.
        package var newHandIDs: [Int64] = []
        /// The hands added, graded as they were written (their grades are in `hand_grades`).
        package var graded: [HandGrader.GradedHand] = []
        /// Sessions created.
        package var sessionsCreated = 0
        /// Master players created.
        package var playersCreated = 0
        /// Of the unchanged files, those not even read: their path's status was as recorded.
        package var filesNotRead = 0
    }

    /// One read of a path: the content's hash, the file's status just before the read (nil:
    /// unknown, the path is not recorded) and when the read began.
    struct PathRead: Sendable {
        var path: String
        var hash: String
        var stat: GFXFileStat?
        var readAtNs: Int64
    }

    /// A file read and hashed.
    struct Loaded: Sendable {
        var file: GFXScanner.File
        var data: Data
        var read: PathRead
        var hash: String { read.hash }
    }

    /// Imports `files` (from ``GFXScanner/scan(_:table:)``).
    /// - Parameters:
    ///   - runID: the sync history row, recorded with each imported file.
    ///   - progress: called with (files done, files total) as files finish.
    /// - Throws: only when the database is unreachable or failing for every file; a bad file is a
    ///   counted failure in the report, never a thrown error.
    package func importFiles(_ files: [GFXScanner.File], runID: Int64? = nil,
                            progress: @escaping @Sendable (Int, Int) -> Void = { _, _ in }) async throws -> Report {
        var report = Report()
        report.counts.filesSeen = files.count
        guard !files.isEmpty else { return report }
        // The stat fast path: paths whose status proves them unchanged since their last read.
        let recorded = try await recordedPaths(files.map(\.path))
        var pending: [GFXScanner.File] = []
        for file in files {
            if let known = recorded[file.path], let now = GFXFileStat.of(file.path), known.proves(now, margin: racyMarginNs) {
                report.counts.filesUnchanged += 1
                report.filesNotRead += 1
                HubMetrics.syncFiles(1, source: "gfx", outcome: "unchanged")
            } else {
                pending.append(file)
            }
        }
        let total = files.count
        let alreadyDone = total - pending.count
        progress(alreadyDone, total)
        let claims = Claims()
        let results = try await importConcurrently(pending, runID: runID, claims: claims) { done in progress(alreadyDone + done, total) }
        var copies: [PathRead] = []
        for result in results {
            switch result {
            case .imported(let outcome):
                report.counts.filesImported += 1
                report.counts.rowsCreated += outcome.rowsCreated
                report.counts.rowsUpdated += outcome.rowsUpdated
                report.newHandIDs += outcome.graded.map(\.handID)
                report.graded += outcome.graded
                report.sessionsCreated += outcome.sessionCreated ? 1 : 0
                report.playersCreated += outcome.playersCreated
            case .unchanged:
                report.counts.filesUnchanged += 1
            case .copyInThisRun(let item):
                // A copy of a file refused in this run is refused with it (found by fuzzing: two
                // empty exports counted one failed and one unchanged, a skip nobody was told of).
                if let refusal = claims.refusal(item.hash) {
                    report.counts.filesFailed += 1
                    report.counts.errors.append(SyncFileError(path: item.path, position: refusal.position, reason: refusal.reason))
                    HubMetrics.syncFiles(1, source: "gfx", outcome: "failed")
                } else {
                    report.counts.filesUnchanged += 1
                    copies.append(item)
                    HubMetrics.syncFiles(1, source: "gfx", outcome: "unchanged")
                }
            case .failed(let error):
                report.counts.filesFailed += 1
                report.counts.errors.append(error)
            }
        }
        // A byte-identical copy of a file this run imported: its path is recorded once the
        // content is (a copy of a file that failed stays unrecorded and is read again next time).
        try await recordPaths(copies)
        return report
    }

    /// SHA-256 of `data` as lower-case hex.
    static func sha256(_ data: Data) -> String { Hex.sha256(data) }

    /// The recorded status of each of `paths` that has one.
    func recordedPaths(_ paths: [String]) async throws -> [String: GFXRecordedPath] {
        let rows = try await pool.query("""
            SELECT path, file_hash, byte_size, mtime_ns, ctime_ns, inode, device, read_at_ns
            FROM gfx_file_paths WHERE path = ANY(\(paths))
            """)
        var recorded: [String: GFXRecordedPath] = [:]
        recorded.reserveCapacity(rows.count)
        for row in rows {
            let stat = GFXFileStat(size: try row.decode(Int64.self, at: 2), modifiedNs: try row.decode(Int64.self, at: 3),
                                   changedNs: try row.decode(Int64.self, at: 4), inode: try row.decode(Int64.self, at: 5),
                                   device: try row.decode(Int64.self, at: 6))
            recorded[try row.decode(String.self, at: 0)] = GFXRecordedPath(hash: try row.decode(String.self, at: 1), stat: stat,
                                                                           readAtNs: try row.decode(Int64.self, at: 7))
        }
        return recorded
    }

    /// Records the paths of `reads`, those whose content is in `gfx_files`.
    func recordPaths(_ reads: [PathRead]) async throws {
        let items = reads.filter { $0.stat != nil }
        guard !items.isEmpty else { return }
        try await pool.execute("""
            INSERT INTO gfx_file_paths (path, file_hash, byte_size, mtime_ns, ctime_ns, inode, device, read_at_ns)
            SELECT p, h, s, m, c, i, d, r
            FROM unnest(\(items.map(\.path))::text[], \(items.map(\.hash))::text[], \(items.map { $0.stat!.size })::bigint[],
                        \(items.map { $0.stat!.modifiedNs })::bigint[], \(items.map { $0.stat!.changedNs })::bigint[],
                        \(items.map { $0.stat!.inode })::bigint[], \(items.map { $0.stat!.device })::bigint[],
                        \(items.map(\.readAtNs))::bigint[]) AS u(p, h, s, m, c, i, d, r)
            WHERE EXISTS (SELECT 1 FROM gfx_files f WHERE f.file_hash = u.h)
            ON CONFLICT (path) DO UPDATE SET file_hash = EXCLUDED.file_hash, byte_size = EXCLUDED.byte_size, mtime_ns = EXCLUDED.mtime_ns,
                ctime_ns = EXCLUDED.ctime_ns, inode = EXCLUDED.inode, device = EXCLUDED.device, read_at_ns = EXCLUDED.read_at_ns,
                seen_at = now()
            """)
    }

    /// Records the path of `item` if its content is already imported.
    /// - Returns: whether the content is in `gfx_files` (the file is unchanged).
    func recordPathIfKnown(_ item: PathRead) async throws -> Bool {
        guard let stat = item.stat else {
            return !(try await pool.query("SELECT 1 FROM gfx_files WHERE file_hash = \(item.hash)").isEmpty)
        }
        let rows = try await pool.query("""
            WITH known AS (SELECT file_hash FROM gfx_files WHERE file_hash = \(item.hash)), recorded AS (
                INSERT INTO gfx_file_paths (path, file_hash, byte_size, mtime_ns, ctime_ns, inode, device, read_at_ns)
                SELECT \(item.path), file_hash, \(stat.size), \(stat.modifiedNs), \(stat.changedNs), \(stat.inode), \(stat.device),
                       \(item.readAtNs)
                FROM known
                ON CONFLICT (path) DO UPDATE SET file_hash = EXCLUDED.file_hash, byte_size = EXCLUDED.byte_size,
                    mtime_ns = EXCLUDED.mtime_ns, ctime_ns = EXCLUDED.ctime_ns, inode = EXCLUDED.inode, device = EXCLUDED.device,
                    read_at_ns = EXCLUDED.read_at_ns, seen_at = now()
                RETURNING 1
            )
            SELECT count(*) FROM known
            """)
        return try rows[0].decode(Int.self, at: 0) > 0
    }

    /// What importing one file wrote.
    struct Outcome: Sendable {
        var rowsCreated = 0
        var rowsUpdated = 0
        /// The hands added, graded.
        var graded: [HandGrader.GradedHand] = []
        var sessionCreated = false
        var playersCreated = 0
    }

    /// What became of one file.
    enum FileResult: Sendable {
        case imported(Outcome)
        /// Its content was imported before.
        case unchanged
        /// A byte-identical copy of a file another worker of this run took.
        case copyInThisRun(PathRead)
        case failed(SyncFileError)
    }

    /// Hashes of the contents this run has taken on, so a byte-identical copy is imported once.
    final class Claims: Sendable {
        private let hashes = PThreadLocked(Set<String>())
        /// Whether `hash` was not taken yet (and now is).
        func claim(_ hash: String) -> Bool { hashes.withLock { $0.insert(hash).inserted } }
        private let failures = PThreadLocked([String: SyncFileError]())
        /// Notes that the content `hash` was refused: its copies in this run are refused with it.
        func refuse(_ hash: String, _ error: SyncFileError) -> FileResult {
            failures.withLock { $0[hash] = error }
            return .failed(error)
        }
        /// Why the content `hash` was refused in this run, if it was.
        func refusal(_ hash: String) -> SyncFileError? { failures.withLock { $0[hash] } }
    }

    /// Imports `files` on up to ``concurrency`` connections; results in input order.
    func importConcurrently(_ files: [GFXScanner.File], runID: Int64?, claims: Claims, done: @escaping @Sendable (Int) -> Void) async throws
        -> [FileResult] {
        guard !files.isEmpty else { return [] }
        let next = Counter()
        let finished = Counter()
        return try await withThrowingTaskGroup(of: [(Int, FileResult)].self) { group in
            for _ in 0..<min(concurrency, files.count) {
                group.addTask {
                    try await pool.withAffinity {
                        var mine: [(Int, FileResult)] = []
                        while true {
                            let index = next.increment() - 1
                            // A stopping daemon ends at a file boundary: started files finish, the
                            // rest are imported by the next run.
                            guard index < files.count, !shouldStop() else { break }
                            let result = try await importOne(files[index], runID: runID, claims: claims)
                            // Counted as each file ends (a copy of another file of this run when
                            // the run ends, as it takes the other's outcome), so /metrics moves
                            // during a long import, not at its end.
                            switch result {
                            case .imported(let outcome):
                                HubMetrics.syncFiles(1, source: "gfx", outcome: "imported")
                                HubMetrics.syncHands(outcome.graded.count, outcome: "new")
                            case .unchanged: HubMetrics.syncFiles(1, source: "gfx", outcome: "unchanged")
                            case .failed: HubMetrics.syncFiles(1, source: "gfx", outcome: "failed")
                            case .copyInThisRun: break
                            }
                            mine.append((index, result))
                            done(finished.increment())
                        }
                        return mine
                    }
                }
            }
            var all: [(Int, FileResult)] = []
            for try await part in group { all += part }
            return all.sorted { $0.0 < $1.0 }.map(\.1)
        }
    }

    /// Reads and hashes one file; unless its content is known, checks it completely and writes it
    /// in one transaction (retried when it lost a deadlock to a concurrent import of the same
    /// session, and when the connection to PostgreSQL was lost: 7 retries from 0.1 s doubling,
    /// about 13 s in all, which covers a server restart).
    /// - Throws: only database failures that are not about this file (connection lost, …).
    func importOne(_ file: GFXScanner.File, runID: Int64?, claims: Claims) async throws -> FileResult {
        let path = file.path
        var logger = self.logger
        logger[metadataKey: "file"] = "\(path)"
        // The status first, then the read: a write after the status was taken changes the times
        // the next run compares, so the recorded status can only be older than the content.
        let readAt = GFXFileStat.nowNs()
        let stat = GFXFileStat.of(path)
        let data: Data
        do {
            data = try InputFile.readExport(path, maxBytes: maxFileBytes)
        } catch let refusal as SyncFileError {
            logger.warning("skipped \(path): \(refusal.reason)")
            return .failed(refusal)
        }
        let read = PathRead(path: path, hash: Self.sha256(data), stat: stat.flatMap { $0.size == Int64(data.count) ? $0 : nil }, readAtNs: readAt)
        guard claims.claim(read.hash) else { return .copyInThisRun(read) }
        if try await retrying(path, { try await recordPathIfKnown(read) }) { return .unchanged }
        let item = Loaded(file: file, data: data, read: read)
        let record: GFXSessionRecord
        do {
            record = try Self.parse(item.data, fileName: URL(fileURLWithPath: path).lastPathComponent)
        } catch let error as ContentError {
            logger.warning("skipped \(path): \(error.position.map { "\($0): " } ?? "")\(error.reason)")
            return claims.refuse(read.hash, SyncFileError(path: path, position: error.position, reason: error.reason))
        }
        do {
            return .imported(try await retrying(path) { try await write(record, item: item, runID: runID) })
        } catch let error as PostgresError where error.code == .server || error.code == .invalidParameter {
            // The server refused this file's data (a value out of range, …), or the driver a value
            // no PostgreSQL text can hold (a NUL character): skip the file.
            logger.warning("skipped \(path): \(error.message)")
            let reason = error.code == .server ? "the database refused the file's data: \(error.message)"
                                               : "the file's data cannot be stored: \(error.message)"
            return claims.refuse(read.hash, SyncFileError(path: path, reason: reason))
        }
    }

    /// Runs `body` again when it lost a deadlock (twice) or the connection (7 times, from 0.1 s
    /// doubling): the transaction was rolled back with it, so running it again is safe.
    func retrying<T>(_ path: String, _ body: () async throws -> T) async throws -> T {
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try await body()
            } catch let error as PostgresError where error.sqlState.map({ ["40P01", "40001"].contains($0) }) == true && attempt < 3 {
                continue
            } catch let error as PostgresError where [.connectionClosed, .connectionFailed].contains(error.code) && attempt < 8 {
                // The server went away (a restart, a failover): the file's transaction was rolled
                // back with it. Wait for the pool to reconnect and write the file again.
                let delay = Duration.milliseconds(100 << (attempt - 1))
                logger.warning("PostgreSQL connection lost while importing \(path) (\(error.message)); retrying in \(delay)")
                try await Task.sleep(for: delay)
                continue
            }
        }
    }

    /// Decodes and checks the bytes of the export at `path` without writing anything.
    /// - Throws: ``SyncFileError`` saying where in the file and what is wrong.
    package static func check(_ data: Data, path: String) throws -> GFXSessionRecord {
        do {
            return try parse(data, fileName: URL(fileURLWithPath: path).lastPathComponent)
        } catch let error as ContentError {
            throw SyncFileError(path: path, position: error.position, reason: error.reason)
        }
    }

    /// Decodes and checks a file's bytes.
    /// - Throws: ``ContentError`` saying where and what.
    static func parse(_ data: Data, fileName: String) throws -> GFXSessionRecord {
        guard !data.isEmpty else { throw ContentError(position: nil, reason: "the file is empty (an export still being written?)") }
        if let export = GFXFastDecoder.decode(data) { return try GFXSessionRecord(export: export, fileName: fileName) }
        return try GFXSessionRecord(export: try decodeWithCodable(data), fileName: fileName)
    }

    /// `data` through `JSONDecoder` and ``GFXExport/init(from:)``: what a file holds, and for a bad
    /// file where and why (``GFXFastDecoder`` reads the usual files faster and leaves the rest here).
    static func decodeWithCodable(_ data: Data) throws -> GFXExport {
        do {
            return try JSONDecoder().decode(GFXExport.self, from: data)
        } catch let error as DecodingError {
            throw Self.describe(error)
        } catch {
            throw ContentError(position: nil, reason: "not valid JSON: \(error)")
        }
    }

    static func describe(_ error: DecodingError) -> ContentError {
        func path(_ keys: [any CodingKey]) -> String? {
            var text = ""
            for key in keys {
                if let index = key.intValue { text += "[\(index)]" } else { text += (text.isEmpty ? "" : ".") + key.stringValue }
            }
            return text.isEmpty ? nil : text
        }
        switch error {
        case .typeMismatch(let type, let context):
            return ContentError(position: path(context.codingPath), reason: "expected \(Self.typeName(type)): \(context.debugDescription)")
        case .valueNotFound(let type, let context):
            return ContentError(position: path(context.codingPath), reason: "expected \(Self.typeName(type)), found null")
        case .keyNotFound(let key, let context):
            return ContentError(position: path(context.codingPath + [key]), reason: "required field \(key.stringValue) is missing")
        case .dataCorrupted(let context):
            let underlying = context.underlyingError.map { " (\($0))" } ?? ""
            return ContentError(position: path(context.codingPath), reason: "not valid JSON (truncated or corrupt): \(context.debugDescription)\(underlying)")
        @unknown default:
            return ContentError(position: nil, reason: "\(error)")
        }
    }

    static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type, is Int64.Type: "an integer"
        case is Double.Type: "a number"
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        default: "\(type)"
        }
    }
}

/// A lock-protected counter shared by the import tasks.
final class Counter: Sendable {
    private let value = PThreadLocked(0)
    /// Adds one and returns the new value.
    func increment() -> Int { value.withLock { $0 += 1; return $0 } }
}
