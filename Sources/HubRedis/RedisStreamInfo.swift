/// What `XINFO STREAM` reports about a stream.
public struct RedisStreamInfo: Sendable, Hashable {
    /// The number of entries.
    public var length: Int
    /// The number of consumer groups.
    public var groups: Int
    /// The ID of the last entry ever added (it may have been deleted since).
    public var lastGeneratedID: String
    /// How many entries were ever added (Redis 7+).
    public var entriesAdded: Int64?
    /// The largest ID ever deleted (Redis 7+).
    public var maxDeletedEntryID: String?
    /// The first entry, nil when the stream is empty.
    public var firstEntry: RedisStreamEntry?
    /// The last entry, nil when the stream is empty.
    public var lastEntry: RedisStreamEntry?

    init(stream: String, reply: RedisValue) throws {
        let fields = try RedisInfoFields(reply, command: "XINFO STREAM")
        length = Int(try fields.int("length"))
        groups = Int(try fields.int("groups"))
        lastGeneratedID = try fields.string("last-generated-id")
        entriesAdded = fields["entries-added"]?.int
        maxDeletedEntryID = fields["max-deleted-entry-id"]?.string
        firstEntry = try fields["first-entry"].flatMap { $0.isNull ? nil : try RedisStreamEntry(stream: stream, reply: $0, command: "XINFO STREAM") }
        lastEntry = try fields["last-entry"].flatMap { $0.isNull ? nil : try RedisStreamEntry(stream: stream, reply: $0, command: "XINFO STREAM") }
    }
}

/// What `XINFO GROUPS` reports about one consumer group.
public struct RedisStreamGroupInfo: Sendable, Hashable {
    /// The group's name.
    public var name: String
    /// How many consumers the group has.
    public var consumers: Int
    /// How many entries were delivered to the group's consumers and not yet acknowledged.
    public var pending: Int
    /// The ID of the last entry delivered to the group.
    public var lastDeliveredID: String
    /// The logical read counter of the group (Redis 7+; nil when Redis cannot tell).
    public var entriesRead: Int64?
    /// How many entries are still waiting to be delivered to the group (Redis 7+; nil when
    /// Redis cannot tell).
    public var lag: Int64?

    init(reply: RedisValue) throws {
        let fields = try RedisInfoFields(reply, command: "XINFO GROUPS")
        name = try fields.string("name")
        consumers = Int(try fields.int("consumers"))
        pending = Int(try fields.int("pending"))
        lastDeliveredID = try fields.string("last-delivered-id")
        entriesRead = fields["entries-read"]?.int
        lag = fields["lag"]?.int
    }
}

/// What `XINFO CONSUMERS` reports about one consumer of a group.
public struct RedisStreamConsumerInfo: Sendable, Hashable {
    /// The consumer's name.
    public var name: String
    /// How many entries it holds unacknowledged.
    public var pending: Int
    /// Milliseconds since it last interacted with the group (read, claimed or acknowledged).
    public var idleMilliseconds: Int64
    /// Milliseconds since it last read or claimed something successfully (Redis 7.2+).
    public var inactiveMilliseconds: Int64?

    init(reply: RedisValue) throws {
        let fields = try RedisInfoFields(reply, command: "XINFO CONSUMERS")
        name = try fields.string("name")
        pending = Int(try fields.int("pending"))
        idleMilliseconds = try fields.int("idle")
        inactiveMilliseconds = fields["inactive"]?.int
    }
}

/// A flat `[key, value, key, value, …]` reply as a lookup table.
struct RedisInfoFields {
    private var values: [String: RedisValue] = [:]
    private let command: String

    init(_ reply: RedisValue, command: String) throws {
        self.command = command
        guard let flat = reply.array, flat.count % 2 == 0 else {
            throw RedisError.unexpected(command, "not a flat list of names and values")
        }
        var index = 0
        while index < flat.count {
            guard let key = flat[index].string else { throw RedisError.unexpected(command, "a field name is not a string") }
            values[key] = flat[index + 1]
            index += 2
        }
    }

    subscript(key: String) -> RedisValue? { values[key] }

    func int(_ key: String) throws -> Int64 {
        guard let value = values[key]?.int else { throw RedisError.unexpected(command, "no integer '\(key)'") }
        return value
    }

    func string(_ key: String) throws -> String {
        guard let value = values[key]?.string else { throw RedisError.unexpected(command, "no '\(key)'") }
        return value
    }
}
