import Foundation
import HubPostgres

/// A PostgreSQL array parameter in the binary wire format, written element by element into one
/// buffer: the import binds a dozen arrays per table per file (two million elements in a season),
/// and the driver's text arrays — each element's own text, quoted, then parsed again by the server
/// (`array_in`) — cost a sixth of the import's CPU on each side. It is bound with its array type
/// (`bigint[]`, `float8[]`, `boolean[]`, `text[]`), so the statement's cast (`\(column)::bigint[]`)
/// changes nothing.
struct ArrayParameter: PostgresEncodable {
    /// The element type.
    enum Kind {
        case int8, float8, bool, text

        var elementOID: UInt32 {
            switch self {
            case .int8: 20
            case .float8: 701
            case .bool: 16
            case .text: 25
            }
        }

        var arrayType: PostgresType {
            switch self {
            case .int8: .int8Array
            case .float8: .float8Array
            case .bool: .boolArray
            case .text: .textArray
            }
        }
    }

    let kind: Kind
    private(set) var count = 0
    /// The elements, each as its 4-byte length and its bytes.
    private var elements: [UInt8] = []
    /// A text element held a NUL character, which PostgreSQL text cannot store.
    private(set) var containsNUL = false

    init(_ kind: Kind, capacity: Int = 0) {
        self.kind = kind
        elements.reserveCapacity(capacity * 12)
    }

    private mutating func appendBigEndian(_ value: UInt64) {
        withUnsafeBytes(of: value.bigEndian) { elements.append(contentsOf: $0) }
    }

    private mutating func appendLength(_ length: Int) {
        withUnsafeBytes(of: Int32(length).bigEndian) { elements.append(contentsOf: $0) }
    }

    mutating func append(_ value: Int64) {
        precondition(kind == .int8)
        count += 1
        appendLength(8)
        appendBigEndian(UInt64(bitPattern: value))
    }

    mutating func append(_ value: Int) { append(Int64(value)) }

    mutating func append(_ value: Double) {
        precondition(kind == .float8)
        count += 1
        appendLength(8)
        appendBigEndian(value.bitPattern)
    }

    mutating func append(_ value: Bool) {
        precondition(kind == .bool)
        count += 1
        appendLength(1)
        elements.append(value ? 1 : 0)
    }

    mutating func append(_ value: String) {
        precondition(kind == .text)
        count += 1
        var copy = value
        copy.withUTF8 { utf8 in
            appendLength(utf8.count)
            elements.append(contentsOf: utf8)
            if utf8.contains(0) { containsNUL = true }
        }
    }

    static var postgresType: PostgresType { .unspecified }

    /// The array as `array_recv` reads it: dimensions, no NULLs, element type, then the elements.
    var postgresBind: PostgresBind {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(20 + elements.count)
        func put(_ value: UInt32) { withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) } }
        put(count == 0 ? 0 : 1)
        put(0)
        put(kind.elementOID)
        if count > 0 {
            put(UInt32(count))
            put(1)
        }
        bytes.append(contentsOf: elements)
        return PostgresBind(type: kind.arrayType, format: .binary, bytes: bytes)
    }
}

/// Rows for `COPY … FROM STDIN` in the text format: columns separated by tabs, rows ended by a
/// newline, `\N` for NULL, and backslash, tab, newline and carriage return escaped with a
/// backslash. Each value is appended in the statement's column order, then ``endRow()``.
struct CopyRows {
    private(set) var bytes: [UInt8] = []
    private(set) var rows = 0
    /// A text value held a NUL character, which PostgreSQL text cannot store.
    private(set) var containsNUL = false
    private var atRowStart = true

    init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    private mutating func separate() {
        if atRowStart { atRowStart = false } else { bytes.append(0x09) }
    }

    mutating func endRow() {
        bytes.append(0x0A)
        rows += 1
        atRowStart = true
    }

    mutating func null() {
        separate()
        bytes.append(UInt8(ascii: "\\"))
        bytes.append(UInt8(ascii: "N"))
    }

    mutating func int(_ value: Int64) {
        separate()
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        let start = bytes.count
        repeat {
            bytes.append(UInt8(ascii: "0") + UInt8(magnitude % 10))
            magnitude /= 10
        } while magnitude > 0
        bytes[start...].reverse()
    }

    mutating func int(_ value: Int) { int(Int64(value)) }

    mutating func int(_ value: Int64?) {
        guard let value else { return null() }
        int(value)
    }

    mutating func bool(_ value: Bool) {
        separate()
        bytes.append(value ? UInt8(ascii: "t") : UInt8(ascii: "f"))
    }

    /// Text that reads back as exactly `value`: whole numbers as digits, others as Swift's shortest
    /// round-trip text.
    mutating func double(_ value: Double) {
        if value.isFinite, value == value.rounded(), value.magnitude < 1e15, !(value == 0 && value.sign == .minus) {
            return int(Int64(value))
        }
        separate()
        if value.isNaN { bytes.append(contentsOf: "NaN".utf8) }
        else if value.isInfinite { bytes.append(contentsOf: (value > 0 ? "Infinity" : "-Infinity").utf8) }
        else { bytes.append(contentsOf: "\(value)".utf8) }
    }

    mutating func text(_ value: String?) {
        guard var value else { return null() }
        separate()
        value.withUTF8 { utf8 in
            for byte in utf8 {
                switch byte {
                case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
                case 0x09: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
                case 0x0A: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
                case 0x0D: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
                case 0: containsNUL = true
                default: bytes.append(byte)
                }
            }
        }
    }

    /// A `text[]` of cards (`{Td,9d}`, `{}`): their names are letters and digits, nothing to quote.
    mutating func cards(_ cards: [Card]) {
        separate()
        bytes.append(UInt8(ascii: "{"))
        for (index, card) in cards.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            bytes.append(contentsOf: card.description.utf8)
        }
        bytes.append(UInt8(ascii: "}"))
    }
}

extension JSONValue {
    /// The value as JSON text, written directly (not through `JSONEncoder`, which cost a tenth of
    /// the import's CPU for the blinds of every hand). Keys in no particular order: `jsonb` does not
    /// keep it.
    var compactText: String {
        var out: [UInt8] = []
        out.reserveCapacity(64)
        write(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    func write(to out: inout [UInt8]) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let value): out.append(contentsOf: (value ? "true" : "false").utf8)
        case .integer(let value): out.append(contentsOf: String(value).utf8)
        case .number(let value):
            // Non-finite numbers are not JSON; JSONEncoder refuses them and the text was "null".
            out.append(contentsOf: (value.isFinite ? "\(value)" : "null").utf8)
        case .string(let value): Self.writeString(value, to: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                item.write(to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (index, (key, value)) in members.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                Self.writeString(key, to: &out)
                out.append(UInt8(ascii: ":"))
                value.write(to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    static func writeString(_ text: String, to out: inout [UInt8]) {
        let hex = Array("0123456789abcdef".utf8)
        out.append(UInt8(ascii: "\""))
        var copy = text
        copy.withUTF8 { utf8 in
            for byte in utf8 {
                switch byte {
                case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
                case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
                case 0..<0x20: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
                default: out.append(byte)
                }
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
