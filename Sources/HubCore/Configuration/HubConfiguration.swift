import Foundation
import HubDriverSupport

/// The hub's effective configuration: command-line flags over the environment over a `.env` file in
/// the working directory over the built-in defaults.
///
/// A service that uses ``Hub`` needs `HUB_DATABASE_URL` and `HUB_REDIS_URL`;
/// `Docs/configuration.md` lists every variable. Nothing here ever prints a secret: passwords,
/// keys, the password part of URLs and the path of a secret URL (a webhook's token) are masked.
public struct HubConfiguration: Sendable {
    /// Where a value came from.
    package enum Source: String, Sendable {
        case flag, environment, dotEnv = ".env", defaultValue = "default"
    }

    private var values: [String: (value: String, source: Source)]

    /// Assembles the configuration.
    /// - Parameters:
    ///   - environment: the process environment (only `HUB_` variables are read).
    ///   - dotEnvPath: the `.env` file to read; nil to skip. A missing file is not an error.
    ///   - overrides: values from command-line flags, keyed by variable name.
    /// - Throws: ``HubError`` `.configuration` for a malformed `.env` file.
    public init(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        dotEnvPath: String? = ".env",
        overrides: [String: String] = [:]
    ) throws {
        var values: [String: (String, Source)] = [:]
        for setting in HubSetting.all {
            if let value = setting.defaultValue { values[setting.name] = (value, .defaultValue) }
        }
        if let dotEnvPath {
            for (key, value) in try DotEnv.load(path: dotEnvPath) where key.hasPrefix("HUB_") {
                values[key] = (value, .dotEnv)
            }
        }
        for (key, value) in environment where key.hasPrefix("HUB_") { values[key] = (value, .environment) }
        for (key, value) in overrides { values[key] = (value, .flag) }
        self.values = values
    }

    /// A copy with `setting` raised to at least `minimum` (used to size pools for a process's
    /// concurrency); a value set explicitly higher is kept.
    package func raising(_ setting: HubSetting, toAtLeast minimum: Int) -> HubConfiguration {
        var copy = self
        if let current = value(setting).flatMap({ Int($0) }), current >= minimum { return copy }
        copy.values[setting.name] = (String(minimum), source(setting) ?? .defaultValue)
        return copy
    }

    /// The value of `setting`, or nil when nothing sets it.
    package func value(_ setting: HubSetting) -> String? { values[setting.name]?.value }

    /// Where the value of `setting` came from.
    package func source(_ setting: HubSetting) -> Source? { values[setting.name]?.source }

    /// The value of a required setting.
    /// - Throws: ``HubError`` `.configuration` saying how to set it.
    package func require(_ setting: HubSetting) throws -> String {
        guard let value = value(setting), !value.isEmpty else {
            throw HubError(.configuration,
                "\(setting.name) is not set: put it in the environment or in .env (scripts/setup writes one for the local services), or pass the matching flag")
        }
        return value
    }

    /// An integer setting within `range`.
    /// - Throws: ``HubError`` `.configuration` naming the variable and the accepted range.
    package func integer(_ setting: HubSetting, in range: ClosedRange<Int>) throws -> Int {
        let text = try require(setting)
        guard let value = Int(text.trimmingCharacters(in: .whitespaces)), range.contains(value) else {
            throw HubError(.configuration, "\(setting.name) must be a whole number from \(range.lowerBound) to \(range.upperBound), not '\(text)'")
        }
        return value
    }

    /// The PostgreSQL URL (required).
    package func databaseURL() throws -> String { try require(.databaseURL) }
    /// The Redis URL.
    package func redisURL() throws -> String { try require(.redisURL) }

    /// The value of `setting` safe to print: secrets masked, URLs with their password masked.
    package func redactedValue(_ setting: HubSetting) -> String? {
        guard let value = value(setting) else { return nil }
        return Self.redact(value, secret: setting.isSecret)
    }

    /// Query parameters whose value is a credential in any URL (`?token=…`, `?sslpassword=…`).
    static let secretQueryKeys: Set<String> = [
        "password", "pass", "passwd", "pwd", "sslpassword", "token", "access_token", "auth", "key", "apikey",
        "api_key", "secret", "signature", "sig", "code",
    ]
    /// Schemes whose path is a database name or index, not a credential.
    static let servicePathSchemes: Set<String> = ["postgres", "postgresql", "redis", "rediss", "unix"]

    /// `value` safe to print.
    ///
    /// Any URL, secret or not, shows `***` for its password and for the values of credential-like
    /// query parameters. A secret URL of any other scheme than a database or Redis (a webhook: its
    /// secret is its path) shows only `scheme://[user:***@]host[:port]/***`. Any other secret —
    /// keys, passwords, a secret URL that does not parse — is `***` whole.
    package static func redact(_ value: String, secret: Bool) -> String {
        guard value.contains("://"), let url = try? ServiceURL(parsing: value) else {
            return secret && !value.isEmpty ? "***" : value
        }
        var text = url.scheme + "://"
        if let user = url.user { text += user }
        if url.password != nil { text += ":***" }
        if url.user != nil || url.password != nil { text += "@" }
        if let host = url.host { text += host.contains(":") ? "[\(host)]" : host }
        if let port = url.port { text += ":\(port)" }
        if secret, !servicePathSchemes.contains(url.scheme) {
            if !url.path.isEmpty || !url.query.isEmpty { text += "/***" }
            return text
        }
        if !url.path.isEmpty { text += "/" + url.path }
        if !url.query.isEmpty {
            text += "?" + url.query.map { pair in
                pair.key + "=" + (secretQueryKeys.contains(pair.key.lowercased()) ? "***" : pair.value)
            }.joined(separator: "&")
        }
        return text
    }
}
