extension RedisClient {
    /// Entries of `stream` from `start` to `end` inclusive (`-` and `+` for the ends), at most `count`.
    public nonisolated(nonsending) func xrange(_ stream: String, start: String = "-", end: String = "+", count: Int? = nil) async throws -> [RedisStreamEntry] {
        var command: [RedisArgument] = ["XRANGE", RedisArgument(stream), RedisArgument(start), RedisArgument(end)]
        if let count { command += ["COUNT", RedisArgument(count)] }
        return try RedisStreamEntry.list(stream: stream, reply: await send(command), command: "XRANGE")
    }
}

extension RedisStreamEntry {
    /// Decodes the entries of an `XRANGE`/`XREVRANGE`/`XCLAIM` reply received through a pipeline.
    /// - Throws: ``RedisError`` when the reply is an error or not a list of entries.
    public static func entries(stream: String, reply: RedisValue) throws -> [RedisStreamEntry] {
        try list(stream: stream, reply: reply, command: "XRANGE")
    }
}
