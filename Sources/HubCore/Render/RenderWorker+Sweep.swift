import CHubProcess
import Foundation
import HubPostgres
import Logging

/// One `hub-worker` process as its pid files and temporary outputs name it: host, pid, and the
/// process's start time and boot, so a recycled pid is never taken for it.
struct WorkerProcessIdentity: Sendable, Hashable {
    var host: String
    var pid: Int32
    var start: UInt64
    var boot: String

    /// This process.
    static let current: WorkerProcessIdentity = {
        let pid = getpid()
        return WorkerProcessIdentity(host: safeHost(ProcessInfo.processInfo.hostName), pid: pid,
                                     start: UInt64(hub_process_start_time(pid)), boot: bootID())
    }()

    /// `<host>-<pid>-<start>`: the prefix of this process's temporary outputs.
    var tag: String { "\(host)-\(pid)-\(start)" }

    /// Whether the process still runs (on this machine, since this boot).
    var isAlive: Bool {
        let here = Self.current
        guard host == here.host, boot == here.boot, start != 0 else { return false }
        return UInt64(hub_process_start_time(pid)) == start
    }

    static func safeHost(_ host: String) -> String {
        let cleaned = host.map { $0.isLetter || $0.isNumber || $0 == "." || $0 == "_" ? $0 : "_" }
        return cleaned.isEmpty ? "host" : String(cleaned)
    }

    static func bootID() -> String {
        ((try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8)) ?? "")
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// The pid file of one running render process, in the worker's directory
/// (`<output>/.hub-worker/render-<lease token>.pid`).
struct RenderProcessFile: Sendable {
    var path: URL
    var worker: WorkerProcessIdentity

    func write(pid: pid_t) {
        let text = """
            host=\(worker.host)
            boot=\(worker.boot)
            worker_pid=\(worker.pid)
            worker_start=\(worker.start)
            pid=\(pid)
            start=\(hub_process_start_time(pid))

            """
        try? text.write(to: path, atomically: true, encoding: .utf8)
    }

    func remove() { try? FileManager.default.removeItem(at: path) }

    /// The worker and render process a pid file names.
    static func read(_ url: URL) -> (worker: WorkerProcessIdentity, pid: Int32, start: UInt64)? {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return nil }
        var values: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { values[String(parts[0])] = String(parts[1]) }
        }
        guard let host = values["host"], let boot = values["boot"],
              let workerPID = values["worker_pid"].flatMap({ Int32($0) }), let workerStart = values["worker_start"].flatMap({ UInt64($0) }),
              let pid = values["pid"].flatMap({ Int32($0) }), pid > 1, let start = values["start"].flatMap({ UInt64($0) })
        else { return nil }
        return (WorkerProcessIdentity(host: host, pid: workerPID, start: workerStart, boot: boot), pid, start)
    }
}

extension RenderWorker {
    /// The worker's own directory inside the output directory: pid files of running renders.
    var runtimeDirectory: URL { configuration.outputDirectory.appendingPathComponent(".hub-worker", isDirectory: true) }

    /// Prefix of the temporary outputs of the worker process `identity`.
    static func partialPrefix(_ identity: WorkerProcessIdentity) -> String { ".partial-\(identity.tag)-" }

    /// Where an attempt writes before its output is renamed to `finalPath` (same directory, so the
    /// rename is atomic; hidden, so a watch folder ignores it).
    func partialPath(for finalPath: String) -> String {
        // String work, no URL: `URL(fileURLWithPath:)` and `appendingPathComponent` stat the path.
        guard let slash = finalPath.lastIndex(of: "/") else { return Self.partialPrefix(.current) + finalPath }
        return finalPath[...slash] + Self.partialPrefix(.current) + finalPath[finalPath.index(after: slash)...]
    }

    /// The pid file of the render of `claim`.
    func pidFile(for claim: RenderClaim) -> RenderProcessFile {
        RenderProcessFile(path: runtimeDirectory.appending(path: "render-\(claim.leaseToken.uuidString.lowercased()).pid", directoryHint: .notDirectory),
                          worker: .current)
    }

    /// At start-up: kills the process groups of renders that an earlier worker process on this
    /// machine left running (by their pid files; a pid whose start time differs is someone else's
    /// and left alone), and settles the temporary outputs of worker processes that are gone: one
    /// whose completion the database recorded (the worker died between the commit and the rename)
    /// is moved to its final name, any other is removed. Files of other machines (a shared output
    /// directory) and of live workers are left alone; with the database unreachable the temporary
    /// outputs wait for the next start. Then reports the crashes dead worker processes noted
    /// (``reportCrashes()``) and arms this process's own crash record.
    func sweepLeftovers() async {
        let files = FileManager.default
        try? files.createDirectory(at: runtimeDirectory, withIntermediateDirectories: true)
        let here = WorkerProcessIdentity.current
        for name in (try? files.contentsOfDirectory(atPath: runtimeDirectory.path)) ?? [] where name.hasSuffix(".pid") {
            let url = runtimeDirectory.appendingPathComponent(name)
            guard let record = RenderProcessFile.read(url) else {
                try? files.removeItem(at: url)
                continue
            }
            guard record.worker.host == here.host else { continue }
            if record.worker.isAlive && record.worker != here { continue }
            if record.worker.boot == here.boot {
                let now = UInt64(hub_process_start_time(record.pid))
                if now == record.start {
                    // The render's leader still runs (no parent-death signal on this system, or
                    // it escaped it): its whole group goes.
                    kill(-record.pid, SIGKILL)
                    kill(record.pid, SIGKILL)
                    logger.warning("swept render process \(record.pid) (and its process group) left by worker process \(record.worker.pid)")
                } else if now == 0, kill(-record.pid, 0) == 0 {
                    // The leader is gone, programs it started still run in its group.
                    kill(-record.pid, SIGKILL)
                    logger.warning("swept the process group \(record.pid) of a render left by worker process \(record.worker.pid)")
                }
            }
            try? files.removeItem(at: url)
        }
        let prefix = ".partial-\(here.host)-"
        let directory = configuration.outputDirectory
        for name in (try? files.contentsOfDirectory(atPath: directory.path)) ?? [] where name.hasPrefix(prefix) {
            let rest = name.dropFirst(prefix.count).split(separator: "-", maxSplits: 2)
            guard rest.count == 3, let pid = Int32(rest[0]), let start = UInt64(rest[1]) else { continue }
            let owner = WorkerProcessIdentity(host: here.host, pid: pid, start: start, boot: here.boot)
            if owner.isAlive && owner != here { continue }
            let abandoned = directory.appendingPathComponent(name)
            let final = directory.appendingPathComponent(String(rest[2]))
            let recorded: Bool
            do {
                recorded = try await queue.store.isCompletedOutput(path: final.path)
            } catch {
                logger.warning("cannot tell whether the temporary output \(name) was recorded (\(error)); left for the next start")
                continue
            }
            if recorded, rename(abandoned.path, final.path) == 0 {
                logger.notice("moved the output \(name) of a worker process that died after recording its completion to \(final.lastPathComponent)")
            } else {
                try? files.removeItem(at: abandoned)
                logger.notice("removed the abandoned temporary output \(name)")
            }
        }
        // Crashes noted by dead worker processes count against what they held; this process notes its own.
        await reportCrashes()
        if configuration.recordsCrashes { recordOwnCrashes() }
    }
}

extension RenderStore {
    /// Seconds until the next pending instruction scheduled in the future falls due, by
    /// PostgreSQL's clock (nil when none is): an idle worker wakes then rather than after its
    /// idle wait, so a scheduled instruction starts on time.
    func secondsUntilNextScheduled(tags: [String] = []) async throws -> Double? {
        // One probe of the claim index (priority, scheduled_at, id) per priority: the earliest
        // future due time of each, instead of reading every pending row (15,000 in a burst) on
        // every idle wait. "Future" is after the clock as the statement runs, not after now():
        // a submit that committed after this statement's start but before its snapshot has a
        // scheduled_at (its own now()) a few microseconds after ours, and is due already.
        try await pool.query("""
            SELECT extract(epoch FROM min(next.scheduled_at) - clock_timestamp())::float8
            FROM (SELECT clock_timestamp() AS at) AS t
            CROSS JOIN generate_series(1, 10) AS p(priority)
            CROSS JOIN LATERAL (
                SELECT r.scheduled_at FROM render_instructions r
                WHERE r.status = 'pending' AND r.priority = p.priority AND r.scheduled_at > t.at AND NOT r.cancel_requested
                  AND r.required_tags <@ \(tags)::text[]
                ORDER BY r.scheduled_at LIMIT 1
            ) next
            """)[0].decode(Double?.self, at: 0)
    }

    /// Whether a pending instruction a worker with `tags` could take is due, locked by another
    /// transaction or not (`hub-worker --once` asks before it takes a claim that found nothing for
    /// an empty queue). One whose composition is at its concurrency limit does not count: it waits
    /// for renders on other machines to finish.
    func hasDueInstruction(tags: [String] = []) async throws -> Bool {
        try await pool.query("""
            SELECT EXISTS (
                SELECT 1 FROM render_instructions r
                LEFT JOIN aep_compositions c ON c.project = r.template_name AND c.name = r.composition AND c.max_concurrent IS NOT NULL
                WHERE r.status = 'pending' AND r.scheduled_at <= now() AND NOT r.cancel_requested AND r.required_tags <@ \(tags)::text[]
                  AND (c.max_concurrent IS NULL OR c.max_concurrent > (
                      SELECT count(*) FROM render_instructions p
                      WHERE p.template_name = r.template_name AND p.composition = r.composition AND p.status = 'processing')))
            """)[0].decode(Bool.self, at: 0)
    }

    /// Whether a completed output names the file `path` (the start-up sweep asks before it removes
    /// a dead worker's temporary output). Output names end in `-<instruction id>-a<attempt>-<token>.<ext>`:
    /// the instruction's id narrows the look-up when the name has it.
    func isCompletedOutput(path: String) async throws -> Bool {
        let name = URL(fileURLWithPath: path).lastPathComponent
        let parts = name.split(separator: "-")
        let id = parts.count >= 3 && parts[parts.count - 2].hasPrefix("a") ? Int64(parts[parts.count - 3]) : nil
        let rows = try await pool.query("""
            SELECT EXISTS (SELECT 1 FROM render_outputs
                           WHERE status = 'completed' AND output_path = \(path) AND (\(id)::bigint IS NULL OR instruction_id = \(id)))
            """)
        return try rows[0].decode(Bool.self, at: 0)
    }
}
