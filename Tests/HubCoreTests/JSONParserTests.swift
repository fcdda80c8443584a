import Foundation
@testable import HubCore
import Testing

/// `JSONParser` (the claim's layer-data reader) gives what `JSONDecoder` gives for `JSONValue`,
/// and refuses what `JSONDecoder` refuses.
@Suite struct JSONParserTests {
    private static func decoded(_ text: String) -> JSONValue? {
        try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
    }

    private static func parsed(_ text: String) -> JSONValue? {
        try? JSONParser.parse(Array(text.utf8))
    }

    @Test(arguments: [
        #"{}"#, #"[]"#, #"null"#, #"true"#, #"false"#, #"0"#, #"-0"#, #"1"#, #"-1"#, #"1.5"#, #"-2.25"#, #"1.0"#, #"-0.0"#,
        #"1e2"#, #"1E+2"#, #"2.5e-3"#, #"1e300"#, #"9223372036854775807"#, #"-9223372036854775808"#,
        #"9223372036854775808"#, #"18446744073709551616"#, #"123456789012345678901234567890"#, #"4.0e18"#, #"1.7976931348623157e308"#,
        #""""#, #""a""#, #""\u00e9\u4e2d""#, #""\ud83c\udca1 ace""#, #""line\nbreak\ttab \"quoted\" back\\slash \/ \b\f\r""#,
        #""é 中 🂡""#, #"{"a": 1, "b": [1, 2.5, "x", null, true, {"c": {}}]}"#,
        #"{"hand": {"players": [{"id": 9007199254740993, "name": "Phil \"The Brat\"", "stack": 1250000}]}}"#,
        #"  {"padded" : [ 1 , 2 ] }  "#, "\n\t{\"ws\":\r\n1}\n", #"[[[[[[[[[[1]]]]]]]]]]"#,
    ])
    func readsWhatJSONDecoderReads(text: String) throws {
        let expected = try #require(Self.decoded(text), "JSONDecoder reads \(text)")
        #expect(Self.parsed(text) == expected, "\(text)")
    }

    @Test(arguments: [
        "", " ", "{", "}", "{\"a\" 1}", "{a:1}", "[1 2]", "01", "-", "1.", ".5", "1e", "1e+", "+1",
        "tru", "nul", "falsey", "\"unterminated", "\"bad \\x escape\"", "\"\\u12\"", "\"\\ud83c\"", "\"\\udca1\"",
        "\"raw \u{01} control\"", "[1] 2", "NaN", "Infinity", "1e400", "// comment\n1", "'single'",
    ])
    func refusesWhatJSONDecoderRefuses(text: String) {
        #expect(Self.decoded(text) == nil, "JSONDecoder refuses \(text.debugDescription)")
        #expect(Self.parsed(text) == nil, "\(text.debugDescription)")
    }

    /// Where JSONDecoder is lenient or keeps the first of two equal keys, the parser does as
    /// PostgreSQL does (its `jsonb` text, the parser's input, never has either).
    @Test func followsPostgreSQLWhereJSONDecoderIsLenient() {
        #expect(Self.decoded("[1,]") != nil && Self.decoded(#"{"a":1,}"#) != nil, "JSONDecoder allows a trailing comma")
        #expect(Self.parsed("[1,]") == nil)
        #expect(Self.parsed(#"{"a":1,}"#) == nil)
        #expect(Self.parsed(#"{"dup": 1, "dup": 2}"#) == .object(["dup": .integer(2)]), "the last value wins, as in jsonb")
    }

    @Test func refusesInvalidUTF8AndDeepNesting() {
        #expect((try? JSONParser.parse([0x22, 0xC3, 0x28, 0x22])) == nil)
        let deep = String(repeating: "[", count: JSONParser.maximumDepth + 1) + String(repeating: "]", count: JSONParser.maximumDepth + 1)
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(Array(deep.utf8)) }
        let allowed = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect((try? JSONParser.parse(Array(allowed.utf8))) != nil)
    }

    @Test func saysWhereTheTextIsNotJSON() {
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(Array(#"{"a": [1, 2,]}"#.utf8)) }
        do {
            _ = try JSONParser.parse(Array(#"{"a": tru}"#.utf8))
            Issue.record("parsed invalid JSON")
        } catch {
            #expect(error.offset == 6)
            #expect(error.description.contains("at byte 6"))
        }
    }

    /// Random values written the way PostgreSQL prints jsonb, and compactly by JSONEncoder: the
    /// parser and JSONDecoder agree on every one.
    @Test func agreesWithJSONDecoderOnRandomValues() throws {
        var generator = SplitMix64(seed: 0x5EED_1234)
        let encoder = JSONEncoder()
        for _ in 0..<500 {
            let value = Self.randomValue(depth: 0, &generator)
            let compact = String(decoding: try encoder.encode(value), as: UTF8.self)
            for text in [compact, Self.jsonbStyle(value)] {
                let expected = try #require(Self.decoded(text), "JSONDecoder reads \(text)")
                #expect(Self.parsed(text) == expected, "\(text)")
            }
        }
    }

    private static func randomValue(depth: Int, _ g: inout SplitMix64) -> JSONValue {
        switch g.next() % (depth > 3 ? 5 : 7) {
        case 0: return .null
        case 1: return .bool(g.next() % 2 == 0)
        case 2: return .integer(Int64(bitPattern: g.next()) >> (g.next() % 64))
        case 3: return .number(Double(Int64(bitPattern: g.next()) >> 20) / 1024.0 + 0.5)
        case 4:
            let alphabet: [Character] = ["a", "Z", "0", " ", "\"", "\\", "/", "\n", "\t", "é", "中", "🂡", "\u{7F}", "\u{1}"]
            return .string(String((0..<Int(g.next() % 12)).map { _ in alphabet[Int(g.next() % UInt64(alphabet.count))] }))
        case 5: return .array((0..<Int(g.next() % 4)).map { _ in randomValue(depth: depth + 1, &g) })
        default:
            var members: [String: JSONValue] = [:]
            for i in 0..<Int(g.next() % 4) { members["k\(i)_\(g.next() % 100)"] = randomValue(depth: depth + 1, &g) }
            return .object(members)
        }
    }

    /// As PostgreSQL's jsonb output: `{"a": 1, "b": [1, 2]}`.
    private static func jsonbStyle(_ value: JSONValue) -> String {
        switch value {
        case .object(let members):
            return "{" + members.sorted { $0.key < $1.key }.map { "\(jsonbStyle(.string($0.key))): \(jsonbStyle($0.value))" }.joined(separator: ", ") + "}"
        case .array(let elements):
            return "[" + elements.map(jsonbStyle).joined(separator: ", ") + "]"
        default:
            return String(decoding: try! JSONEncoder().encode(value), as: UTF8.self)
        }
    }
}
