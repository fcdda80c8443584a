import Foundation

/// Everything that can go wrong talking to Redis.
///
/// One type for the whole module: ``code`` says which kind of failure it is (and is what callers
/// match on), ``message`` says what failed and ``hint`` what to do about it. ``description`` is a
/// single line built from both. Neither ever contains a password or a command argument (arguments
/// may carry user data); at most the command's name is mentioned.
public struct RedisError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure. Extensible: new codes may be added without breaking callers.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }

        /// The Redis URL could not be parsed or holds an unsupported value.
        public static let invalidURL = Code("invalidURL")
        /// The TCP or unix-socket connection could not be established.
        public static let connectionFailed = Code("connectionFailed")
        /// The server rejected the password (or needs one and none was given).
        public static let authenticationFailed = Code("authenticationFailed")
        /// The server did not answer within the command (or connect) timeout.
        public static let timeout = Code("timeout")
        /// The connection broke while a command was in flight; it may or may not have run.
        public static let connectionClosed = Code("connectionClosed")
        /// The server answered with an error reply (see ``RedisError/serverErrorPrefix``).
        public static let server = Code("server")
        /// The bytes from the server were not valid RESP.
        public static let protocolError = Code("protocolError")
        /// The reply had a shape the typed helper did not expect.
        public static let unexpectedReply = Code("unexpectedReply")
        /// The client was closed.
        public static let poolClosed = Code("poolClosed")
        /// The command itself is unusable (for example, it has no arguments at all).
        public static let invalidCommand = Code("invalidCommand")

        /// The code's name, such as `connectionFailed`.
        public var description: String { name }
    }

    /// Which kind of failure this is.
    public var code: Code
    /// What failed, in one sentence, without secrets or command arguments.
    public var message: String
    /// What to do about it, if there is something useful to say.
    public var hint: String?
    /// For ``Code/server`` errors: the first word of the error reply (`ERR`, `WRONGTYPE`,
    /// `BUSYGROUP`, `NOGROUP`, …).
    public var serverErrorPrefix: String?

    /// Creates an error.
    public init(code: Code, message: String, hint: String? = nil, serverErrorPrefix: String? = nil) {
        self.code = code
        self.message = message
        self.hint = hint
        self.serverErrorPrefix = serverErrorPrefix
    }

    /// One line: what failed, then what to do.
    public var description: String {
        let text = hint.map { "\(message) — \($0)" } ?? message
        return text.contains(where: \.isNewline) ? String(text.map { $0.isNewline ? " " : $0 }) : text
    }

    /// Turns an error reply into a thrown error, keeping only the command's name.
    static func serverReply(_ text: String, command: RedisArgument?) -> RedisError {
        let prefix = text.prefix { $0 != " " }
        let name = command?.commandName ?? "command"
        let reason = sanitizedServerMessage(text)
        if prefix == "NOAUTH" || prefix == "WRONGPASS" {
            return RedisError(
                code: .authenticationFailed, message: "Redis refused \(name): \(reason)",
                hint: "put the server's password in HUB_REDIS_URL (redis://:PASSWORD@host:port/db)",
                serverErrorPrefix: String(prefix))
        }
        return RedisError(code: .server, message: "Redis rejected \(name): \(reason)", serverErrorPrefix: String(prefix))
    }

    /// Redis echoes the arguments of unknown commands ("…, with args beginning with: 'x'"); they
    /// may be data, so that tail is cut off.
    static func sanitizedServerMessage(_ text: String) -> String {
        var reason = Substring(text)
        if let echo = reason.range(of: ", with args beginning with") { reason = reason[..<echo.lowerBound] }
        if reason.count > 200 { reason = reason.prefix(200) + "…" }
        return String(reason)
    }

    /// A typed helper met a reply it cannot decode.
    static func unexpected(_ command: String, _ what: String) -> RedisError {
        RedisError(code: .unexpectedReply, message: "unexpected reply to \(command): \(what)",
                   hint: "is the server Redis 6.2 or newer?")
    }
}
