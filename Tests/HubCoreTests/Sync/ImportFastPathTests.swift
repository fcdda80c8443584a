import Foundation
@testable import HubCore
import Testing

/// The import's byte-level shortcuts give exactly what the general rules they stand in for give.
@Suite struct ImportFastPathTests {
    /// Every string of two and three ASCII characters: ``Card/plain(_:)`` reads a card exactly when
    /// the general rule does, and the same card.
    @Test func cardsReadByteByByteAsTheGeneralRuleReadsThem() {
        var checked = 0
        func compare(_ bytes: [UInt8]) {
            let text = String(decoding: bytes, as: UTF8.self)
            let general = Card.spelled(text)
            if let fast = Card.plain(bytes) {
                #expect(fast == general, "\(bytes)")
            } else if general != nil {
                // Not a plain card (spaces around it): the general rule reads it, as before.
                #expect(bytes.contains(0x20) || bytes.contains(0x09), "\(bytes) read only by the general rule")
            }
            checked += 1
        }
        for a in UInt8(0)..<128 {
            for b in UInt8(0)..<128 {
                compare([a, b])
                for c in Array("cdhsCDHS ".utf8) { compare([a, b, c]) }
            }
        }
        #expect(checked > 16_000)
        #expect(Card("10d")?.description == "Td" && Card("AC")?.description == "Ac" && Card(" ks")?.description == "Ks")
        #expect(Card("\u{12}c") == nil && Card("1c") == nil && Card("10") == nil)
    }

    @Test func cardNamesAreTheFiftyTwoCards() {
        #expect(Set(Card.names).count == 52)
        for rank in 2...14 {
            for suit in Card.Suit.allCases {
                let card = Card(rank: rank, suit: suit)!
                #expect(card.description == "\(Card.rankLetters[rank - 2])\(suit.letter)")
                #expect(Card(card.description) == card)
            }
        }
    }

    /// The ASCII name key equals the general rule's (trim, collapse whitespace, fold case).
    @Test func nameKeysOfASCIINamesMatchTheGeneralRule() {
        func general(_ name: String) -> String { name.split(whereSeparator: \.isWhitespace).joined(separator: " ").lowercased() }
        var names = ["asd", "ASD", "  Phil   Ivey ", "SEAT 1", "\tA.\r\nB\u{0B}C\u{0C}d", "", "   ", "x\u{1C}y", "O'Neil-Smith", "a\u{7F}b"]
        var random = SplitMix64(seed: 7)
        for _ in 0..<5_000 {
            names.append(String(decoding: (0..<Int(random.next() % 12)).map { _ in UInt8(random.next() % 128) }, as: UTF8.self))
        }
        names += ["Ünal  Ağa", "KIM  민수", "A\u{00A0}B", "x\u{2003}y"] // not ASCII: the general rule itself
        for name in names {
            #expect(GFXHandRecord.nameKey(name) == general(name), "\(Array(name.utf8))")
        }
    }

    @Test func blankBoardTextIsWhatTrimmingCallsBlank() {
        for text in ["", " ", "\t", " \t ", "\n", " 6d", "6d ", "\u{00A0}", "\u{2003}", "x", "\r"] {
            #expect(GFXHandRecord.isBlank(text) == text.trimmingCharacters(in: .whitespaces).isEmpty, "\(Array(text.utf8))")
        }
    }

    @Test func compactJSONParsesBackToTheSameValue() throws {
        let values: [JSONValue] = [
            .object(["AnteType": .string("BB_ANTE_BB1ST"), "BigBlindAmt": .integer(180_000), "Level": .null, "On": .bool(true),
                     "Ratio": .number(0.25), "Quote \"\\": .string("line\nbreak\t\u{1}end"), "Nested": .array([.object([:]), .array([])])]),
            .object([:]),
        ]
        for value in values {
            #expect(try JSONValue.parse(value.compactText) == value)
        }
    }
}
