/// A SQL statement whose interpolated values are bound parameters.
///
/// Every `\(value)` becomes `$1`, `$2`, … and its value travels separately, so quotes, semicolons
/// and any other text in a value can never change the statement:
/// ```swift
/// let rows = try await pool.query("SELECT id FROM players WHERE name = \(name) AND chips > \(minimum)")
/// ```
/// Identifiers that must vary are quoted by the driver with `\(identifier: name)`; a query can
/// embed another with `\(fragment: other)` and its parameters are renumbered. There is no way to
/// paste raw text into a `PostgresQuery`.
public struct PostgresQuery: Sendable, ExpressibleByStringInterpolation, CustomStringConvertible {
    enum Piece: Sendable {
        case sql(String)
        case bind(Int)
    }

    var pieces: [Piece]
    /// The bound values, in parameter order.
    public internal(set) var bindings: [PostgresBind]

    /// Creates a query from a string literal with no parameters.
    public init(stringLiteral value: String) {
        pieces = [.sql(value)]
        bindings = []
    }

    /// Creates a query from an interpolation.
    public init(stringInterpolation: StringInterpolation) {
        pieces = stringInterpolation.pieces
        bindings = stringInterpolation.bindings
    }

    /// The statement text with `$n` placeholders.
    public var sql: String {
        var text = ""
        for piece in pieces {
            switch piece {
            case .sql(let s): text += s
            case .bind(let n): text += "$\(n)"
            }
        }
        return text
    }

    /// The statement with placeholders; parameters are never shown.
    public var description: String { sql }

    /// Builds a ``PostgresQuery``: literals are SQL, interpolations are parameters.
    public struct StringInterpolation: StringInterpolationProtocol, Sendable {
        var pieces: [Piece] = []
        var bindings: [PostgresBind] = []

        public init(literalCapacity: Int, interpolationCount: Int) {
            pieces.reserveCapacity(interpolationCount * 2 + 1)
            bindings.reserveCapacity(interpolationCount)
        }

        /// Appends SQL text.
        public mutating func appendLiteral(_ literal: String) {
            if !literal.isEmpty { pieces.append(.sql(literal)) }
        }

        /// Appends a bound parameter.
        public mutating func appendInterpolation<Value: PostgresEncodable>(_ value: Value) {
            bindings.append(value.postgresBind)
            pieces.append(.bind(bindings.count))
        }

        /// Appends a bound parameter that may be NULL.
        public mutating func appendInterpolation<Value: PostgresEncodable>(_ value: Value?) {
            bindings.append(value.map(\.postgresBind) ?? PostgresBind(type: Value.postgresType, format: .text, bytes: nil))
            pieces.append(.bind(bindings.count))
        }

        /// Appends an identifier (table, column, channel name), double-quoted and escaped.
        public mutating func appendInterpolation(identifier: String) {
            pieces.append(.sql(PostgresQuery.quoteIdentifier(identifier)))
        }

        /// Appends another query; its parameters are renumbered to follow this one's.
        public mutating func appendInterpolation(fragment: PostgresQuery) {
            let offset = bindings.count
            for piece in fragment.pieces {
                switch piece {
                case .sql: pieces.append(piece)
                case .bind(let n): pieces.append(.bind(n + offset))
                }
            }
            bindings.append(contentsOf: fragment.bindings)
        }
    }

    /// Joins queries with a SQL separator (e.g. `", "` or `" AND "`), renumbering parameters.
    public static func joined(_ parts: [PostgresQuery], separator: String) -> PostgresQuery {
        var result: PostgresQuery = ""
        result.pieces = []
        for (i, part) in parts.enumerated() {
            if i > 0 { result.pieces.append(.sql(separator)) }
            let offset = result.bindings.count
            for piece in part.pieces {
                switch piece {
                case .sql: result.pieces.append(piece)
                case .bind(let n): result.pieces.append(.bind(n + offset))
                }
            }
            result.bindings.append(contentsOf: part.bindings)
        }
        return result
    }

    /// Quotes `name` as a SQL identifier: `"name"` with embedded quotes doubled; NUL bytes removed.
    public static func quoteIdentifier(_ name: String) -> String {
        var quoted = "\""
        for ch in name.unicodeScalars where ch != "\0" {
            if ch == "\"" { quoted += "\"\"" } else { quoted.unicodeScalars.append(ch) }
        }
        quoted += "\""
        return quoted
    }
}
