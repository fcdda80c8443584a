import HubRedis
import HubTestSupport
import Testing

@Suite struct RedisStreamTests {
    @Test func consumerGroupDeliversEachEntryOnceAndTracksAcknowledgements() async throws {
        let redis = try await RedisTestSupport.client()
        let stream = RedisTestSupport.unique("stream")
        #expect(try await redis.xgroupCreate(stream, group: "g", startID: "0", makeStream: true))
        #expect(try await !redis.xgroupCreate(stream, group: "g", startID: "0", makeStream: true))

        var ids: [String] = []
        for index in 0..<10 {
            ids.append(try await redis.xadd(stream, fields: [("n", "\(index)")], maxLength: 1000))
        }
        let first = try await redis.xreadgroup(group: "g", consumer: "c1", stream: stream, count: 4)
        let second = try await redis.xreadgroup(group: "g", consumer: "c2", stream: stream, count: 100)
        #expect(first.count == 4)
        #expect(second.count == 6)
        #expect((first + second).map(\.id) == ids)
        #expect(first.allSatisfy { $0.stream == stream })
        #expect(second.map { $0["n"] } == (4..<10).map { "\($0)" })
        #expect(try await redis.xreadgroup(group: "g", consumer: "c1", stream: stream).isEmpty)

        let summary = try await redis.xpendingSummary(stream, group: "g")
        #expect(summary.count == 10)
        #expect(summary.smallestID == ids.first)
        #expect(summary.largestID == ids.last)
        #expect(Set(summary.consumers) == [.init(name: "c1", pending: 4), .init(name: "c2", pending: 6)])

        let pending = try await redis.xpending(stream, group: "g", count: 100)
        #expect(pending.map(\.id) == ids)
        #expect(pending.allSatisfy { $0.deliveryCount == 1 })
        let ofFirst = try await redis.xpending(stream, group: "g", count: 100, consumer: "c1")
        #expect(ofFirst.map(\.id) == first.map(\.id))

        #expect(try await redis.xack(stream, group: "g", ids: first.map(\.id)) == 4)
        #expect(try await redis.xack(stream, group: "g", ids: first.map(\.id)) == 0)
        #expect(try await redis.xpendingSummary(stream, group: "g").count == 6)

        let groups = try await redis.xinfoGroups(stream)
        #expect(groups.count == 1)
        #expect(groups.first?.name == "g")
        #expect(groups.first?.consumers == 2)
        #expect(groups.first?.pending == 6)
        #expect(groups.first?.lastDeliveredID == ids.last)
        #expect(groups.first?.entriesRead == 10)
        #expect(groups.first?.lag == 0)

        let consumers = try await redis.xinfoConsumers(stream, group: "g")
        #expect(Dictionary(uniqueKeysWithValues: consumers.map { ($0.name, $0.pending) }) == ["c1": 0, "c2": 6])
        #expect(consumers.allSatisfy { $0.idleMilliseconds >= 0 })

        let info = try await redis.xinfoStream(stream)
        #expect(info.length == 10)
        #expect(info.groups == 1)
        #expect(info.lastGeneratedID == ids.last)
        #expect(info.firstEntry?.id == ids.first)
        #expect(info.lastEntry?["n"] == "9")
        #expect(info.entriesAdded == 10)

        #expect(try await redis.xgroupDelConsumer(stream, group: "g", consumer: "c2") == 6)
        #expect(try await redis.xpendingSummary(stream, group: "g").count == 0)
        #expect(try await redis.xinfoConsumers(stream, group: "g").map(\.name) == ["c1"])
        try await redis.del(stream)
        await redis.close()
    }

    @Test func binaryFieldValuesRoundTrip() async throws {
        let redis = try await RedisTestSupport.client()
        let stream = RedisTestSupport.unique("binary-stream")
        try await redis.xgroupCreate(stream, group: "g", makeStream: true)
        let id = try await redis.xadd(stream, fields: [("payload", RedisTestSupport.awkwardBytes), ("empty", [])])
        let entries = try await redis.xreadgroup(group: "g", consumer: "c", streams: [(stream, ">")])
        #expect(entries.map(\.id) == [id])
        #expect(entries.first?.fields.map(\.name) == ["payload", "empty"])
        #expect(entries.first?.bytes("payload") == RedisTestSupport.awkwardBytes)
        #expect(entries.first?.bytes("empty") == [])
        try await redis.del(stream)
        await redis.close()
    }

    @Test func maxLengthAndTrimBoundTheStream() async throws {
        let redis = try await RedisTestSupport.client()
        let stream = RedisTestSupport.unique("trim")
        let commands = (0..<500).map { index -> [RedisArgument] in
            ["XADD", RedisArgument(stream), "MAXLEN", "~", 100, "*", "n", RedisArgument(index)]
        }
        _ = try await redis.pipeline(commands)
        let approximate = try await redis.xlen(stream)
        #expect(approximate >= 100 && approximate < 500)
        try await redis.xadd(stream, fields: [("n", "last")], maxLength: 50, approximate: false)
        #expect(try await redis.xlen(stream) == 50)
        #expect(try await redis.xtrim(stream, maxLength: 10, approximate: false) == 40)
        #expect(try await redis.xlen(stream) == 10)
        let last = try await redis.xinfoStream(stream).lastEntry
        #expect(try await redis.xdel(stream, ids: [try #require(last?.id)]) == 1)
        #expect(try await redis.xlen(stream) == 9)
        try await redis.del(stream)
        await redis.close()
    }

    @Test func readingAMissingGroupFailsWithNoGroup() async throws {
        let redis = try await RedisTestSupport.client()
        let stream = RedisTestSupport.unique("nogroup")
        try await redis.xadd(stream, fields: [("a", "b")])
        let error = await #expect(throws: RedisError.self) {
            try await redis.xreadgroup(group: "missing", consumer: "c", stream: stream)
        }
        #expect(error?.serverErrorPrefix == "NOGROUP")
        try await redis.del(stream)
        await redis.close()
    }
}
