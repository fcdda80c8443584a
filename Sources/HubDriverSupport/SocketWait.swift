#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Small wrappers over `poll(2)` used by the drivers to wait on a connection's socket.
public enum SocketWait {
    /// What `poll` reported for a socket.
    public enum Readiness: Sendable, Equatable {
        /// Nothing arrived before the timeout.
        case timeout
        /// Data (or end of file) can be read.
        case readable
        /// The socket is in error or hung up.
        case failed
    }

    /// Waits until `fd` is readable or `timeoutMilliseconds` passes (0 = just look, -1 = forever).
    public static func readable(_ fd: Int32, timeoutMilliseconds: Int32) -> Readiness {
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        while true {
            let result = poll(&descriptor, 1, timeoutMilliseconds)
            if result == 0 { return .timeout }
            if result < 0 {
                if errno == EINTR { continue }
                return .failed
            }
            let events = Int32(descriptor.revents)
            if events & Int32(POLLIN) != 0 { return .readable }
            if events & (Int32(POLLERR) | Int32(POLLHUP) | Int32(POLLNVAL)) != 0 { return .failed }
            return .timeout
        }
    }
}
