/// One RESP2 reply from Redis.
///
/// Bulk strings are kept as bytes, so binary values (containing `\0`, `\r\n`, invalid UTF-8)
/// round-trip exactly. The accessors give the common views and return nil for other cases.
public enum RedisValue: Sendable, Hashable {
    /// A status reply such as `OK` or `PONG`.
    case status(String)
    /// An error reply, such as `WRONGTYPE Operation against a key holding the wrong kind of value`.
    /// ``RedisConnection/send(_:)`` throws these; pipelines return them as values.
    case error(String)
    /// An integer reply.
    case integer(Int64)
    /// A bulk string, byte for byte.
    case bulk([UInt8])
    /// An array reply (possibly nested).
    case array([RedisValue])
    /// The nil bulk string or nil array.
    case null

    /// The text of a status reply, or a bulk string decoded as UTF-8 (invalid sequences are
    /// replaced by U+FFFD); the decimal text of an integer; nil otherwise.
    public var string: String? {
        switch self {
        case .status(let text): text
        case .bulk(let bytes): String(decoding: bytes, as: UTF8.self)
        case .integer(let value): String(value)
        default: nil
        }
    }

    /// An integer reply, or a bulk/status string holding a decimal integer; nil otherwise.
    public var int: Int64? {
        switch self {
        case .integer(let value): value
        case .bulk(let bytes): Int64(String(decoding: bytes, as: UTF8.self))
        case .status(let text): Int64(text)
        default: nil
        }
    }

    /// The elements of an array reply; nil otherwise (including for ``null``).
    public var array: [RedisValue]? {
        if case .array(let elements) = self { return elements }
        return nil
    }

    /// The bytes of a bulk string (or the UTF-8 of a status reply); nil otherwise.
    public var bytes: [UInt8]? {
        switch self {
        case .bulk(let bytes): bytes
        case .status(let text): Array(text.utf8)
        default: nil
        }
    }

    /// True for ``null``.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// The text of an error reply; nil otherwise.
    public var errorMessage: String? {
        if case .error(let text) = self { return text }
        return nil
    }
}
