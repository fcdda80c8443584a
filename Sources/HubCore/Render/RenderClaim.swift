import Foundation

/// A worker's hold on one instruction: the proof every later write must present.
package struct RenderClaim: Sendable, Hashable {
    /// The instruction.
    package var instruction: RenderInstruction
    /// The lease token issued by this claim.
    package var leaseToken: UUID
    /// The worker (consumer name) holding the lease.
    package var workerID: String
    /// Which attempt this is (1 for the first).
    package var attempt: Int
    /// The newest completed output with the same data hash, found by the claim itself (the render
    /// cache's first candidate); the worker uses it if its file still exists.
    package var cacheCandidate: RenderStore.Output? = nil
}

/// When a failed attempt is tried again: `base × 2^retry_count` (schema doc §7.2: 60 s, 120 s,
/// 240 s), capped at `maximum`.
package struct RetryPolicy: Sendable, Hashable {
    /// The first delay.
    package var base: Duration
    /// The longest delay.
    package var maximum: Duration

    /// 60 s doubling, at most one hour.
    package init(base: Duration = .seconds(60), maximum: Duration = .seconds(3600)) {
        self.base = base
        self.maximum = maximum
    }

    /// The delay before the retry that follows `retryCount` earlier retries.
    package func delay(afterRetries retryCount: Int) -> Duration {
        let factor = 1 << min(max(retryCount, 0), 30)
        let delay = base * factor
        return delay > maximum ? maximum : delay
    }
}

/// How a worker's write was answered when it still holds the lease.
package struct LeaseStatus: Sendable, Hashable {
    /// When the lease now expires.
    package var expiresAt: Date
    /// An operator asked to cancel: stop rendering and call ``RenderStore/acknowledgeCancel(_:)``.
    package var cancelRequested: Bool
}
