import Foundation
@testable import HubCore
import HubPostgres
import HubRedis
import HubDriverSupport
import HubTestSupport
import Testing

/// Capabilities and concurrency limits (issue 16): a worker claims only instructions whose
/// required tags it has, exactly once, in both dispatch modes; an instruction no live worker can
/// take raises an alert; a composition's farm-wide concurrency limit holds under concurrent claims.
@Suite(.timeLimit(.minutes(4))) struct CapabilityRoutingTests {
    let url: String
    let endpoints: ServiceEndpoints
    let dispatch = DispatchConfiguration(stream: "test:tags:\(UUID().uuidString.prefix(8))", group: "ae-workers")

    init() async throws {
        url = try await scratchDatabaseURL()
        endpoints = try await TestServices.endpoints()
        let pool = try PostgresPool(url: url, maxConnections: 1)
        try await Migrator(pool: pool).up()
        await pool.close()
    }

    /// A pool, a Redis client and a queue on this suite's database and stream.
    func producer(connections: Int = 4, redisURL: String? = nil) throws -> (PostgresPool, RedisClient, RenderQueue) {
        let pool = try PostgresPool(url: url, maxConnections: connections)
        let redis = try RedisClient(url: redisURL ?? endpoints.redisURL)
        return (pool, redis, RenderQueue(store: RenderStore(pool: pool), redis: redis, dispatch: dispatch))
    }

    /// The claims recorded for `id`: the workers that claimed it, in order.
    func claimers(_ pool: PostgresPool, _ id: Int64) async throws -> [String] {
        try await pool.query("""
            SELECT worker_id FROM render_timeline WHERE instruction_id = \(id) AND event = 'claimed' ORDER BY id
            """).map { try $0.decode(String.self, at: 0) }
    }

    static func description(_ body: String) throws -> AEPDescription {
        try AEPDescription.parse(Data("""
            {"project": "Farm", "compositions": [\(body)]}
            """.utf8))
    }

    @Test(arguments: [false, true])
    func twoWorkersWithDifferentTagsEachTakeOnlyWhatTheyCan(fallback: Bool) async throws {
        let redisURL = fallback ? "redis://127.0.0.1:1/0" : endpoints.redisURL
        let (pool, redis, queue) = try producer(redisURL: redisURL)
        // The composition itself requires ae-2025 (its description); submissions add gpu.
        _ = try await AEPStore(pool: pool).importDescription(try Self.description("""
            {"name": "Heavy3D", "requires": ["AE-2025"], "fields": [{"key": "name"}]}
            """), sourceFile: "farm.json", actor: "test")
        let mode = fallback ? "db" : "redis"
        // A minute-long idle poll: an idle worker starts only what a signal (or NOTIFY) wakes it for,
        // so a signal that reached only the machine that cannot take it would leave the job waiting.
        let gpu = try WorkerHarness.start(databaseURL: url, redisURL: redisURL, dispatch: dispatch, backend: NoopBackend(),
                                          concurrency: 2, name: "gpu-\(mode)") {
            $0.tags = ["ae-2025", "gpu"]
            $0.idleWait = .seconds(60)
        }
        let plain = try WorkerHarness.start(databaseURL: url, redisURL: redisURL, dispatch: dispatch, backend: NoopBackend(),
                                            concurrency: 2, name: "plain-\(mode)") { $0.idleWait = .seconds(60) }
        try await WorkerHarness.waitUntilIdle([gpu, plain], fallback: fallback, pool: pool)

        // One at a time while both are idle: each must reach the one machine that can take it.
        var tagged: [Int64] = []
        for index in 0..<4 {
            let submission = index.isMultiple(of: 2)
                ? RenderSubmission(templateName: "Farm", composition: "Heavy3D", layerData: ["name": .integer(Int64(index))])
                : RenderSubmission(templateName: "Farm", composition: "Lower", layerData: ["name": .integer(Int64(index))], requiredTags: ["GPU"])
            let instruction = try await queue.submit(submission, actor: "test").instruction
            #expect(instruction.requiredTags == (index.isMultiple(of: 2) ? ["ae-2025"] : ["gpu"]), "stored lower case, with the composition's")
            try await waitUntil("tagged instruction \(instruction.id) completed", timeout: 15) {
                try await queue.store.instruction(instruction.id).status == .completed
            }
            tagged.append(instruction.id)
        }
        // A burst of untagged ones: either machine may take them.
        var untagged: [Int64] = []
        for index in 0..<20 {
            untagged.append(try await queue.submit(RenderSubmission(templateName: "Farm", composition: "Lower",
                                                                    layerData: ["n": .integer(Int64(index))]), actor: "test").instruction.id)
        }
        try await waitUntil("every untagged instruction completed", timeout: 30) {
            try await countByStatus(pool)["completed"] == 24
        }
        for id in tagged {
            let workers = try await claimers(pool, id)
            #expect(workers.count == 1, "claimed exactly once")
            #expect(workers.allSatisfy { $0.hasPrefix("gpu-\(mode)-") }, "instruction \(id) needs tags only gpu-\(mode) has, was claimed by \(workers)")
        }
        for id in untagged { #expect(try await claimers(pool, id).count == 1, "claimed exactly once") }
        let outputs = try await pool.query("SELECT count(*), count(DISTINCT instruction_id) FROM render_outputs WHERE status = 'completed'")[0]
        #expect(try outputs.decode(Int.self, at: 0) == 24 && outputs.decode(Int.self, at: 1) == 24, "one output per instruction")
        if !fallback {
            // Every signal reached both kinds of machine: the untagged workers' group and the group
            // of the workers tagged ae-2025,gpu each read the stream to its end. (Had the signal of
            // a gpu job gone only to the plain machine, the gpu machine would have found it only at
            // its next idle look.)
            let stream = try await redis.xinfoStream(dispatch.stream)
            let groups = try await redis.xinfoGroups(dispatch.stream)
            for name in ["ae-workers", "ae-workers:ae-2025,gpu"] {
                let group = groups.first { $0.name == name }
                #expect(group?.lastDeliveredID == stream.lastGeneratedID, "group \(name) read every signal: \(groups.map(\.name))")
            }
        }
        // hubctl services shows the tags each worker registered.
        try await waitUntil("the workers registered their tags", timeout: 10) {
            let entries = try await ServiceRegistry(pool: pool).list(kind: "hub-worker")
            return entries.contains { $0.id == "hub-worker:gpu-\(mode)" && $0.tags == ["ae-2025", "gpu"] }
                && entries.contains { $0.id == "hub-worker:plain-\(mode)" && $0.tags.isEmpty }
        }
        gpu.task.cancel()
        plain.task.cancel()
        _ = try? await gpu.stop()
        _ = try? await plain.stop()
        await pool.close()
        await redis.close()
    }

    @Test func anInstructionNoLiveWorkerCanTakeRaisesAnAlertUntilOneCan() async throws {
        let (pool, redis, queue) = try producer()
        let plain = try WorkerHarness.start(databaseURL: url, redisURL: endpoints.redisURL, dispatch: dispatch, backend: NoopBackend(),
                                            concurrency: 1, name: "plain-alert")
        try await waitUntil("the worker registered", timeout: 10) {
            try await ServiceRegistry(pool: pool).list(kind: "hub-worker").contains { $0.id == "hub-worker:plain-alert" && $0.healthy }
        }
        let stuck = try await queue.submit(RenderSubmission(templateName: "Farm", requiredTags: ["ae-2099", "gpu"]), actor: "test").instruction
        let runs = try await queue.submit(RenderSubmission(templateName: "Farm"), actor: "test").instruction
        try await waitUntil("the untagged one ran", timeout: 15) { try await queue.store.instruction(runs.id).status == .completed }
        #expect(try await queue.store.instruction(stuck.id).status == .pending, "no worker has ae-2099: it waits")

        let detector = AnomalyDetector(pool: pool)
        let alerted = try await detector.pass(actor: "test")
        let finding = try #require(alerted.findings.first { $0.rule == "unroutable" })
        #expect(finding.subject == "ae-2099,gpu")
        #expect(finding.message.contains("hub-worker --tags ae-2099,gpu"))
        #expect(finding.details["instruction_ids"] == .array([.integer(stuck.id)]))
        #expect(!alerted.findings.contains { $0.rule == "unroutable" && $0.subject.isEmpty }, "untagged work is not unroutable")

        // A machine that has the tags starts: the instruction runs there and the alert resolves.
        let capable = try WorkerHarness.start(databaseURL: url, redisURL: endpoints.redisURL, dispatch: dispatch, backend: NoopBackend(),
                                              concurrency: 1, name: "capable-alert") { $0.tags = ["ae-2099", "gpu", "cyprusdesign"] }
        try await waitUntil("the tagged one ran on the capable machine", timeout: 15) {
            try await queue.store.instruction(stuck.id).status == .completed
        }
        #expect(try await claimers(pool, stuck.id).allSatisfy { $0.hasPrefix("capable-alert-") })
        let cleared = try await detector.pass(actor: "test")
        #expect(!cleared.findings.contains { $0.rule == "unroutable" })
        #expect(cleared.resolved.contains { $0.rule == "unroutable" && $0.subject == "ae-2099,gpu" })
        _ = try await capable.stop()
        _ = try await plain.stop()
        await pool.close()
        await redis.close()
    }

    @Test func claimsKeepACompositionWithinItsConcurrencyLimitUnderConcurrentClaimers() async throws {
        let (pool, redis, queue) = try producer(connections: 12)
        _ = try await AEPStore(pool: pool).importDescription(try Self.description("""
            {"name": "Heavy", "max_concurrent_renders": 2, "fields": [{"key": "name"}]},
            {"name": "Light", "fields": [{"key": "name"}]}
            """), sourceFile: "farm.json", actor: "test")
        var heavy: [Int64] = []
        for index in 0..<6 {
            heavy.append(try await queue.submit(RenderSubmission(templateName: "Farm", composition: "Heavy",
                                                                 layerData: ["name": .integer(Int64(index))], priority: 1), actor: "test").instruction.id)
        }
        let light = try await queue.submit(RenderSubmission(templateName: "Farm", composition: "Light", priority: 9), actor: "test").instruction.id

        // Eight machines claim at the same moment, four slots each: two heavy renders at most,
        // the light one (lowest priority) still taken.
        let claims = try await withThrowingTaskGroup(of: [String: RenderClaim].self) { group in
            for machine in 0..<8 {
                group.addTask {
                    try await queue.store.claimNext(workers: (0..<4).map { "m\(machine)-\($0)" }, lease: .seconds(30))
                }
            }
            var all: [RenderClaim] = []
            for try await batch in group { all.append(contentsOf: batch.values) }
            return all
        }
        let heavyClaims = claims.filter { $0.instruction.composition == "Heavy" }
        #expect(heavyClaims.count == 2, "the limit is 2; claimed \(heavyClaims.count)")
        #expect(claims.contains { $0.instruction.id == light }, "a full composition does not hold back the others")
        #expect(Set(claims.map(\.instruction.id)).count == claims.count, "exactly once")

        // Full: the next claim passes the heavy ones over.
        #expect(try await queue.store.claimNext(workers: ["late-0", "late-1"], lease: .seconds(30)).isEmpty)
        // One finishes: exactly one more may start.
        _ = try await queue.store.complete(heavyClaims[0], output: .init(path: "/tmp/heavy.mov"))
        let next = try await queue.store.claimNext(workers: ["late-0", "late-1"], lease: .seconds(30))
        #expect(next.count == 1 && next.values.allSatisfy { $0.instruction.composition == "Heavy" })
        let running = try await pool.query("""
            SELECT count(*) FROM render_instructions WHERE composition = 'Heavy' AND status = 'processing'
            """)[0].decode(Int.self, at: 0)
        #expect(running == 2)
        // --once asks whether anything it could take is due: the waiting heavy ones are not.
        #expect(try await queue.store.hasDueInstruction() == false)
        await pool.close()
        await redis.close()
    }

    @Test func realWorkersNeverRunMoreThanTheLimitAtOnce() async throws {
        let (pool, redis, queue) = try producer()
        _ = try await AEPStore(pool: pool).importDescription(try Self.description("""
            {"name": "Heavy", "max_concurrent_renders": 2, "fields": [{"key": "name"}]}
            """), sourceFile: "farm.json", actor: "test")
        // Each render notes when it starts and ends on the machine (nanoseconds): the renders
        // themselves, not the database's transaction times, must never overlap three deep.
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("hub-limit-\(UUID())").path
        let script = try writeScript("echo \"start $(date +%s%N)\" >> '\(log)'\nsleep 0.3\necho \"end $(date +%s%N)\" >> '\(log)'\nprintf 'x' > \"$2\"")
        let workers = try (0..<3).map { machine in
            try WorkerHarness.start(databaseURL: url, redisURL: endpoints.redisURL, dispatch: dispatch,
                                    backend: CommandBackend(executable: script), concurrency: 2, name: "limit-\(machine)")
        }
        var ids: [Int64] = []
        for index in 0..<8 {
            ids.append(try await queue.submit(RenderSubmission(templateName: "Farm", composition: "Heavy",
                                                               layerData: ["name": .integer(Int64(index))]), actor: "test").instruction.id)
        }
        // Sample how many are processing while the farm of six slots works through them.
        let most = PThreadLocked(0)
        try await waitUntil("all eight rendered", timeout: 60) {
            let row = try await pool.query("""
                SELECT count(*) FILTER (WHERE status = 'processing'), count(*) FILTER (WHERE status = 'completed')
                FROM render_instructions WHERE composition = 'Heavy'
                """)[0]
            let running = try row.decode(Int.self, at: 0)
            most.withLock { $0 = max($0, running) }
            return try row.decode(Int.self, at: 1) == 8
        }
        let seen = most.withLock { $0 }
        #expect(seen <= 2, "at most two processing at once; saw \(seen)")
        // Replay the renders' own start and end times: the deepest overlap.
        let events = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").compactMap { line -> (Int64, Int)? in
            let parts = line.split(separator: " ")
            guard parts.count == 2, let at = Int64(parts[1]) else { return nil }
            return (at, parts[0] == "start" ? 1 : -1)
        }.sorted { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 } // an end before a start at the same instant
        #expect(events.count == 16, "eight renders started and ended")
        var depth = 0
        var deepest = 0
        for event in events {
            depth += event.1
            deepest = max(deepest, depth)
        }
        #expect(deepest <= 2, "the renders ran \(deepest) at once")
        #expect(deepest >= 1)
        for id in ids { #expect(try await claimers(pool, id).count == 1) }
        for worker in workers { _ = try await worker.stop() }
        await pool.close()
        await redis.close()
    }

    @Test func tagsAndLimitsAreCheckedWhereTheyAreGiven() throws {
        #expect(try RenderTags.parse(" GPU, ae-2025,,gpu ") == ["ae-2025", "gpu"])
        #expect(RenderTags.group(base: "ae-workers", tags: []) == "ae-workers")
        #expect(RenderTags.group(base: "ae-workers", tags: ["ae-2025", "gpu"]) == "ae-workers:ae-2025,gpu")
        for bad in ["-gpu", "gpu card", "ae/2025", String(repeating: "a", count: 65), "ünicode"] {
            #expect(throws: HubError.self, "\(bad)") { try RenderTags.parse(bad) }
        }
        #expect(throws: HubError.self) { try RenderSubmission(templateName: "t", requiredTags: ["no spaces"]).validate() }
        let limit = #expect(throws: HubError.self) {
            try Self.description(#"{"name": "X", "max_concurrent_renders": 0, "fields": [{"key": "name"}]}"#)
        }
        #expect(limit?.message.contains("max_concurrent_renders") == true)
        let tags = #expect(throws: HubError.self) { try Self.description(#"{"name": "X", "requires": ["a b"], "fields": [{"key": "name"}]}"#) }
        #expect(tags?.message.contains("requires") == true)
        // What a worker must have and how many run at once are not part of the template's version.
        let plain = try Self.description(#"{"name": "X", "fields": [{"key": "name"}]}"#)
        let tagged = try Self.description(#"{"name": "X", "requires": ["gpu"], "max_concurrent_renders": 3, "fields": [{"key": "name"}]}"#)
        #expect(plain.projectVersions["Farm"]?.version == tagged.projectVersions["Farm"]?.version)
        #expect(tagged.compositions[0].requiredTags == ["gpu"] && tagged.compositions[0].maxConcurrentRenders == 3)
        // The same idempotency key with other required tags is another request.
        let a = RenderSubmission(templateName: "t", idempotencyKey: "k", requiredTags: ["gpu"])
        let b = RenderSubmission(templateName: "t", idempotencyKey: "k", requiredTags: ["GPU"])
        let c = RenderSubmission(templateName: "t", idempotencyKey: "k")
        #expect(a.idempotencyFingerprint == b.idempotencyFingerprint)
        #expect(a.idempotencyFingerprint != c.idempotencyFingerprint)
    }
}
