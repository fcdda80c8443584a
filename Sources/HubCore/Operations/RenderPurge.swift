import Foundation
import HubPostgres
import Logging

/// Retention (issue 16): removes finished render instructions — completed, failed or cancelled
/// before a cutoff — with their output rows, outbox rows, timeline and failure notices, in
/// batches of one short transaction each, and, when asked, their output files.
///
/// Each batch locks its rows with `FOR UPDATE SKIP LOCKED` (a row an operator is retrying right
/// now is left for the next run) and touches finished rows only, so a claim, a heartbeat or a
/// completion never waits on it. `hubctl purge` and the daily pass of the worker's operations
/// loop (``PurgeSettings``) run it.
package struct RenderPurge: Sendable {
    /// The database.
    package let pool: PostgresPool
    /// Instructions removed per transaction.
    package let batchSize: Int
    let logger: Logger

    /// Creates a purge on `pool`, `batchSize` instructions per transaction (1…100 000).
    package init(pool: PostgresPool, batchSize: Int = 5000, logger: Logger = Logger(label: "hub.purge")) {
        self.pool = pool
        self.batchSize = max(1, min(batchSize, 100_000))
        self.logger = logger
    }

    /// Rows removed (or, in a dry run, that would be removed) per table.
    package struct Counts: Sendable, Hashable, Codable {
        /// `render_instructions`.
        package var instructions = 0
        /// `render_outputs`.
        package var outputs = 0
        /// `render_outbox`.
        package var outbox = 0
        /// `render_timeline`.
        package var timeline = 0
        /// `render_failure_notices`.
        package var failureNotices = 0

        /// No rows.
        package init() {}

        static func + (a: Counts, b: Counts) -> Counts {
            var sum = a
            sum.instructions += b.instructions
            sum.outputs += b.outputs
            sum.outbox += b.outbox
            sum.timeline += b.timeline
            sum.failureNotices += b.failureNotices
            return sum
        }
    }

    /// What happened to the output files of the removed instructions (with `files`).
    package struct FileCounts: Sendable, Hashable, Codable {
        /// Output files the removed instructions recorded (distinct paths; in a dry run, the
        /// number that would be looked at).
        package var candidates = 0
        /// Deleted.
        package var deleted = 0
        /// Their size in bytes.
        package var deletedBytes: Int64 = 0
        /// Already gone (reported, not an error).
        package var missing = 0
        /// Kept because an instruction that stays refers to the same file (a render-cache hit).
        package var stillUsed = 0
        /// Not deleted: outside the output root once links and `..` are resolved.
        package var outsideRoot = 0
        /// Not deleted: a link, a directory or another non-regular file.
        package var notRegular = 0
        /// Not deleted: the removal failed (permissions, …).
        package var failed = 0
        /// The first problems, one line each (outside the root, not regular, failed).
        package var problems: [String] = []

        /// Nothing yet.
        package init() {}
    }

    /// What ``run(finishedBefore:dryRun:outputRoot:)`` did.
    package struct Report: Sendable, Codable {
        /// Instructions finished before this moment were removed.
        package var finishedBefore: Date
        /// True: nothing was removed; the counts say what would be.
        package var dryRun: Bool
        /// Rows per table.
        package var removed: Counts
        /// The output files; nil without `outputRoot`.
        package var files: FileCounts?
        /// Transactions used.
        package var batches: Int
        /// How long it took.
        package var seconds: Double
    }

    /// Removes (or with `dryRun` counts) the instructions finished before `cutoff`.
    ///
    /// With `outputRoot` their output files are deleted too, after each batch commits: only regular
    /// files whose real location is inside `outputRoot` (links are never followed out of it, a
    /// link itself is left alone), only when no instruction that stays refers to the same file
    /// (render-cache hits share their original's file). A missing file is counted, not an error.
    /// A relative recorded path is taken from the working directory, as the worker wrote it.
    /// - Parameter shouldContinue: asked between batches; false stops after the current one.
    package func run(finishedBefore cutoff: Date, dryRun: Bool = false, outputRoot: URL? = nil,
                    shouldContinue: @Sendable () -> Bool = { !Task.isCancelled }) async throws -> Report {
        let clock = ContinuousClock()
        let start = clock.now
        var report = Report(finishedBefore: cutoff, dryRun: dryRun, removed: Counts(), files: outputRoot == nil ? nil : FileCounts(),
                            batches: 0, seconds: 0)
        if dryRun {
            let row = try await pool.query(Self.dryRunStatement(cutoff: cutoff))[0]
            report.removed = try Self.decodeCounts(row)
            if outputRoot != nil { report.files?.candidates = try row.decode(Int.self, at: 5) }
            report.batches = 1
        } else {
            let root = try outputRoot.map(Self.realRoot)
            while true {
                let row = try await pool.query(Self.batchStatement(cutoff: cutoff, limit: batchSize, withFiles: root != nil))[0]
                let counts = try Self.decodeCounts(row)
                guard counts.instructions > 0 else { break }
                report.batches += 1
                report.removed = report.removed + counts
                if let root, var files = report.files {
                    let paths = try row.decode([String].self, at: 5)
                    files.candidates += paths.count + (try row.decode(Int.self, at: 6))
                    files.stillUsed += try row.decode(Int.self, at: 6)
                    for path in paths { Self.removeOutput(path, root: root, into: &files) }
                    report.files = files
                }
                if counts.instructions < batchSize || !shouldContinue() { break }
            }
        }
        let elapsed = (clock.now - start).components
        report.seconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
        return report
    }

    /// The finished rows, as every statement selects them (the partial index
    /// `render_instructions_finished_idx` on `completed_at` serves it).
    static func finished(cutoff: Date) -> PostgresQuery {
        // A completed render whose delivery to playout is still owed stays (and stays alerted):
        // purging it would drop the delivery and clear its alert with nothing delivered.
        """
        status IN ('completed', 'failed', 'cancelled') AND completed_at < \(cutoff)
        AND NOT EXISTS (SELECT 1 FROM render_deliveries d WHERE d.instruction_id = render_instructions.id AND d.status = 'pending')
        """
    }

    static func dryRunStatement(cutoff: Date) -> PostgresQuery {
        """
        WITH victims AS MATERIALIZED (
            SELECT id FROM render_instructions WHERE \(fragment: finished(cutoff: cutoff))
        )
        SELECT (SELECT count(*) FROM victims),
               (SELECT count(*) FROM render_outputs o WHERE o.instruction_id IN (SELECT id FROM victims)),
               (SELECT count(*) FROM render_outbox b WHERE b.instruction_id IN (SELECT id FROM victims)),
               (SELECT count(*) FROM render_timeline t WHERE t.instruction_id IN (SELECT id FROM victims)),
               (SELECT count(*) FROM render_failure_notices n WHERE n.instruction_id IN (SELECT id FROM victims)),
               (SELECT count(DISTINCT o.output_path) FROM render_outputs o
                WHERE o.instruction_id IN (SELECT id FROM victims) AND o.status = 'completed')
        """
    }

    /// One batch in one statement (one transaction): lock up to `limit` finished instructions no
    /// one else holds, delete their rows from every table, and answer the counts and — with
    /// `withFiles` — the output files no remaining instruction refers to, plus how many were kept
    /// for that reason.
    static func batchStatement(cutoff: Date, limit: Int, withFiles: Bool) -> PostgresQuery {
        """
        WITH victims AS MATERIALIZED (
            SELECT id, data_hash FROM render_instructions WHERE \(fragment: finished(cutoff: cutoff))
            LIMIT \(limit) FOR UPDATE SKIP LOCKED
        ), outputs AS (
            DELETE FROM render_outputs o WHERE o.instruction_id IN (SELECT id FROM victims)
            RETURNING o.instruction_id, o.output_path, o.status
        ), outbox AS (
            DELETE FROM render_outbox b WHERE b.instruction_id IN (SELECT id FROM victims) RETURNING 1
        ), notices AS (
            DELETE FROM render_failure_notices n WHERE n.instruction_id IN (SELECT id FROM victims) RETURNING 1
        ), timeline AS (
            DELETE FROM render_timeline t WHERE t.instruction_id IN (SELECT id FROM victims) RETURNING 1
        ), gone AS (
            DELETE FROM render_instructions r WHERE r.id IN (SELECT id FROM victims) RETURNING r.id
        ), paths AS (
            SELECT DISTINCT o.output_path AS path, v.data_hash FROM outputs o JOIN victims v ON v.id = o.instruction_id
            WHERE \(withFiles) AND o.status = 'completed' AND o.output_path IS NOT NULL
        ), shared AS (
            -- a file an instruction that stays refers to (a render-cache hit has its original's
            -- data hash and file); this statement's snapshot still shows the victims, so they
            -- are excluded by id
            SELECT p.path FROM paths p
            WHERE EXISTS (SELECT 1 FROM render_instructions r2
                          JOIN render_outputs o2 ON o2.instruction_id = r2.id AND o2.status = 'completed'
                          WHERE r2.data_hash = p.data_hash AND r2.status = 'completed' AND o2.output_path = p.path
                            AND r2.id NOT IN (SELECT id FROM victims))
        )
        SELECT (SELECT count(*) FROM gone), (SELECT count(*) FROM outputs), (SELECT count(*) FROM outbox),
               (SELECT count(*) FROM timeline), (SELECT count(*) FROM notices),
               COALESCE((SELECT array_agg(DISTINCT path) FROM paths WHERE path NOT IN (SELECT path FROM shared)), '{}'::text[]),
               (SELECT count(DISTINCT path) FROM shared)
        """
    }

    static func decodeCounts(_ row: PostgresRow) throws -> Counts {
        var counts = Counts()
        counts.instructions = try row.decode(Int.self, at: 0)
        counts.outputs = try row.decode(Int.self, at: 1)
        counts.outbox = try row.decode(Int.self, at: 2)
        counts.timeline = try row.decode(Int.self, at: 3)
        counts.failureNotices = try row.decode(Int.self, at: 4)
        return counts
    }

    /// The real path of the output root.
    /// - Throws: ``HubError`` `.configuration` when it does not exist.
    static func realRoot(_ url: URL) throws -> String {
        guard let real = realPath(url.path) else {
            throw HubError(.configuration, "the output root \(url.path) does not exist or cannot be read (\(HubSetting.outputDirectory.name) or --output-dir); no file was deleted")
        }
        return real
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// Deletes the output at `recorded` when it is a regular file inside `root` (a real path),
    /// counting what happened in `files`.
    static func removeOutput(_ recorded: String, root: String, into files: inout FileCounts) {
        func problem(_ text: String) {
            if files.problems.count < 20 { files.problems.append(text) }
        }
        let url = URL(fileURLWithPath: recorded)
        let name = url.lastPathComponent
        guard !recorded.isEmpty, !name.isEmpty, name != ".", name != ".." else {
            files.notRegular += 1
            problem("\(recorded): not a file name")
            return
        }
        // The directory is resolved (links and `..`); the file itself is never followed.
        guard let parent = realPath(url.deletingLastPathComponent().path) else {
            files.missing += 1
            return
        }
        let prefix = root.hasSuffix("/") ? root : root + "/"
        guard parent == root || parent.hasPrefix(prefix) else {
            files.outsideRoot += 1
            problem("\(recorded): outside the output root \(root); left alone")
            return
        }
        let target = parent.hasSuffix("/") ? parent + name : parent + "/" + name
        var status = stat()
        guard lstat(target, &status) == 0 else {
            if errno == ENOENT { files.missing += 1 } else {
                files.failed += 1
                problem("\(recorded): \(String(cString: strerror(errno)))")
            }
            return
        }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            files.notRegular += 1
            problem("\(recorded): not a regular file (a link or a directory); left alone")
            return
        }
        if unlink(target) == 0 {
            files.deleted += 1
            files.deletedBytes += Int64(status.st_size)
        } else if errno == ENOENT {
            files.missing += 1
        } else {
            files.failed += 1
            problem("\(recorded): \(String(cString: strerror(errno)))")
        }
    }
}

/// The daily retention pass of the worker's operations loop: `HUB_PURGE_FINISHED_AFTER` (a
/// duration such as `30d`; unset: off) and `HUB_PURGE_FILES`.
package struct PurgeSettings: Sendable, Hashable {
    /// Instructions finished longer ago than this are removed; nil: no automatic purge.
    package var finishedAfter: Duration?
    /// Whether the pass deletes output files too (under the worker's output directory).
    package var files = false
    /// How often the pass runs (once per interval across all workers).
    package var interval: Duration = .seconds(86_400)

    /// Off.
    package init() {}

    /// Reads `HUB_PURGE_FINISHED_AFTER` and `HUB_PURGE_FILES`.
    /// - Throws: ``HubError`` `.configuration` for a malformed value.
    package init(configuration: HubConfiguration) throws {
        if let text = configuration.value(.purgeFinishedAfter), !text.trimmingCharacters(in: .whitespaces).isEmpty {
            guard let duration = DurationSyntax.parse(text), duration >= .seconds(60) else {
                throw HubError(.configuration, "\(HubSetting.purgeFinishedAfter.name)=\(text) is not a duration of at least 1m; use \(DurationSyntax.summary), e.g. 30d (unset: no automatic purge)")
            }
            finishedAfter = duration
        }
        if let text = configuration.value(.purgeFiles)?.lowercased() {
            switch text {
            case "1", "true", "yes", "on": files = true
            case "0", "false", "no", "off", "": files = false
            default: throw HubError(.configuration, "\(HubSetting.purgeFiles.name)=\(text) must be true or false")
            }
        }
    }
}
