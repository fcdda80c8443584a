import CHiredis
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One hiredis connection in blocking mode: connect, authenticate, send, read.
///
/// Not thread-safe and deliberately not `Sendable`: exactly one owner uses it — a
/// ``RedisConnection`` actor (on its own thread) or a subscription's thread. Every call blocks.
/// After any error other than an error *reply*, hiredis marks the context unusable; the owner
/// must drop it and connect a new one. Dropping it closes the socket.
final class RedisContext {
    private let raw: UnsafeMutablePointer<redisContext>
    private let configuration: RedisConfiguration
    // Scratch space for building argv, reused so sending a command allocates nothing.
    private var argumentBytes: [UInt8] = []
    private var argumentLengths: [Int] = []
    private var argumentPointers: [UnsafePointer<CChar>?] = []

    /// The socket's file descriptor.
    var fd: Int32 { raw.pointee.fd }

    private init(raw: UnsafeMutablePointer<redisContext>, configuration: RedisConfiguration) {
        self.raw = raw
        self.configuration = configuration
        argumentBytes.reserveCapacity(256)
        argumentLengths.reserveCapacity(16)
        argumentPointers.reserveCapacity(16)
    }

    deinit { redisFree(raw) }

    /// Connects, sets the command timeout and keep-alive, authenticates and selects the database.
    /// - Throws: ``RedisError`` `.connectionFailed`, `.authenticationFailed` or `.server`.
    static func connect(_ configuration: RedisConfiguration) throws(RedisError) -> RedisContext {
        let connectTimeout = timeval(configuration.connectTimeout)
        let pointer: UnsafeMutablePointer<redisContext>? = switch configuration.endpoint {
        case .tcp(let host, let port): redisConnectWithTimeout(host, Int32(port), connectTimeout)
        case .unix(let path): redisConnectUnixWithTimeout(path, connectTimeout)
        }
        guard let pointer else {
            throw RedisError(code: .connectionFailed, message: "cannot connect to Redis at \(configuration.address): out of memory")
        }
        if pointer.pointee.err != 0 {
            let reason = errorText(pointer)
            redisFree(pointer)
            throw RedisError(
                code: .connectionFailed, message: "cannot connect to Redis at \(configuration.address): \(reason)",
                hint: "is redis-server running? check HUB_REDIS_URL")
        }
        let context = RedisContext(raw: pointer, configuration: configuration)
        context.setTimeout(configuration.commandTimeout)
        if case .tcp = configuration.endpoint { _ = redisEnableKeepAlive(pointer) }
        try context.handshake()
        return context
    }

    private func handshake() throws(RedisError) {
        do throws(RedisError) {
            if let password = configuration.password {
                let auth: [RedisArgument] = configuration.user.map { ["AUTH", RedisArgument($0), RedisArgument(password)] }
                    ?? ["AUTH", RedisArgument(password)]
                if case .error(let text) = try command(auth) {
                    throw RedisError(
                        code: .authenticationFailed,
                        message: "Redis at \(configuration.address) rejected the credentials: \(RedisError.sanitizedServerMessage(text))",
                        hint: "check the user and password in HUB_REDIS_URL")
                }
            }
            if configuration.database != 0, case .error(let text) = try command(["SELECT", RedisArgument(configuration.database)]) {
                throw RedisError.serverReply(text, command: "SELECT")
            }
        } catch where error.code == .connectionClosed || error.code == .timeout || error.code == .protocolError {
            throw RedisError(
                code: .connectionFailed,
                message: "cannot connect to Redis at \(configuration.address): \(error.message)",
                hint: "is redis-server running and accepting clients? check HUB_REDIS_URL")
        }
    }

    /// Sets the socket's read and write timeout; nil waits forever.
    func setTimeout(_ duration: Duration?) {
        _ = redisSetTimeout(raw, duration.map(timeval.init) ?? timeval(tv_sec: 0, tv_usec: 0))
    }

    /// Sends one command and reads its reply (an error reply is returned, not thrown).
    func command(_ arguments: [RedisArgument]) throws(RedisError) -> RedisValue {
        try append(arguments)
        return try readReply()
    }

    /// Appends one command to the output buffer without sending it.
    func append(_ arguments: [RedisArgument]) throws(RedisError) {
        guard !arguments.isEmpty else {
            throw RedisError(code: .invalidCommand, message: "cannot send an empty Redis command")
        }
        argumentBytes.removeAll(keepingCapacity: true)
        argumentLengths.removeAll(keepingCapacity: true)
        argumentPointers.removeAll(keepingCapacity: true)
        for argument in arguments {
            let start = argumentBytes.count
            argument.append(to: &argumentBytes)
            argumentLengths.append(argumentBytes.count - start)
        }
        argumentBytes.append(0)  // never empty, so the base address is never nil
        let status = argumentBytes.withUnsafeBufferPointer { bytes -> Int32 in
            var cursor = UnsafeRawPointer(bytes.baseAddress!)
            for length in argumentLengths {
                argumentPointers.append(cursor.assumingMemoryBound(to: CChar.self))
                cursor += length
            }
            return argumentPointers.withUnsafeMutableBufferPointer { pointers in
                argumentLengths.withUnsafeBufferPointer { lengths in
                    redisAppendCommandArgv(raw, Int32(pointers.count), pointers.baseAddress, lengths.baseAddress)
                }
            }
        }
        if status != REDIS_OK { throw failure(errno) }
    }

    /// Flushes the output buffer if needed and blocks until one reply is read.
    func readReply() throws(RedisError) -> RedisValue {
        var reply: UnsafeMutableRawPointer?
        if redisGetReply(raw, &reply) != REDIS_OK || reply == nil {
            throw failure(errno)
        }
        return Self.take(reply!)
    }

    /// Writes the whole output buffer (used by subscriptions, which never call ``readReply()``).
    func flush() throws(RedisError) {
        var done: Int32 = 0
        while done == 0 {
            if redisBufferWrite(raw, &done) != REDIS_OK { throw failure(errno) }
        }
    }

    /// Reads whatever the socket has (one `read(2)`) into the reply reader.
    func fillReader() throws(RedisError) {
        if redisBufferRead(raw) != REDIS_OK { throw failure(errno) }
    }

    /// The next complete reply already in the reader, without touching the socket.
    func bufferedReply() throws(RedisError) -> RedisValue? {
        var reply: UnsafeMutableRawPointer?
        if redisGetReplyFromReader(raw, &reply) != REDIS_OK { throw failure(errno) }
        return reply.map(Self.take)
    }

    /// Converts a hiredis error state into a ``RedisError``.
    private func failure(_ savedErrno: Int32) -> RedisError {
        let reason = Self.errorText(raw)
        switch raw.pointee.err {
        case REDIS_ERR_IO where savedErrno == EAGAIN || savedErrno == EWOULDBLOCK:
            return RedisError(
                code: .timeout, message: "Redis at \(configuration.address) did not answer in time",
                hint: "the server may be overloaded or blocked; raise commandTimeout if this is expected")
        case REDIS_ERR_PROTOCOL:
            return RedisError(code: .protocolError, message: "invalid reply from Redis at \(configuration.address): \(reason)")
        case REDIS_ERR_OOM:
            return RedisError(code: .connectionClosed, message: "out of memory while talking to Redis")
        default:
            return RedisError(
                code: .connectionClosed, message: "connection to Redis at \(configuration.address) was lost: \(reason)",
                hint: "the server may have restarted; the command may or may not have run, and the next call reconnects")
        }
    }

    private static func errorText(_ context: UnsafeMutablePointer<redisContext>) -> String {
        withUnsafeBytes(of: context.pointee.errstr) { raw in
            let bytes = raw.prefix { $0 != 0 }
            return bytes.isEmpty ? "unknown error" : String(decoding: bytes, as: UTF8.self)
        }
    }

    /// Decodes a reply tree and frees it.
    private static func take(_ reply: UnsafeMutableRawPointer) -> RedisValue {
        defer { freeReplyObject(reply) }
        return decode(reply.assumingMemoryBound(to: redisReply.self))
    }

    private static func decode(_ reply: UnsafeMutablePointer<redisReply>) -> RedisValue {
        let node = reply.pointee
        switch node.type {
        case REDIS_REPLY_STRING:
            return .bulk(node.len == 0 ? [] : [UInt8](UnsafeRawBufferPointer(start: node.str, count: node.len)))
        case REDIS_REPLY_STATUS:
            return .status(String(decoding: UnsafeRawBufferPointer(start: node.str, count: node.len), as: UTF8.self))
        case REDIS_REPLY_ERROR:
            return .error(String(decoding: UnsafeRawBufferPointer(start: node.str, count: node.len), as: UTF8.self))
        case REDIS_REPLY_INTEGER:
            return .integer(node.integer)
        case REDIS_REPLY_ARRAY:
            var elements: [RedisValue] = []
            elements.reserveCapacity(node.elements)
            for index in 0..<node.elements {
                elements.append(node.element[index].map(decode) ?? .null)
            }
            return .array(elements)
        default:
            return .null
        }
    }
}

extension timeval {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self.init(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
    }
}
