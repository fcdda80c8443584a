import Crypto
import HubCore
import Foundation

/// Short-lived bearer tokens for the dashboard page.
///
/// A browser that loaded the page with Basic Auth cannot add headers to a WebSocket upgrade, so the
/// page carries a token that its scripts send as `Authorization: Bearer …` and, for the WebSocket
/// only, as `?token=…`. A token is `<expiry>.<HMAC-SHA256(expiry|principal)>` under a key made
/// at start-up: it dies with the process and cannot be forged without the key.
package struct SessionTokens: Sendable {
    private let keyBytes: Data
    /// How long a token is valid.
    package let lifetime: Duration

    /// Creates a signer with a fresh random key.
    package init(lifetime: Duration = .seconds(12 * 3600)) {
        self.keyBytes = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
        self.lifetime = lifetime
    }

    /// A token for `principal` valid for ``lifetime``.
    package func issue(for principal: String, now: Date = Date()) -> String {
        let expiry = Int64(now.timeIntervalSince1970) + lifetime.components.seconds
        let name = Data(principal.utf8).base64EncodedString()
        return "\(expiry).\(name).\(signature(expiry: expiry, name: name))"
    }

    /// The principal of a valid, unexpired token; nil otherwise.
    package func verify(_ token: String, now: Date = Date()) -> String? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let expiry = Int64(parts[0]), expiry > Int64(now.timeIntervalSince1970) else { return nil }
        let expected = Array(signature(expiry: expiry, name: String(parts[1])).utf8)
        guard ServerCredentials.equal(Array(parts[2].utf8), expected),
              let data = Data(base64Encoded: String(parts[1])) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    private func signature(expiry: Int64, name: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data("\(expiry)|\(name)".utf8), using: SymmetricKey(data: keyBytes))
        return mac.map { String(format: "%02x", $0) }.joined()
    }
}
