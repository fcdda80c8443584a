extension RedisClient {
    private static let pingCommand: [RedisArgument] = ["PING"]

    /// Sends `PING` and returns the server's answer (`PONG`).
    @discardableResult
    public nonisolated(nonsending) func ping() async throws -> String {
        let reply = try await send(Self.pingCommand)
        guard let text = reply.string else { throw RedisError.unexpected("PING", "not a status reply") }
        return text
    }

    /// The bytes stored at `key`, or nil when the key does not exist.
    /// - Throws: ``RedisError`` `.server` with prefix `WRONGTYPE` when the key holds no string.
    public nonisolated(nonsending) func get(_ key: String) async throws -> [UInt8]? {
        switch try await send(["GET", RedisArgument(key)]) {
        case .bulk(let bytes): return bytes
        case .null: return nil
        default: throw RedisError.unexpected("GET", "not a bulk string")
        }
    }

    /// The value stored at `key` decoded as UTF-8, or nil when the key does not exist.
    public nonisolated(nonsending) func getString(_ key: String) async throws -> String? {
        try await get(key).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Stores `value` at `key`.
    /// - Parameters:
    ///   - expiresIn: a time to live (sent as `PX` milliseconds); nil keeps the key forever.
    ///   - onlyIfAbsent: sends `NX`: the value is stored only when the key does not exist yet.
    /// - Returns: false when `onlyIfAbsent` kept an existing value, true when the value was stored.
    @discardableResult
    public nonisolated(nonsending) func set(
        _ key: String, _ value: RedisArgument, expiresIn: Duration? = nil, onlyIfAbsent: Bool = false
    ) async throws -> Bool {
        var command: [RedisArgument] = ["SET", RedisArgument(key), value]
        if let expiresIn { command += ["PX", RedisArgument(max(1, expiresIn.milliseconds))] }
        if onlyIfAbsent { command.append("NX") }
        return try await send(command) != .null
    }

    /// Stores `bytes` at `key` (see ``set(_:_:expiresIn:onlyIfAbsent:)``).
    @discardableResult
    public nonisolated(nonsending) func set(
        _ key: String, _ bytes: [UInt8], expiresIn: Duration? = nil, onlyIfAbsent: Bool = false
    ) async throws -> Bool {
        try await set(key, RedisArgument(bytes), expiresIn: expiresIn, onlyIfAbsent: onlyIfAbsent)
    }

    /// Stores `text` at `key` (see ``set(_:_:expiresIn:onlyIfAbsent:)``).
    @discardableResult
    public nonisolated(nonsending) func set(
        _ key: String, _ text: String, expiresIn: Duration? = nil, onlyIfAbsent: Bool = false
    ) async throws -> Bool {
        try await set(key, RedisArgument(text), expiresIn: expiresIn, onlyIfAbsent: onlyIfAbsent)
    }

    /// Deletes `keys`; returns how many existed.
    @discardableResult
    public nonisolated(nonsending) func del(_ keys: [String]) async throws -> Int {
        guard !keys.isEmpty else { return 0 }
        return try await integer("DEL", send([RedisArgument("DEL")] + keys.map { RedisArgument($0) }))
    }

    /// Deletes `keys`; returns how many existed.
    @discardableResult
    public nonisolated(nonsending) func del(_ keys: String...) async throws -> Int {
        try await del(keys)
    }

    /// Adds `amount` to the integer at `key` (a missing key counts as 0) and returns the result.
    @discardableResult
    public nonisolated(nonsending) func incr(_ key: String, by amount: Int64 = 1) async throws -> Int64 {
        let reply = try await send(amount == 1 ? ["INCR", RedisArgument(key)] : ["INCRBY", RedisArgument(key), RedisArgument(amount)])
        guard case .integer(let value) = reply else { throw RedisError.unexpected("INCR", "not an integer") }
        return value
    }

    /// Sets a time to live on `key`; returns false when the key does not exist.
    @discardableResult
    public nonisolated(nonsending) func expire(_ key: String, in duration: Duration) async throws -> Bool {
        try await integer("PEXPIRE", send(["PEXPIRE", RedisArgument(key), RedisArgument(max(1, duration.milliseconds))])) == 1
    }

    /// The value of an integer reply, or an ``RedisError/Code/unexpectedReply`` error.
    func integer(_ command: String, _ reply: RedisValue) throws -> Int {
        guard case .integer(let value) = reply else { throw RedisError.unexpected(command, "not an integer") }
        return Int(value)
    }
}

extension Duration {
    /// The duration in whole milliseconds (rounded down).
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
