/// Why one file was skipped: the file, where in it, and the reason. Nothing of the file was written.
package struct SyncFileError: Error, Sendable, Hashable, Codable, CustomStringConvertible {
    /// The file's path.
    package var path: String
    /// Where in the file (`Hands[1].Players[3].HoleCards`, `line 4, column "chips"`), if known.
    package var position: String?
    /// What is wrong, in words an operator can act on.
    package var reason: String

    /// Creates an error.
    /// The position and reason are made ``printable(_:)``: they go to the sync history, the
    /// notifications and the webhook.
    package init(path: String, position: String? = nil, reason: String) {
        self.path = path
        self.position = position.map { Self.printable($0) }
        self.reason = Self.printable(reason)
    }

    /// The longest reason kept, in characters: a reason quoting a value of the file (`'…' is not a
    /// whole number`) keeps its start and its end around an ellipsis.
    static let maxReasonCharacters = 600

    /// `text` with control characters (NUL, escape, newline, …) written as `\u{…}` and, when it is
    /// longer than ``maxReasonCharacters``, its middle replaced by `…`. Fuzzing found reasons of
    /// 200 KB (an unterminated quote in a CSV file makes the rest of the file one value) and with
    /// NUL characters, which PostgreSQL text cannot store: the failure could not even be recorded.
    static func printable(_ text: String) -> String {
        var out = ""
        var needsEscape = false
        for scalar in text.unicodeScalars where scalar.value < 0x20 || scalar.value == 0x7F || (0x80..<0xA0).contains(scalar.value) {
            needsEscape = true
            break
        }
        if needsEscape {
            out.reserveCapacity(text.utf8.count)
            for scalar in text.unicodeScalars {
                if scalar.value < 0x20 || scalar.value == 0x7F || (0x80..<0xA0).contains(scalar.value) {
                    out += "\\u{\(String(scalar.value, radix: 16))}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        } else {
            out = text
        }
        guard out.count > maxReasonCharacters else { return out }
        let head = out.prefix(maxReasonCharacters * 2 / 3), tail = out.suffix(maxReasonCharacters / 3 - 20)
        return "\(head) … (\(out.count - head.count - tail.count) characters left out) … \(tail)"
    }

    package var description: String {
        position.map { "\(path) (\($0)): \(reason)" } ?? "\(path): \(reason)"
    }
}

/// A problem inside a file's content, before the file's path is attached.
struct ContentError: Error {
    var position: String?
    var reason: String

    init(position: String? = nil, reason: String) {
        self.position = position.map { SyncFileError.printable($0) }
        self.reason = SyncFileError.printable(reason)
    }
}
