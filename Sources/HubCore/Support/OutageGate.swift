import HubDriverSupport

/// Stops a hot path from retrying a dead server on every call: after a failure, attempts are
/// skipped for `pause`; the first call after it tries again.
///
/// The event publisher and the dispatch publisher use it while Redis is unreachable. Without it,
/// every submit and every event in an outage paid a failed connection attempt (and the dispatch
/// side an outbox update recording it) — work that cost fallback mode a third of its throughput.
/// What is skipped is not lost: outbox rows stay unpublished for the relay, events are dropped
/// as in any outage.
package final class OutageGate: Sendable {
    private let pause: Duration
    private let state = PThreadLocked<ContinuousClock.Instant?>(nil)

    /// A gate that skips attempts for `pause` after each failure.
    package init(pause: Duration = .milliseconds(500)) {
        self.pause = pause
    }

    /// Whether to attempt now: true unless a failure was recorded less than `pause` ago.
    package var shouldAttempt: Bool {
        state.withLock { failedAt in
            guard let failedAt else { return true }
            return ContinuousClock.now - failedAt >= pause
        }
    }

    /// Records a failed attempt: the next `pause` is skipped.
    package func failed() {
        state.withLock { $0 = ContinuousClock.now }
    }

    /// Records a successful attempt (or opens the gate for a deliberate one, such as a relay).
    package func succeeded() {
        state.withLock { $0 = nil }
    }
}
