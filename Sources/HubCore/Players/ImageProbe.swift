import Foundation

/// Checks that bytes are a real PNG or JPEG image and reads its size — by content, never by the
/// file name — so a profile photo that After Effects cannot open is refused when registered, not
/// discovered at render time.
package enum ImageProbe {
    package enum Format: String, Sendable, Hashable, Codable { case png, jpeg }

    /// What the file is.
    package struct Info: Sendable, Hashable, Codable {
        package var format: Format
        package var width: Int
        package var height: Int
    }

    /// Reads the image header.
    /// - Throws: ``HubError`` `.usage` saying what the file is not.
    package static func inspect(_ data: Data, name: String = "the file") throws -> Info {
        let bytes = [UInt8](data.prefix(256 * 1024))
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) {
            // The first chunk must be IHDR: width and height as big-endian 32-bit numbers.
            guard bytes.count >= 24, Array(bytes[12..<16]) == Array("IHDR".utf8) else {
                throw HubError(.usage, "\(name) starts like a PNG but has no IHDR header: the file is damaged")
            }
            let width = Int(be32(bytes, 16)), height = Int(be32(bytes, 20))
            guard width > 0, height > 0 else { throw HubError(.usage, "\(name) is a PNG of size \(width)×\(height)") }
            return Info(format: .png, width: width, height: height)
        }
        if bytes.starts(with: [0xFF, 0xD8, 0xFF]) {
            // Walk the markers to a start-of-frame (SOF0–SOF15 but DHT, JPG, DAC).
            var index = 2
            while index + 9 < bytes.count {
                guard bytes[index] == 0xFF else { break }
                let marker = bytes[index + 1]
                if marker == 0xFF { index += 1; continue }
                let length = Int(bytes[index + 2]) << 8 | Int(bytes[index + 3])
                if (0xC0...0xCF).contains(marker) && ![0xC4, 0xC8, 0xCC].contains(marker) {
                    let height = Int(bytes[index + 5]) << 8 | Int(bytes[index + 6])
                    let width = Int(bytes[index + 7]) << 8 | Int(bytes[index + 8])
                    guard width > 0, height > 0 else { throw HubError(.usage, "\(name) is a JPEG of size \(width)×\(height)") }
                    return Info(format: .jpeg, width: width, height: height)
                }
                guard length >= 2 else { break }
                index += 2 + length
            }
            throw HubError(.usage, "\(name) starts like a JPEG but has no readable frame header: the file is damaged or truncated")
        }
        throw HubError(.usage, "\(name) is not a PNG or JPEG image (\(data.count) bytes; the content, not the name, decides)")
    }

    static func be32(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        bytes[offset..<offset + 4].reduce(0) { $0 << 8 | UInt32($1) }
    }
}
