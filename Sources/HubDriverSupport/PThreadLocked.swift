#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A value behind a plain pthread mutex (no spinning: a waiter sleeps in the kernel at once).
///
/// The pools use this rather than `Synchronization.Mutex`, whose spin-then-wait strategy makes
/// many threads on few cores burn their time slices spinning behind a preempted holder.
/// `@unchecked Sendable`: every access to `value` goes through `withLock`.
public final class PThreadLocked<Value>: @unchecked Sendable {
    @usableFromInline var mutex = pthread_mutex_t()
    @usableFromInline var value: Value

    /// Wraps `value`.
    public init(_ value: Value) {
        self.value = value
        pthread_mutex_init(&mutex, nil)
    }

    deinit { pthread_mutex_destroy(&mutex) }

    /// Runs `body` with exclusive access to the value.
    @inlinable
    public func withLock<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return try body(&value)
    }
}
