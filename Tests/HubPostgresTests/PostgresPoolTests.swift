import Foundation
import HubPostgres
import HubTestSupport
import Testing

@Suite(.timeLimit(.minutes(3))) struct PostgresPoolTests {
    let url: String
    let pool: PostgresPool

    init() async throws {
        url = try await scratchDatabaseURL()
        pool = try PostgresPool(url: url, maxConnections: 3, acquireTimeout: .seconds(5))
        try await pool.query("CREATE TABLE accounts (id int PRIMARY KEY, name text UNIQUE, balance int NOT NULL CHECK (balance >= 0))")
    }

    struct Boom: Error {}

    @Test func transactionRollsBackWhenTheClosureThrows() async throws {
        await #expect(throws: Boom.self) {
            try await pool.withTransaction { connection in
                try await connection.query("INSERT INTO accounts VALUES (1, \("ann"), 10)")
                try await connection.query("INSERT INTO accounts VALUES (2, \("bob"), 20)")
                throw Boom()
            }
        }
        let rows = try await pool.query("SELECT count(*) FROM accounts")
        #expect(try rows[0].decode(Int.self, at: 0) == 0)
        let committed = try await pool.withTransaction { connection in
            try await connection.execute("INSERT INTO accounts VALUES (3, \("cy"), 30)")
        }
        #expect(committed == 1)
        let after = try await pool.query("SELECT name FROM accounts")
        #expect(try after.map { try $0.decode(String.self, at: 0) } == ["cy"])
    }

    @Test func failedStatementInsideTransactionRollsBackEverything() async throws {
        await #expect(throws: PostgresError.self) {
            try await pool.withTransaction { connection in
                try await connection.query("INSERT INTO accounts VALUES (10, \("dee"), 5)")
                try await connection.query("UPDATE accounts SET balance = balance - 50 WHERE id = 10") // violates CHECK
            }
        }
        let rows = try await pool.query("SELECT count(*) FROM accounts WHERE id = 10")
        #expect(try rows[0].decode(Int.self, at: 0) == 0)
        // The connection went back to the pool clean: a new statement works outside any transaction.
        for _ in 0..<6 { try await pool.query("SELECT 1") }
    }

    @Test func uniqueViolationIsRecognisedByCodeWithoutLeakingTheValue() async throws {
        let secretName = "secret-\(UUID())"
        try await pool.query("INSERT INTO accounts VALUES (20, \(secretName), 1)")
        let error = await #expect(throws: PostgresError.self) {
            try await pool.query("INSERT INTO accounts VALUES (21, \(secretName), 1)")
        }
        let e = try #require(error)
        #expect(e.isUniqueViolation)
        #expect(e.sqlState == SQLState.uniqueViolation)
        #expect(e.constraint == "accounts_name_key")
        #expect(e.code == .server)
        #expect(!e.description.contains(secretName), "the bound value must not appear in the message")
        #expect(e.detail?.contains(secretName) == true, "the server detail is still available to code")
    }

    @Test func poolNeverExceedsItsSizeAndQueuesCallers() async throws {
        let app = "pool-size-\(UUID().uuidString.prefix(8))"
        let small = try PostgresPool(url: url + "?application_name=\(app)", maxConnections: 2, acquireTimeout: .seconds(20))
        let peak = LockedBox((now: 0, max: 0, left: 12))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<12 {
                group.addTask {
                    try await small.withConnection { connection in
                        try await connection.query("SELECT 1")
                        peak.withLock { $0.now += 1; $0.max = max($0.max, $0.now) }
                        // Hold the connection until a second caller holds the other one (or no one is left).
                        try await waitUntil("a second connection to be held") { peak.withLock { $0.now >= 2 || $0.left <= 1 } }
                        peak.withLock { $0.now -= 1; $0.left -= 1 }
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(peak.withLock { $0.max } == 2)
        #expect(small.openConnections == 2)
        let backends = try await pool.query("SELECT count(*) FROM pg_stat_activity WHERE application_name = \(app)")
        #expect(try backends[0].decode(Int.self, at: 0) == 2)
        await small.close()
    }

    @Test func waitingCallerTimesOutWithAClearError() async throws {
        let tiny = try PostgresPool(url: url, maxConnections: 1, acquireTimeout: .milliseconds(200))
        let holding = AsyncStream.makeStream(of: Void.self)
        let release = AsyncStream.makeStream(of: Void.self)
        let holder = Task {
            try await tiny.withConnection { _ in
                holding.continuation.yield()
                for await _ in release.stream { break }
            }
        }
        for await _ in holding.stream { break }
        let error = await #expect(throws: PostgresError.self) { try await tiny.query("SELECT 1") }
        #expect(error?.code == .poolTimeout)
        #expect(error?.description.contains("pool") == true)
        release.continuation.yield()
        try await holder.value
        try await tiny.query("SELECT 1")
        await tiny.close()
    }

    @Test func runningQueryIsCancelledWithTheTask() async throws {
        let marker = "cancel-\(UUID().uuidString.prefix(8))"
        let task = Task {
            try await pool.query("SELECT pg_sleep_for('30 seconds'), \(marker)::text")
        }
        try await waitUntil("the sleeping query to be running") {
            let rows = try await pool.query("SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE 'SELECT pg_sleep_for(%'")
            return try rows[0].decode(Int.self, at: 0) > 0
        }
        task.cancel()
        let result = await task.result
        // Not cancelled, the statement would succeed after 30 s: the switch below refuses that.
        switch result {
        case .success: Issue.record("the query should have been cancelled")
        case .failure(let error):
            #expect(error is CancellationError || (error as? PostgresError)?.code == .cancelled)
        }
        // Every pooled connection still works afterwards.
        for _ in 0..<5 { try await pool.query("SELECT 1") }
    }

    @Test func notificationsAreDeliveredWithBoundPayloads() async throws {
        let channel = "render-progress \(UUID().uuidString.prefix(6))" // needs quoting: space and dash
        let notifications = try await pool.listen(to: [channel])
        let payloads = ["{\"frame\": 12}", "it's; a 'quoted' payload", "김민수"]
        for payload in payloads { try await pool.notify(channel, payload: payload) }
        var received: [String] = []
        for try await notification in notifications {
            #expect(notification.channel == channel)
            received.append(notification.payload)
            if received.count == payloads.count { break }
        }
        #expect(received == payloads)
    }

    @Test func dataErrorsDoNotQuoteTheBoundValue() async throws {
        let secret = "not-a-uuid-Secret77"
        let error = await #expect(throws: PostgresError.self) { try await pool.query("SELECT \(secret)::uuid") }
        #expect(error?.sqlState?.hasPrefix("22") == true)
        #expect(error?.description.contains("Secret77") == false)
        #expect(error?.description.contains("uuid") == true)
    }

    @Test func wrongPasswordSaysSoInOneLine() async throws {
        let endpoints = try await TestServices.endpoints()
        let badURL = "postgres://hub:definitely-wrong@127.0.0.1:\(endpoints.postgresPort)/hub"
        let bad = try PostgresPool(url: badURL, maxConnections: 1)
        let error = await #expect(throws: PostgresError.self) { try await bad.query("SELECT 1") }
        #expect(error?.code == .authenticationFailed)
        #expect(error?.description.contains("password") == true)
        #expect(error?.description.contains("definitely-wrong") == false)
        #expect(error?.description.contains("\n") == false)
    }

    @Test func unreachableServerNamesTheAddress() async throws {
        let nowhere = try PostgresPool(url: "postgres://hub:pw@127.0.0.1:1/hub?connect_timeout=2", maxConnections: 1)
        let error = await #expect(throws: PostgresError.self) { try await nowhere.query("SELECT 1") }
        #expect(error?.code == .connectionFailed)
        #expect(error?.description.contains("127.0.0.1:1") == true)
        #expect(error?.description.contains("\n") == false)
    }
}
