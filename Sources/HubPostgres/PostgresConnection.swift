import CLibPQ
import Foundation
import HubDriverSupport

/// One libpq connection, owned by an actor that runs on its own thread.
///
/// Every blocking libpq call happens on that thread (the actor's executor is a ``ThreadExecutor``),
/// never on Swift's cooperative pool. Most code uses a ``PostgresPool`` rather than connections
/// directly. A connection that the server closed while it was idle (a restart) is replaced with a
/// new one before the next statement is sent; one lost inside a transaction or during a statement
/// reports `.connectionClosed` instead, because the outcome of that work is unknown.
public actor PostgresConnection: PooledConnection {
    /// How this connection reaches the server.
    public let configuration: PostgresConfiguration
    /// The connection's own thread.
    public nonisolated let executor: ThreadExecutor
    private var handle: OpaquePointer?
    private let canceller = QueryCanceller()
    private let transactionFlag = AtomicFlag()
    private var generation: UInt64 = 0
    /// Statements prepared on this server session, by SQL text and parameter types.
    private var prepared: [PreparedKey: String] = [:]
    private var nextStatement = 0
    private var retryingPrepared = false
    /// When the last statement finished (monotonic nanoseconds); see ``ensureUsable()``.
    private var lastUsedNanos: UInt64 = 0

    /// How many times the connection was re-established after the server dropped it.
    public private(set) var reconnectCount = 0

    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    /// The connection's thread as a task executor: code run with this preference (see
    /// ``PostgresPool/withConnection(_:)``) executes on the connection's own thread, so the
    /// statements it awaits cost no thread switch.
    public nonisolated var taskExecutor: any TaskExecutor { executor.taskExecutor }

    /// Whether the calling code runs on this connection's own thread (true inside
    /// ``PostgresPool/withConnection(_:)`` bodies and ``PostgresPool/withAffinity(_:)``).
    public nonisolated var isRunningOnOwnThread: Bool { executor.isCurrent }

    /// Whether the last statement left a transaction open (readable from any thread; used by the pool).
    nonisolated var isInTransaction: Bool { transactionFlag.value }

    private init(configuration: PostgresConfiguration, threadName: String) {
        self.configuration = configuration
        self.executor = ThreadExecutor(name: threadName)
    }

    isolated deinit {
        if let handle { PQfinish(handle) }
        canceller.release()
        executor.shutdown()
    }

    /// Opens a connection.
    /// - Throws: ``PostgresError`` `.connectionFailed` or `.authenticationFailed` with a one-line
    ///   message naming the server and what to check.
    public static func connect(_ configuration: PostgresConfiguration, threadName: String = "hub-pg") async throws -> PostgresConnection {
        let connection = PostgresConnection(configuration: configuration, threadName: threadName)
        try await connection.open()
        return connection
    }

    /// Closes the libpq connection now. Later statements reconnect.
    public func close() {
        prepared.removeAll()
        canceller.set(nil)
        if let handle { PQfinish(handle) }
        handle = nil
        transactionFlag.value = false
    }

    private func open() throws {
        let parameters = configuration.connectionParameters
        let connection: OpaquePointer? = withCStringArrays(parameters.map(\.0), parameters.map(\.1)) { keywords, values in
            PQconnectdbParams(keywords, values, 0)
        }
        guard let connection else {
            throw PostgresError(.connectionFailed, "cannot allocate a PostgreSQL connection (out of memory)")
        }
        guard PQstatus(connection) == CONNECTION_OK else {
            let raw = String(cString: PQerrorMessage(connection))
            PQfinish(connection)
            throw Self.connectError(raw, configuration: configuration)
        }
        // libpq prints notices (and the server's goodbye on a restart) to stderr by default; the
        // errors that matter reach callers as PostgresError instead.
        PQsetNoticeProcessor(connection, { _, _ in }, nil)
        handle = connection
        prepared.removeAll()
        canceller.set(PQgetCancel(connection))
        transactionFlag.value = false
    }

    static func connectError(_ raw: String, configuration: PostgresConfiguration) -> PostgresError {
        var line = raw.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }.joined(separator: " ")
        // libpq says 'connection to server at "h", port p failed: FATAL:  …'; the endpoint is named by us.
        if let range = line.range(of: #"^connection to server (at|on) .*? failed: "#, options: .regularExpression) {
            line.removeSubrange(range)
        }
        line = line.replacingOccurrences(of: "FATAL:  ", with: "")
        if line.contains("password authentication failed") || line.contains("no password supplied")
            || line.contains("authentication failed") {
            return PostgresError(.authenticationFailed, "login rejected by \(configuration.endpoint): \(line)",
                                 hint: "check the user and password in HUB_DATABASE_URL")
        }
        if line.contains("does not exist") {
            return PostgresError(.connectionFailed, "cannot connect to \(configuration.endpoint): \(line)",
                                 hint: "check the database and user names in HUB_DATABASE_URL")
        }
        return PostgresError(.connectionFailed, "cannot connect to \(configuration.endpoint): \(line)",
                             hint: "is the server running? start it (scripts/hub-services start) or fix HUB_DATABASE_URL")
    }

    // MARK: Statements

    /// Runs one statement with bound parameters and returns its rows.
    ///
    /// Cancelling the calling task sends a cancel request to the server; the statement stops and
    /// ``PostgresError`` `.cancelled` is thrown (`CancellationError` when the task was cancelled
    /// before the statement was sent).
    ///
    /// Called on the connection's own thread (a ``PostgresPool/withConnection(_:)`` body, an
    /// affinity loop), the statement runs right there, with no executor hop: the thread is the
    /// actor's executor and nothing else of the actor can run while the caller occupies it.
    @discardableResult
    public nonisolated func query(_ query: PostgresQuery) async throws -> PostgresResult {
        guard executor.isCurrent else { return try await isolatedQuery(query) }
        try Task.checkCancellation()
        let token = try beginStatementHere()
        try Task.checkCancellation()
        let canceller = self.canceller
        canceller.begin(token)
        defer { canceller.end() }
        return try await withTaskCancellationHandler {
            try self.runHere(query)
        } onCancel: {
            canceller.cancel(token)
        }
    }

    /// ``beginStatement()`` from this connection's own thread (which is its executor).
    private nonisolated func beginStatementHere() throws -> UInt64 {
        try assumeIsolated { try $0.beginStatement() }
    }

    /// ``run(_:)`` from this connection's own thread (which is its executor).
    private nonisolated func runHere(_ query: PostgresQuery) throws -> PostgresResult {
        try assumeIsolated { try $0.run(query) }
    }

    /// ``query(_:)`` from another thread: the actor hop runs it on the connection's thread.
    private func isolatedQuery(_ query: PostgresQuery) async throws -> PostgresResult {
        try Task.checkCancellation()
        let token = try beginStatement()
        // A reconnect can take seconds: look again before sending.
        try Task.checkCancellation()
        let canceller = self.canceller
        canceller.begin(token)
        defer { canceller.end() }
        return try await withTaskCancellationHandler {
            try run(query)
        } onCancel: {
            canceller.cancel(token)
        }
    }

    /// Reconnects a connection the server dropped while idle, and numbers the next statement.
    private func beginStatement() throws -> UInt64 {
        try ensureUsable()
        generation &+= 1
        return generation
    }

    /// Runs a statement and returns the number of rows it affected.
    @discardableResult
    public func execute(_ query: PostgresQuery) async throws -> Int {
        try await self.query(query).affectedRows
    }

    /// Runs a SQL script of several statements with no parameters (simple query protocol).
    ///
    /// For migrations and fixed DDL only: it takes no values, so nothing can be pasted into it.
    public func executeScript(_ script: StaticOrFileSQL) async throws {
        try Task.checkCancellation()
        try ensureUsable()
        guard let handle else { throw closedError() }
        let result = PQexec(handle, script.text)
        defer { PQclear(result) }
        _ = try makeResult(result, handle: handle)
    }

    /// Runs `body` inside `BEGIN … COMMIT` on this connection; if `body` throws (or the task is
    /// cancelled) the transaction is rolled back and the error rethrown.
    public nonisolated func withTransaction<T>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await query("BEGIN")
        do {
            let value = try await body(self)
            try await query("COMMIT")
            return value
        } catch {
            await rollbackIfOpen()
            throw error
        }
    }

    /// Rolls back an open transaction, ignoring cancellation (used on error paths). A transaction
    /// whose connection was lost is over (the server rolled it back): this clears that state.
    func rollbackIfOpen() {
        guard transactionFlag.value else { return }
        guard let handle, PQstatus(handle) == CONNECTION_OK else {
            close()
            return
        }
        let result = PQexec(handle, "ROLLBACK")
        PQclear(result)
        transactionFlag.value = PQtransactionStatus(handle) != PQTRANS_IDLE
    }

    private func run(_ query: PostgresQuery) throws -> PostgresResult {
        guard let handle else { throw closedError() }
        let sql = query.sql
        let bindings = query.bindings
        // Statements are prepared once per connection and executed by name afterwards: the server
        // parses and plans a statement once instead of on every call.
        let key = PreparedKey(sql: sql, types: bindings.map(\.type.oid))
        let name = try preparedName(for: key, handle: handle)
        let result: OpaquePointer?
        if bindings.isEmpty {
            result = PQexecPrepared(handle, name, 0, nil, nil, nil, 0)
        } else {
            result = try Self.withParameterArrays(bindings) { count, _, values, lengths, formats in
                PQexecPrepared(handle, name, count, values, lengths, formats, 0)
            }
        }
        defer { PQclear(result) }
        do {
            return try makeResult(result, handle: handle)
        } catch let error as PostgresError where error.sqlState == SQLState.featureNotSupported && error.message.contains("cached plan") {
            // The schema changed under a prepared statement (the server refuses it before running
            // anything): prepare it again once.
            prepared.removeValue(forKey: key)
            guard !retryingPrepared else { throw error }
            retryingPrepared = true
            defer { retryingPrepared = false }
            return try run(query)
        }
    }

    /// The server-side name of the prepared statement for `key`, preparing it first if needed.
    private func preparedName(for key: PreparedKey, handle: OpaquePointer) throws -> String {
        if let name = prepared[key] { return name }
        if prepared.count >= 512 {
            // A bounded cache: forget everything (DEALLOCATE ALL) rather than grow without end.
            PQclear(PQexec(handle, "DEALLOCATE ALL"))
            prepared.removeAll()
        }
        nextStatement &+= 1
        let name = "hub_s\(nextStatement)"
        let types = key.types
        let result = types.withUnsafeBufferPointer { buffer in
            PQprepare(handle, name, key.sql, Int32(types.count), buffer.baseAddress)
        }
        defer { PQclear(result) }
        _ = try makeResult(result, handle: handle)
        prepared[key] = name
        return name
    }

    /// Builds the C arrays for `PQexecParams` from the binds, keeping all bytes alive for the call.
    private static func withParameterArrays<R>(
        _ bindings: [PostgresBind],
        _ body: (Int32, UnsafePointer<Oid>, UnsafePointer<UnsafePointer<CChar>?>, UnsafePointer<Int32>, UnsafePointer<Int32>) -> R
    ) throws -> R {
        var buffer: [UInt8] = []
        var offsets: [Int] = []
        var types: [Oid] = []
        var lengths: [Int32] = []
        var formats: [Int32] = []
        offsets.reserveCapacity(bindings.count)
        types.reserveCapacity(bindings.count)
        lengths.reserveCapacity(bindings.count)
        formats.reserveCapacity(bindings.count)
        for (i, bind) in bindings.enumerated() {
            types.append(bind.type.oid)
            formats.append(bind.format.rawValue)
            guard let bytes = bind.bytes else {
                offsets.append(-1)
                lengths.append(0)
                continue
            }
            if bind.format == .text, bytes.contains(0) {
                throw PostgresError(.invalidParameter, "parameter $\(i + 1) contains a NUL byte, which PostgreSQL text cannot store",
                                    hint: "send binary data as Data (bytea)")
            }
            offsets.append(buffer.count)
            lengths.append(Int32(bytes.count))
            buffer.append(contentsOf: bytes)
            buffer.append(0)
        }
        return buffer.withUnsafeBufferPointer { raw in
            let base = UnsafeRawPointer(raw.baseAddress!).assumingMemoryBound(to: CChar.self)
            let values: [UnsafePointer<CChar>?] = offsets.map { $0 < 0 ? nil : base + $0 }
            return body(Int32(bindings.count), types, values, lengths, formats)
        }
    }

    private func makeResult(_ result: OpaquePointer?, handle: OpaquePointer) throws -> PostgresResult {
        let status = result.map(PQresultStatus) ?? PGRES_FATAL_ERROR
        // PQTRANS_UNKNOWN means the link is gone: keep what we knew, so a transaction that was open
        // is reported lost instead of the next statement silently running on its own.
        let transaction = PQtransactionStatus(handle)
        if transaction != PQTRANS_UNKNOWN {
            transactionFlag.value = transaction == PQTRANS_INTRANS || transaction == PQTRANS_INERROR || transaction == PQTRANS_ACTIVE
        }
        switch status {
        case PGRES_TUPLES_OK, PGRES_COMMAND_OK, PGRES_EMPTY_QUERY, PGRES_SINGLE_TUPLE:
            return Self.copyResult(result!)
        default:
            throw serverError(result, handle: handle)
        }
    }

    private func serverError(_ result: OpaquePointer?, handle: OpaquePointer) -> PostgresError {
        func field(_ code: Int32) -> String? {
            guard let result, let p = PQresultErrorField(result, code) else { return nil }
            return String(cString: p)
        }
        let sqlState = field(Int32(UInt8(ascii: "C")))
        if PQstatus(handle) == CONNECTION_BAD {
            let inTransaction = transactionFlag.value
            return PostgresError(.connectionClosed,
                                 "the connection to PostgreSQL at \(configuration.endpoint) was lost while a statement ran (server restarted or stopped?); its outcome is unknown",
                                 sqlState: sqlState,
                                 hint: inTransaction ? "the transaction is lost: retry the whole transaction" : "retry; the next statement reconnects")
        }
        var message = field(Int32(UInt8(ascii: "M")))
            ?? String(cString: PQerrorMessage(handle)).trimmingCharacters(in: .whitespacesAndNewlines)
        // Data errors (class 22) quote the offending value, which may be a bound parameter.
        if sqlState?.hasPrefix("22") == true, let first = message.firstIndex(of: "\""), let last = message.lastIndex(of: "\""), first < last {
            message.replaceSubrange(first...last, with: "\"…\"")
        }
        if sqlState == SQLState.queryCanceled, Task.isCancelled {
            return PostgresError(.cancelled, "the statement was cancelled", sqlState: sqlState)
        }
        return PostgresError(
            sqlState == SQLState.queryCanceled ? .cancelled : .server,
            message,
            sqlState: sqlState,
            detail: field(Int32(UInt8(ascii: "D"))),
            hint: field(Int32(UInt8(ascii: "H"))),
            constraint: field(Int32(UInt8(ascii: "n"))),
            table: field(Int32(UInt8(ascii: "t")))
        )
    }

    private static func copyResult(_ result: OpaquePointer) -> PostgresResult {
        let rows = Int(PQntuples(result))
        let fields = Int(PQnfields(result))
        var columns: [PostgresResult.Column] = []
        columns.reserveCapacity(fields)
        for f in 0..<fields {
            columns.append(.init(name: String(cString: PQfname(result, Int32(f))), type: PostgresType(oid: PQftype(result, Int32(f)))))
        }
        var storage: [UInt8] = []
        var cells: [(offset: Int32, length: Int32)] = []
        cells.reserveCapacity(rows * fields)
        for r in 0..<rows {
            for f in 0..<fields {
                if PQgetisnull(result, Int32(r), Int32(f)) != 0 {
                    cells.append((0, -1))
                    continue
                }
                let length = Int(PQgetlength(result, Int32(r), Int32(f)))
                cells.append((Int32(storage.count), Int32(length)))
                if length > 0, let value = PQgetvalue(result, Int32(r), Int32(f)) {
                    value.withMemoryRebound(to: UInt8.self, capacity: length) { p in
                        storage.append(contentsOf: UnsafeBufferPointer(start: p, count: length))
                    }
                }
            }
        }
        let tag = String(cString: PQcmdStatus(result))
        let affected = Int(String(cString: PQcmdTuples(result))) ?? 0
        return PostgresResult(columns: columns, storage: storage, cells: cells, rowCount: rows, affectedRows: affected, commandTag: tag)
    }

    // MARK: COPY

    /// Runs `statement`, a `COPY … FROM STDIN` (fixed text: no values go into it), and sends `data`,
    /// the rows in the statement's format (the text format: columns separated by tabs, rows ended
    /// by newlines, `\N` for NULL, backslash, tab, newline and carriage return escaped with a
    /// backslash). Returns the number of rows copied. A row the server refuses fails the whole
    /// COPY, and its transaction, with the server's error; a lost connection is reported as for
    /// ``query(_:)``. Bulk loads: for the import's tables a COPY costs the server about half of
    /// what an `INSERT … SELECT FROM unnest(…)` of the same rows does.
    @discardableResult
    public nonisolated func copyIn(_ statement: StaticString, data: [UInt8]) async throws -> Int {
        guard executor.isCurrent else { return try await isolatedCopyIn(statement, data: data) }
        try Task.checkCancellation()
        let token = try beginStatementHere()
        try Task.checkCancellation()
        let canceller = self.canceller
        canceller.begin(token)
        defer { canceller.end() }
        return try await withTaskCancellationHandler {
            try self.copyHere(statement, data: data)
        } onCancel: {
            canceller.cancel(token)
        }
    }

    /// ``copy(_:data:)`` from this connection's own thread (which is its executor).
    private nonisolated func copyHere(_ statement: StaticString, data: [UInt8]) throws -> Int {
        try assumeIsolated { try $0.copy(statement, data: data) }
    }

    /// ``copyIn(_:data:)`` from another thread: the actor hop runs it on the connection's thread.
    private func isolatedCopyIn(_ statement: StaticString, data: [UInt8]) async throws -> Int {
        try Task.checkCancellation()
        let token = try beginStatement()
        try Task.checkCancellation()
        let canceller = self.canceller
        canceller.begin(token)
        defer { canceller.end() }
        return try await withTaskCancellationHandler {
            try copy(statement, data: data)
        } onCancel: {
            canceller.cancel(token)
        }
    }

    private func copy(_ statement: StaticString, data: [UInt8]) throws -> Int {
        guard let handle else { throw closedError() }
        let text = UnsafeRawPointer(statement.utf8Start).assumingMemoryBound(to: CChar.self)
        let reply = PQexec(handle, text)
        guard let started = reply, PQresultStatus(started) == PGRES_COPY_IN else {
            defer { PQclear(reply) }
            _ = try makeResult(reply, handle: handle)
            throw PostgresError(.invalidParameter, "\(statement) is not a COPY … FROM STDIN")
        }
        PQclear(started)
        var sent = true
        data.withUnsafeBufferPointer { buffer in
            var offset = 0
            while sent, offset < buffer.count {
                let count = min(1 << 20, buffer.count - offset)
                let chunk = UnsafeRawPointer(buffer.baseAddress! + offset).assumingMemoryBound(to: CChar.self)
                sent = PQputCopyData(handle, chunk, Int32(count)) == 1
                offset += count
            }
        }
        // The COPY ends either way; with a message when the data could not all be sent (the
        // server then fails it, or the connection is gone).
        _ = PQputCopyEnd(handle, sent ? nil : "the client could not send all the rows")
        let result = PQgetResult(handle)
        defer { PQclear(result) }
        while let more = PQgetResult(handle) { PQclear(more) }
        return try makeResult(result, handle: handle).affectedRows
    }

    // MARK: Health

    /// Makes sure there is a live connection before a statement is sent: reconnects when the server
    /// closed an idle connection, but refuses when a transaction was open (its work is gone).
    private func ensureUsable() throws {
        guard let handle else {
            if transactionFlag.value { throw lostTransactionError() }
            try open()
            return
        }
        // A server that restarts closes idle connections; look at the socket (one poll) before
        // sending, unless this connection was in use a moment ago (back-to-back statements).
        let now = Self.monotonicNanos()
        let recentlyUsed = now &- lastUsedNanos < 2_000_000
        lastUsedNanos = now
        if PQstatus(handle) == CONNECTION_OK && (recentlyUsed || !Self.serverClosed(handle)) { return }
        if transactionFlag.value {
            // Stays refused (the flag is kept) until the transaction is rolled back.
            canceller.set(nil)
            PQfinish(handle)
            self.handle = nil
            throw lostTransactionError()
        }
        close()
        try open()
        reconnectCount += 1
    }

    private func lostTransactionError() -> PostgresError {
        PostgresError(.connectionClosed,
                      "the connection to PostgreSQL at \(configuration.endpoint) was lost inside a transaction; the server rolled it back",
                      hint: "roll back and retry the whole transaction")
    }

    /// Looks at an idle connection's socket without blocking: data waiting on an idle connection is
    /// either a notice or the server saying goodbye; consume it and report whether the link is gone.
    private static func serverClosed(_ handle: OpaquePointer) -> Bool {
        let fd = PQsocket(handle)
        guard fd >= 0 else { return true }
        for _ in 0..<4 {
            switch SocketWait.readable(fd, timeoutMilliseconds: 0) {
            case .timeout: return PQstatus(handle) != CONNECTION_OK
            case .failed: return true
            case .readable:
                if PQconsumeInput(handle) == 0 || PQstatus(handle) != CONNECTION_OK { return true }
            }
        }
        return PQstatus(handle) != CONNECTION_OK
    }

    private static func monotonicNanos() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }

    private func closedError() -> PostgresError {
        PostgresError(.connectionClosed, "the PostgreSQL connection is closed")
    }

    // MARK: Notifications

    /// Blocks this connection's thread delivering notifications until `stop` is set or the link breaks.
    func runNotificationLoop(stop: AtomicFlag, deliver: (PostgresNotification) -> Void) -> PostgresError? {
        while !stop.value {
            guard let handle, PQstatus(handle) == CONNECTION_OK else {
                return PostgresError(.connectionClosed, "the LISTEN connection to PostgreSQL at \(configuration.endpoint) was lost",
                                     hint: "listen again; notifications sent meanwhile were missed, so re-read the state from the tables")
            }
            // Notifications libpq already read (e.g. during the LISTEN statements) come first.
            while let notify = PQnotifies(handle) {
                let n = notify.pointee
                deliver(PostgresNotification(channel: String(cString: n.relname), payload: String(cString: n.extra), processID: Int(n.be_pid)))
                PQfreemem(notify)
            }
            let fd = PQsocket(handle)
            switch SocketWait.readable(fd, timeoutMilliseconds: 200) {
            case .timeout: continue
            case .failed:
                close()
                continue
            case .readable:
                if PQconsumeInput(handle) == 0 { close(); continue }
            }
        }
        close()
        return nil
    }
}

/// SQL text that is fixed by the program (a literal or a migration file), never built from values.
public struct StaticOrFileSQL: Sendable, ExpressibleByStringLiteral {
    let text: String
    /// A literal script.
    public init(stringLiteral value: StaticString) { text = "\(value)" }
    /// The contents of a migration file.
    public static func file(contents: String) -> StaticOrFileSQL { StaticOrFileSQL(text: contents) }
    private init(text: String) { self.text = text }
}

/// Calls `body` with NULL-terminated C string arrays for `PQconnectdbParams`.
private func withCStringArrays<R>(_ keys: [String], _ values: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>, UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    let keyCopies = keys.map { strdup($0) }
    let valueCopies = values.map { strdup($0) }
    defer {
        keyCopies.forEach { free($0) }
        valueCopies.forEach { free($0) }
    }
    let k: [UnsafePointer<CChar>?] = keyCopies.map { UnsafePointer($0) } + [nil]
    let v: [UnsafePointer<CChar>?] = valueCopies.map { UnsafePointer($0) } + [nil]
    return body(k, v)
}

/// Identifies a prepared statement: its text and the declared types of its parameters.
struct PreparedKey: Hashable {
    var sql: String
    var types: [Oid]
}
