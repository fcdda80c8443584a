/// The summary form of `XPENDING stream group`: what a consumer group has read but not acknowledged.
public struct RedisPendingSummary: Sendable, Hashable {
    /// How many entries one consumer holds.
    public struct Consumer: Sendable, Hashable {
        /// The consumer's name.
        public var name: String
        /// How many entries it read and has not acknowledged.
        public var pending: Int

        /// Creates a consumer line.
        public init(name: String, pending: Int) {
            self.name = name
            self.pending = pending
        }
    }

    /// The number of pending entries in the group.
    public var count: Int
    /// The smallest pending ID, nil when nothing is pending.
    public var smallestID: String?
    /// The largest pending ID, nil when nothing is pending.
    public var largestID: String?
    /// The consumers that hold pending entries, with their counts.
    public var consumers: [Consumer]

    init(reply: RedisValue) throws {
        guard let parts = reply.array, parts.count == 4, let count = parts[0].int else {
            throw RedisError.unexpected("XPENDING", "the summary is not [count, smallest, largest, consumers]")
        }
        self.count = Int(count)
        smallestID = parts[1].string
        largestID = parts[2].string
        consumers = try (parts[3].array ?? []).map { item in
            guard let pair = item.array, pair.count == 2, let name = pair[0].string, let pending = pair[1].int else {
                throw RedisError.unexpected("XPENDING", "a consumer is not [name, count]")
            }
            return Consumer(name: name, pending: Int(pending))
        }
    }
}

/// One line of the extended form of `XPENDING`: an entry delivered but not yet acknowledged.
public struct RedisPendingEntry: Sendable, Hashable {
    /// The entry's ID.
    public var id: String
    /// The consumer that holds it.
    public var consumer: String
    /// Milliseconds since it was last delivered.
    public var idleMilliseconds: Int64
    /// How many times it has been delivered.
    public var deliveryCount: Int

    init(reply: RedisValue) throws {
        guard let parts = reply.array, parts.count == 4, let id = parts[0].string, let consumer = parts[1].string,
              let idle = parts[2].int, let deliveries = parts[3].int
        else {
            throw RedisError.unexpected("XPENDING", "an entry is not [id, consumer, idle, deliveries]")
        }
        self.id = id
        self.consumer = consumer
        self.idleMilliseconds = idle
        self.deliveryCount = Int(deliveries)
    }
}

/// The result of `XAUTOCLAIM`: the entries moved to the claiming consumer.
public struct RedisAutoClaimResult: Sendable, Hashable {
    /// Where the next `XAUTOCLAIM` call should start; `0-0` when the whole pending list was scanned.
    public var nextStart: String
    /// The claimed entries (now owned by the claiming consumer).
    public var entries: [RedisStreamEntry]
    /// IDs that were pending but no longer exist in the stream; Redis removed them from the
    /// pending list (Redis 7+; always empty on 6.2).
    public var deletedIDs: [String]

    init(stream: String, reply: RedisValue) throws {
        // Redis 7 answers [next, entries, deleted IDs]; Redis 6.2 answers [next, entries].
        guard let parts = reply.array, parts.count == 2 || parts.count == 3, let next = parts[0].string else {
            throw RedisError.unexpected("XAUTOCLAIM", "the reply is not [next, entries, deleted]")
        }
        nextStart = next
        entries = try RedisStreamEntry.list(stream: stream, reply: parts[1], command: "XAUTOCLAIM")
        deletedIDs = parts.count == 3 ? (parts[2].array ?? []).compactMap(\.string) : []
    }
}
