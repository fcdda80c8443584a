import Foundation

/// One column value of one row, in PostgreSQL's text format.
public struct PostgresCell: Sendable {
    /// The raw text bytes (never NULL here; NULL is handled by ``PostgresDecodable/postgresNull(column:)``).
    public var bytes: ArraySlice<UInt8>
    /// The column's type.
    public var type: PostgresType
    /// The column's name, for error messages.
    public var columnName: String

    /// The value as a string.
    public var string: String { String(decoding: bytes, as: UTF8.self) }

    /// A `.decoding` error naming the column and the expected type, without the value itself.
    public func decodingError(expected: String, reason: String? = nil) -> PostgresError {
        var message = "cannot decode column '\(columnName)' (\(type)) as \(expected)"
        if let reason { message += ": \(reason)" }
        return PostgresError(.decoding, message)
    }
}

/// A Swift type that can be decoded from a result column.
public protocol PostgresDecodable: Sendable {
    /// Decodes a non-NULL value.
    init(postgresCell cell: PostgresCell) throws
    /// The value for SQL NULL; throws for types that cannot be NULL (the default).
    static func postgresNull(column: String) throws -> Self
}

extension PostgresDecodable {
    public static func postgresNull(column: String) throws -> Self {
        throw PostgresError(.decoding, "column '\(column)' is NULL but \(Self.self) is not optional",
                            hint: "decode it as \(Self.self)? instead")
    }
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    public init(postgresCell cell: PostgresCell) throws { self = try Wrapped(postgresCell: cell) }
    public static func postgresNull(column: String) throws -> Self { nil }
}

extension String: PostgresDecodable {
    public init(postgresCell cell: PostgresCell) throws { self = cell.string }
}

extension Int: PostgresDecodable {
    public init(postgresCell cell: PostgresCell) throws {
        guard let v = PostgresText.parseInteger(cell.bytes), let i = Int(exactly: v) else {
            throw cell.decodingError(expected: "Int")
        }
        self = i
    }
}

extension Int64: PostgresDecodable {
    public init(postgresCell cell: PostgresCell) throws {
        guard let v = PostgresText.parseInteger(cell.bytes) else { throw cell.decodingError(expected: "Int64") }
        self = v
    }
}

extension Int32: PostgresDecodable {
    public init(postgresCell cell: PostgresCell) throws {
        guard let v = PostgresText.parseInteger(cell.bytes), let i = Int32(exactly: v) else {
            throw cell.decodingError(expected: "Int32")
        }
        self = i
    }
}

extension Int16: PostgresDecodable {
    public init(postgresCell cell: PostgresCell) throws {
        guard let v = PostgresText.parseInteger(cell.bytes), let i = Int16(exactly: v) else {
            throw cell.decodingError(expected: "Int16")
        }
        self = i
    }
}

extension Bool: PostgresDecodable {
    public init(postgresCell cell: PostgresCell) throws {
        switch cell.bytes.first {
        case UInt8(ascii: "t"): self = true
        case UInt8(ascii: "f"): self = false
        default: throw cell.decodingError(expected: "Bool")
        }
    }
}

extension Double: PostgresDecodable {
    public init(postgresCell cell: PostgresCell) throws {
        switch cell.string {
        case "Infinity": self = .infinity
        case "-Infinity": self = -.infinity
        case "NaN": self = .nan
        case let text:
            guard let v = Double(text) else { throw cell.decodingError(expected: "Double") }
            self = v
        }
    }
}

extension Float: PostgresDecodable {
    public init(postgresCell cell: PostgresCell) throws { self = Float(try Double(postgresCell: cell)) }
}

extension UUID: PostgresDecodable {
    public init(postgresCell cell: PostgresCell) throws {
        guard let v = UUID(uuidString: cell.string) else { throw cell.decodingError(expected: "UUID") }
        self = v
    }
}

extension Date: PostgresDecodable {
    /// Decodes `timestamptz`, `timestamp` (taken as UTC) and `date` columns. The connection runs
    /// with `DateStyle=ISO` and `TimeZone=UTC`, so the text is ISO 8601-like.
    public init(postgresCell cell: PostgresCell) throws {
        guard let v = PostgresText.parseTimestamp(cell.bytes) else {
            throw cell.decodingError(expected: "Date")
        }
        self = v
    }
}

extension Data: PostgresDecodable {
    /// Decodes `bytea` (hex output format).
    public init(postgresCell cell: PostgresCell) throws {
        guard let v = PostgresText.parseByteaHex(cell.bytes) else { throw cell.decodingError(expected: "Data (bytea)") }
        self = Data(v)
    }
}

extension Array: PostgresDecodable where Element: PostgresArrayElement {
    /// Decodes a one-dimensional array; NULL elements are an error (decode `[T?]` is not supported).
    public init(postgresCell cell: PostgresCell) throws {
        guard let items = PostgresText.parseArray(cell.bytes) else {
            throw cell.decodingError(expected: "[\(Element.self)]", reason: "not a one-dimensional array literal")
        }
        var result: [Element] = []
        result.reserveCapacity(items.count)
        for item in items {
            guard let item else {
                throw cell.decodingError(expected: "[\(Element.self)]", reason: "array contains NULL")
            }
            result.append(try Element(postgresCell: PostgresCell(bytes: item[...], type: .unspecified, columnName: cell.columnName)))
        }
        self = result
    }
}
