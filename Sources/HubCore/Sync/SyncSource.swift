/// A data source of `hub-sync` with its entities (schema doc §3.1), lock and policies.
package enum SyncSource: String, Sendable, Codable, CaseIterable {
    case gfx, wsop

    /// The entities tracked in `sync_status`.
    package var entities: [String] {
        switch self {
        case .gfx: ["sessions", "hands", "players"]
        case .wsop: WSOPEntity.allCases.map(\.rawValue)
        }
    }

    /// The advisory lock that keeps two runs of this source from importing at once
    /// ("hubsync" as bytes, then the source).
    package var lockKey: Int64 {
        switch self {
        case .gfx: 0x6875_6273_796E_6301
        case .wsop: 0x6875_6273_796E_6302
        }
    }

    /// The retry policy.
    package var retryPolicy: SyncRetryPolicy { self == .gfx ? .gfx : .wsop }

    /// What operators call it.
    package var displayName: String { self == .gfx ? "PokerGFX" : "WSOP+" }
}
