import Crypto
import Foundation

/// Lower-case hexadecimal text of bytes and digests (checksums, cache keys, fingerprints).
package enum Hex {
    /// `bytes` as lower-case hex, two digits per byte.
    package static func string(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// SHA-256 of `data` as lower-case hex (64 digits).
    package static func sha256(_ data: some DataProtocol) -> String {
        string(SHA256.hash(data: data))
    }
}
