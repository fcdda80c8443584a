import HubRedis
import HubTestSupport
import Testing

@Suite(.timeLimit(.minutes(3))) struct RedisStreamRecoveryTests {
    @Test func deadConsumersEntriesAreReclaimedByAutoclaimAndClaim() async throws {
        let redis = try await RedisTestSupport.client()
        let stream = RedisTestSupport.unique("reclaim")
        try await redis.xgroupCreate(stream, group: "g", makeStream: true)
        var ids: [String] = []
        for index in 0..<4 { ids.append(try await redis.xadd(stream, fields: [("job", "\(index)")])) }

        // "dead" reads everything and never acknowledges.
        let taken = try await redis.xreadgroup(group: "g", consumer: "dead", stream: stream)
        #expect(taken.map(\.id) == ids)
        // Too fresh to steal with a long min-idle.
        let tooEarly = try await redis.xautoclaim(stream, group: "g", consumer: "alive", minIdle: .seconds(3600))
        #expect(tooEarly.entries.isEmpty)

        // One of the dead consumer's entries disappears from the stream meanwhile.
        #expect(try await redis.xdel(stream, ids: [ids[3]]) == 1)

        // XAUTOCLAIM drops deleted entries from the pending list whatever their idle time, so the
        // deleted ID may be reported by any of the calls.
        let claimed = LockedBox<RedisAutoClaimResult?>(nil)
        let deleted = Received<String>()
        try await waitUntil("the dead consumer's entries to be idle for 50 ms and claimed") {
            let result = try await redis.xautoclaim(stream, group: "g", consumer: "alive", minIdle: .milliseconds(50), count: 10)
            result.deletedIDs.forEach(deleted.append)
            if result.entries.isEmpty { return false }
            claimed.withLock { $0 = result }
            return true
        }
        let result = try #require(claimed.withLock { $0 })
        #expect(result.entries.map(\.id) == Array(ids[0..<3]))
        #expect(result.entries.map { $0["job"] } == ["0", "1", "2"])
        #expect(deleted.all == [ids[3]])
        #expect(result.nextStart == "0-0")

        let pending = try await redis.xpending(stream, group: "g", count: 10)
        #expect(pending.map(\.consumer) == ["alive", "alive", "alive"])
        #expect(pending.map(\.deliveryCount) == [2, 2, 2])
        #expect(try await redis.xpending(stream, group: "g", count: 10, minIdle: .seconds(3600)).isEmpty)

        // XCLAIM moves one specific entry to a third consumer.
        let reassigned = try await redis.xclaim(stream, group: "g", consumer: "third", minIdle: .zero, ids: [ids[1]])
        #expect(reassigned.map(\.id) == [ids[1]])
        #expect(reassigned.first?["job"] == "1")
        #expect(try await redis.xpending(stream, group: "g", count: 10, consumer: "third").map(\.id) == [ids[1]])
        #expect(try await redis.xpendingSummary(stream, group: "g").consumers.map(\.name).sorted() == ["alive", "third"])

        #expect(try await redis.xack(stream, group: "g", ids: Array(ids[0..<3])) == 3)
        #expect(try await redis.xgroupDelConsumer(stream, group: "g", consumer: "dead") == 0)
        try await redis.del(stream)
        await redis.close()
    }

    @Test func blockingReadReturnsWhenAnEntryArrives() async throws {
        let readerClient = try await RedisTestSupport.client(poolSize: 1)
        let redis = try await RedisTestSupport.client()
        let stream = RedisTestSupport.unique("block")
        try await redis.xgroupCreate(stream, group: "g", makeStream: true)
        let readerConnection = try await RedisTestSupport.connectionID(of: readerClient)
        let reader = Task {
            try await readerClient.xreadgroup(group: "g", consumer: "waiter", stream: stream, block: .seconds(20))
        }
        try await RedisTestSupport.waitUntilBlocked(connection: readerConnection, observer: redis)
        let id = try await redis.xadd(stream, fields: [("wake", "up")])
        let entries = try await reader.value
        #expect(entries.map(\.id) == [id])
        #expect(entries.first?["wake"] == "up")
        // (A wake-up that did not work would return nothing after the 20 s block.)
        try await redis.del(stream)
        await redis.close()
        await readerClient.close()
    }

    @Test func blockingReadReturnsNothingAfterTheBlockTime() async throws {
        let redis = try await RedisTestSupport.client()
        let stream = RedisTestSupport.unique("block-empty")
        try await redis.xgroupCreate(stream, group: "g", makeStream: true)
        let start = ContinuousClock.now
        let entries = try await redis.xreadgroup(group: "g", consumer: "c", stream: stream, block: .milliseconds(200))
        #expect(entries.isEmpty)
        #expect(ContinuousClock.now - start >= .milliseconds(150))
        try await redis.del(stream)
        await redis.close()
    }

    @Test func cancellingABlockedReadReturnsPromptlyAndTheClientRecovers() async throws {
        // One connection only: after the cancellation the same pool slot must reconnect.
        let redis = try await RedisTestSupport.client(poolSize: 1)
        let observer = try await RedisTestSupport.client()
        let stream = RedisTestSupport.unique("cancel")
        try await redis.xgroupCreate(stream, group: "g", makeStream: true)
        let readerConnection = try await RedisTestSupport.connectionID(of: redis)
        let reader = Task {
            try await redis.xreadgroup(group: "g", consumer: "blocked", stream: stream, block: .seconds(60))
        }
        try await RedisTestSupport.waitUntilBlocked(connection: readerConnection, observer: observer)
        reader.cancel()
        let outcome = await reader.result
        // A cancellation that did not reach the blocked read would end it after 60 s with no
        // entries and no error, which the next line refuses.
        #expect(throws: CancellationError.self) { try outcome.get() }

        #expect(try await redis.ping() == "PONG")
        let id = try await redis.xadd(stream, fields: [("after", "cancel")])
        let entries = try await redis.xreadgroup(group: "g", consumer: "next", stream: stream, block: .seconds(5))
        #expect(entries.map(\.id) == [id])
        try await redis.del(stream)
        await redis.close()
        await observer.close()
    }
}
