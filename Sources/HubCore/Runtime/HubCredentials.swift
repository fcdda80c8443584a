import Crypto
import Foundation

/// Who may use a hub HTTP endpoint (hub-server's API, a worker's or sync's `/metrics`): one Basic Auth account for people (`HUB_DASHBOARD_USERNAME`,
/// `HUB_DASHBOARD_PASSWORD`) and any number of API keys for services (`HUB_API_KEYS`,
/// comma-separated, sent in the `X-API-Key` header).
///
/// Secrets are kept only as SHA-256 digests and compared in constant time (every byte of the
/// digest is compared whatever the first difference), so a response time tells nothing about
/// how much of a guess was right.
package struct HubCredentials: Sendable {
    /// The Basic Auth user name, when a dashboard account is configured.
    package let username: String?
    private let passwordDigest: [UInt8]?
    private let apiKeyDigests: [[UInt8]]

    /// Creates credentials.
    /// - Throws: ``HubError`` `.configuration` when neither an account nor a key is configured,
    ///   or only half an account.
    package init(username: String?, password: String?, apiKeys: [String]) throws {
        let username = username?.trimmingCharacters(in: .whitespaces).nilIfEmpty
        let password = password?.nilIfEmpty
        guard (username == nil) == (password == nil) else {
            throw HubError(.configuration, "set both HUB_DASHBOARD_USERNAME and HUB_DASHBOARD_PASSWORD, or neither")
        }
        let keys = apiKeys.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard username != nil || !keys.isEmpty else {
            throw HubError(.configuration,
                "an HTTP endpoint of the hub needs credentials: set HUB_DASHBOARD_USERNAME and HUB_DASHBOARD_PASSWORD (scripts/setup writes them to .env) or HUB_API_KEYS")
        }
        if let password, password.count < 8 {
            throw HubError(.configuration, "HUB_DASHBOARD_PASSWORD is shorter than 8 characters: choose a longer one")
        }
        self.username = username
        self.passwordDigest = password.map(Self.digest)
        self.apiKeyDigests = keys.map(Self.digest)
    }

    /// Reads the three settings.
    package init(configuration: HubConfiguration) throws {
        try self.init(username: configuration.value(.dashboardUsername), password: configuration.value(.dashboardPassword),
                      apiKeys: (configuration.value(.apiKeys) ?? "").split(separator: ",").map(String.init))
    }

    /// Whether `username` and `password` are the dashboard account.
    package func acceptsBasic(username: String, password: String) -> Bool {
        guard let expected = self.username, let passwordDigest else { return false }
        // Both comparisons always run, so a wrong user name costs as long as a wrong password.
        let userMatches = Self.equal(Self.digest(username), Self.digest(expected))
        let passwordMatches = Self.equal(Self.digest(password), passwordDigest)
        return userMatches && passwordMatches
    }

    /// The position (1-based) of `key` in `HUB_API_KEYS`, or nil. Every configured key is compared.
    package func apiKeyIndex(_ key: String) -> Int? {
        let candidate = Self.digest(key)
        var found: Int?
        for (index, digest) in apiKeyDigests.enumerated() where Self.equal(candidate, digest) && found == nil {
            found = index + 1
        }
        return found
    }

    package static func digest(_ text: String) -> [UInt8] { Array(SHA256.hash(data: Data(text.utf8))) }

    /// Constant-time equality of two digests of the same length.
    package static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}

extension String {
    fileprivate var nilIfEmpty: String? { isEmpty ? nil : self }
}

extension HubCredentials {
    /// Whether an HTTP `Authorization` header value (Basic, or Bearer with an API key) or an
    /// `X-API-Key` value carries these credentials.
    package func accepts(authorization: String?, apiKey: String?) -> Bool {
        if let apiKey, apiKeyIndex(apiKey) != nil { return true }
        guard let authorization else { return false }
        let parts = authorization.split(separator: " ", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { return false }
        switch parts[0].lowercased() {
        case "bearer":
            return apiKeyIndex(parts[1].trimmingCharacters(in: .whitespaces)) != nil
        case "basic":
            guard let data = Data(base64Encoded: parts[1].trimmingCharacters(in: .whitespaces)),
                  let text = String(data: data, encoding: .utf8), let colon = text.firstIndex(of: ":") else { return false }
            return acceptsBasic(username: String(text[..<colon]), password: String(text[text.index(after: colon)...]))
        default:
            return false
        }
    }
}
