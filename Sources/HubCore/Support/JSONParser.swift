import Foundation
import HubDriverSupport
import HubPostgres

/// Reads JSON text into a ``JSONValue`` in one pass over its bytes.
///
/// `JSONDecoder` reads a `JSONValue` by trying each kind in turn (a thrown error per kind that does
/// not match), which made decoding a claimed instruction's layer data a tenth of the worker's CPU
/// time per no-op render. This parser gives the same values as `JSONValue`'s `Decodable`
/// conformance: a number without fraction or exponent that fits 64 bits is `.integer`; any other
/// number that is exactly a 64-bit integer (`1.0`, `1e2`) is `.integer` too, as `JSONDecoder`
/// reads it; the rest is `.number`. Strict RFC 8259, as PostgreSQL reads JSON: no comments, no
/// trailing commas (which `JSONDecoder` allows), no bare control characters in strings, nothing
/// after the value but whitespace; of two equal keys the last wins (`JSONDecoder` keeps the first;
/// `jsonb` text, this parser's input, never has two).
package struct JSONParser {
    /// Why the bytes are not JSON, with the byte offset.
    package struct Failure: Error, CustomStringConvertible {
        package var offset: Int
        package var reason: String
        package var description: String { "\(reason) at byte \(offset)" }
    }

    /// Nesting deeper than this is refused (the stack is not the place to find out).
    package static let maximumDepth = 512

    private let bytes: [UInt8]
    private var index = 0

    private init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// Parses `bytes` (UTF-8) as one JSON value.
    package static func parse(_ bytes: some Sequence<UInt8>) throws(Failure) -> JSONValue {
        var parser = JSONParser(Array(bytes))
        parser.skipWhitespace()
        let value = try parser.value(depth: 0)
        parser.skipWhitespace()
        guard parser.index == parser.bytes.count else { throw parser.failure("unexpected text after the value") }
        return value
    }

    private func failure(_ reason: String) -> Failure { Failure(offset: index, reason: reason) }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    private mutating func value(depth: Int) throws(Failure) -> JSONValue {
        guard index < bytes.count else { throw failure("unexpected end of the text") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return .object(try object(depth: depth + 1))
        case UInt8(ascii: "["): return .array(try array(depth: depth + 1))
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        default: throw failure("unexpected character")
        }
    }

    private mutating func literal(_ word: StaticString) throws(Failure) {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw failure("unexpected end of the text") }
        for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] {
            throw failure("unexpected character")
        }
        index += count
    }

    private mutating func object(depth: Int) throws(Failure) -> [String: JSONValue] {
        guard depth <= Self.maximumDepth else { throw failure("nesting deeper than \(Self.maximumDepth) levels") }
        index += 1 // {
        var members: [String: JSONValue] = [:]
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; return members }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw failure("expected a member name") }
            let key = try string()
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw failure("expected ':'") }
            index += 1
            skipWhitespace()
            members[key] = try value(depth: depth)
            skipWhitespace()
            guard index < bytes.count else { throw failure("unexpected end of the text") }
            switch bytes[index] {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"): index += 1; return members
            default: throw failure("expected ',' or '}'")
            }
        }
    }

    private mutating func array(depth: Int) throws(Failure) -> [JSONValue] {
        guard depth <= Self.maximumDepth else { throw failure("nesting deeper than \(Self.maximumDepth) levels") }
        index += 1 // [
        var elements: [JSONValue] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1; return elements }
        while true {
            skipWhitespace()
            elements.append(try value(depth: depth))
            skipWhitespace()
            guard index < bytes.count else { throw failure("unexpected end of the text") }
            switch bytes[index] {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "]"): index += 1; return elements
            default: throw failure("expected ',' or ']'")
            }
        }
    }

    private mutating func string() throws(Failure) -> String {
        index += 1 // opening quote
        let start = index
        // The common case: no escapes — one copy of the bytes.
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                defer { index += 1 }
                return try utf8(bytes[start..<index])
            }
            if byte == UInt8(ascii: "\\") { break }
            guard byte >= 0x20 else { throw failure("control character in a string") }
            index += 1
        }
        var text = Array(bytes[start..<index])
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                return try utf8(text[...])
            case UInt8(ascii: "\\"):
                index += 1
                let decoded = bytes.withUnsafeBufferPointer { JSONEscape.decode($0, at: &index, into: &text) }
                guard decoded else { throw failure("an invalid escape (a bad letter or \\u escape, or a lone surrogate)") }
            default:
                guard byte >= 0x20 else { throw failure("control character in a string") }
                text.append(byte)
                index += 1
            }
        }
        throw failure("unterminated string")
    }

    private func utf8(_ slice: ArraySlice<UInt8>) throws(Failure) -> String {
        guard let text = String(validating: slice, as: UTF8.self) else { throw failure("a string that is not UTF-8") }
        return text
    }

    private mutating func number() throws(Failure) -> JSONValue {
        let start = index
        var integral = true
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count, isDigit(bytes[index]) else { throw failure("a number without digits") }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
            if index < bytes.count, isDigit(bytes[index]) { throw failure("a number with a leading zero") }
        } else {
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            integral = false
            index += 1
            guard index < bytes.count, isDigit(bytes[index]) else { throw failure("a number without digits after '.'") }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            integral = false
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard index < bytes.count, isDigit(bytes[index]) else { throw failure("a number without digits in its exponent") }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        if integral, let integer = Int64(text) { return .integer(integer) }
        guard let double = Double(text), double.isFinite else {
            index = start
            throw failure("a number out of range")
        }
        // As JSONDecoder reads an integer type: a value that is exactly a 64-bit integer.
        if let integer = Int64(exactly: double) { return .integer(integer) }
        return .number(double)
    }

    private func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
}

/// A `jsonb` column that holds an object, read by ``JSONParser`` (the hot path of every claim).
struct JSONObjectColumn: PostgresDecodable {
    var value: [String: JSONValue]

    init(postgresCell cell: PostgresCell) throws {
        do {
            guard case .object(let members) = try JSONParser.parse(cell.bytes) else {
                throw cell.decodingError(expected: "a JSON object", reason: "the value is not an object")
            }
            value = members
        } catch let failure as JSONParser.Failure {
            throw cell.decodingError(expected: "a JSON object", reason: failure.description)
        }
    }
}

/// A `jsonb` column of ``OutputSettings``. Instructions share a handful of distinct settings, so
/// each distinct text is decoded once (`JSONDecoder`, with its defaults and legacy keys) and kept;
/// at most 64 texts are kept, the cache starting over when full.
struct OutputSettingsColumn: PostgresDecodable {
    var value: OutputSettings

    private static let decoded = PThreadLocked<[[UInt8]: OutputSettings]>([:])

    init(postgresCell cell: PostgresCell) throws {
        let key = Array(cell.bytes)
        if let known = Self.decoded.withLock({ $0[key] }) {
            value = known
            return
        }
        value = try PostgresJSON<OutputSettings>(postgresCell: cell).value
        Self.decoded.withLock { cache in
            if cache.count >= 64 { cache.removeAll(keepingCapacity: true) }
            cache[key] = value
        }
    }
}
