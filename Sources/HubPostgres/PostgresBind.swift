/// A PostgreSQL type identifier (OID) for parameters and result columns.
public struct PostgresType: Hashable, Sendable, CustomStringConvertible {
    /// The OID.
    public let oid: UInt32
    /// Wraps an OID.
    public init(oid: UInt32) { self.oid = oid }
    public var description: String { "oid \(oid)" }

    /// Let the server infer the type from context.
    public static let unspecified = PostgresType(oid: 0)
    public static let bool = PostgresType(oid: 16)
    public static let bytea = PostgresType(oid: 17)
    public static let int8 = PostgresType(oid: 20)
    public static let int2 = PostgresType(oid: 21)
    public static let int4 = PostgresType(oid: 23)
    public static let text = PostgresType(oid: 25)
    public static let oidType = PostgresType(oid: 26)
    public static let json = PostgresType(oid: 114)
    public static let float4 = PostgresType(oid: 700)
    public static let float8 = PostgresType(oid: 701)
    public static let varchar = PostgresType(oid: 1043)
    public static let date = PostgresType(oid: 1082)
    public static let timestamp = PostgresType(oid: 1114)
    public static let timestamptz = PostgresType(oid: 1184)
    public static let numeric = PostgresType(oid: 1700)
    public static let uuid = PostgresType(oid: 2950)
    public static let jsonb = PostgresType(oid: 3802)
    public static let boolArray = PostgresType(oid: 1000)
    public static let int2Array = PostgresType(oid: 1005)
    public static let int4Array = PostgresType(oid: 1007)
    public static let textArray = PostgresType(oid: 1009)
    public static let int8Array = PostgresType(oid: 1016)
    public static let float8Array = PostgresType(oid: 1022)
    public static let uuidArray = PostgresType(oid: 2951)
}

/// One bound parameter as it travels to libpq: a type, a wire format and the bytes (nil = NULL).
public struct PostgresBind: Sendable {
    /// Text or binary wire format.
    public enum Format: Int32, Sendable {
        case text = 0
        case binary = 1
    }

    /// The parameter's declared type (`.unspecified` lets the server infer it).
    public var type: PostgresType
    /// The wire format of `bytes`.
    public var format: Format
    /// The encoded value; nil is SQL NULL.
    public var bytes: [UInt8]?

    /// Creates a bind.
    public init(type: PostgresType, format: Format, bytes: [UInt8]?) {
        self.type = type
        self.format = format
        self.bytes = bytes
    }

    /// A text-format bind of `text`.
    public static func text(_ text: String, type: PostgresType) -> PostgresBind {
        PostgresBind(type: type, format: .text, bytes: Array(text.utf8))
    }
}
