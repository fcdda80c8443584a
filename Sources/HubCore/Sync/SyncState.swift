import Foundation

/// The sync state of one (source, entity) (schema doc §3.2):
/// `pending → in_progress → synced | failed`; `synced → outdated` when its interval passes;
/// `failed → pending` when its retry is due; `outdated → pending` when scheduled.
package enum SyncState: String, Sendable, Codable, CaseIterable {
    case pending, inProgress = "in_progress", synced, failed, outdated

    /// What happens to a state.
    package enum Transition: String, Sendable, CaseIterable {
        /// A run begins (cron, `--watch`, an operator).
        case start
        /// The run finished with every file imported or unchanged.
        case succeed
        /// The run failed or skipped a file.
        case fail
        /// The entity's interval passed since its last sync.
        case intervalPassed
        /// A failed entity's backoff delay passed and it has retries left.
        case retryDue
        /// An outdated entity is queued for its next run.
        case schedule
    }

    /// The state after `transition`, or nil when the transition is not allowed here (a second
    /// run starting while one is in progress, a success without a run, …).
    package func applying(_ transition: Transition) -> SyncState? {
        switch (self, transition) {
        case (.pending, .start), (.outdated, .start), (.synced, .start), (.failed, .start): .inProgress
        case (.inProgress, .succeed): .synced
        case (.inProgress, .fail): .failed
        case (.synced, .intervalPassed): .outdated
        case (.failed, .retryDue): .pending
        case (.outdated, .schedule): .pending
        default: nil
        }
    }
}

/// How a source retries after a failed run (seed 001 §7.1): the delay before the next attempt
/// is `baseDelay × 2^retryCount`, for at most `maxRetries` retries; after that the source waits
/// for its regular interval.
package struct SyncRetryPolicy: Sendable, Hashable {
    package var maxRetries: Int
    package var baseDelay: Duration

    package init(maxRetries: Int, baseDelay: Duration) {
        self.maxRetries = maxRetries
        self.baseDelay = baseDelay
    }

    /// PokerGFX: files land continuously, so retry soon (30 s, 60 s, 120 s).
    package static let gfx = SyncRetryPolicy(maxRetries: 3, baseDelay: .seconds(30))
    /// WSOP+: the schema document's 60 s, 120 s, 240 s.
    package static let wsop = SyncRetryPolicy(maxRetries: 3, baseDelay: .seconds(60))

    /// The delay before retry number `retryCount + 1`, or nil when no retries are left.
    package func delay(afterFailures retryCount: Int) -> Duration? {
        guard retryCount < maxRetries else { return nil }
        return baseDelay * (1 << retryCount)
    }
}

/// A circuit breaker over a source's runs (seed 001 §7.2): after `threshold` consecutive failed
/// runs the source is skipped for `cooldown`, so a dead NAS mount does not hold up the other
/// source; after the cool-down one run is let through (half-open) and a success closes it.
package struct SyncCircuitBreaker: Sendable, Hashable {
    package var threshold: Int
    package var cooldown: Duration

    package init(threshold: Int = 5, cooldown: Duration = .seconds(300)) {
        self.threshold = threshold
        self.cooldown = cooldown
    }

    /// The breaker's state.
    package enum State: String, Sendable, Codable { case closed, open, halfOpen = "half_open" }

    /// The state given the consecutive failures and the time of the last one.
    package func state(consecutiveFailures: Int, lastFailure: Date?, now: Date = Date()) -> State {
        guard consecutiveFailures >= threshold else { return .closed }
        guard let lastFailure else { return .halfOpen }
        let seconds = Double(cooldown.components.seconds) + Double(cooldown.components.attoseconds) / 1e18
        return now.timeIntervalSince(lastFailure) < seconds ? .open : .halfOpen
    }
}
