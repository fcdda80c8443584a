import Crypto
import Foundation
import HubCore
import HubPostgres
import HubRedis
import HubTestSupport
import Testing

/// Delivery of completed renders to a template's folder (issue 16), through real workers.
@Suite(.timeLimit(.minutes(3))) struct RenderDeliveryTests {
    let url: String
    let endpoints: ServiceEndpoints
    let dispatch = DispatchConfiguration(stream: "test:deliver:\(UUID().uuidString.prefix(8))", group: "ae-workers")

    init() async throws {
        url = try await scratchDatabaseURL()
        endpoints = try await TestServices.endpoints()
        let pool = try PostgresPool(url: url, maxConnections: 1)
        try await Migrator(pool: pool).up()
        await pool.close()
    }

    func producer() throws -> (PostgresPool, RedisClient, RenderQueue) {
        let pool = try PostgresPool(url: url, maxConnections: 4)
        let redis = try RedisClient(url: endpoints.redisURL)
        return (pool, redis, RenderQueue(store: RenderStore(pool: pool), redis: redis, dispatch: dispatch))
    }

    static func folder(_ name: String) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("hub-\(name)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url.path
    }

    static func sha256(_ path: String) throws -> String {
        SHA256.hash(data: try Data(contentsOf: URL(fileURLWithPath: path))).map { String(format: "%02x", $0) }.joined()
    }

    @Test func aCompletedRenderIsCopiedToItsTemplatesFolderWithItsChecksum() async throws {
        let (pool, redis, queue) = try producer()
        let playout = try Self.folder("playout")
        try await DeliveryStore(pool: pool).setTarget(template: "lower_third", directory: playout, actor: "test")
        let script = try writeScript("head -c 300000 /dev/urandom > \"$2\"")
        let worker = try WorkerHarness.start(databaseURL: url, redisURL: endpoints.redisURL, dispatch: dispatch,
                                             backend: CommandBackend(executable: script), concurrency: 1, name: "deliver")
        let delivered = try await queue.submit(RenderSubmission(templateName: "lower_third", outputSettings: OutputSettings(format: .png)), actor: "test").instruction
        let other = try await queue.submit(RenderSubmission(templateName: "no_target", outputSettings: OutputSettings(format: .png)), actor: "test").instruction
        let store = DeliveryStore(pool: pool)
        try await waitUntil("the delivery", timeout: 30) { try await store.delivery(instruction: delivered.id)?.status == "delivered" }
        let delivery = try #require(try await store.delivery(instruction: delivered.id))
        let path = try #require(delivery.deliveredPath)
        #expect(path == playout + "/lower_third-\(delivered.id).png")
        let output = try #require(try await RenderOutput.list(instruction: delivered.id, pool: pool).last?.outputPath)
        #expect(output.hasPrefix(worker.worker.configuration.outputDirectory.path), "the render stays where the worker wrote it")
        #expect(try Self.sha256(path) == delivery.checksum)
        #expect(try Self.sha256(output) == delivery.checksum, "the copy is the render, byte for byte")
        #expect(delivery.bytes == 300_000)
        #expect(delivery.attempts == 1 && delivery.lastError == nil)
        try await waitUntil("the other render", timeout: 30) { try await queue.store.instruction(other.id).status == .completed }
        #expect(try await store.delivery(instruction: other.id) == nil, "a template without a folder is not delivered")
        #expect(try FileManager.default.contentsOfDirectory(atPath: playout) == ["lower_third-\(delivered.id).png"], "no temporary file left")
        _ = try await worker.stop()
        await pool.close()
        await redis.close()
    }

    @Test func aFailedDeliveryIsRetriedAndAlertedAndNeverFailsTheRender() async throws {
        let (pool, redis, queue) = try producer()
        let parent = try Self.folder("share")
        let playout = parent + "/watch" // not there yet: the share is "not mounted"
        try await DeliveryStore(pool: pool).setTarget(template: "bust_out", directory: playout, actor: "test")
        let script = try writeScript("printf 'frame' > \"$2\"")
        let worker = try WorkerHarness.start(databaseURL: url, redisURL: endpoints.redisURL, dispatch: dispatch,
                                             backend: CommandBackend(executable: script), concurrency: 1, name: "failing")
        let instruction = try await queue.submit(RenderSubmission(templateName: "bust_out", outputSettings: OutputSettings(format: .png)), actor: "test").instruction
        let store = DeliveryStore(pool: pool)
        try await waitUntil("a failed delivery attempt", timeout: 30) { (try await store.delivery(instruction: instruction.id)?.attempts ?? 0) >= 1 }
        #expect(try await queue.store.instruction(instruction.id).status == .completed, "the render is completed all the same")
        let failing = try #require(try await store.delivery(instruction: instruction.id))
        #expect(failing.status == "pending")
        #expect(failing.lastError?.contains("does not exist") == true)

        // Two failures: the monitor's delivery_failed alert (retries come 5 s apart; make the second due now).
        try await pool.query("UPDATE render_deliveries SET next_attempt_at = now() WHERE instruction_id = \(instruction.id)")
        try await waitUntil("a second failed attempt", timeout: 30) { (try await store.delivery(instruction: instruction.id)?.attempts ?? 0) >= 2 }
        let detector = AnomalyDetector(pool: pool)
        let alerted = try await detector.pass(actor: "test")
        let finding = try #require(alerted.findings.first { $0.rule == "delivery_failed" })
        #expect(finding.subject.hasSuffix(":" + playout), "one alert per machine and folder")
        #expect(finding.details["instruction_ids"] == .array([.integer(instruction.id)]))

        // The share comes back: the next attempt delivers and the alert resolves.
        try FileManager.default.createDirectory(atPath: playout, withIntermediateDirectories: true)
        try await pool.query("UPDATE render_deliveries SET next_attempt_at = now() WHERE instruction_id = \(instruction.id)")
        try await waitUntil("the delivery after the share came back", timeout: 30) {
            try await store.delivery(instruction: instruction.id)?.status == "delivered"
        }
        let done = try #require(try await store.delivery(instruction: instruction.id))
        #expect(try String(contentsOfFile: try #require(done.deliveredPath), encoding: .utf8) == "frame")
        #expect(done.lastError == nil && done.attempts == 3)
        let cleared = try await detector.pass(actor: "test")
        #expect(!cleared.findings.contains { $0.rule == "delivery_failed" })
        #expect(cleared.resolved.contains { $0.rule == "delivery_failed" })
        _ = try await worker.stop()
        await pool.close()
        await redis.close()
    }

    /// The machine that holds the file is gone for good: the operator drops the owed delivery, the
    /// alert resolves, no worker takes it again, and the purge may remove the instruction.
    @Test func anOwedDeliveryDroppedByAnOperatorIsNoLongerOwed() async throws {
        let (pool, redis, queue) = try producer()
        let playout = try Self.folder("gone") + "/never-mounted"
        let store = DeliveryStore(pool: pool)
        try await store.setTarget(template: "outro", directory: playout, actor: "test")
        let script = try writeScript("printf 'frame' > \"$2\"")
        let worker = try WorkerHarness.start(databaseURL: url, redisURL: endpoints.redisURL, dispatch: dispatch,
                                             backend: CommandBackend(executable: script), concurrency: 1, name: "dropping")
        let instruction = try await queue.submit(RenderSubmission(templateName: "outro", outputSettings: OutputSettings(format: .png)), actor: "test").instruction
        try await waitUntil("a failed delivery attempt", timeout: 30) { (try await store.delivery(instruction: instruction.id)?.attempts ?? 0) >= 1 }
        try await pool.query("UPDATE render_deliveries SET next_attempt_at = now() WHERE instruction_id = \(instruction.id)")
        try await waitUntil("a second failed attempt", timeout: 30) { (try await store.delivery(instruction: instruction.id)?.attempts ?? 0) >= 2 }
        _ = try await worker.stop()
        let detector = AnomalyDetector(pool: pool)
        #expect(try await detector.pass(actor: "test").findings.contains { $0.rule == "delivery_failed" })
        // While it is owed, the purge keeps the instruction.
        let cutoff = Date().addingTimeInterval(3600)
        #expect(try await RenderPurge(pool: pool).run(finishedBefore: cutoff, dryRun: true).removed.instructions == 0)

        let dropped = try await store.drop(instruction: instruction.id, actor: "kim", reason: "render-3 decommissioned")
        #expect(dropped.status == "dropped")
        #expect(dropped.lastError == "dropped by kim: render-3 decommissioned")
        #expect(try await store.deliveries(pendingOnly: true).isEmpty)
        try await pool.query("UPDATE render_deliveries SET next_attempt_at = now() WHERE instruction_id = \(instruction.id)")
        #expect(try await store.takeDue(host: dropped.host, limit: 10).isEmpty, "no worker takes a dropped delivery")
        let cleared = try await detector.pass(actor: "test")
        #expect(!cleared.findings.contains { $0.rule == "delivery_failed" })
        #expect(cleared.resolved.contains { $0.rule == "delivery_failed" })
        #expect(try await RenderPurge(pool: pool).run(finishedBefore: cutoff, dryRun: true).removed.instructions == 1)

        // Dropping again answers the same; an instruction that owes nothing is told so.
        #expect(try await store.drop(instruction: instruction.id, actor: "kim", reason: "again").lastError == "dropped by kim: render-3 decommissioned")
        let none = await #expect(throws: HubError.self) { try await store.drop(instruction: 999_999, actor: "kim", reason: "typo") }
        #expect(none?.code == .notFound)
        await pool.close()
        await redis.close()
    }

    /// A watcher polling the folder never sees the final name before the file is whole.
    @Test func aWatcherNeverSeesAPartialFile() async throws {
        let source = try Self.folder("render") + "/big.mov"
        let bytes = Data((0..<(24 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 7) })
        try bytes.write(to: URL(fileURLWithPath: source))
        let expected = SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
        let playout = try Self.folder("watch")
        let seen = LockedBox<[Int]>([])
        let stop = LockedBox(false)
        let stopped = LockedBox(false)
        let watcher = Thread {
            defer { stopped.withLock { $0 = true } }
            while !stop.withLock({ $0 }) {
                for name in (try? FileManager.default.contentsOfDirectory(atPath: playout)) ?? [] where !name.hasPrefix(".") {
                    let size = (try? FileManager.default.attributesOfItem(atPath: playout + "/" + name)[.size] as? Int) ?? -1
                    seen.withLock { $0.append(size) }
                }
            }
        }
        watcher.start()
        for round in 0..<3 {
            let copied = try AtomicCopy.copy(source, into: playout, as: "clip.mov")
            #expect(copied.checksum == expected, "round \(round)")
            #expect(copied.bytes == Int64(bytes.count))
        }
        stop.withLock { $0 = true }
        try await waitUntil("the watcher to stop") { stopped.withLock { $0 } }
        let sizes = seen.withLock { $0 }
        #expect(!sizes.isEmpty, "the watcher saw the file")
        #expect(sizes.allSatisfy { $0 == bytes.count }, "every sighting of clip.mov was the whole file: \(Set(sizes))")
        #expect(try FileManager.default.contentsOfDirectory(atPath: playout) == ["clip.mov"])
        let refused = #expect(throws: HubError.self) { try AtomicCopy.copy(source, into: playout + "/missing", as: "x.mov") }
        #expect(refused?.message.contains("does not exist") == true)
    }
}
