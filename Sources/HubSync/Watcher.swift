import Foundation
import HubCore
import HubDriverSupport
import Logging

/// `--watch`: the daemon loop. Every poll it stats the PokerGFX folders (a new or grown export
/// changes the folder's signature and is imported within one poll, SPEC's 60 s), runs a source
/// whose `sync_status` says it is due (its interval passed, or a retry is due), heartbeats in the
/// service registry, and stops cleanly on SIGTERM/SIGINT between runs.
struct Watcher {
    let session: SyncSession
    let clients: HubClients
    let events: EventPublisher
    let queue: RenderQueue?
    let progress: ProgressPrinter
    let poll: Int

    func run(gfx: [String], table: String?, wsop: String?, full: Bool) async throws {
        let stop = PThreadLocked(false)
        let signals = SignalWatcher { _ in stop.withLock { $0 = true } }
        defer { signals.cancel() }
        let registry = ServiceRegistry(pool: clients.database)
        let id = "hub-sync:\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)"
        let store = SyncStore(pool: clients.database)
        var lastSignature: [String: String]? = nil
        session.logger.notice("watching \((gfx + (wsop.map { [$0] } ?? [])).joined(separator: ", ")) every \(poll) s (SIGTERM or Ctrl-C stops)")
        while !stop.withLock({ $0 }) {
            try? await registry.heartbeat(id: id, kind: "hub-sync", mode: "watch")
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
                                                gfx: gfxDue ? gfx : [], table: table, wsop: wsopDue ? wsop : nil, full: full, report: false)
                // A failed GFX run is retried when its backoff is due (sync_status), not on every poll.
                if gfxDue { lastSignature = signature }
                if !ok { session.logger.warning("the last run failed; see `hub-sync status`") }
            }
            for _ in 0..<(poll * 10) where !stop.withLock({ $0 }) {
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
        try? await registry.deregister(id: id)
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

/// Turns SIGTERM/SIGINT into calls of `handler` with the count of signals so far.
/// `@unchecked Sendable`: `sources` is set once in `init` and only cancelled afterwards.
final class SignalWatcher: @unchecked Sendable {
    private let sources: [any DispatchSourceSignal]

    init(handler: @escaping @Sendable (Int) -> Void) {
        let counter = PThreadLocked(0)
        sources = [SIGTERM, SIGINT].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { handler(counter.withLock { $0 += 1; return $0 }) }
            source.resume()
            return source
        }
    }

    func cancel() { sources.forEach { $0.cancel() } }
}
