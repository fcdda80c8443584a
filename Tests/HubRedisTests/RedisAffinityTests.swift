import HubRedis
import HubTestSupport
import Testing

@Suite struct RedisAffinityTests {
    @Test func affineCallerKeepsUsingOneConnectionWhileOthersAreIdle() async throws {
        let client = try await RedisTestSupport.client(poolSize: 3)
        // Open three connections so the pool has a choice.
        try await withThrowingTaskGroup(of: Void.self) { group in
            // Hold all three at once (a barrier), so three connections are really open.
            let holding = LockedBox(0)
            for _ in 0..<3 {
                group.addTask {
                    try await client.withConnection { connection in
                        _ = try await connection.send(["CLIENT", "ID"])
                        holding.withLock { $0 += 1 }
                        try await waitUntil("three connections held at once") { holding.withLock { $0 } == 3 }
                    }
                }
            }
            try await group.waitForAll()
        }
        let ids = try await client.withAffinity {
            var seen: Set<Int64> = []
            for _ in 0..<20 {
                seen.insert(try await RedisTestSupport.connectionID(of: client))
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { _ = try await client.ping() }
                    group.addTask { _ = try await client.ping() }
                    try await group.waitForAll()
                }
            }
            return seen
        }
        #expect(ids.count == 1)
        await client.close()
    }
}

@Suite struct RedisAffinitySpreadTests {
    @Test func concurrentAffinityLoopsEachGetTheirOwnConnection() async throws {
        let client = try await RedisTestSupport.client(poolSize: 4)
        let perLoop = try await withThrowingTaskGroup(of: Set<Int64>.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    try await client.withAffinity {
                        var seen: Set<Int64> = []
                        for _ in 0..<50 { seen.insert(try await RedisTestSupport.connectionID(of: client)) }
                        return seen
                    }
                }
            }
            var all: [Set<Int64>] = []
            for try await ids in group { all.append(ids) }
            return all
        }
        #expect(perLoop.allSatisfy { $0.count == 1 }, "each loop stays on one connection: \(perLoop)")
        #expect(Set(perLoop.flatMap { $0 }).count == 4, "the loops are spread over the connections")
        await client.close()
    }
}
