import CHubProcess
import Foundation
import Logging

/// A crash of a `hub-worker` process as it noted it (``RenderWorkerConfiguration/recordsCrashes``):
/// `<output>/.hub-worker/crash-<host>-<pid>-<start>.record`, written by a signal handler when the
/// process's own code raised a fatal signal — SIGSEGV, SIGBUS, SIGILL (a Swift trap), SIGTRAP,
/// SIGFPE or SIGABRT. Only then did the work it held kill it: a kill from outside (SIGKILL from an
/// operator, a supervisor or the OOM killer, SIGTERM), a frozen process or a lost database leaves
/// no record and counts against no instruction.
struct WorkerCrashRecord: Sendable, Hashable {
    /// The crashed process (its pid files and temporary outputs carry the same identity).
    var worker: WorkerProcessIdentity
    /// Its consumer prefix: its slots claimed as `<prefix>-<slot>`.
    var consumerPrefix: String
    /// The signal that ended it.
    var signal: Int

    static let fileExtension = "record"

    /// The file this process writes when it crashes.
    static func path(in directory: URL, for worker: WorkerProcessIdentity) -> URL {
        directory.appendingPathComponent("crash-\(worker.tag).\(fileExtension)")
    }

    /// What the handler writes before `signal=N`.
    static func header(worker: WorkerProcessIdentity, consumerPrefix: String) -> String {
        "consumer_prefix=\(consumerPrefix)\nhost=\(worker.host)\nboot=\(worker.boot)\npid=\(worker.pid)\nstart=\(worker.start)\n"
    }

    /// Reads a record; nil when it is incomplete or damaged.
    static func read(_ url: URL) -> WorkerCrashRecord? {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return nil }
        var values: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { values[String(parts[0])] = String(parts[1]) }
        }
        guard let prefix = values["consumer_prefix"], !prefix.isEmpty, let host = values["host"], let boot = values["boot"],
              let pid = values["pid"].flatMap({ Int32($0) }), let start = values["start"].flatMap({ UInt64($0) }),
              let signal = values["signal"].flatMap({ Int($0) })
        else { return nil }
        return WorkerCrashRecord(worker: WorkerProcessIdentity(host: host, pid: pid, start: start, boot: boot),
                                 consumerPrefix: prefix, signal: signal)
    }
}

extension RenderWorker {
    /// Arms this process's crash record (once per process; see ``WorkerCrashRecord``).
    func recordOwnCrashes() {
        let here = WorkerProcessIdentity.current
        let path = WorkerCrashRecord.path(in: runtimeDirectory, for: here).path
        let header = WorkerCrashRecord.header(worker: here, consumerPrefix: configuration.consumerPrefix)
        if hub_record_crashes(path, header) != 0 {
            logger.warning("cannot arm the crash record \(path): \(String(cString: strerror(errno))); a crash of this worker will count against no instruction")
        }
    }

    /// At start-up: reports the crashes that worker processes on this machine noted before they
    /// died (``RenderStore/recordWorkerCrash(process:signal:actor:quarantineAfter:)``), then
    /// removes their records. A record stays for the next start while the database cannot take it.
    func reportCrashes() async {
        let files = FileManager.default
        let here = WorkerProcessIdentity.current
        let names = ((try? files.contentsOfDirectory(atPath: runtimeDirectory.path)) ?? [])
            .filter { $0.hasPrefix("crash-") && $0.hasSuffix(".\(WorkerCrashRecord.fileExtension)") }
        for name in names.sorted() {
            let url = runtimeDirectory.appendingPathComponent(name)
            guard let record = WorkerCrashRecord.read(url) else {
                // Written by a process that died while writing it: nothing to go on.
                if let modified = (try? files.attributesOfItem(atPath: url.path))?[.modificationDate] as? Date,
                   Date().timeIntervalSince(modified) > 60 { try? files.removeItem(at: url) }
                continue
            }
            guard record.worker.host == here.host, record.worker != here, !record.worker.isAlive else { continue }
            do {
                let counted = try await queue.store.recordWorkerCrash(
                    process: record.consumerPrefix, signal: record.signal, actor: "hub-worker:\(configuration.consumerPrefix)",
                    quarantineAfter: configuration.operations.hunter.quarantineAfter)
                try? files.removeItem(at: url)
                // A pending instruction this crash quarantined is a quarantine as the hunter's are.
                HubMetrics.reaped(0, quarantined: counted.filter(\.quarantined).count)
                let list = counted.map { "\($0.id) (\($0.status.rawValue), \($0.crashCount) crash(es))" }.joined(separator: ", ")
                logger.warning("worker process \(record.consumerPrefix) crashed with signal \(record.signal); counted against the instructions it held: \(list.isEmpty ? "none" : list)")
            } catch {
                logger.warning("cannot report the crash of worker process \(record.consumerPrefix) (signal \(record.signal)) yet: \(error); the next start tries again")
            }
        }
    }
}
