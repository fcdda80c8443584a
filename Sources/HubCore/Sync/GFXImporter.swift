import Crypto
import Foundation
import HubDriverSupport
import HubPostgres
import Logging

/// Imports PokerGFX exports into the GFX tables (SPEC §4.1).
///
/// Each file is read and hashed first; a hash already in `gfx_files` (the same file again, or a
/// byte-identical copy in another folder) is unchanged and costs nothing more. Every other file is
/// checked completely before anything is written, then written in one transaction: a session
/// re-exported as it grew adds only its new hands (a hand is (session, HandNum, start time), so a
/// restarted hand with a repeated HandNum is a second hand), and a bad file is skipped with its
/// reason while the others go on.
public struct GFXImporter: Sendable {
    /// The database.
    public let pool: PostgresPool
    /// Files imported at once (each on its own connection).
    public var concurrency: Int
    /// Checked before each file: true stops the import at that file boundary (`hub-sync --watch`
    /// on SIGTERM); files not reached are left for the next run.
    public var shouldStop: @Sendable () -> Bool = { false }
    let logger: Logger

    /// Creates an importer.
    public init(pool: PostgresPool, concurrency: Int = 4, logger: Logger = Logger(label: "hub.sync.gfx")) {
        self.pool = pool
        self.concurrency = max(1, concurrency)
        self.logger = logger
    }

    /// What an import did.
    public struct Report: Sendable {
        /// Files and rows.
        public var counts = SyncCounts()
        /// Hands added by this import, to grade.
        public var newHandIDs: [Int64] = []
        /// Sessions created.
        public var sessionsCreated = 0
        /// Master players created.
        public var playersCreated = 0
    }

    /// A file read and hashed.
    struct Loaded: Sendable {
        var file: GFXScanner.File
        var data: Data
        var hash: String
    }

    /// Imports `files` (from ``GFXScanner/scan(_:table:)``).
    /// - Parameters:
    ///   - runID: the sync history row, recorded with each imported file.
    ///   - progress: called with (files done, files total) as files finish.
    /// - Throws: only when the database is unreachable or failing for every file; a bad file is a
    ///   counted failure in the report, never a thrown error.
    public func importFiles(_ files: [GFXScanner.File], runID: Int64? = nil,
                            progress: @escaping @Sendable (Int, Int) -> Void = { _, _ in }) async throws -> Report {
        var report = Report()
        report.counts.filesSeen = files.count
        var loaded: [Loaded] = []
        for file in files {
            guard let data = FileManager.default.contents(atPath: file.path) else {
                report.counts.filesFailed += 1
                report.counts.errors.append(SyncFileError(path: file.path,
                    reason: "the file was listed but could not be read (removed or unreadable during the scan); it is tried again on the next sync"))
                continue
            }
            loaded.append(Loaded(file: file, data: data, hash: Self.sha256(data)))
        }
        let known = try await knownHashes(loaded.map(\.hash))
        var seen = known
        var pending: [Loaded] = []
        for item in loaded {
            if seen.contains(item.hash) {
                report.counts.filesUnchanged += 1
            } else {
                seen.insert(item.hash)
                pending.append(item)
            }
        }
        let total = files.count
        let alreadyDone = total - pending.count
        progress(alreadyDone, total)
        let results = try await importConcurrently(pending, runID: runID) { done in progress(alreadyDone + done, total) }
        for result in results {
            switch result {
            case .success(let outcome):
                report.counts.filesImported += 1
                report.counts.rowsCreated += outcome.rowsCreated
                report.counts.rowsUpdated += outcome.rowsUpdated
                report.newHandIDs += outcome.newHandIDs
                report.sessionsCreated += outcome.sessionCreated ? 1 : 0
                report.playersCreated += outcome.playersCreated
            case .failure(let error):
                report.counts.filesFailed += 1
                report.counts.errors.append(error)
            }
        }
        return report
    }

    /// SHA-256 of `data` as lower-case hex.
    static func sha256(_ data: Data) -> String {
        SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }

    func knownHashes(_ hashes: [String]) async throws -> Set<String> {
        guard !hashes.isEmpty else { return [] }
        let rows = try await pool.query("SELECT file_hash FROM gfx_files WHERE file_hash = ANY(\(hashes))")
        return Set(try rows.map { try $0.decode(String.self, at: 0) })
    }

    /// What importing one file wrote.
    struct Outcome: Sendable {
        var rowsCreated = 0
        var rowsUpdated = 0
        var newHandIDs: [Int64] = []
        var sessionCreated = false
        var playersCreated = 0
    }

    /// Imports `items` on up to ``concurrency`` connections; results in input order.
    func importConcurrently(_ items: [Loaded], runID: Int64?, done: @escaping @Sendable (Int) -> Void) async throws
        -> [Result<Outcome, SyncFileError>] {
        guard !items.isEmpty else { return [] }
        let next = Counter()
        let finished = Counter()
        return try await withThrowingTaskGroup(of: [(Int, Result<Outcome, SyncFileError>)].self) { group in
            for _ in 0..<min(concurrency, items.count) {
                group.addTask {
                    try await pool.withAffinity {
                        var mine: [(Int, Result<Outcome, SyncFileError>)] = []
                        while true {
                            let index = next.increment() - 1
                            // A stopping daemon ends at a file boundary: started files finish, the
                            // rest are imported by the next run.
                            guard index < items.count, !shouldStop() else { break }
                            mine.append((index, try await importOne(items[index], runID: runID)))
                            done(finished.increment())
                        }
                        return mine
                    }
                }
            }
            var all: [(Int, Result<Outcome, SyncFileError>)] = []
            for try await part in group { all += part }
            return all.sorted { $0.0 < $1.0 }.map(\.1)
        }
    }

    /// Checks one file completely, then writes it in one transaction (retried when it lost a
    /// deadlock to a concurrent import of the same session, and when the connection to PostgreSQL
    /// was lost: 7 retries from 0.1 s doubling, about 13 s in all, which covers a server restart).
    /// - Throws: only database failures that are not about this file (connection lost, …).
    func importOne(_ item: Loaded, runID: Int64?) async throws -> Result<Outcome, SyncFileError> {
        let path = item.file.path
        let record: GFXSessionRecord
        do {
            record = try Self.parse(item.data, fileName: URL(fileURLWithPath: path).lastPathComponent)
        } catch let error as ContentError {
            logger.warning("skipped \(path): \(error.position.map { "\($0): " } ?? "")\(error.reason)")
            return .failure(SyncFileError(path: path, position: error.position, reason: error.reason))
        }
        var attempt = 0
        while true {
            attempt += 1
            do {
                return .success(try await write(record, item: item, runID: runID))
            } catch let error as PostgresError where error.sqlState.map({ ["40P01", "40001"].contains($0) }) == true && attempt < 3 {
                continue
            } catch let error as PostgresError where [.connectionClosed, .connectionFailed].contains(error.code) && attempt < 8 {
                // The server went away (a restart, a failover): the file's transaction was rolled
                // back with it. Wait for the pool to reconnect and write the file again.
                let delay = Duration.milliseconds(100 << (attempt - 1))
                logger.warning("PostgreSQL connection lost while importing \(path) (\(error.message)); retrying in \(delay)")
                try await Task.sleep(for: delay)
                continue
            } catch let error as PostgresError where error.code == .server {
                // The server refused this file's data (a value out of range, …): skip the file.
                logger.warning("skipped \(path): \(error.message)")
                return .failure(SyncFileError(path: path, reason: "the database refused the file's data: \(error.message)"))
            }
        }
    }

    /// Decodes and checks the bytes of the export at `path` without writing anything.
    /// - Throws: ``SyncFileError`` saying where in the file and what is wrong.
    public static func check(_ data: Data, path: String) throws -> GFXSessionRecord {
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
        let export: GFXExport
        do {
            export = try JSONDecoder().decode(GFXExport.self, from: data)
        } catch let error as DecodingError {
            throw Self.describe(error)
        } catch {
            throw ContentError(position: nil, reason: "not valid JSON: \(error)")
        }
        return try GFXSessionRecord(export: export, fileName: fileName)
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
