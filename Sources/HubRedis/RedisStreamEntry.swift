/// One entry read from a Redis stream.
public struct RedisStreamEntry: Sendable, Hashable {
    /// One field of an entry; the value is kept byte for byte.
    public struct Field: Sendable, Hashable {
        /// The field's name.
        public var name: String
        /// The field's value.
        public var value: [UInt8]
        /// The value decoded as UTF-8 (invalid sequences become U+FFFD).
        public var string: String { String(decoding: value, as: UTF8.self) }

        /// Creates a field.
        public init(name: String, value: [UInt8]) {
            self.name = name
            self.value = value
        }
    }

    /// The stream the entry belongs to.
    public var stream: String
    /// The entry's ID (`1700000000000-0`).
    public var id: String
    /// The fields in the order they were added. Empty when the entry was deleted while still
    /// pending (Redis then returns its ID without fields).
    public var fields: [Field]

    /// Creates an entry.
    public init(stream: String, id: String, fields: [Field]) {
        self.stream = stream
        self.id = id
        self.fields = fields
    }

    /// The value of the first field named `name`.
    public func bytes(_ name: String) -> [UInt8]? {
        fields.first(where: { $0.name == name })?.value
    }

    /// The value of the first field named `name`, decoded as UTF-8.
    public subscript(name: String) -> String? {
        fields.first(where: { $0.name == name })?.string
    }

    /// Decodes `[id, [field, value, …]]` (the fields may be nil for a deleted entry).
    init(stream: String, reply: RedisValue, command: String) throws {
        guard let parts = reply.array, parts.count == 2, let id = parts[0].string else {
            throw RedisError.unexpected(command, "a stream entry is not [id, fields]")
        }
        var fields: [Field] = []
        if let flat = parts[1].array {
            guard flat.count % 2 == 0 else { throw RedisError.unexpected(command, "odd number of field items") }
            fields.reserveCapacity(flat.count / 2)
            var index = 0
            while index < flat.count {
                guard let name = flat[index].string, let value = flat[index + 1].bytes else {
                    throw RedisError.unexpected(command, "a field is not a pair of strings")
                }
                fields.append(Field(name: name, value: value))
                index += 2
            }
        }
        self.init(stream: stream, id: id, fields: fields)
    }

    /// Decodes an array of entries, skipping nil elements (deleted entries in old XCLAIM replies).
    static func list(stream: String, reply: RedisValue, command: String) throws -> [RedisStreamEntry] {
        if reply.isNull { return [] }
        guard let items = reply.array else { throw RedisError.unexpected(command, "entries are not an array") }
        return try items.compactMap { item in
            item.isNull ? nil : try RedisStreamEntry(stream: stream, reply: item, command: command)
        }
    }
}
