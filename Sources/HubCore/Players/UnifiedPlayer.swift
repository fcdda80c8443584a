import Foundation
import HubPostgres

/// One person across WSOP+ and PokerGFX with overrides applied: a row of the `unified_players`
/// view. ``sources`` says where each field came from.
public struct UnifiedPlayer: Sendable, Hashable, Codable {
    /// `wsop:<id>` for a WSOP+ player (linked or not), `gfx:<id>` for a GFX player without a link.
    public var ref: String
    /// The hub's id of the WSOP+ player (`wsop_players`), when there is one.
    public var wsopPlayerID: Int64?
    /// The hub's id of the PokerGFX player (`gfx_players`), when there is one.
    public var gfxPlayerID: Int64?
    /// The WSOP+ player id of the exports (`P-1001`).
    public var wsopPlayerKey: String?
    /// `auto_name` or `manual` when both sources are linked.
    public var linkMethod: String?
    /// The name to show.
    public var name: String
    /// The name in Korean.
    public var nameKorean: String?
    /// The ISO country code (`US`, `KR`).
    public var countryCode: String?
    /// The profile image's path.
    public var profileImage: String?
    /// A short biography.
    public var bio: String?
    /// Notable wins, as text.
    public var notableWins: String?
    /// The latest chip count.
    public var chipCount: Int64?
    /// When that chip count was taken.
    public var chipCountAt: Date?
    /// Hands played at the feature tables.
    public var handsPlayed: Int
    /// When the player's last feature-table hand started.
    public var lastHandAt: Date?
    /// The source of each field that has a value.
    public var sources: [PlayerField: PlayerSource]

    /// Creates a player value (the hub reads players from the `unified_players` view; a consumer
    /// builds one in tests).
    public init(ref: String, wsopPlayerID: Int64? = nil, gfxPlayerID: Int64? = nil, wsopPlayerKey: String? = nil,
                linkMethod: String? = nil, name: String, nameKorean: String? = nil, countryCode: String? = nil,
                profileImage: String? = nil, bio: String? = nil, notableWins: String? = nil, chipCount: Int64? = nil,
                chipCountAt: Date? = nil, handsPlayed: Int = 0, lastHandAt: Date? = nil, sources: [PlayerField: PlayerSource] = [:]) {
        self.ref = ref
        self.wsopPlayerID = wsopPlayerID
        self.gfxPlayerID = gfxPlayerID
        self.wsopPlayerKey = wsopPlayerKey
        self.linkMethod = linkMethod
        self.name = name
        self.nameKorean = nameKorean
        self.countryCode = countryCode
        self.profileImage = profileImage
        self.bio = bio
        self.notableWins = notableWins
        self.chipCount = chipCount
        self.chipCountAt = chipCountAt
        self.handsPlayed = handsPlayed
        self.lastHandAt = lastHandAt
        self.sources = sources
    }

    /// The field's value as text (nil when no source has it).
    public func value(of field: PlayerField) -> String? {
        switch field {
        case .name: name
        case .nameKorean: nameKorean
        case .countryCode: countryCode
        case .profileImage: profileImage
        case .bio: bio
        case .notableWins: notableWins
        case .chipCount: chipCount.map(String.init)
        case .handData: handsPlayed > 0 ? "\(handsPlayed) hands" : nil
        }
    }

    /// The view's columns, in the order ``decode(_:)`` reads them.
    static let columns: PostgresQuery = """
        player_ref, wsop_player_id, gfx_player_id, wsop_player_key, link_method, name, name_source, name_korean, name_korean_source,
        country_code, country_code_source, profile_image, profile_image_source, bio, bio_source, notable_wins, notable_wins_source,
        chip_count, chip_count_source, chip_count_at, hands_played, last_hand_at, hand_data_source
        """

    static func decode(_ row: PostgresRow) throws -> UnifiedPlayer {
        var sources: [PlayerField: PlayerSource] = [:]
        func source(_ field: PlayerField, _ index: Int) throws {
            if let text = try row.decode(String?.self, at: index), let source = PlayerSource(rawValue: text) { sources[field] = source }
        }
        try source(.name, 6)
        try source(.nameKorean, 8)
        try source(.countryCode, 10)
        try source(.profileImage, 12)
        try source(.bio, 14)
        try source(.notableWins, 16)
        try source(.chipCount, 18)
        try source(.handData, 22)
        return UnifiedPlayer(
            ref: try row.decode(String.self, at: 0), wsopPlayerID: try row.decode(Int64?.self, at: 1),
            gfxPlayerID: try row.decode(Int64?.self, at: 2), wsopPlayerKey: try row.decode(String?.self, at: 3),
            linkMethod: try row.decode(String?.self, at: 4), name: try row.decode(String?.self, at: 5) ?? "",
            nameKorean: try row.decode(String?.self, at: 7), countryCode: try row.decode(String?.self, at: 9),
            profileImage: try row.decode(String?.self, at: 11), bio: try row.decode(String?.self, at: 13),
            notableWins: try row.decode(String?.self, at: 15), chipCount: try row.decode(Int64?.self, at: 17),
            chipCountAt: try row.decode(Date?.self, at: 19), handsPlayed: try row.decode(Int.self, at: 20),
            lastHandAt: try row.decode(Date?.self, at: 21), sources: sources)
    }

    enum CodingKeys: String, CodingKey {
        case ref
        case wsopPlayerID = "wsop_player_id"
        case gfxPlayerID = "gfx_player_id"
        case wsopPlayerKey = "wsop_player_key"
        case linkMethod = "link_method"
        case name
        case nameKorean = "name_korean"
        case countryCode = "country_code"
        case profileImage = "profile_image"
        case bio
        case notableWins = "notable_wins"
        case chipCount = "chip_count"
        case chipCountAt = "chip_count_at"
        case handsPlayed = "hands_played"
        case lastHandAt = "last_hand_at"
        case sources
    }
}

/// A manual value for one field of one player.
package struct PlayerOverride: Sendable, Hashable, Codable {
    /// Whether it applies now.
    package enum State: String, Sendable, Hashable, Codable {
        /// Active and inside its window.
        case applied
        /// Active, window not begun.
        case scheduled
        /// Active, window over.
        case expired
        /// Switched off by an operator.
        case inactive
    }

    package var id: Int64
    package var field: PlayerField
    package var value: String
    package var active: Bool
    package var validFrom: Date
    package var validUntil: Date?
    package var reason: String?
    package var createdBy: String
    package var createdAt: Date
    package var state: State

    enum CodingKeys: String, CodingKey {
        case id
        case field
        case value
        case active
        case validFrom = "valid_from"
        case validUntil = "valid_until"
        case reason
        case createdBy = "created_by"
        case createdAt = "created_at"
        case state
    }
}
