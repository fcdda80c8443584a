/// Why one file was skipped: the file, where in it, and the reason. Nothing of the file was written.
public struct SyncFileError: Error, Sendable, Hashable, Codable, CustomStringConvertible {
    /// The file's path.
    public var path: String
    /// Where in the file (`Hands[1].Players[3].HoleCards`, `line 4, column "chips"`), if known.
    public var position: String?
    /// What is wrong, in words an operator can act on.
    public var reason: String

    /// Creates an error.
    public init(path: String, position: String? = nil, reason: String) {
        self.path = path
        self.position = position
        self.reason = reason
    }

    public var description: String {
        position.map { "\(path) (\($0)): \(reason)" } ?? "\(path): \(reason)"
    }
}

/// A problem inside a file's content, before the file's path is attached.
struct ContentError: Error {
    var position: String?
    var reason: String
}
