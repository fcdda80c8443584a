/// An error from the PostgreSQL client: a failed connection, a server error with its SQLSTATE, a
/// cancelled query, an exhausted pool or a value that could not be decoded.
///
/// `description` is one line that says what failed and what to do. It never contains a password
/// or a bound parameter; the server's `detail` (which can quote row values, e.g. the duplicate key
/// of a unique violation) is kept in its own property and left out of `description`.
public struct PostgresError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is. Extensible: compare with the static members.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code's name.
        public let rawValue: String
        /// Creates a code.
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// The database URL could not be parsed.
        public static let invalidURL = Code("invalidURL")
        /// The server could not be reached or refused the connection.
        public static let connectionFailed = Code("connectionFailed")
        /// The server rejected the user name or password.
        public static let authenticationFailed = Code("authenticationFailed")
        /// The connection was lost while a statement was running or inside a transaction.
        public static let connectionClosed = Code("connectionClosed")
        /// The server reported an error; see ``PostgresError/sqlState``.
        public static let server = Code("server")
        /// The statement was cancelled (task cancellation or a statement timeout).
        public static let cancelled = Code("cancelled")
        /// No connection became free within the pool's acquire timeout.
        public static let poolTimeout = Code("poolTimeout")
        /// The pool was closed.
        public static let poolClosed = Code("poolClosed")
        /// A column could not be decoded into the requested Swift type.
        public static let decoding = Code("decoding")
        /// A bound parameter cannot be sent (e.g. text containing a NUL byte).
        public static let invalidParameter = Code("invalidParameter")
    }

    /// What kind of failure this is.
    public var code: Code
    /// A human-readable sentence (the server's primary message for server errors).
    public var message: String
    /// The five-character SQLSTATE of a server error (`23505` for a unique violation).
    public var sqlState: String?
    /// The server's detail line. May contain row values: not part of `description`.
    public var detail: String?
    /// The server's hint, or the client's advice on what to do.
    public var hint: String?
    /// The constraint named by the server (for integrity violations).
    public var constraint: String?
    /// The table named by the server, if any.
    public var table: String?

    /// Creates an error.
    public init(
        _ code: Code, _ message: String, sqlState: String? = nil, detail: String? = nil, hint: String? = nil,
        constraint: String? = nil, table: String? = nil
    ) {
        self.code = code
        self.message = message
        self.sqlState = sqlState
        self.detail = detail
        self.hint = hint
        self.constraint = constraint
        self.table = table
    }

    /// True for SQLSTATE 23505 (`unique_violation`).
    public var isUniqueViolation: Bool { sqlState == SQLState.uniqueViolation }
    /// True for SQLSTATE 40001 / 40P01 (serialization failure, deadlock): the transaction may be retried.
    public var isRetryableTransactionFailure: Bool {
        sqlState == SQLState.serializationFailure || sqlState == SQLState.deadlockDetected
    }

    public var description: String {
        var text = "PostgreSQL: " + message
        if let sqlState { text += " (SQLSTATE \(sqlState))" }
        if let constraint { text += " [constraint \(constraint)]" }
        if let hint { text += " — " + hint }
        return text
    }
}

/// Well-known SQLSTATE codes.
public enum SQLState {
    /// `23505 unique_violation`.
    public static let uniqueViolation = "23505"
    /// `23503 foreign_key_violation`.
    public static let foreignKeyViolation = "23503"
    /// `23514 check_violation`.
    public static let checkViolation = "23514"
    /// `23502 not_null_violation`.
    public static let notNullViolation = "23502"
    /// `57014 query_canceled`.
    public static let queryCanceled = "57014"
    /// `40001 serialization_failure`.
    public static let serializationFailure = "40001"
    /// `40P01 deadlock_detected`.
    public static let deadlockDetected = "40P01"
    /// `42P01 undefined_table`.
    public static let undefinedTable = "42P01"
    /// `55P03 lock_not_available`.
    public static let lockNotAvailable = "55P03"
    /// `0A000 feature_not_supported` (also "cached plan must not change result type").
    public static let featureNotSupported = "0A000"
    /// `57P01 admin_shutdown` (server restarted or shut down).
    public static let adminShutdown = "57P01"
}
