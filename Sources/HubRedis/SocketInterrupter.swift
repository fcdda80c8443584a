import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Lets another thread wake a thread blocked reading a socket, by shutting the socket down.
///
/// The owner ``arm(_:)``s it with the descriptor before a blocking call and ``disarm()``s it
/// afterwards, before the descriptor can be closed; ``interrupt()`` (called from a task
/// cancellation handler, on any thread) only touches the descriptor while it is armed, so it can
/// never shut down a descriptor number that was closed and reused meanwhile.
final class SocketInterrupter: Sendable {
    private struct State {
        var fd: Int32 = -1
        var interrupted = false
    }

    private let state = Mutex(State())

    /// Records the descriptor a blocking call is about to use and clears the interrupted flag.
    func arm(_ fd: Int32) {
        state.withLock { $0 = State(fd: fd, interrupted: false) }
    }

    /// Forgets the descriptor; returns whether ``interrupt()`` was called while armed.
    @discardableResult
    func disarm() -> Bool {
        state.withLock { state in
            state.fd = -1
            return state.interrupted
        }
    }

    /// Shuts the armed socket down for reading and writing so a blocked `read(2)` returns at once.
    func interrupt() {
        state.withLock { state in
            state.interrupted = true
            if state.fd >= 0 { _ = shutdown(state.fd, Int32(SHUT_RDWR)) }
        }
    }
}
