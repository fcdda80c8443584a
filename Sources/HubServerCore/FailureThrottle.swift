import Foundation
import HubDriverSupport

/// Counts failed authentications per client address and refuses an address that failed too
/// often: after ``maxFailures`` failures within ``window``, every request from it is answered 429
/// until the window of the oldest counted failure has passed. A success clears the address.
///
/// The table is bounded: addresses whose failures all lie outside the window are pruned when it
/// grows past ``maxAddresses``.
public final class FailureThrottle: Sendable {
    /// Failures allowed within ``window`` before the address is refused.
    public let maxFailures: Int
    /// The sliding window.
    public let window: Duration
    /// Bound of the table of addresses.
    public let maxAddresses: Int
    private let failures = PThreadLocked<[String: [ContinuousClock.Instant]]>([:])
    private let clock: @Sendable () -> ContinuousClock.Instant

    /// Creates a throttle; `clock` is replaceable for tests.
    public init(maxFailures: Int = 10, window: Duration = .seconds(60), maxAddresses: Int = 10_000,
                clock: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }) {
        self.maxFailures = max(1, maxFailures)
        self.window = window
        self.maxAddresses = maxAddresses
        self.clock = clock
    }

    /// How long `address` must wait before trying again; nil when it may try now.
    public func retryAfter(_ address: String) -> Duration? {
        let now = clock()
        return failures.withLock { table -> Duration? in
            guard var times = table[address] else { return nil }
            times.removeAll { now - $0 >= window }
            table[address] = times.isEmpty ? nil : times
            guard times.count >= maxFailures, let oldest = times.first else { return nil }
            return window - (now - oldest)
        }
    }

    /// Records a failed attempt from `address`.
    public func recordFailure(_ address: String) {
        let now = clock()
        failures.withLock { table in
            if table.count >= maxAddresses {
                table = table.filter { _, times in times.contains { now - $0 < window } }
            }
            var times = table[address] ?? []
            times.append(now)
            if times.count > maxFailures { times.removeFirst(times.count - maxFailures) }
            table[address] = times
        }
    }

    /// Clears `address` after a successful authentication.
    public func recordSuccess(_ address: String) {
        failures.withLock { table in
            if table[address] != nil { table[address] = nil }
        }
    }
}
