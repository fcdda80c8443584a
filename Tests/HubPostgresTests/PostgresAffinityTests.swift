import HubPostgres
import HubTestSupport
import Testing

@Suite struct PostgresAffinityTests {
    @Test func affineCallerKeepsUsingOneConnectionWhileOthersAreIdle() async throws {
        let pool = try PostgresPool(url: try await scratchDatabaseURL(), maxConnections: 3)
        // Open all three connections so the pool has a choice.
        try await openConnections(pool, count: 3)
        #expect(pool.openConnections == 3)
        let pids = try await pool.withAffinity {
            var seen: Set<Int> = []
            for _ in 0..<20 {
                seen.insert(try await pool.query("SELECT pg_backend_pid()")[0].decode(Int.self, at: 0))
                // Use another connection meanwhile, so LIFO order alone would not pick the same one.
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await pool.query("SELECT 1") }
                    group.addTask { try await pool.query("SELECT 1") }
                    try await group.waitForAll()
                }
            }
            return seen
        }
        #expect(pids.count == 1)
        await pool.close()
    }

    @Test func withConnectionBodyRunsOnTheConnectionsThread() async throws {
        let pool = try PostgresPool(url: try await scratchDatabaseURL(), maxConnections: 2)
        let sameThread = try await pool.withConnection { connection in
            try await connection.query("SELECT 1")
            return connection.isRunningOnOwnThread
        }
        #expect(sameThread)
        await pool.close()
    }
}

@Suite struct PostgresAffinitySpreadTests {
    @Test func concurrentAffinityLoopsEachGetTheirOwnConnection() async throws {
        let pool = try PostgresPool(url: try await scratchDatabaseURL(), maxConnections: 8)
        let perLoop = try await withThrowingTaskGroup(of: Set<Int>.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    try await pool.withAffinity {
                        var seen: Set<Int> = []
                        for _ in 0..<500 { seen.insert(try await pool.query("SELECT pg_backend_pid()")[0].decode(Int.self, at: 0)) }
                        return seen
                    }
                }
            }
            var all: [Set<Int>] = []
            for try await pids in group { all.append(pids) }
            return all
        }
        #expect(perLoop.allSatisfy { $0.count == 1 }, "each loop stays on one connection: \(perLoop)")
        #expect(Set(perLoop.flatMap { $0 }).count == 8, "the loops are spread over the connections")
        await pool.close()
    }
}
