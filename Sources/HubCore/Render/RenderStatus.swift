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
    case pending, processing, completed, failed, stale, cancelled

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
    case cueItem = "cue_item"
    case premiumHand = "premium_hand"
    case manual
    case api
}
