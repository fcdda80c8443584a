/// The value of a poker hand: its category and a strength that orders every hand.
package struct HandValue: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Category in bits 20…23, then the deciding ranks (four bits each, most significant first):
    /// a higher strength wins, equal strengths tie.
    package let strength: Int

    /// The category (high card … royal flush).
    package var category: HandCategory { HandCategory(rawValue: strength >> 20) ?? .highCard }

    init(strength: Int) { self.strength = strength }

    package static func < (lhs: Self, rhs: Self) -> Bool { lhs.strength < rhs.strength }
    package var description: String { "\(category) (\(strength))" }
}

/// Evaluates the best five-card hand in five to seven cards.
///
/// No lookup tables and no combinations: the cards are folded into a rank bit mask per suit and
/// one 64-bit word of per-rank counts (four bits per rank), and the category falls out of a few
/// mask tests — a straight is five consecutive bits, a flush a suit mask with five bits. One
/// evaluation is a few dozen integer operations, so grading is never the slow part of a sync
/// (`hub-bench sync` reports hands per second).
package enum HandEvaluator {
    /// The best hand in `cards` (5…7 cards; fewer are evaluated as they are, e.g. for a folded
    /// player's partial board, and cannot make straights or flushes).
    ///
    /// Takes an array rather than any sequence: a generic entry point is not specialized for
    /// callers in other modules and ran several times slower there.
    package static func evaluate(_ cards: [Card]) -> HandValue {
        var suits: (UInt16, UInt16, UInt16, UInt16) = (0, 0, 0, 0)
        var counts: UInt64 = 0
        var all: UInt16 = 0
        for card in cards {
            let bit = UInt16(1) << UInt16(card.rank)
            switch card.suit {
            case .clubs: suits.0 |= bit
            case .diamonds: suits.1 |= bit
            case .hearts: suits.2 |= bit
            case .spades: suits.3 |= bit
            }
            all |= bit
            counts &+= UInt64(1) << UInt64(card.rank * 4)
        }
        // Flushes and straight flushes.
        var flushMask: UInt16 = 0
        if suits.0.nonzeroBitCount >= 5 { flushMask = suits.0 }
        if suits.1.nonzeroBitCount >= 5 { flushMask = suits.1 }
        if suits.2.nonzeroBitCount >= 5 { flushMask = suits.2 }
        if suits.3.nonzeroBitCount >= 5 { flushMask = suits.3 }
        if flushMask != 0, let high = straightHigh(flushMask) {
            return make(high == 14 ? .royalFlush : .straightFlush, high, 1)
        }
        // Ranks by multiplicity, highest rank first; singles packed four bits each, highest first.
        var quads = 0, trips0 = 0, trips1 = 0, pair0 = 0, pair1 = 0, pair2 = 0
        var singles = 0, singleCount = 0
        var rank = 14
        while rank >= 2 {
            switch Int((counts >> UInt64(rank * 4)) & 0xF) {
            case 0: break
            case 1:
                singles = singles << 4 | rank
                singleCount += 1
            case 2:
                if pair0 == 0 { pair0 = rank } else if pair1 == 0 { pair1 = rank } else { pair2 = rank }
            case 3:
                if trips0 == 0 { trips0 = rank } else { trips1 = rank }
            default: quads = rank
            }
            rank -= 1
        }
        /// The `k` highest singles, packed.
        func top(_ k: Int) -> Int { singleCount > k ? singles >> (4 * (singleCount - k)) : singles }
        let highestSingle = singleCount > 0 ? top(1) : 0
        if quads != 0 {
            return make(.fourOfAKind, quads << 4 | max(trips0, pair0, highestSingle), 2)
        }
        if trips0 != 0, trips1 != 0 || pair0 != 0 {
            return make(.fullHouse, trips0 << 4 | max(trips1, pair0), 2)
        }
        if flushMask != 0 { return make(.flush, topBits(flushMask), 5) }
        if let high = straightHigh(all) { return make(.straight, high, 1) }
        if trips0 != 0 { return make(.threeOfAKind, trips0 << 8 | top(2), 1 + min(2, singleCount)) }
        if pair0 != 0, pair1 != 0 {
            return make(.twoPair, pair0 << 8 | pair1 << 4 | max(pair2, highestSingle), 3)
        }
        if pair0 != 0 { return make(.pair, pair0 << 12 | top(3), 1 + min(3, singleCount)) }
        return make(.highCard, top(5), min(5, singleCount))
    }

    /// `category` in bits 20…23 and `count` packed ranks left-aligned in bits 0…19.
    @inline(__always)
    static func make(_ category: HandCategory, _ packed: Int, _ count: Int) -> HandValue {
        HandValue(strength: category.rawValue << 20 | packed << (4 * (5 - count)))
    }

    /// The top card of the best straight in `mask` (5 for the wheel A-2-3-4-5), or nil.
    @inline(__always)
    static func straightHigh(_ mask: UInt16) -> Int? {
        // The ace also plays low: copy bit 14 to bit 1.
        let m = mask | (mask >> 14 & 1) << 1
        var high = 14
        while high >= 5 {
            if (m >> UInt16(high - 4)) & 0x1F == 0x1F { return high }
            high -= 1
        }
        return nil
    }

    /// The five highest ranks set in `mask`, packed four bits each, highest first.
    @inline(__always)
    static func topBits(_ mask: UInt16) -> Int {
        var packed = 0, taken = 0, rank = 14
        while rank >= 2, taken < 5 {
            if mask & (1 << UInt16(rank)) != 0 { packed = packed << 4 | rank; taken += 1 }
            rank -= 1
        }
        return packed
    }

    /// The five cards that make the best hand in `cards` (for display and storage).
    package static func bestFive(_ cards: [Card]) -> [Card] {
        guard cards.count > 5 else { return cards }
        let best = evaluate(cards)
        var chosen: [Card] = []
        func search(_ start: Int, _ picked: inout [Card]) -> Bool {
            if picked.count == 5 {
                if evaluate(picked) == best { chosen = picked; return true }
                return false
            }
            guard start < cards.count else { return false }
            for i in start..<cards.count {
                picked.append(cards[i])
                if search(i + 1, &picked) { return true }
                picked.removeLast()
            }
            return false
        }
        var picked: [Card] = []
        _ = search(0, &picked)
        return chosen.sorted { ($0.rank, $0.suit.rawValue) > ($1.rank, $1.suit.rawValue) }
    }
}
