extension RedisClient {
    /// The summary of what `group` has read from `stream` and not acknowledged.
    public nonisolated(nonsending) func xpendingSummary(_ stream: String, group: String) async throws -> RedisPendingSummary {
        try RedisPendingSummary(reply: await send(["XPENDING", RedisArgument(stream), RedisArgument(group)]))
    }

    /// The pending entries of `group` with their owners, idle times and delivery counts.
    /// - Parameters:
    ///   - start: the smallest ID to list (`-` for the beginning).
    ///   - end: the largest ID to list (`+` for the end).
    ///   - count: the most entries to return.
    ///   - consumer: lists only this consumer's entries.
    ///   - minIdle: lists only entries idle at least this long (`IDLE`, Redis 6.2+).
    public nonisolated(nonsending) func xpending(
        _ stream: String, group: String, start: String = "-", end: String = "+", count: Int,
        consumer: String? = nil, minIdle: Duration? = nil
    ) async throws -> [RedisPendingEntry] {
        var command: [RedisArgument] = ["XPENDING", RedisArgument(stream), RedisArgument(group)]
        if let minIdle { command += ["IDLE", RedisArgument(minIdle.milliseconds)] }
        command += [RedisArgument(start), RedisArgument(end), RedisArgument(count)]
        if let consumer { command.append(RedisArgument(consumer)) }
        guard let items = try await send(command).array else { throw RedisError.unexpected("XPENDING", "not an array") }
        return try items.map(RedisPendingEntry.init(reply:))
    }

    /// Moves the given pending entries to `consumer` if they have been idle at least `minIdle`;
    /// returns the entries claimed (entries deleted from the stream meanwhile are left out).
    public nonisolated(nonsending) func xclaim(
        _ stream: String, group: String, consumer: String, minIdle: Duration, ids: [String]
    ) async throws -> [RedisStreamEntry] {
        guard !ids.isEmpty else { return [] }
        let command: [RedisArgument] = ["XCLAIM", RedisArgument(stream), RedisArgument(group), RedisArgument(consumer),
                                        RedisArgument(minIdle.milliseconds)] + ids.map { RedisArgument($0) }
        return try RedisStreamEntry.list(stream: stream, reply: await send(command), command: "XCLAIM")
    }

    /// Scans the pending list from `start` and moves entries idle at least `minIdle` to
    /// `consumer` (the way to take over the work of a consumer that died).
    /// - Parameters:
    ///   - start: where to start scanning; pass the previous result's
    ///     ``RedisAutoClaimResult/nextStart`` to continue.
    ///   - count: the most entries to claim in this call (Redis' default is 100).
    public nonisolated(nonsending) func xautoclaim(
        _ stream: String, group: String, consumer: String, minIdle: Duration, start: String = "0-0", count: Int? = nil
    ) async throws -> RedisAutoClaimResult {
        var command: [RedisArgument] = ["XAUTOCLAIM", RedisArgument(stream), RedisArgument(group), RedisArgument(consumer),
                                        RedisArgument(minIdle.milliseconds), RedisArgument(start)]
        if let count { command += ["COUNT", RedisArgument(count)] }
        return try RedisAutoClaimResult(stream: stream, reply: await send(command))
    }

    /// General information about `stream` (`XINFO STREAM`).
    /// - Throws: ``RedisError`` `.server` when the stream does not exist.
    public nonisolated(nonsending) func xinfoStream(_ stream: String) async throws -> RedisStreamInfo {
        try RedisStreamInfo(stream: stream, reply: await send(["XINFO", "STREAM", RedisArgument(stream)]))
    }

    /// The consumer groups of `stream` (`XINFO GROUPS`).
    public nonisolated(nonsending) func xinfoGroups(_ stream: String) async throws -> [RedisStreamGroupInfo] {
        guard let items = try await send(["XINFO", "GROUPS", RedisArgument(stream)]).array else {
            throw RedisError.unexpected("XINFO GROUPS", "not an array")
        }
        return try items.map(RedisStreamGroupInfo.init(reply:))
    }

    /// The consumers of `group` (`XINFO CONSUMERS`).
    public nonisolated(nonsending) func xinfoConsumers(_ stream: String, group: String) async throws -> [RedisStreamConsumerInfo] {
        guard let items = try await send(["XINFO", "CONSUMERS", RedisArgument(stream), RedisArgument(group)]).array else {
            throw RedisError.unexpected("XINFO CONSUMERS", "not an array")
        }
        return try items.map(RedisStreamConsumerInfo.init(reply:))
    }
}
