/// Where a render instruction is in its lifecycle (SPEC §3).
///
/// ```
/// pending ──claim──▶ processing ──success──▶ completed
///    ▲                   │  ├──error, retries left──▶ pending (scheduled_at = now + backoff)
///    │                   │  ├──error, no retries────▶ failed
///    │                   │  └──cancel──────────────▶ cancelled
///    └──lease expired / operator retry / hand back──┘      pending ──cancel──▶ cancelled
/// ```
public enum RenderStatus: String, Sendable, Codable, CaseIterable {
    /// Waiting for a worker (possibly until ``RenderInstruction/scheduledAt``, after a failure).
    case pending
    /// A worker holds it under a lease and renders it.
    case processing
    /// Rendered: its ``RenderOutput`` has the file.
    case completed
    /// Failed with no retries left (``RenderInstruction/errorMessage`` says why).
    case failed
    /// Left behind by the old schema's timeout rule; retried like a failed one.
    case stale
    /// Cancelled before it finished.
    case cancelled

    /// Whether no worker will touch the instruction again without an operator.
    public var isFinished: Bool {
        switch self {
        case .completed, .failed, .cancelled: true
        case .pending, .processing, .stale: false
        }
    }
}

/// What created a render instruction.
public enum RenderTrigger: String, Sendable, Codable, CaseIterable {
    /// A cue item fired by the broadcast director.
    case cueItem = "cue_item"
    /// A premium hand graded by the importer.
    case premiumHand = "premium_hand"
    /// An operator (`hubctl render submit`) or a library call.
    case manual
    /// The HTTP API.
    case api
}
