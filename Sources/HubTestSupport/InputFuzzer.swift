import Foundation

/// A small deterministic random generator (SplitMix64): one seed gives the same sequence on every
/// machine and toolchain, so a fuzz case that fails is replayed by its seed.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    public private(set) var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in `0..<bound` (`bound` > 0), by its own arithmetic (not the standard library's,
    /// which may change between toolchains).
    public mutating func below(_ bound: Int) -> Int {
        precondition(bound > 0)
        return Int(next().multipliedFullWidth(by: UInt64(bound)).high)
    }

    /// One of `items` (not empty).
    public mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }

    /// True `percent` times in a hundred.
    public mutating func chance(_ percent: Int) -> Bool { below(100) < percent }
}

/// Mutates real input files the way a broken NAS, a half-written export or a hostile file would:
/// truncated, bytes flipped, invalid UTF-8, NUL bytes, numbers beyond every integer type, values of
/// the wrong type, strings of 200,000 characters, nesting 100,000 deep, and per format its own
/// breakage (CSV quotes and columns, YAML anchors and tags).
///
/// Every mutation is a pure function of the input and the generator, and is named with what it
/// did (`number #12 "1500" → "1e19"`), so a failure prints a case that can be replayed.
public enum InputFuzzer {
    /// The kind of text a file holds.
    public enum Format: String, Sendable { case json, csv, yaml }

    /// One mutated file.
    public struct Mutation: Sendable, CustomStringConvertible {
        /// What was done, with where.
        public var name: String
        /// The mutated bytes.
        public var data: Data
        public var description: String { name }
    }

    /// The seed of a fuzz run: `HUB_FUZZ_SEED` (decimal or `0x…`) when set, else `fallback`.
    public static func seed(fallback: UInt64) -> UInt64 {
        guard let text = ProcessInfo.processInfo.environment["HUB_FUZZ_SEED"]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else {
            return fallback
        }
        if text.lowercased().hasPrefix("0x") { return UInt64(text.dropFirst(2), radix: 16) ?? fallback }
        return UInt64(text) ?? fallback
    }

    /// The generator of case `index` of the run `seed` for `label`: each case has its own, so one
    /// case replays alone and adding cases elsewhere changes nothing here.
    public static func generator(seed: UInt64, label: String, index: Int) -> SeededRandom {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325 // FNV-1a of the label
        for byte in label.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
        var mixer = SeededRandom(seed: seed ^ hash ^ (UInt64(index) &* 0xD134_2543_DE82_EF95))
        return SeededRandom(seed: mixer.next())
    }

    /// A case's label for a failure message: how to replay it.
    public static func caseName(seed: UInt64, label: String, index: Int, mutation: Mutation) -> String {
        "HUB_FUZZ_SEED=0x\(String(seed, radix: 16)) \(label) case \(index): \(mutation.name)"
    }

    /// Numbers no field can hold, at and around the edges of every integer type, and number-like text.
    public static let numbers = [
        "1e19", "-1e19", "12345678901234567890", "-12345678901234567890", "99999999999999999999999999999999999999",
        "9223372036854775807", "-9223372036854775808", "9223372036854775808", "2147483648", "-2147483649", "4294967296",
        "9007199254740993", "-1", "0", "-0", "1e308", "1e309", "-1e309", "1e-400", "0.5", "1.0", "1E2",
        "NaN", "-NaN", "Infinity", "-Infinity", "0x10", "1_000", "١٢", "00012", "+5", ".5", "5.", "1e",
    ]

    /// Values of the wrong type for a JSON field.
    static let jsonValues = [
        "null", "true", "false", "\"\"", "\"NaN\"", "\"1e19\"", "\"-1\"", "[]", "{}", "[1,2]", "{\"a\":1}", "[null]", "\"\\u0000\"",
    ]

    /// Strings that break parsers and databases.
    static let jsonStrings: [String] = [
        "\"\\u0000\"", "\"a\\u0000b\"", "\"\\ud800\"", "\"\\udfff\\ud800\"", "\"\\uDBFF\\uDFFF\"", "\"\\u202Ertl\"",
        "\"" + String(repeating: "x", count: 200_000) + "\"", "\"../../../etc/passwd\"", "\"file:///etc/passwd\"",
        "\"zz 9s\"", "\"ac ac\"", "\"10d 10d 10d 10d 10d 10d 10d 10d\"", "\"P99999999999999999999999D\"", "\"PT1e400S\"", "\"PT\"",
        "\"9999-99-99T99:99:99Z\"", "\"2025-10-15T12:03:20Z\\u0000\"", "\"0000-00-00T00:00:00Z\"", "\"2025-10-15T12:03:20.9Zjunk\"",
        "\"' OR 1=1 --\"", "\"%s%n%x\"", "\"\\\\\"", "\"\\\"\"", "\"\\t\\r\\n\"", "\"\u{FEFF}\"", "\"e\u{301}\"",
    ]

    /// Cell texts for a CSV file.
    static let csvCells: [String] = [
        "", "\"", "\"unterminated", "\"a\"\"b\"", "\"a,b\"", "a\u{0}b", String(repeating: "x", count: 200_000),
        "=cmd|' /C calc'!A0", "-", "()", "$", "$-", "(1,000)", "1,2,3", "1.005", "12k", "nan", "inf", "٣", "\u{FEFF}x",
        "2026-02-30", "2026-13-01", "24:00", "9999-12-31T23:59:59Z", "0000-01-01", "true", "maybe", "100.0001%", "%",
        " ", "\t", "é", "e\u{301}", "P-1004", "P-1004 ",
    ]

    /// YAML scalars.
    static let yamlScalars: [String] = [
        "", "~", "null", "[", "{", "]", "}", "*undefined", "&a x", "!!binary AAAA", "!!int 1e19", "!!float .nan", "!!map x",
        "\"\\u0000\"", "\"\\ud800\"", "|", ">-", "- a", ": :", "'unterminated", "\"unterminated", "%YAML 9.9", "@x", "`x",
        String(repeating: "x", count: 200_000), "? a", "<<: *x", "!custom x", "1e19", "0x10", ".inf",
    ]

    /// Mutates `data`.
    public static func mutate(_ data: Data, format: Format, using rng: inout SeededRandom) -> Mutation {
        let bytes = [UInt8](data)
        let spans = format == .json ? jsonTokens(bytes) : format == .csv ? csvCells(bytes) : yamlScalars(bytes)
        let operation = rng.below(16)
        switch operation {
        case 0:
            let at = bytes.isEmpty ? 0 : rng.below(bytes.count)
            return Mutation(name: "truncated to \(at) of \(bytes.count) bytes", data: Data(bytes.prefix(at)))
        case 1:
            var out = bytes
            var flipped: [String] = []
            for _ in 0..<(1 + rng.below(8)) where !out.isEmpty {
                let at = rng.below(out.count)
                let value = UInt8(truncatingIfNeeded: rng.next())
                flipped.append("\(at)=0x\(String(value, radix: 16))")
                out[at] = value
            }
            return Mutation(name: "bytes replaced: \(flipped.joined(separator: ", "))", data: Data(out))
        case 2:
            let sequences: [[UInt8]] = [[0xFF], [0xFE, 0xFF], [0xC3, 0x28], [0xED, 0xA0, 0x80], [0xC0, 0xAF], [0xF8, 0x88, 0x80, 0x80, 0x80],
                                        [0xE2, 0x82], [0xF4, 0x90, 0x80, 0x80], [0x80]]
            let sequence = rng.pick(sequences)
            let at = bytes.isEmpty ? 0 : rng.below(bytes.count)
            var out = bytes
            out.insert(contentsOf: sequence, at: at)
            return Mutation(name: "invalid UTF-8 \(sequence.map { String($0, radix: 16) }) at byte \(at)", data: Data(out))
        case 3:
            let at = bytes.isEmpty ? 0 : rng.below(bytes.count)
            var out = bytes
            out.insert(0, at: at)
            return Mutation(name: "NUL byte at \(at)", data: Data(out))
        case 4:
            guard bytes.count > 2 else { return Mutation(name: "empty", data: Data()) }
            let start = rng.below(bytes.count)
            let length = 1 + rng.below(min(200, bytes.count - start))
            var out = bytes
            out.removeSubrange(start..<(start + length))
            return Mutation(name: "\(length) bytes removed at \(start)", data: Data(out))
        case 5:
            guard bytes.count > 2 else { return Mutation(name: "empty", data: Data()) }
            let start = rng.below(bytes.count)
            let length = 1 + rng.below(min(400, bytes.count - start))
            let at = rng.below(bytes.count)
            var out = bytes
            out.insert(contentsOf: bytes[start..<(start + length)], at: at)
            return Mutation(name: "bytes \(start)..<\(start + length) copied to \(at)", data: Data(out))
        case 6:
            let whole = rng.pick([("empty", [UInt8]()), ("byte-order mark only", [0xEF, 0xBB, 0xBF]), ("whitespace only", Array(" \n\t\r\n".utf8)),
                                  ("NUL bytes only", [0, 0, 0, 0]), ("byte-order mark twice", [0xEF, 0xBB, 0xBF, 0xEF, 0xBB, 0xBF] + bytes),
                                  ("UTF-16 byte-order mark", [0xFF, 0xFE] + bytes)])
            return Mutation(name: whole.0, data: Data(whole.1))
        case 7:
            return deepNesting(bytes, spans: spans, format: format, using: &rng)
        default:
            return replaceToken(bytes, spans: spans, format: format, using: &rng)
        }
    }

    /// A value replaced by nesting 513, 10,000 or 100,000 levels deep (arrays, objects, or both).
    static func deepNesting(_ bytes: [UInt8], spans: [Range<Int>], format: Format, using rng: inout SeededRandom) -> Mutation {
        let depth = rng.pick([513, 1_001, 10_000, 100_000])
        let shape = rng.below(3)
        let (open, close): (String, String) = switch (format, shape) {
        case (.yaml, 0), (.json, 0), (.csv, 0): ("[", "]")
        case (.yaml, 1): ("{a: ", "}")
        case (.yaml, _): ("[{a: ", "}]")
        case (.json, 1), (.csv, 1): ("{\"a\":", "}")
        default: ("[{\"a\":", "}]")
        }
        let unclosed = rng.chance(30)
        let value = String(repeating: open, count: depth) + (format == .yaml ? "x" : "1") + (unclosed ? "" : String(repeating: close, count: depth))
        guard !spans.isEmpty else {
            return Mutation(name: "whole file nested \(depth) deep (\(open)…)", data: Data(value.utf8))
        }
        let index = rng.below(spans.count)
        var out = bytes
        out.replaceSubrange(spans[index], with: Array(value.utf8))
        return Mutation(name: "value #\(index) nested \(depth) deep (\(open)…\(unclosed ? ", never closed" : ""))", data: Data(out))
    }

    /// One token replaced by a number, a value of another type or a hostile string.
    static func replaceToken(_ bytes: [UInt8], spans: [Range<Int>], format: Format, using rng: inout SeededRandom) -> Mutation {
        guard !spans.isEmpty else { return Mutation(name: "empty (no tokens)", data: Data()) }
        let index = rng.below(spans.count)
        let span = spans[index]
        let replacement: String
        switch format {
        case .json:
            let quoted = rng.pick(numbers.map { "\"\($0)\"" })
            replacement = rng.pick([rng.pick(numbers), rng.pick(numbers), rng.pick(jsonValues), rng.pick(jsonStrings), quoted])
        case .csv:
            replacement = rng.pick([rng.pick(numbers), rng.pick(csvCells), rng.pick(csvCells)])
        case .yaml:
            replacement = rng.pick([rng.pick(numbers), rng.pick(yamlScalars), rng.pick(yamlScalars), billionLaughs])
        }
        var out = bytes
        out.replaceSubrange(span, with: Array(replacement.utf8))
        let old = String(decoding: bytes[span].prefix(40), as: UTF8.self)
        return Mutation(name: "token #\(index) \(String(reflecting: old)) → \(String(reflecting: String(replacement.prefix(40))))"
                            + (replacement.count > 40 ? " (\(replacement.utf8.count) bytes)" : ""), data: Data(out))
    }

    /// A flow sequence of aliases that expands to 10^9 scalars if anyone expands it.
    static let billionLaughs: String = {
        var text = "[&l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"
        for level in 1...8 { text += ", &l\(level) [" + Array(repeating: "*l\(level - 1)", count: 10).joined(separator: ", ") + "]" }
        return text + "]"
    }()

    // MARK: Tokens

    /// Spans of the strings, numbers and literals of JSON-like bytes (broken files included).
    static func jsonTokens(_ bytes: [UInt8]) -> [Range<Int>] {
        var spans: [Range<Int>] = []
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "\"") {
                var j = i + 1
                while j < bytes.count, bytes[j] != UInt8(ascii: "\"") { j += bytes[j] == UInt8(ascii: "\\") ? 2 : 1 }
                let end = min(j + 1, bytes.count)
                spans.append(i..<end)
                i = end
            } else if b == UInt8(ascii: "-") || (48...57).contains(b) || b == UInt8(ascii: "t") || b == UInt8(ascii: "f") || b == UInt8(ascii: "n") {
                var j = i + 1
                while j < bytes.count, !",]} \n\r\t:".utf8.contains(bytes[j]) { j += 1 }
                spans.append(i..<j)
                i = j
            } else {
                i += 1
            }
        }
        return spans
    }

    /// Spans of the cells of CSV-like bytes (split on commas and line ends, quotes ignored).
    static func csvCells(_ bytes: [UInt8]) -> [Range<Int>] {
        var spans: [Range<Int>] = []
        var start = 0
        for (i, b) in bytes.enumerated() where b == UInt8(ascii: ",") || b == UInt8(ascii: "\n") {
            spans.append(start..<(i > start && bytes[i - 1] == UInt8(ascii: "\r") ? i - 1 : i))
            start = i + 1
        }
        if start < bytes.count { spans.append(start..<bytes.count) }
        return spans
    }

    /// Spans of the keys and values of YAML-like bytes: a line's key up to `:`, and its text after
    /// `: ` or `- ` to the line end.
    static func yamlScalars(_ bytes: [UInt8]) -> [Range<Int>] {
        var spans: [Range<Int>] = []
        var lineStart = 0
        func scan(_ line: Range<Int>) {
            var i = line.lowerBound
            while i < line.upperBound, bytes[i] == UInt8(ascii: " ") { i += 1 }
            if i < line.upperBound, bytes[i] == UInt8(ascii: "#") { return }
            if i + 1 < line.upperBound, bytes[i] == UInt8(ascii: "-"), bytes[i + 1] == UInt8(ascii: " ") { i += 2 }
            let keyStart = i
            while i < line.upperBound, bytes[i] != UInt8(ascii: ":") { i += 1 }
            if i < line.upperBound {
                if i > keyStart { spans.append(keyStart..<i) }
                var value = i + 1
                while value < line.upperBound, bytes[value] == UInt8(ascii: " ") { value += 1 }
                if value < line.upperBound { spans.append(value..<line.upperBound) }
            } else if keyStart < line.upperBound {
                spans.append(keyStart..<line.upperBound)
            }
        }
        for (i, b) in bytes.enumerated() where b == UInt8(ascii: "\n") {
            scan(lineStart..<i)
            lineStart = i + 1
        }
        if lineStart < bytes.count { scan(lineStart..<bytes.count) }
        return spans
    }
}
