import Foundation

/// A Swift value that can be sent as a bound parameter.
public protocol PostgresEncodable: Sendable {
    /// The type the parameter is declared as (`.unspecified` lets the server infer it).
    static var postgresType: PostgresType { get }
    /// The value as it travels to the server.
    var postgresBind: PostgresBind { get }
}

extension String: PostgresEncodable {
    /// Strings are sent untyped so the server infers `text`, `varchar`, `uuid`, `jsonb`, an enum… from context.
    public static var postgresType: PostgresType { .unspecified }
    public var postgresBind: PostgresBind { PostgresBind(type: .unspecified, format: .text, bytes: Array(utf8)) }
}

extension Substring: PostgresEncodable {
    public static var postgresType: PostgresType { .unspecified }
    public var postgresBind: PostgresBind { PostgresBind(type: .unspecified, format: .text, bytes: Array(utf8)) }
}

extension Int: PostgresEncodable {
    public static var postgresType: PostgresType { .int8 }
    public var postgresBind: PostgresBind { .text(String(self), type: .int8) }
}

extension Int64: PostgresEncodable {
    public static var postgresType: PostgresType { .int8 }
    public var postgresBind: PostgresBind { .text(String(self), type: .int8) }
}

extension Int32: PostgresEncodable {
    public static var postgresType: PostgresType { .int4 }
    public var postgresBind: PostgresBind { .text(String(self), type: .int4) }
}

extension Int16: PostgresEncodable {
    public static var postgresType: PostgresType { .int2 }
    public var postgresBind: PostgresBind { .text(String(self), type: .int2) }
}

extension Bool: PostgresEncodable {
    public static var postgresType: PostgresType { .bool }
    public var postgresBind: PostgresBind { .text(self ? "true" : "false", type: .bool) }
}

extension Double: PostgresEncodable {
    public static var postgresType: PostgresType { .float8 }
    public var postgresBind: PostgresBind { .text(PostgresText.formatDouble(self), type: .float8) }
}

extension Float: PostgresEncodable {
    public static var postgresType: PostgresType { .float8 }
    public var postgresBind: PostgresBind { .text(PostgresText.formatDouble(Double(self)), type: .float8) }
}

extension UUID: PostgresEncodable {
    public static var postgresType: PostgresType { .uuid }
    public var postgresBind: PostgresBind { .text(uuidString.lowercased(), type: .uuid) }
}

extension Date: PostgresEncodable {
    public static var postgresType: PostgresType { .timestamptz }
    public var postgresBind: PostgresBind { .text(PostgresText.formatTimestamp(self), type: .timestamptz) }
}

extension Data: PostgresEncodable {
    /// Binary data is sent as `bytea` in binary format: every byte, including NUL, arrives intact.
    public static var postgresType: PostgresType { .bytea }
    public var postgresBind: PostgresBind { PostgresBind(type: .bytea, format: .binary, bytes: Array(self)) }
}

/// A value sent and received as `jsonb`, encoded with `JSONEncoder` and decoded with `JSONDecoder`.
///
/// ```swift
/// try await pool.query("INSERT INTO t (doc) VALUES (\(PostgresJSON(settings)))")
/// let settings = try row.decode(PostgresJSON<Settings>.self, column: "doc").value
/// ```
public struct PostgresJSON<Value: Codable & Sendable>: PostgresEncodable, PostgresDecodable, Sendable {
    /// The wrapped value.
    public var value: Value
    /// Wraps `value`.
    public init(_ value: Value) { self.value = value }

    public static var postgresType: PostgresType { .jsonb }
    public var postgresBind: PostgresBind {
        // JSONEncoder only fails for non-finite floats and similar programmer errors; send JSON null then
        // would hide them, so encode them as a string the server rejects with a clear error.
        let data = (try? Self.encoder.encode(value)) ?? Data("invalid json: value could not be encoded".utf8)
        return PostgresBind(type: .jsonb, format: .text, bytes: Array(data))
    }

    public init(postgresCell cell: PostgresCell) throws {
        do {
            value = try Self.decoder.decode(Value.self, from: Data(cell.bytes))
        } catch {
            throw cell.decodingError(expected: "JSON for \(Value.self)", reason: "\(error)")
        }
    }

    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}

/// An element type that can appear in a PostgreSQL array parameter.
public protocol PostgresArrayElement: PostgresEncodable, PostgresDecodable {
    /// The OID of the array type (`text[]` = 1009, `bigint[]` = 1016, …).
    static var postgresArrayType: PostgresType { get }
}

extension String: PostgresArrayElement { public static var postgresArrayType: PostgresType { .textArray } }
extension Int: PostgresArrayElement { public static var postgresArrayType: PostgresType { .int8Array } }
extension Int64: PostgresArrayElement { public static var postgresArrayType: PostgresType { .int8Array } }
extension Int32: PostgresArrayElement { public static var postgresArrayType: PostgresType { .int4Array } }
extension Bool: PostgresArrayElement { public static var postgresArrayType: PostgresType { .boolArray } }
extension Double: PostgresArrayElement { public static var postgresArrayType: PostgresType { .float8Array } }
extension UUID: PostgresArrayElement { public static var postgresArrayType: PostgresType { .uuidArray } }

extension Array: PostgresEncodable where Element: PostgresArrayElement {
    public static var postgresType: PostgresType { Element.postgresArrayType }
    public var postgresBind: PostgresBind {
        .text(PostgresText.formatArray(map { $0.postgresBind.bytes }), type: Element.postgresArrayType)
    }
}

/// An array parameter whose elements may be NULL, for batched statements that `unnest` one array
/// per column (`unnest(\(PostgresNullableArray(sizes)))` with `sizes: [Int64?]`).
public struct PostgresNullableArray<Element: PostgresArrayElement>: PostgresEncodable {
    /// The elements; nil is an SQL NULL element.
    public var elements: [Element?]
    /// Wraps `elements`.
    public init(_ elements: [Element?]) { self.elements = elements }

    public static var postgresType: PostgresType { Element.postgresArrayType }
    public var postgresBind: PostgresBind {
        .text(PostgresText.formatArray(elements.map { $0?.postgresBind.bytes }), type: Element.postgresArrayType)
    }
}
