/// The ten categories of a five-card poker hand, weakest first.
public enum HandCategory: Int, Sendable, CaseIterable, Comparable, Codable, CustomStringConvertible {
    /// No pair.
    case highCard
    /// One pair.
    case pair
    /// Two pairs.
    case twoPair
    /// Three cards of one rank.
    case threeOfAKind
    /// Five ranks in a row.
    case straight
    /// Five cards of one suit.
    case flush
    /// Three of one rank and two of another: the weakest premium hand.
    case fullHouse
    /// Four cards of one rank.
    case fourOfAKind
    /// A straight in one suit.
    case straightFlush
    /// Ace-high straight flush.
    case royalFlush

    /// The stored name (`high_card` … `royal_flush`).
    public var name: String {
        switch self {
        case .highCard: "high_card"
        case .pair: "pair"
        case .twoPair: "two_pair"
        case .threeOfAKind: "three_of_a_kind"
        case .straight: "straight"
        case .flush: "flush"
        case .fullHouse: "full_house"
        case .fourOfAKind: "four_of_a_kind"
        case .straightFlush: "straight_flush"
        case .royalFlush: "royal_flush"
        }
    }

    /// Creates a category from its stored name.
    public init?(name: String) {
        guard let found = Self.allCases.first(where: { $0.name == name }) else { return nil }
        self = found
    }

    /// Premium hands (SPEC §2): full house or better.
    public var isPremium: Bool { self >= .fullHouse }

    public var description: String { name }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    /// Decodes the stored name (`four_of_a_kind`).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let name = try container.decode(String.self)
        guard let category = HandCategory(name: name) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "'\(name)' is not a hand category (high_card … royal_flush)")
        }
        self = category
    }

    /// Encodes the stored name, as the API and `--json` show it.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(name)
    }
}
