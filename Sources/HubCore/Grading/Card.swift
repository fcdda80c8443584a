import Foundation

/// A playing card: rank 2…14 (ace high) and suit.
///
/// PokerGFX writes cards lower-case with the ten as `10` (`ac`, `10d`); the hub stores them in the
/// common two-character form (`Ac`, `Td`) so every card is the same width.
public struct Card: Sendable, Hashable, CustomStringConvertible {
    /// The four suits, in the order of their bit in ``HandEvaluator``.
    public enum Suit: Int, Sendable, CaseIterable {
        case clubs, diamonds, hearts, spades

        /// `c`, `d`, `h`, `s`.
        public var letter: Character { ["c", "d", "h", "s"][rawValue] }
    }

    /// 2 … 14 (11 jack, 12 queen, 13 king, 14 ace).
    public let rank: Int
    /// The suit.
    public let suit: Suit

    /// Creates a card; `rank` must be 2…14.
    public init?(rank: Int, suit: Suit) {
        guard (2...14).contains(rank) else { return nil }
        self.rank = rank
        self.suit = suit
    }

    static let rankLetters: [Character] = ["2", "3", "4", "5", "6", "7", "8", "9", "T", "J", "Q", "K", "A"]

    /// Parses `Ac`, `ac`, `10d`, `Td`, `td` (case-insensitive; the ten as `10` or `T`).
    public init?(_ text: some StringProtocol) {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        guard trimmed.count >= 2, let suitLetter = trimmed.last,
              let suit = Suit.allCases.first(where: { $0.letter == suitLetter }) else { return nil }
        let rankText = trimmed.dropLast()
        let rank: Int
        switch rankText {
        case "10", "t": rank = 10
        case "j": rank = 11
        case "q": rank = 12
        case "k": rank = 13
        case "a": rank = 14
        default:
            guard rankText.count == 1, let digit = Int(rankText), (2...9).contains(digit) else { return nil }
            rank = digit
        }
        self.init(rank: rank, suit: suit)
    }

    /// `Ac`, `Td`, `9s`.
    public var description: String { "\(Self.rankLetters[rank - 2])\(suit.letter)" }

    /// Parses PokerGFX hole cards: one space-separated string (`"ac jc"`); empty when not shown.
    /// - Returns: nil when a card is not a card.
    public static func parseList(_ text: String) -> [Card]? {
        var cards: [Card] = []
        for part in text.split(whereSeparator: { $0 == " " || $0 == "," }) where !part.isEmpty {
            guard let card = Card(part) else { return nil }
            cards.append(card)
        }
        return cards
    }
}
