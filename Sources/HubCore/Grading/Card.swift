import Foundation

/// A playing card: rank 2…14 (ace high) and suit.
///
/// PokerGFX writes cards lower-case with the ten as `10` (`ac`, `10d`); the hub stores them in the
/// common two-character form (`Ac`, `Td`) so every card is the same width.
package struct Card: Sendable, Hashable, CustomStringConvertible {
    /// The four suits, in the order of their bit in ``HandEvaluator``.
    package enum Suit: Int, Sendable, CaseIterable {
        case clubs, diamonds, hearts, spades

        /// `c`, `d`, `h`, `s`.
        package var letter: Character { ["c", "d", "h", "s"][rawValue] }
    }

    /// 2 … 14 (11 jack, 12 queen, 13 king, 14 ace).
    package let rank: Int
    /// The suit.
    package let suit: Suit

    /// Creates a card; `rank` must be 2…14.
    package init?(rank: Int, suit: Suit) {
        guard (2...14).contains(rank) else { return nil }
        self.rank = rank
        self.suit = suit
    }

    static let rankLetters: [Character] = ["2", "3", "4", "5", "6", "7", "8", "9", "T", "J", "Q", "K", "A"]

    /// Parses `Ac`, `ac`, `10d`, `Td`, `td` (case-insensitive; the ten as `10` or `T`).
    package init?(_ text: some StringProtocol) {
        // The usual two or three ASCII characters are read byte by byte (an import reads a
        // million cards); the same result as the general rule.
        guard let card = Self.plain(text.utf8) ?? Self.spelled(text) else { return nil }
        self = card
    }

    /// The general rule: spaces and tabs around the card ignored, case folded.
    static func spelled(_ text: some StringProtocol) -> Card? {
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
        return Card(rank: rank, suit: suit)
    }

    /// A card written as PokerGFX or the hub writes it, without spaces (`ac`, `10d`, `Td`); nil for
    /// anything else, which the general rule then reads (or refuses).
    static func plain(_ utf8: some Collection<UInt8>) -> Card? {
        guard utf8.count == 2 || utf8.count == 3 else { return nil }
        func lower(_ byte: UInt8) -> UInt8 { (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte + 0x20 : byte }
        var bytes = utf8.makeIterator()
        let first = lower(bytes.next()!), second = lower(bytes.next()!)
        let rank: Int, suitLetter: UInt8
        if utf8.count == 3 {
            guard first == UInt8(ascii: "1"), second == UInt8(ascii: "0") else { return nil }
            rank = 10
            suitLetter = lower(bytes.next()!)
        } else {
            switch first {
            case UInt8(ascii: "2")...UInt8(ascii: "9"): rank = Int(first - UInt8(ascii: "0"))
            case UInt8(ascii: "t"): rank = 10
            case UInt8(ascii: "j"): rank = 11
            case UInt8(ascii: "q"): rank = 12
            case UInt8(ascii: "k"): rank = 13
            case UInt8(ascii: "a"): rank = 14
            default: return nil
            }
            suitLetter = second
        }
        switch suitLetter {
        case UInt8(ascii: "c"): return Card(rank: rank, suit: .clubs)
        case UInt8(ascii: "d"): return Card(rank: rank, suit: .diamonds)
        case UInt8(ascii: "h"): return Card(rank: rank, suit: .hearts)
        case UInt8(ascii: "s"): return Card(rank: rank, suit: .spades)
        default: return nil
        }
    }

    /// `Ac`, `Td`, `9s`.
    package var description: String { Self.names[(rank - 2) * 4 + suit.rawValue] }

    /// The 52 descriptions, made once.
    static let names: [String] = (2...14).flatMap { rank in Suit.allCases.map { "\(rankLetters[rank - 2])\($0.letter)" } }

    /// Parses PokerGFX hole cards: one space-separated string (`"ac jc"`); empty when not shown.
    /// - Returns: nil when a card is not a card.
    package static func parseList(_ text: String) -> [Card]? {
        var cards: [Card] = []
        for part in text.split(whereSeparator: { $0 == " " || $0 == "," }) where !part.isEmpty {
            guard let card = Card(part) else { return nil }
            cards.append(card)
        }
        return cards
    }
}
