/// A parsed `scheme://user:password@host:port/path?key=value` address.
///
/// Both drivers accept URLs; this parser is deliberately small and strict so that the error for a
/// malformed URL can say exactly what is wrong. Percent-escapes are decoded in the user, password,
/// host, path and query (so a unix socket directory can be written `%2Fvar%2Frun%2Fpostgresql`).
/// `description` never shows the password.
public struct ServiceURL: Sendable, Equatable, CustomStringConvertible {
    /// The scheme, lower-cased (`postgres`, `redis`, …).
    public var scheme: String
    /// The user name, if given.
    public var user: String?
    /// The password, if given. Never printed.
    public var password: String?
    /// The host name, address, or (for unix sockets) an absolute directory or file path.
    public var host: String?
    /// The port, if given.
    public var port: Int?
    /// The path without its leading slash (a database name or index), empty when absent.
    public var path: String
    /// The query parameters in order.
    public var query: [(key: String, value: String)]

    /// Why a URL could not be parsed.
    public struct ParseError: Error, Sendable, CustomStringConvertible {
        /// A sentence naming what is wrong; it never contains the password.
        public var reason: String
        public var description: String { reason }
    }

    /// Parses `text`.
    /// - Throws: ``ParseError`` naming the part that is malformed.
    public init(parsing text: String) throws {
        guard let schemeEnd = text.firstRange(of: "://") else {
            throw ParseError(reason: "missing '://' (expected scheme://[user[:password]@]host[:port][/path])")
        }
        scheme = String(text[..<schemeEnd.lowerBound]).lowercased()
        guard !scheme.isEmpty, scheme.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "+" || $0 == "-" || $0 == "." }) else {
            throw ParseError(reason: "invalid scheme")
        }
        var rest = Substring(text[schemeEnd.upperBound...])

        // The user info ends at the last '@', so a password with an unencoded '/', '?', '#' or '@'
        // is still taken whole (and never ends up in a message about the host, port or path).
        var userInfo: Substring?
        if let at = rest.lastIndex(of: "@") {
            userInfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
        }

        var queryText: Substring = ""
        if let q = rest.firstIndex(of: "?") {
            queryText = rest[rest.index(after: q)...]
            rest = rest[..<q]
        }
        if let f = rest.firstIndex(of: "#") { rest = rest[..<f] }

        var authority = rest
        var pathText: Substring = ""
        if let slash = rest.firstIndex(of: "/") {
            authority = rest[..<slash]
            pathText = rest[rest.index(after: slash)...]
        }

        user = nil
        password = nil
        if let userInfo {
            if let colon = userInfo.firstIndex(of: ":") {
                let u = try Self.decode(userInfo[..<colon], part: "user name")
                user = u.isEmpty ? nil : u
                password = try Self.decode(userInfo[userInfo.index(after: colon)...], part: "password")
            } else {
                let u = try Self.decode(userInfo, part: "user name")
                user = u.isEmpty ? nil : u
            }
        }

        host = nil
        port = nil
        var hostText = authority
        if hostText.hasPrefix("[") {
            guard let close = hostText.firstIndex(of: "]") else {
                throw ParseError(reason: "unterminated IPv6 address in host")
            }
            host = String(hostText[hostText.index(after: hostText.startIndex)..<close])
            hostText = hostText[hostText.index(after: close)...]
            if hostText.hasPrefix(":") {
                port = try Self.parsePort(hostText.dropFirst())
            } else if !hostText.isEmpty {
                throw ParseError(reason: "unexpected characters after IPv6 address")
            }
        } else {
            if let colon = hostText.lastIndex(of: ":") {
                port = try Self.parsePort(hostText[hostText.index(after: colon)...])
                hostText = hostText[..<colon]
            }
            let h = try Self.decode(hostText, part: "host")
            host = h.isEmpty ? nil : h
        }

        path = try Self.decode(pathText, part: "path")
        query = []
        if !queryText.isEmpty {
            for pair in queryText.split(separator: "&", omittingEmptySubsequences: true) {
                if let eq = pair.firstIndex(of: "=") {
                    query.append((try Self.decode(pair[..<eq], part: "query"), try Self.decode(pair[pair.index(after: eq)...], part: "query")))
                } else {
                    query.append((try Self.decode(pair, part: "query"), ""))
                }
            }
        }
    }

    /// The value of the first query parameter named `key`.
    public func queryValue(_ key: String) -> String? {
        query.first(where: { $0.key == key })?.value
    }

    public var description: String { redacted }

    /// The URL with the password replaced by `***`.
    public var redacted: String {
        var text = scheme + "://"
        if let user { text += user }
        if password != nil { text += ":***" }
        if user != nil || password != nil { text += "@" }
        if let host { text += host.contains(":") ? "[\(host)]" : host }
        if let port { text += ":\(port)" }
        if !path.isEmpty { text += "/" + path }
        if !query.isEmpty {
            text += "?" + query.map { pair in
                let secret = ["password", "pass", "passwd", "sslpassword"].contains(pair.key.lowercased())
                return pair.key + "=" + (secret ? "***" : pair.value)
            }.joined(separator: "&")
        }
        return text
    }

    public static func == (lhs: ServiceURL, rhs: ServiceURL) -> Bool {
        lhs.scheme == rhs.scheme && lhs.user == rhs.user && lhs.password == rhs.password && lhs.host == rhs.host
            && lhs.port == rhs.port && lhs.path == rhs.path
            && lhs.query.map { "\($0.key)=\($0.value)" } == rhs.query.map { "\($0.key)=\($0.value)" }
    }

    private static func parsePort(_ text: Substring) throws -> Int {
        guard let value = Int(text), (1...65535).contains(value) else {
            throw ParseError(reason: "the port is not a number between 1 and 65535 (is '@host' missing?)")
        }
        return value
    }

    private static func decode(_ text: Substring, part: String) throws -> String {
        guard text.contains("%") else { return String(text) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%") {
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                    throw ParseError(reason: "bad percent-escape in the \(part)")
                }
                bytes.append(high << 4 | low)
            } else {
                bytes.append(byte)
            }
        }
        guard let decoded = String(validating: bytes, as: UTF8.self) else {
            throw ParseError(reason: "the \(part) is not valid UTF-8 after decoding percent-escapes")
        }
        return decoded
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
