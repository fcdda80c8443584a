import CLibPQ
import Foundation
import Synchronization

/// Holds a connection's `PGcancel` and sends cancel requests for the statement that is running.
///
/// `@unchecked Sendable`: all state is guarded by `lock`. A cancel request names the statement it
/// is for (a generation number); it is sent only if that statement is still running, so a late
/// request never cancels the next statement.
final class QueryCanceller: @unchecked Sendable {
    private let lock = NSLock()
    private var cancel: OpaquePointer?
    private var running: UInt64?

    func set(_ newValue: OpaquePointer?) {
        lock.lock()
        if let cancel { PQfreeCancel(cancel) }
        cancel = newValue
        lock.unlock()
    }

    func release() { set(nil) }

    func begin(_ generation: UInt64) {
        lock.lock()
        running = generation
        lock.unlock()
    }

    func end() {
        lock.lock()
        running = nil
        lock.unlock()
    }

    /// Sends the cancel request on a thread of its own: `PQcancel` blocks while it opens a new
    /// connection to the server, and the canceller may be on the cooperative pool.
    func cancel(_ generation: UInt64) {
        Thread.detachNewThread { [self] in
            lock.lock()
            defer { lock.unlock() }
            guard running == generation, let cancel else { return }
            var buffer = [CChar](repeating: 0, count: 256)
            _ = PQcancel(cancel, &buffer, Int32(buffer.count))
        }
    }
}

/// A Boolean readable and writable from any thread.
final class AtomicFlag: Sendable {
    private let stored = Atomic<Bool>(false)

    var value: Bool {
        get { stored.load(ordering: .acquiring) }
        set { stored.store(newValue, ordering: .releasing) }
    }
}
