/// An error from HubCore: bad configuration, a schema that does not match this build, a failed
/// migration, something not found. `description` is one line that says what happened and what to
/// do; it never contains a secret.
public struct HubError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure; also decides a command-line tool's exit status.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code's name.
        public let rawValue: String
        /// Creates a code.
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// Configuration is missing or malformed (a URL, a `.env` line, a number).
        public static let configuration = Code("configuration")
        /// The database schema is older than this build expects.
        public static let schemaBehind = Code("schemaBehind")
        /// The database schema is newer than this build knows.
        public static let schemaAhead = Code("schemaAhead")
        /// A migration could not be applied or reverted, or an applied one was edited.
        public static let migration = Code("migration")
        /// The thing asked for does not exist.
        public static let notFound = Code("notFound")
        /// The request itself is malformed (a usage error).
        public static let usage = Code("usage")
        /// A service (PostgreSQL, Redis) is unreachable or failing.
        public static let unavailable = Code("unavailable")
        /// The thing is in a state that does not allow the action (retry a completed job, …).
        public static let conflict = Code("conflict")
        /// A worker wrote with a lease token that is no longer current: another attempt owns the job.
        public static let leaseLost = Code("leaseLost")
    }

    /// The kind of failure.
    public var code: Code
    /// One sentence: what happened and what to do.
    public var message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}

/// Exit statuses shared by every hub executable (SPEC §8.2).
package enum HubExitCode {
    /// Success.
    package static let success: Int32 = 0
    /// A failure (the message says what and what to do).
    package static let failure: Int32 = 1
    /// A usage error: unknown flag, missing argument, malformed value.
    package static let usage: Int32 = 2
    /// The thing named (a job, a migration, a player) does not exist.
    package static let notFound: Int32 = 3

    /// The exit status for an error thrown by HubCore or a driver.
    package static func forError(_ error: any Error) -> Int32 {
        guard let hub = error as? HubError else { return failure }
        switch hub.code {
        case .usage: return usage
        case .notFound: return notFound
        default: return failure
        }
    }
}
