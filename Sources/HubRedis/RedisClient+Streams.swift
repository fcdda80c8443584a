extension RedisClient {
    /// Appends an entry to `stream` (creating the stream) and returns its ID.
    /// - Parameters:
    ///   - id: `*` lets Redis choose a time-based ID.
    ///   - fields: the entry's fields in order; values may be text or bytes.
    ///   - maxLength: trims the stream to about this many entries (`MAXLEN ~ N`, or exactly
    ///     `MAXLEN N` when `approximate` is false); nil never trims.
    @discardableResult
    public nonisolated(nonsending) func xadd(
        _ stream: String, id: String = "*", fields: [(String, RedisArgument)], maxLength: Int? = nil, approximate: Bool = true
    ) async throws -> String {
        var command: [RedisArgument] = ["XADD", RedisArgument(stream)]
        command.reserveCapacity(7 + fields.count * 2)
        if let maxLength {
            command += approximate ? ["MAXLEN", "~", RedisArgument(maxLength)] : ["MAXLEN", RedisArgument(maxLength)]
        }
        command.append(RedisArgument(id))
        for (name, value) in fields {
            command.append(RedisArgument(name))
            command.append(value)
        }
        guard let entryID = try await send(command).string else { throw RedisError.unexpected("XADD", "no entry ID") }
        return entryID
    }

    /// Appends an entry whose field values are bytes (see ``xadd(_:id:fields:maxLength:approximate:)-(_,_,[(String,RedisArgument)],_,_)``).
    @discardableResult
    public nonisolated(nonsending) func xadd(
        _ stream: String, id: String = "*", fields: [(String, [UInt8])], maxLength: Int? = nil, approximate: Bool = true
    ) async throws -> String {
        try await xadd(stream, id: id, fields: fields.map { ($0.0, RedisArgument($0.1)) }, maxLength: maxLength, approximate: approximate)
    }

    /// Appends an entry whose field values are text.
    @discardableResult
    public nonisolated(nonsending) func xadd(
        _ stream: String, id: String = "*", fields: [(String, String)], maxLength: Int? = nil, approximate: Bool = true
    ) async throws -> String {
        try await xadd(stream, id: id, fields: fields.map { ($0.0, RedisArgument($0.1)) }, maxLength: maxLength, approximate: approximate)
    }

    /// Creates consumer group `group` on `stream`.
    /// - Parameters:
    ///   - startID: `$` delivers only entries added from now on, `0` the whole stream.
    ///   - makeStream: creates the stream if it does not exist (`MKSTREAM`).
    /// - Returns: false when the group already exists (`BUSYGROUP`), true when it was created.
    @discardableResult
    public nonisolated(nonsending) func xgroupCreate(
        _ stream: String, group: String, startID: String = "$", makeStream: Bool = false
    ) async throws -> Bool {
        var command: [RedisArgument] = ["XGROUP", "CREATE", RedisArgument(stream), RedisArgument(group), RedisArgument(startID)]
        if makeStream { command.append("MKSTREAM") }
        do {
            try await send(command)
            return true
        } catch let error as RedisError where error.serverErrorPrefix == "BUSYGROUP" {
            return false
        }
    }

    /// Removes `consumer` from `group`; returns how many entries it still held (they are no
    /// longer pending for anyone, so claim them first if they matter).
    @discardableResult
    public nonisolated(nonsending) func xgroupDelConsumer(_ stream: String, group: String, consumer: String) async throws -> Int {
        try await integer("XGROUP DELCONSUMER",
                          send(["XGROUP", "DELCONSUMER", RedisArgument(stream), RedisArgument(group), RedisArgument(consumer)]))
    }

    /// Reads entries for `consumer` of `group` (`XREADGROUP`).
    /// - Parameters:
    ///   - streams: stream names with the ID to read after: `>` for new entries, `0` for the
    ///     consumer's own pending entries.
    ///   - count: the most entries to return per stream.
    ///   - block: waits up to this long for new entries (`.zero` waits forever); nil returns at
    ///     once. Cancelling the task interrupts the wait. A blocked read holds one pooled
    ///     connection meanwhile, so leave room in ``RedisConfiguration/poolSize`` for other calls.
    ///   - noAck: entries are not added to the pending list (`NOACK`).
    /// - Returns: the entries of all streams in reply order; empty when nothing came.
    /// - Throws: ``RedisError`` `.server` with prefix `NOGROUP` when the group does not exist.
    public nonisolated(nonsending) func xreadgroup(
        group: String, consumer: String, streams: [(String, String)], count: Int? = nil, block: Duration? = nil,
        noAck: Bool = false
    ) async throws -> [RedisStreamEntry] {
        var command: [RedisArgument] = ["XREADGROUP", "GROUP", RedisArgument(group), RedisArgument(consumer)]
        if let count { command += ["COUNT", RedisArgument(count)] }
        if let block { command += ["BLOCK", RedisArgument(block.milliseconds)] }
        if noAck { command.append("NOACK") }
        command.append("STREAMS")
        command += streams.map { RedisArgument($0.0) }
        command += streams.map { RedisArgument($0.1) }
        let reply = if let block { try await send(command, blockingFor: block) } else { try await send(command) }
        if reply.isNull { return [] }
        guard let perStream = reply.array else { throw RedisError.unexpected("XREADGROUP", "not an array") }
        var entries: [RedisStreamEntry] = []
        for item in perStream {
            guard let pair = item.array, pair.count == 2, let name = pair[0].string else {
                throw RedisError.unexpected("XREADGROUP", "a stream is not [name, entries]")
            }
            entries += try RedisStreamEntry.list(stream: name, reply: pair[1], command: "XREADGROUP")
        }
        return entries
    }

    /// Reads entries of one stream for `consumer` of `group` (see
    /// ``xreadgroup(group:consumer:streams:count:block:noAck:)``).
    public nonisolated(nonsending) func xreadgroup(
        group: String, consumer: String, stream: String, id: String = ">", count: Int? = nil, block: Duration? = nil,
        noAck: Bool = false
    ) async throws -> [RedisStreamEntry] {
        try await xreadgroup(group: group, consumer: consumer, streams: [(stream, id)], count: count, block: block, noAck: noAck)
    }

    /// Acknowledges entries for `group`; returns how many were pending.
    @discardableResult
    public nonisolated(nonsending) func xack(_ stream: String, group: String, ids: [String]) async throws -> Int {
        guard !ids.isEmpty else { return 0 }
        return try await integer("XACK", send(["XACK", RedisArgument(stream), RedisArgument(group)] + ids.map { RedisArgument($0) }))
    }

    /// The number of entries in `stream` (0 when it does not exist).
    public nonisolated(nonsending) func xlen(_ stream: String) async throws -> Int {
        try await integer("XLEN", send(["XLEN", RedisArgument(stream)]))
    }

    /// Trims `stream` to `maxLength` entries (about that many when `approximate`); returns how
    /// many were removed.
    @discardableResult
    public nonisolated(nonsending) func xtrim(_ stream: String, maxLength: Int, approximate: Bool = true) async throws -> Int {
        let command: [RedisArgument] = approximate
            ? ["XTRIM", RedisArgument(stream), "MAXLEN", "~", RedisArgument(maxLength)]
            : ["XTRIM", RedisArgument(stream), "MAXLEN", RedisArgument(maxLength)]
        return try await integer("XTRIM", send(command))
    }

    /// Deletes entries from `stream`; returns how many existed.
    @discardableResult
    public nonisolated(nonsending) func xdel(_ stream: String, ids: [String]) async throws -> Int {
        guard !ids.isEmpty else { return 0 }
        return try await integer("XDEL", send(["XDEL", RedisArgument(stream)] + ids.map { RedisArgument($0) }))
    }
}
