/// Where a player's value comes from (SPEC §5).
public enum PlayerSource: String, Sendable, Hashable, Codable, CaseIterable {
    /// An operator: an override, or a registered profile image.
    case manual
    /// The WSOP+ platform.
    case wsop
    /// The PokerGFX exports of the feature tables.
    case gfx
}

/// A field of the unified player and the sources it merges, highest priority first (SPEC §5,
/// schema doc §4.1). The `unified_players` view implements this table; the tests check the view
/// against it.
public enum PlayerField: String, Sendable, Hashable, Codable, CaseIterable {
    /// The player's name (manual, then WSOP+, then PokerGFX).
    case name
    /// The name in Korean (manual only).
    case nameKorean = "name_korean"
    /// The ISO country code (manual, then WSOP+).
    case countryCode = "country_code"
    /// The profile image's path (a registered manual image, then WSOP+).
    case profileImage = "profile_image"
    /// A short biography (manual only).
    case bio
    /// Notable wins (manual only).
    case notableWins = "notable_wins"
    /// The chip count (WSOP+, then the last PokerGFX hand).
    case chipCount = "chip_count"
    /// Hands played at the feature tables (PokerGFX only).
    case handData = "hand_data"

    /// The sources of this field, highest priority first.
    public var priority: [PlayerSource] {
        switch self {
        case .name: [.manual, .wsop, .gfx]
        case .nameKorean, .bio, .notableWins: [.manual]
        case .countryCode, .profileImage: [.manual, .wsop]
        case .chipCount: [.wsop, .gfx]
        case .handData: [.gfx]
        }
    }

    /// Whether `hubctl players override` may set it. A profile image is manual through
    /// `hubctl players image` (a checked file), not through a text override.
    package var isOverridable: Bool { priority.contains(.manual) && self != .profileImage }

    /// The fields an override may set.
    package static var overridable: [PlayerField] { allCases.filter(\.isOverridable) }
}

// JSON objects keyed by field and source names ({"name": "manual"}), not arrays of pairs.
extension PlayerField: CodingKeyRepresentable {}
extension PlayerSource: CodingKeyRepresentable {}
