import HubDriverSupport

/// How to reach a PostgreSQL server, parsed from a URL.
///
/// Accepted: `postgres://[user[:password]@][host][:port][/database][?param=value&…]` (also
/// `postgresql://`). A host that starts with `/` (written `%2Fvar%2Frun%2Fpostgresql`, or given as
/// `?host=/var/run/postgresql`) is a unix-socket directory. Parameters: `sslmode`
/// (disable|allow|prefer|require|verify-ca|verify-full), `connect_timeout` (seconds),
/// `application_name`, `host`, `statement_timeout` (milliseconds). The values reach libpq through
/// `PQconnectdbParams` as separate keywords: nothing is pasted into a conninfo string.
public struct PostgresConfiguration: Sendable, CustomStringConvertible {
    /// Host name, address, or unix-socket directory; nil = libpq's default socket.
    public var host: String?
    /// Port (default 5432).
    public var port: Int?
    /// Role name.
    public var user: String?
    /// Password. Never printed.
    public var password: String?
    /// Database name.
    public var database: String?
    /// libpq `sslmode`.
    public var sslMode: String?
    /// Seconds to wait for a connection (libpq `connect_timeout`).
    public var connectTimeoutSeconds: Int = 5
    /// Reported in `pg_stat_activity`.
    public var applicationName: String = "automation-hub"
    /// Server-side `statement_timeout` in milliseconds (0 = none).
    public var statementTimeoutMilliseconds: Int = 0
    /// The URL with its password redacted.
    public private(set) var redactedURL: String

    private static let sslModes: Set<String> = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]
    private static let knownParameters: Set<String> = ["sslmode", "connect_timeout", "application_name", "host", "statement_timeout"]

    /// Parses a `postgres://` URL.
    /// - Throws: ``PostgresError`` with code `.invalidURL` naming what is wrong (never the password).
    public init(url text: String) throws {
        let url: ServiceURL
        do {
            url = try ServiceURL(parsing: text)
        } catch let error as ServiceURL.ParseError {
            throw PostgresError(.invalidURL, "invalid database URL: \(error.reason)",
                                hint: "expected postgres://user:password@host:port/database")
        }
        guard url.scheme == "postgres" || url.scheme == "postgresql" else {
            throw PostgresError(.invalidURL, "invalid database URL: scheme '\(url.scheme)' is not postgres://",
                                hint: "expected postgres://user:password@host:port/database")
        }
        host = url.host
        port = url.port
        user = url.user
        password = url.password
        database = url.path.isEmpty ? nil : url.path
        redactedURL = url.redacted
        for (key, value) in url.query {
            switch key {
            case "sslmode":
                guard Self.sslModes.contains(value) else {
                    throw PostgresError(.invalidURL, "invalid database URL: sslmode '\(value)' is not one of \(Self.sslModes.sorted().joined(separator: ", "))")
                }
                sslMode = value
            case "connect_timeout":
                guard let seconds = Int(value), seconds >= 0 else {
                    throw PostgresError(.invalidURL, "invalid database URL: connect_timeout '\(value)' is not a whole number of seconds")
                }
                connectTimeoutSeconds = seconds
            case "statement_timeout":
                guard let ms = Int(value), ms >= 0 else {
                    throw PostgresError(.invalidURL, "invalid database URL: statement_timeout '\(value)' is not a whole number of milliseconds")
                }
                statementTimeoutMilliseconds = ms
            case "application_name":
                applicationName = value
            case "host":
                host = value
            default:
                throw PostgresError(.invalidURL, "invalid database URL: unknown parameter '\(key)'",
                                    hint: "known parameters: \(Self.knownParameters.sorted().joined(separator: ", "))")
            }
        }
        if let database, database.contains("/") {
            throw PostgresError(.invalidURL, "invalid database URL: database name '\(database)' contains '/'")
        }
    }

    /// Where the server is, for error messages (`127.0.0.1:5432` or the socket directory).
    public var endpoint: String {
        let h = host ?? "the default unix socket"
        if h.hasPrefix("/") { return "\(h) (unix socket)" }
        return "\(h):\(port ?? 5432)"
    }

    public var description: String { redactedURL }

    /// The keyword/value pairs handed to `PQconnectdbParams`.
    var connectionParameters: [(String, String)] {
        var parameters: [(String, String)] = []
        if let host { parameters.append(("host", host)) }
        if let port { parameters.append(("port", String(port))) }
        if let user { parameters.append(("user", user)) }
        if let password { parameters.append(("password", password)) }
        if let database { parameters.append(("dbname", database)) }
        if let sslMode { parameters.append(("sslmode", sslMode)) }
        parameters.append(("connect_timeout", String(connectTimeoutSeconds)))
        parameters.append(("application_name", applicationName))
        parameters.append(("client_encoding", "UTF8"))
        var options = "-c DateStyle=ISO,MDY -c TimeZone=UTC -c IntervalStyle=iso_8601"
        if statementTimeoutMilliseconds > 0 { options += " -c statement_timeout=\(statementTimeoutMilliseconds)" }
        parameters.append(("options", options))
        parameters.append(("keepalives", "1"))
        parameters.append(("keepalives_idle", "30"))
        parameters.append(("keepalives_interval", "10"))
        parameters.append(("keepalives_count", "3"))
        return parameters
    }
}
