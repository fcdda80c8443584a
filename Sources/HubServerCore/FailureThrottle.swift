import Foundation
import HubDriverSupport

/// Counts failed authentications per client address. After ``maxFailures`` failures within
/// ``window`` the address is *throttled*: its further **failed** attempts are answered 429 (with
/// `Retry-After`) instead of 401, and held for ``delay`` first, until the window of the oldest
/// counted failure has passed. A correct credential is never refused by the throttle: the
/// credential is verified first (see ``AuthMiddleware``), so one client's failures (a stale
/// dashboard tab, a scanner with made-up keys, an attacker behind the same NAT) cannot lock out
/// an operator who has the right password.
///
/// A success does not clear the address either: otherwise an attacker sharing an address with a
/// busy dashboard would get a fresh allowance with every refresh.
///
/// The table is bounded: addresses whose failures all lie outside the window are pruned when it
/// grows past ``maxAddresses``.
package final class FailureThrottle: Sendable {
    /// Failures allowed within ``window`` before the address is refused.
    package let maxFailures: Int
    /// The sliding window.
    package let window: Duration
    /// Bound of the table of addresses.
    package let maxAddresses: Int
    private let failures = PThreadLocked<[String: [ContinuousClock.Instant]]>([:])
    /// How long a failed attempt from a throttled address is held before it is answered.
    package let delay: Duration
    /// At most this many failed attempts are held at once (beyond, they are answered at once),
    /// so a flood cannot pile up tasks.
    package let maxHeld: Int
    private let held = PThreadLocked(0)
    private let clock: @Sendable () -> ContinuousClock.Instant

    /// Creates a throttle; `clock` is replaceable for tests.
    package init(maxFailures: Int = 10, window: Duration = .seconds(60), maxAddresses: Int = 10_000,
                delay: Duration = .seconds(1), maxHeld: Int = 256,
                clock: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }) {
        self.maxFailures = max(1, maxFailures)
        self.window = window
        self.maxAddresses = maxAddresses
        self.delay = delay
        self.maxHeld = maxHeld
        self.clock = clock
    }

    /// Holds a failed attempt of a throttled address for ``delay`` (at once when ``maxHeld``
    /// attempts are already held): each connection of a guesser gets at most one answer per
    /// ``delay``.
    package func hold() async {
        guard delay > .zero, held.withLock({ count -> Bool in
            guard count < maxHeld else { return false }
            count += 1
            return true
        }) else { return }
        try? await Task.sleep(for: delay)
        held.withLock { $0 -= 1 }
    }

    /// How long `address` must wait before trying again; nil when it may try now.
    package func retryAfter(_ address: String) -> Duration? {
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
    package func recordFailure(_ address: String) {
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

    /// Clears `address` (not called on a successful sign-in: see the type's comment).
    package func recordSuccess(_ address: String) {
        failures.withLock { table in
            if table[address] != nil { table[address] = nil }
        }
    }
}
