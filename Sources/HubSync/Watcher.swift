import Foundation
import HubCore
import HubDriverSupport
import Logging
import ServiceLifecycle

/// `--watch`: the daemon loop, a service of the process runtime. Every poll it stats the PokerGFX
/// folders (a new or grown export changes the folder's signature and is imported within one
/// poll), and runs a source whose `sync_status` says it is due (its interval passed, or a retry
/// is due). The runtime registers and heartbeats the process (mode `watch`).
///
/// SIGTERM or SIGINT: no new pass starts and the wait between polls ends at once; a pass under
/// way finishes the files it has started and stops before the next (the importer checks the stop
/// flag at every file boundary); files not reached are imported by the next run. When `--grace`
/// passes first, the pass is cancelled (a file's transaction rolls back whole).
struct Watcher: Service {
    let session: SyncSession
    let clients: HubClients
    let events: EventPublisher
    let queue: RenderQueue?
    let progress: ProgressPrinter
    let poll: Int
    let gfx: [String]
    let table: String?
    let wsop: String?
    let full: Bool

    func run() async throws {
        let stop = SyncStopFlag()
        try await withGracefulShutdownHandler {
            try await watch(stop)
        } onGracefulShutdown: {
            stop.set()
        }
    }

    func watch(_ stop: SyncStopFlag) async throws {
        let store = SyncStore(pool: clients.database)
        var lastSignature: [String: String]? = nil
        session.logger.notice("watching \((gfx + (wsop.map { [$0] } ?? [])).joined(separator: ", ")) every \(poll) s (SIGTERM or Ctrl-C stops)")
        while !stop.isSet && !Task.isCancelled {
            let signature = gfx.isEmpty ? [:] : Self.signature(gfx)
            var gfxDue = false
            if !gfx.isEmpty {
                gfxDue = signature != lastSignature
                if !gfxDue { gfxDue = (try? await store.isDue(.gfx)) ?? false }
            }
            var wsopDue = false
            if wsop != nil { wsopDue = (try? await store.isDue(.wsop)) ?? false }
            if gfxDue || wsopDue {
                let ok = try await session.once(clients: clients, events: events, queue: queue, progress: progress,
                                                gfx: gfxDue ? gfx : [], table: table, wsop: wsopDue ? wsop : nil, full: full, report: false,
                                                stop: stop)
                // A failed GFX run is retried when its backoff is due (sync_status), not on every poll.
                if gfxDue { lastSignature = signature }
                if !ok { session.logger.warning("the last run failed; see `hub-sync status`") }
            }
            for _ in 0..<(poll * 10) where !stop.isSet && !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
        session.logger.notice("stopped")
    }

    /// Path → size and modification time of every export under `directories`.
    static func signature(_ directories: [String]) -> [String: String] {
        var result: [String: String] = [:]
        for file in (try? GFXScanner.scan(directories)) ?? [] {
            let attributes = try? FileManager.default.attributesOfItem(atPath: file.path)
            let size = (attributes?[.size] as? NSNumber)?.int64Value ?? -1
            let modified = (attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            result[file.path] = "\(size):\(modified)"
        }
        return result
    }
}

/// Set when the watcher should stop; read by the importer between files.
final class SyncStopFlag: Sendable {
    private let value = PThreadLocked(false)
    var isSet: Bool { value.withLock { $0 } }
    func set() { value.withLock { $0 = true } }
}

/// The parsed options of one invocation: set once by the argument parser, then only read (the
/// argument parser's property wrappers are not marked `Sendable`).
extension SyncSession: @unchecked Sendable {}
