/// The escapes of a JSON string (RFC 8259 §7), for the readers that decode JSON by hand:
/// ``JSONParser`` and ``GFXFastDecoder``.
enum JSONEscape {
    /// Decodes the escape whose letter is at `bytes[index]` (just after its backslash), appends it
    /// to `text` as UTF-8 and moves `index` past it.
    /// - Returns: false for an unknown letter, a `\u` without four hex digits, a lone surrogate, or
    ///   a text that ends inside the escape.
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>, at index: inout Int, into text: inout [UInt8]) -> Bool {
        guard index < bytes.count else { return false }
        let letter = bytes[index]
        index += 1
        switch letter {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): text.append(letter)
        case UInt8(ascii: "b"): text.append(0x08)
        case UInt8(ascii: "f"): text.append(0x0C)
        case UInt8(ascii: "n"): text.append(0x0A)
        case UInt8(ascii: "r"): text.append(0x0D)
        case UInt8(ascii: "t"): text.append(0x09)
        case UInt8(ascii: "u"):
            guard var scalar = hex4(bytes, at: &index) else { return false }
            if (0xD800..<0xDC00).contains(scalar) {
                // A high surrogate must be followed by an escaped low one.
                guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else { return false }
                index += 2
                guard let low = hex4(bytes, at: &index), (0xDC00..<0xE000).contains(low) else { return false }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00..<0xE000).contains(scalar) {
                return false
            }
            guard let unicode = Unicode.Scalar(scalar) else { return false }
            UTF8.encode(unicode) { text.append($0) }
        default:
            return false
        }
        return true
    }

    /// Four hex digits at `index` (moved past them), or nil.
    private static func hex4(_ bytes: UnsafeBufferPointer<UInt8>, at index: inout Int) -> UInt32? {
        guard index + 4 <= bytes.count else { return nil }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: return nil
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }
}
