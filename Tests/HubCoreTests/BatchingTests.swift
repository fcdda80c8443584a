import Crypto
import Foundation
@testable import HubCore
import HubDriverSupport
import HubPostgres
import HubRedis
import HubTestSupport
import Testing

/// The group-commit helper the hot paths share.
@Suite struct CoalescerTests {
    /// A flush that waits at a gate so the test decides when batches may go.
    final class Gate: Sendable {
        let sizes = PThreadLocked<[[Int]]>([])
        private let state = PThreadLocked<(open: Bool, waiting: [CheckedContinuation<Void, Never>])>((false, []))

        /// Suspends until ``open()`` (at once if it was called).
        func pass() async {
            await withCheckedContinuation { continuation in
                let open = state.withLock { state -> Bool in
                    if !state.open { state.waiting.append(continuation) }
                    return state.open
                }
                if open { continuation.resume() }
            }
        }

        func open() {
            let waiting = state.withLock { state -> [CheckedContinuation<Void, Never>] in
                state.open = true
                defer { state.waiting = [] }
                return state.waiting
            }
            for continuation in waiting { continuation.resume() }
        }
    }

    @Test func requestsArrivingDuringAFlushGoTogetherInTheNextOne() async throws {
        let gate = Gate()
        let coalescer = Coalescer<Int, Int>(maxBatch: 100) { batch in
            gate.sizes.withLock { $0.append(batch) }
            await gate.pass()
            return batch.map { .success($0 * 10) }
        }
        let answers = try await withThrowingTaskGroup(of: (Int, Int).self) { group in
            // If a wait below throws, the group still waits for its children: open the gate so
            // the held flush can finish instead of hanging the test run.
            defer { gate.open() }
            group.addTask { (0, try await coalescer.submit(0)) }
            // The first request is being flushed (and held at the gate) before the others come.
            try await waitUntil("the first flush to start", timeout: 60) { gate.sizes.withLock { $0.count } == 1 }
            for i in 1...20 { group.addTask { (i, try await coalescer.submit(i)) } }
            try await waitUntil("the others to queue up") {
                // Nothing else can flush while the first holds the only flush slot.
                gate.sizes.withLock { $0.count } == 1
            }
            // Let the 20 queue before opening the gate: each submit appends itself synchronously.
            for _ in 0..<200 { await Task.yield() }
            gate.open()
            var answers: [Int: Int] = [:]
            for try await (request, answer) in group { answers[request] = answer }
            return answers
        }
        #expect(answers == Dictionary(uniqueKeysWithValues: (0...20).map { ($0, $0 * 10) }), "every request gets its own answer")
        let sizes = gate.sizes.withLock { $0 }
        #expect(sizes.first == [0])
        #expect(sizes.count < 21, "later requests shared flushes: \(sizes.map(\.count))")
        #expect(sizes.flatMap { $0 }.sorted() == Array(0...20), "each request flushed exactly once")
    }

    @Test func aLoneRequestIsFlushedAtOnceAndBatchesRespectTheirLimit() async throws {
        let sizes = PThreadLocked<[Int]>([])
        let coalescer = Coalescer<Int, Int>(maxBatch: 3) { batch in
            sizes.withLock { $0.append(batch.count) }
            return batch.map { .success($0) }
        }
        #expect(try await coalescer.submit(7) == 7)
        #expect(sizes.withLock { $0 } == [1])
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<30 { group.addTask { _ = try await coalescer.submit(i) } }
            try await group.waitForAll()
        }
        #expect(sizes.withLock { $0 }.allSatisfy { $0 <= 3 })
        #expect(sizes.withLock { $0 }.reduce(0, +) == 31)
    }

    @Test func failuresReachTheirOwnCallerAndAShortAnswerIsAnError() async throws {
        struct Odd: Error {}
        let coalescer = Coalescer<Int, Int>(maxBatch: 10) { batch in
            batch.map { $0 % 2 == 0 ? .success($0) : .failure(Odd()) }
        }
        #expect(try await coalescer.submit(2) == 2)
        await #expect(throws: Odd.self) { try await coalescer.submit(3) }
        let short = Coalescer<Int, Int>(maxBatch: 10) { _ in [] }
        await #expect(throws: CoalescerError.self) { try await short.submit(1) }
    }
}

/// Which published outbox rows wait for the next submit statement.
@Suite struct PendingDeletesTests {
    @Test func rowsWaitOnlyWhileOtherSubmitsAreUnderWay() {
        var pending = PendingDeletes()
        pending.inFlight = 2
        #expect(pending.defer([1, 2], publishedFor: 2) == .now, "no other submit: the publisher deletes at once")
        #expect(pending.published.isEmpty)
        pending.inFlight = 5
        #expect(pending.defer([1, 2], publishedFor: 2) == .deferredWithSweep, "the first deferral schedules the sweep")
        #expect(pending.defer([3], publishedFor: 1) == .deferred, "one sweep at a time")
        #expect(pending.take() == [1, 2, 3], "the next submit statement takes them all")
        #expect(pending.take().isEmpty)
        #expect(pending.defer([4], publishedFor: 1) == .deferred)
        #expect(pending.endSweep() == [4], "the sweep deletes what no statement took")
        #expect(pending.defer([5], publishedFor: 1) == .deferredWithSweep, "after a sweep the next deferral schedules another")
    }
}

/// The outage gate of the Redis publishers: skip attempts for a while after a failure.
@Suite struct OutageGateTests {
    @Test func aFailureClosesTheGateForThePauseAndASuccessOpensIt() {
        let gate = OutageGate(pause: .seconds(3600))
        #expect(gate.shouldAttempt, "open before any failure")
        gate.failed()
        #expect(!gate.shouldAttempt, "closed within the pause")
        gate.succeeded()
        #expect(gate.shouldAttempt, "a success (or a deliberate relay) opens it")
    }

    @Test func theFirstCallAfterThePauseTriesAgain() {
        let gate = OutageGate(pause: .zero)
        gate.failed()
        #expect(gate.shouldAttempt, "a pause of zero skips nothing")
    }
}

/// The batched statements of the render store: one commit for many instructions.
@Suite struct RenderBatchTests {
    let pool: PostgresPool
    let store: RenderStore

    init() async throws {
        pool = try PostgresPool(url: try await scratchDatabaseURL(), maxConnections: 6)
        try await Migrator(pool: pool).up()
        store = RenderStore(pool: pool)
    }

    @Test func bulkSubmitKeepsOrderAndWritesEveryRowOnce() async throws {
        // Cue items to reference (render_instructions.cue_item_id is a foreign key).
        try await pool.execute("""
            WITH s AS (INSERT INTO broadcast_sessions (name, created_by) VALUES ('batch', 'test') RETURNING id),
                 t AS (INSERT INTO cue_templates (name, cue_type, aep_project, aep_composition) VALUES ('batch', 'custom', 'P', 'C') RETURNING id),
                 sh AS (INSERT INTO cue_sheets (session_id, name, created_by) SELECT id, 'batch', 'test' FROM s RETURNING id)
            INSERT INTO cue_items (id, sheet_id, cue_number, cue_type, template_id)
            SELECT n, sh.id, n + 1, 'custom', t.id FROM sh, t, generate_series(0, 24, 4) AS n
            """)
        let submissions = (0..<25).map { i in
            RenderSubmission(templateName: "batch", layerData: ["i": .integer(Int64(i)), "name": .string("선수 \(i)")],
                             priority: i % 10 + 1, trigger: i.isMultiple(of: 2) ? .api : .manual,
                             triggerID: i.isMultiple(of: 3) ? "t\(i)" : nil, cueItemID: i.isMultiple(of: 4) ? Int64(i) : nil)
        }
        let submitted = try await store.submit(submissions.map { ($0, "bulk") })
        #expect(submitted.map(\.instruction.layerData) == submissions.map(\.layerData), "answers come back in input order")
        let unknownCue = await #expect(throws: HubError.self) {
            try await store.submit([(RenderSubmission(templateName: "batch", cueItemID: 999_999), "bulk")])
        }
        #expect(unknownCue?.code == .usage && unknownCue?.message.contains("cue item 999999 does not exist") == true)
        #expect(Set(submitted.map(\.instruction.id)).count == 25)
        for (item, submission) in zip(submitted, submissions) {
            let stored = try await store.instruction(item.instruction.id)
            #expect(stored == item.instruction, "the returned instruction is what was stored")
            #expect(stored.priority == submission.priority && stored.triggerID == submission.triggerID && stored.cueItemID == submission.cueItemID)
            #expect(stored.dataHash == submission.dataHash)
            #expect(try await store.timeline(stored.id).map(\.actor) == ["bulk"])
        }
        #expect(Set(try await store.unpublished(limit: 100).map(\.outboxID)) == Set(submitted.map(\.outboxID)))
    }

    @Test func oneInvalidSubmissionRefusesTheWholeBatchAndNamesIt() async throws {
        var submissions = (0..<3).map { RenderSubmission(templateName: "ok\($0)") }
        submissions[1].priority = 11
        let error = await #expect(throws: HubError.self) { try await store.submit(submissions.map { ($0, "t") }) }
        #expect(error?.code == .usage)
        #expect(error?.message.contains("submission 2 of 3") == true)
        #expect(try await store.list().isEmpty, "nothing was inserted")
    }

    @Test func batchedClaimsGoInPriorityOrderToDistinctWorkers() async throws {
        let low = try await store.submit(RenderSubmission(templateName: "low", priority: 9), actor: "t").instruction
        let high = try await store.submit(RenderSubmission(templateName: "high", priority: 1), actor: "t").instruction
        let middle = try await store.submit(RenderSubmission(templateName: "middle", priority: 5), actor: "t").instruction
        let claims = try await store.claimNext(workers: ["w1", "w2", "w3", "w4"], lease: .seconds(30))
        #expect(claims["w1"]?.instruction.id == high.id)
        #expect(claims["w2"]?.instruction.id == middle.id)
        #expect(claims["w3"]?.instruction.id == low.id)
        #expect(claims["w4"] == nil, "three instructions for four workers")
        #expect(Set(claims.values.map(\.leaseToken)).count == 3)
        for (worker, claim) in claims {
            #expect(claim.workerID == worker)
            let stored = try await store.instruction(claim.instruction.id)
            #expect(stored.status == .processing && stored.workerID == worker)
            #expect(try await store.timeline(claim.instruction.id).last?.workerID == worker)
        }
    }

    @Test func batchedCompletionRefusesOnlyTheStaleLease() async throws {
        for i in 0..<3 { _ = try await store.submit(RenderSubmission(templateName: "done\(i)"), actor: "t") }
        let claims = try await store.claimNext(workers: ["a", "b", "c"], lease: .seconds(30))
        var stale = try #require(claims["b"])
        stale.leaseToken = UUID()
        let results = try await store.complete([
            (try #require(claims["a"]), RenderStore.Output(path: "/tmp/a.png", fileSize: 10, frameCount: 1)),
            (stale, RenderStore.Output(path: "/tmp/b.png")),
            (try #require(claims["c"]), RenderStore.Output(path: "/tmp/c.png", fileSize: nil, frameCount: nil, renderMilliseconds: 5)),
        ])
        #expect(results.count == 3)
        #expect((try? results[0].get()) != nil)
        #expect((try? results[2].get()) != nil)
        #expect(throws: HubError.self) { try results[1].get() }
        #expect(try await store.instruction(claims["a"]!.instruction.id).status == .completed)
        #expect(try await store.instruction(claims["b"]!.instruction.id).status == .processing, "the stale write changed nothing")
        let outputs = try await pool.query("SELECT output_path, file_size, render_ms FROM render_outputs ORDER BY output_path")
        #expect(try outputs.map { try $0.decode(String.self, at: 0) } == ["/tmp/a.png", "/tmp/c.png"])
        #expect(try outputs[0].decode(Int64?.self, at: 1) == 10)
        #expect(try outputs[1].decode(Int64?.self, at: 1) == nil)
        #expect(try outputs[1].decode(Int?.self, at: 2) == 5)
    }

    @Test func completionClaimsTheNextJobsInTheSameStatement() async throws {
        for i in 0..<2 { _ = try await store.submit(RenderSubmission(templateName: "first\(i)"), actor: "t") }
        let first = try await store.claimNext(workers: ["a", "b"], lease: .seconds(30))
        let low = try await store.submit(RenderSubmission(templateName: "low", priority: 9), actor: "t").instruction
        let high = try await store.submit(RenderSubmission(templateName: "high", priority: 1), actor: "t").instruction
        var stale = try #require(first["b"])
        stale.leaseToken = UUID()
        let (outputs, claims) = try await store.complete([
            (try #require(first["a"]), RenderStore.Output(path: "/tmp/next-a.png", fileSize: 3)),
            (stale, RenderStore.Output(path: "/tmp/next-b.png")),
        ], thenClaimFor: ["a", "b", "c"], lease: .seconds(30))
        #expect(outputs.count == 2)
        let outputID = try outputs[0].get()
        #expect(throws: HubError.self) { try outputs[1].get() }
        #expect(try await store.instruction(first["a"]!.instruction.id).status == .completed)
        #expect(try await store.instruction(first["b"]!.instruction.id).status == .processing, "the stale completion changed nothing")
        let stored = try await pool.query("SELECT id, output_path FROM render_outputs")
        #expect(try stored.map { try $0.decode(Int64.self, at: 0) } == [outputID])
        // The claims of the same statement: highest priority first, one per named worker, fenced by new leases.
        #expect(claims["a"]?.instruction.id == high.id)
        #expect(claims["b"]?.instruction.id == low.id)
        #expect(claims["c"] == nil, "two instructions were due for three workers")
        for (worker, claim) in claims {
            let now = try await store.instruction(claim.instruction.id)
            #expect(now.status == .processing && now.workerID == worker && claim.attempt == 1)
            #expect(try await store.timeline(claim.instruction.id).map(\.event) == ["submitted", "claimed"])
            #expect(try await store.heartbeat(claim, lease: .seconds(30)).cancelRequested == false, "the new lease is current")
        }
        // Nothing left to claim: the completion alone, and its answer.
        let (lastOutputs, none) = try await store.complete([(try #require(claims["a"]), RenderStore.Output(path: "/tmp/next-c.png"))],
                                                          thenClaimFor: ["a"], lease: .seconds(30))
        #expect(none.isEmpty)
        #expect((try? lastOutputs[0].get()) != nil)
        #expect(try await store.instruction(high.id).status == .completed)
    }

    @Test func submitsNotifyOnlyWhileRedisCannotBeReached() async throws {
        let notifications = try await pool.listen(to: [RenderStore.pendingChannel])
        let payloads = PThreadLocked<[String]>([])
        // Read on a task of its own so a missing notification fails the wait below instead of
        // hanging the run; cancelling the task ends the sequence.
        let reader = Task {
            for try await notification in notifications {
                payloads.withLock { $0.append(notification.payload) }
            }
        }
        defer { reader.cancel() }
        let redis = try RedisClient(url: try await TestServices.endpoints().redisURL)
        let dispatch = DispatchConfiguration(stream: "test:notify:\(UUID().uuidString.prefix(8))")
        let healthy = RenderQueue(store: store, redis: redis, dispatch: dispatch)
        #expect(try await healthy.submit(RenderSubmission(templateName: "healthy"), actor: "t").published)
        let deadRedis = try RedisClient(url: "redis://127.0.0.1:1/0")
        // A long outage pause: the second submit surely falls within it, however slow the machine.
        let offline = RenderQueue(store: store, redis: deadRedis, dispatch: dispatch, outagePause: .seconds(3600))
        let first = try await offline.submit(RenderSubmission(templateName: "offline1"), actor: "t")
        let second = try await offline.submit(RenderSubmission(templateName: "offline2"), actor: "t")
        #expect(!first.published && !second.published)
        // A marker after the submits: notifications arrive in commit order, so once it is here,
        // every notification the submits sent is here too.
        try await pool.notify(RenderStore.pendingChannel, payload: "end")
        try await waitUntil("the marker notification") { payloads.withLock { $0.last } == "end" }
        // The healthy submit sent none; the first failed publish sends a wake-up (empty payload)
        // and from then on submits notify at commit (the payload is the instruction id). The
        // second submit's publish is skipped (the outage gate: no retry within the pause), so it
        // adds no second wake-up.
        #expect(payloads.withLock { $0 } == ["", String(second.instruction.id), "end"])
        // Skipped is not lost: both rows wait in the outbox, and the relay publishes them.
        let waiting = Set(try await store.unpublished(limit: 100).map(\.instructionID))
        #expect(waiting == [first.instruction.id, second.instruction.id])
        #expect(try await healthy.relay() == 2)
        #expect(try await store.unpublished(limit: 100).isEmpty)
        await redis.close()
        await deadRedis.close()
    }

    /// Under load the outbox rows of published signals are deleted by a later submit statement
    /// (or the sweep): none is left behind, and a lone submit deletes its own at once.
    @Test func concurrentSubmitsLeaveNoPublishedRowInTheOutbox() async throws {
        let redis = try RedisClient(url: try await TestServices.endpoints().redisURL)
        let queue = RenderQueue(store: store, redis: redis, dispatch: DispatchConfiguration(stream: "test:outbox:\(UUID().uuidString.prefix(8))"))
        let results = try await withThrowingTaskGroup(of: RenderQueue.Result.self) { group in
            for i in 0..<200 {
                group.addTask { try await queue.submit(RenderSubmission(templateName: "burst", layerData: ["i": .integer(Int64(i))]), actor: "t") }
            }
            var results: [RenderQueue.Result] = []
            for try await result in group { results.append(result) }
            return results
        }
        #expect(results.count == 200 && results.allSatisfy(\.published))
        // Deferred rows go with a later submit statement or with the sweep a moment after.
        try await waitUntil("the published rows to leave the outbox") { try await store.unpublished(limit: 500).isEmpty }
        let lone = try await queue.submit(RenderSubmission(templateName: "lone"), actor: "t")
        #expect(lone.published)
        #expect(try await store.unpublished(limit: 500).isEmpty)
        let stream = try await redis.xlen(queue.dispatch.stream)
        #expect(stream == 201, "one signal per instruction")
        await redis.close()
    }

    @Test func aClaimBringsTheRenderCacheCandidate() async throws {
        let submission = RenderSubmission(templateName: "cached", layerData: ["x": .integer(1)])
        _ = try await store.submit(submission, actor: "t")
        let first = try #require(try await store.claimNext(worker: "w", lease: .seconds(30)))
        #expect(first.cacheCandidate == nil, "nothing rendered yet")
        try await store.complete(first, output: RenderStore.Output(path: "/tmp/cached.png", fileSize: 42, frameCount: 1))
        _ = try await store.submit(submission, actor: "t")
        let second = try #require(try await store.claimNext(worker: "w", lease: .seconds(30)))
        #expect(second.cacheCandidate == RenderStore.Output(path: "/tmp/cached.png", fileSize: 42, frameCount: 1, cacheHit: true))
        _ = try await store.submit(RenderSubmission(templateName: "cached", layerData: ["x": .integer(2)]), actor: "t")
        #expect(try await store.claimNext(worker: "w", lease: .seconds(30))?.cacheCandidate == nil, "different data, no candidate")
    }
}

/// The hand-written JSON of events and the data hash must match what Foundation would produce.
@Suite struct FastEncodingTests {
    @Test func eventJSONIsWhatJSONEncoderWrites() throws {
        let data: [String: JSONValue] = [
            "quote \" and \\ slash /": .string("line\nbreak\ttab \u{01} 김민수 🂡"),
            "int": .integer(638_961_224_831_992_165), "neg": .integer(-3), "double": .number(1.5), "whole": .number(3),
            "tiny": .number(0.000123), "big": .number(1.0e20), "null": .null, "yes": .bool(true),
            "list": .array([.integer(1), .string("x"), .object(["b": .integer(2), "a": .integer(1)])]),
        ]
        let event = HubEvent(type: "render_progress", data: data, source: "test", correlationID: "run-1")
        let decoded = try HubEvent.decode(Array(event.json.utf8))
        #expect(decoded.type == event.type && decoded.source == event.source && decoded.correlationID == "run-1")
        var expected = data
        expected["whole"] = .integer(3) // JSON has one number type: 3.0 is written, and read back, as 3
        #expect(decoded.data == expected)
        #expect(abs(decoded.timestamp.timeIntervalSince(event.timestamp)) < 0.001)
        // The same text as JSONEncoder with sorted keys for the payload.
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let reference = String(decoding: try encoder.encode(JSONValue.object(data)), as: UTF8.self)
        #expect(event.json.contains("\"data\":\(reference),"), "\(event.json)\nvs\n\(reference)")
        #expect(!HubEvent(type: "x", data: [:], source: "s").json.contains("correlation_id"))
    }

    @Test func timestampsAreUTCWithMilliseconds() throws {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        for seconds in [0.0, 1_795_000_000.125, 1_795_000_000.75, 951_782_400.5] { // …, a leap day
            var event = HubEvent(type: "t", data: [:], source: "s")
            event.timestamp = Date(timeIntervalSince1970: seconds)
            let text = try #require(event.json.split(separator: "\"timestamp\":\"").last?.prefix(24))
            #expect(String(text) == formatter.string(from: event.timestamp), "\(seconds)")
        }
    }

    @Test func dataHashIsTheSHA256OfTheCanonicalText() throws {
        let submission = RenderSubmission(templateName: "leaderboard", composition: "Main", layerData: ["b": .integer(2), "a": .string("x")])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let settings = String(decoding: try encoder.encode(submission.outputSettings), as: UTF8.self)
        let text = ["leaderboard", "Main", #"{"a":"x","b":2}"#, settings].joined(separator: "\u{1F}")
        let expected = SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
        #expect(submission.dataHash == expected)
    }
}
