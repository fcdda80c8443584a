import Foundation
import HubDriverSupport

/// Where and how to connect to Redis.
///
/// Built from a URL (usually `HUB_REDIS_URL`):
/// - `redis://[[user]:password@]host[:port][/db]` — TCP; port 6379 and database 0 by default;
/// - `unix:///path/to/redis.sock?db=N&password=X[&user=U]` — a unix socket.
///
/// `rediss://` (TLS) is rejected: the hiredis 0.14 this module is built on has no TLS.
public struct RedisConfiguration: Sendable, CustomStringConvertible {
    /// Where the server listens.
    public enum Endpoint: Sendable, Equatable {
        /// A TCP host (name or address) and port.
        case tcp(host: String, port: Int)
        /// The path of a unix-domain socket.
        case unix(path: String)
    }

    /// Where the server listens.
    public var endpoint: Endpoint
    /// The ACL user name for `AUTH user password` (Redis 6+); nil for the `default` user.
    public var user: String?
    /// The password; nil when the server has none. Never printed.
    public var password: String?
    /// The database index selected after connecting (0–15).
    public var database: Int
    /// How long to wait for a connection to be established.
    public var connectTimeout: Duration = .seconds(2)
    /// How long to wait for any reply (blocking commands add their own block time to it).
    public var commandTimeout: Duration = .seconds(5)
    /// The most connections ``RedisClient`` keeps open; further callers wait for a free one.
    public var poolSize: Int = 4

    /// The usage line shown in URL errors.
    static let expectedForms = "expected redis://[[user]:password@]host[:port][/db] or unix:///path/to/redis.sock?db=N&password=X; check HUB_REDIS_URL"

    /// Creates a configuration from its parts.
    public init(endpoint: Endpoint, user: String? = nil, password: String? = nil, database: Int = 0) {
        self.endpoint = endpoint
        self.user = user
        self.password = password
        self.database = database
    }

    /// Parses a `redis://` or `unix://` URL.
    /// - Throws: ``RedisError`` with code ``RedisError/Code/invalidURL``; its description names the
    ///   part that is wrong and never contains the password.
    public init(url text: String) throws {
        // A '/', '?' or '#' inside the password would split the URL in the wrong place and could
        // push part of the password into an error message; refuse that case up front.
        if let schemeEnd = text.range(of: "://") {
            let rest = text[schemeEnd.upperBound...]
            if let at = rest.lastIndex(of: "@"), rest[..<at].contains(where: { "/?#".contains($0) }) {
                throw Self.invalid("the user name or password contains '/', '?' or '#'; percent-encode them (%2F, %3F, %23)")
            }
        }
        let url: ServiceURL
        do {
            url = try ServiceURL(parsing: text)
        } catch let error as ServiceURL.ParseError {
            throw Self.invalid(error.reason)
        }
        switch url.scheme {
        case "redis":
            if let key = url.query.first(where: { $0.key != "db" })?.key {
                throw Self.invalid("unknown query parameter '\(key)'")
            }
            self.init(endpoint: .tcp(host: url.host ?? "127.0.0.1", port: url.port ?? 6379),
                      user: url.user, password: url.password)
            if url.queryValue("db") != nil && !url.path.isEmpty {
                throw Self.invalid("the database is given both in the path and as ?db=")
            }
            database = try Self.databaseIndex(url.queryValue("db") ?? url.path)
        case "unix", "redis+unix":
            if url.host != nil || url.port != nil {
                throw Self.invalid("a unix socket URL has no host; write unix:///absolute/path/to/redis.sock")
            }
            guard !url.path.isEmpty else { throw Self.invalid("the unix socket path is missing") }
            if let key = url.query.first(where: { !["db", "password", "user"].contains($0.key) })?.key {
                throw Self.invalid("unknown query parameter '\(key)'")
            }
            self.init(endpoint: .unix(path: "/" + url.path),
                      user: url.queryValue("user") ?? url.user,
                      password: url.queryValue("password") ?? url.password)
            database = try Self.databaseIndex(url.queryValue("db") ?? "")
        case "rediss":
            throw Self.invalid("TLS (rediss://) is not supported: hiredis 0.14 has no TLS; use redis:// on a trusted network or a unix socket")
        default:
            throw Self.invalid("unsupported scheme '\(url.scheme)'")
        }
        if user != nil && password == nil {
            throw Self.invalid("a user name is given without a password")
        }
    }

    /// The URL with the password replaced by `***`, for logs and messages.
    public var redactedURL: String {
        let auth: String
        switch (user, password) {
        case (let user?, _): auth = "\(user):***@"
        case (nil, _?): auth = ":***@"
        case (nil, nil): auth = ""
        }
        switch endpoint {
        case .tcp(let host, let port):
            let shownHost = host.contains(":") ? "[\(host)]" : host
            return "redis://\(auth)\(shownHost):\(port)/\(database)"
        case .unix(let path):
            var query = ["db=\(database)"]
            if let user { query.append("user=\(user)") }
            if password != nil { query.append("password=***") }
            return "unix://\(path)?" + query.joined(separator: "&")
        }
    }

    /// `host:port` or the socket path, as shown in connection errors.
    public var address: String {
        switch endpoint {
        case .tcp(let host, let port): host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        case .unix(let path): path
        }
    }

    /// The redacted URL.
    public var description: String { redactedURL }

    private static func databaseIndex(_ text: String) throws -> Int {
        if text.isEmpty { return 0 }
        // The text is not echoed: a mangled URL can put part of the password here.
        guard let index = Int(text), (0...15).contains(index) else {
            throw invalid("the database index must be a number from 0 to 15")
        }
        return index
    }

    private static func invalid(_ reason: String) -> RedisError {
        RedisError(code: .invalidURL, message: "invalid Redis URL: \(reason)", hint: expectedForms)
    }
}
