import Foundation

/// One argument of a Redis command: text, bytes or a number.
///
/// Arguments travel with explicit lengths, so byte values may contain anything (`\0`, `\r\n`).
/// String literals and interpolations convert implicitly: `client.send(["SET", "k:\(id)", value])`.
public struct RedisArgument: Sendable, Hashable, ExpressibleByStringLiteral, ExpressibleByStringInterpolation,
    ExpressibleByIntegerLiteral
{
    enum Storage: Sendable, Hashable {
        case string(String)
        case bytes([UInt8])
        case integer(Int64)
        case double(Double)
    }

    let storage: Storage

    /// The UTF-8 bytes of `text`.
    public init(_ text: String) { storage = .string(text) }
    /// `bytes` as they are.
    public init(_ bytes: [UInt8]) { storage = .bytes(bytes) }
    /// The bytes of `data`.
    public init(_ data: Data) { storage = .bytes([UInt8](data)) }
    /// The decimal text of `value`.
    public init(_ value: Int) { storage = .integer(Int64(value)) }
    /// The decimal text of `value`.
    public init(_ value: Int64) { storage = .integer(value) }
    /// The shortest text that reads back as `value` (`inf` and `-inf` for infinities).
    public init(_ value: Double) { storage = .double(value) }
    /// A string literal.
    public init(stringLiteral value: String) { storage = .string(value) }
    /// An integer literal.
    public init(integerLiteral value: Int64) { storage = .integer(value) }

    /// Appends the argument's bytes to `buffer`.
    @inline(__always)
    func append(to buffer: inout [UInt8]) {
        switch storage {
        case .string(let text): buffer.append(contentsOf: text.utf8)
        case .bytes(let bytes): buffer.append(contentsOf: bytes)
        case .integer(let value): buffer.append(contentsOf: String(value).utf8)
        case .double(let value): buffer.append(contentsOf: value.description.utf8)
        }
    }

    /// The command's name (upper-cased) when this argument is the first of a command; used in
    /// error messages instead of the arguments themselves.
    var commandName: String {
        switch storage {
        case .string(let text): text.count <= 32 ? text.uppercased() : "command"
        default: "command"
        }
    }
}
