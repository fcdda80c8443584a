import Foundation
import HubCore
import HubPostgres
import HubRedis
import HubTestSupport
import Testing

/// Issue 13 "Must show": chaos at real settings. Part of ``ChaosTests`` (serialized, service
/// instance "chaos" of its own), so the servers it stops and restarts disturb no other test.
extension ChaosTests {
    /// Producers submitting through the real paths (`hubctl render submit` processes and
    /// `RenderQueue.submit` in this process: the instruction and its outbox row in one commit, then
    /// the Redis signal) while real `hub-worker` processes rendering 1–3 s jobs are SIGKILLed every
    /// few seconds and started again (a supervisor), Redis is stopped for 20 s and PostgreSQL
    /// restarted — with the default retry and quarantine limits. Every instruction must complete
    /// exactly once, no render process may outlive its worker, no job may be failed or quarantined
    /// by the faults, and the render invariants must hold. Prints the recovery figures and writes
    /// them to `hub-chaos-real-figures.txt` in the temporary directory.
    @Test func producersKillsARedisOutageAndAPostgresRestartAtDefaultLimitsLoseNothing() async throws {
        let prepared = try await prepare(lease: 10, interval: 5)
        let pool = prepared.pool
        // Real settings: the default quarantine limit (3) and max_retries (3) — not raised.
        let env = prepared.env.filter { $0.key != "HUB_QUARANTINE_CRASHES" }.merging(["HUB_LOG_LEVEL": "notice"]) { $1 }
        let endpoints = try await TestServices.endpoints(instance: Self.instance)
        try await TestServices.startRedis(instance: Self.instance) // (a run cut short may have left it stopped)
        let dispatch = DispatchConfiguration(stream: env["HUB_RENDER_STREAM"]!, group: "ae-workers")

        // A render takes 1–3 s; it and a helper it starts (in its process group) note their pids
        // under a tag, so that any render process left anywhere can be found at the end.
        let tag = "hubchaosreal\(UUID().uuidString.prefix(8).lowercased())"
        let render = try script("""
            echo "progress: 1/2"
            ms=$((1000 + RANDOM % 2001))
            (exec -a "\(tag)-helper" sleep "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))") &
            wait
            echo "progress: 2/2"
            cat "$1" > "$2"
            """)
        let scriptPath = render
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("hub-chaos-real-out-\(UUID())")
        let arguments = ["--concurrency", "2", "--backend", "command", "--command", render, "--output-dir", output.path]

        // The supervisor: a worker that exits by itself is started again (counted; it should not happen).
        let workers = LockedBox(try (0..<4).map { _ in try Worker(arguments, environment: env) })
        // A run cut short (a failed wait) leaves no worker behind.
        defer { for worker in workers.withLock({ $0 }) where worker.process.isRunning { worker.signal(SIGKILL) } }
        let exitedByThemselves = LockedBox<[String]>([])
        @Sendable func supervise() throws {
            try workers.withLock { list in
                for index in list.indices where !list[index].process.isRunning {
                    exitedByThemselves.withLock { $0.append("\(list[index].prefix) (status \(list[index].process.terminationStatus)): \(list[index].output.suffix(2000))") }
                    list[index] = try Worker(arguments, environment: env)
                }
            }
        }

        // Producers: two `hubctl render submit` loops and one in-process RenderQueue, 100 each.
        // Each keeps the backlog small so that submissions go on through the whole chaos, and
        // tries a failed submit again (PostgreSQL restarting) as a real producer would.
        let perProducer = 100
        let total = perProducer * 3
        let submittedIDs = LockedBox<[Int: [Int64]]>([:]) // label → instruction ids
        let failedSubmits = LockedBox(0)
        let unpublishedSubmits = LockedBox(0)
        @Sendable func backlog() async -> Int {
            await count(pool, "SELECT count(*) FROM render_instructions WHERE status IN ('pending', 'processing')")
        }
        // (While PostgreSQL restarts the count fails: the producer goes ahead, its submit fails and is tried again.)
        @Sendable func waitForRoom() async throws {
            try await waitUntil("the backlog to fall below 24", timeout: 120) { await backlog() < 24 }
        }
        /// A submit fails during the faults (PostgreSQL restarting) and is tried again, for 90 s at most.
        @Sendable func retryDeadline() -> ContinuousClock.Instant { ContinuousClock.now + .seconds(90) }
        @Sendable func pauseBeforeRetry(_ deadline: ContinuousClock.Instant) async throws {
            guard ContinuousClock.now < deadline else { throw WaitTimeout(what: "a submit to succeed again", seconds: 90) }
            try await Task.sleep(for: .milliseconds(200))
        }
        var producerConfiguration = try RedisConfiguration(url: endpoints.redisURL)
        producerConfiguration.connectTimeout = .milliseconds(500)
        let producerRedis = RedisClient(configuration: producerConfiguration)
        let producerPool = try PostgresPool(url: env["HUB_DATABASE_URL"]!, maxConnections: 2)
        let queue = RenderQueue(store: RenderStore(pool: producerPool), redis: producerRedis, dispatch: dispatch, source: "chaos-producer")
        // The chaos goes on until the producers and the server faults are done (or failed).
        let producersOver = LockedBox(false), faultsOver = LockedBox(false)
        let producers = Task {
            defer { producersOver.withLock { $0 = true } }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for producer in 0..<2 {
                    group.addTask {
                        for k in 0..<perProducer {
                            let label = producer * 1000 + k
                            try await waitForRoom()
                            let deadline = retryDeadline()
                            while true {
                                let result = try await Hubctl.run(["jobs", "submit", "--template", "chaos", "--format", "png",
                                                                   "--data", "{\"n\":\(label)}", "--actor", "producer-\(producer)"], env: env)
                                if result.status == 0, let id = Int64(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) {
                                    submittedIDs.withLock { $0[label, default: []].append(id) }
                                    if result.stderr.contains("Redis is unreachable") { unpublishedSubmits.withLock { $0 += 1 } }
                                    break
                                }
                                failedSubmits.withLock { $0 += 1 }
                                try await pauseBeforeRetry(deadline)
                            }
                        }
                    }
                }
                group.addTask {
                    for k in 0..<perProducer {
                        let label = 2000 + k
                        try await waitForRoom()
                        let deadline = retryDeadline()
                        while true {
                            do {
                                let result = try await queue.submit(RenderSubmission(templateName: "chaos", layerData: ["n": .integer(Int64(label))],
                                                                                     outputSettings: OutputSettings(format: .png)), actor: "producer-2")
                                submittedIDs.withLock { $0[label, default: []].append(result.instruction.id) }
                                if !result.published { unpublishedSubmits.withLock { $0 += 1 } }
                                break
                            } catch {
                                failedSubmits.withLock { $0 += 1 }
                                try await pauseBeforeRetry(deadline)
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
        }

        defer { producers.cancel() }

        // The faults, paced by progress: Redis stopped for 20 s once 40 renders are done,
        // PostgreSQL restarted once 170 are.
        @Sendable func completed() async -> Int {
            await count(pool, "SELECT count(*) FROM render_instructions WHERE status = 'completed'")
        }
        struct FaultTimes: Sendable {
            var redisStopped = Date.distantPast, redisBack = Date.distantPast, backlogRelayed = Date.distantPast
            var postgresRestartBegan = Date.distantPast, postgresBack = Date.distantPast
        }
        let faults = Task { () throws -> FaultTimes in
            defer { faultsOver.withLock { $0 = true } }
            var times = FaultTimes()
            try await waitUntil("40 completions before the Redis outage", timeout: 180) { await completed() >= 40 }
            times.redisStopped = Date()
            try await TestServices.stopRedis(instance: Self.instance)
            try await Task.sleep(for: .seconds(20)) // the outage (a fault's length, not a threshold)
            try await TestServices.startRedis(instance: Self.instance)
            times.redisBack = Date()
            try await waitUntil("the outbox backlog to be relayed after Redis returned", timeout: 120) {
                (try? await RenderStore(pool: pool).unpublished(limit: 1).isEmpty) == true
            }
            times.backlogRelayed = Date()
            try await waitUntil("170 completions before the PostgreSQL restart", timeout: 180) { await completed() >= 170 }
            times.postgresRestartBegan = Date()
            try await TestServices.restartPostgres(instance: Self.instance)
            times.postgresBack = Date()
            return times
        }

        defer { faults.cancel() }

        // The killer: every 2.5–4.5 s a random worker gets SIGKILL and the supervisor starts
        // another, until every instruction is submitted and both server faults are over. The
        // render processes of each victim (its children running the render script, and theirs)
        // are noted with their start times.
        struct Kill: Sendable { var prefix: String; var at: Date; var renders: [ProcessStamp] }
        var kills: [Kill] = []
        let started = Date()
        while true {
            try supervise()
            let pause = Double.random(in: 2.5...4.5)
            let wake = Date().addingTimeInterval(pause)
            while Date() < wake {
                try supervise()
                try await Task.sleep(for: .milliseconds(100))
            }
            let victim = workers.withLock { list in list.remove(at: Int.random(in: 0..<list.count)) }
            let renders = ProcessStamp.renders(of: victim.pid, script: scriptPath)
            victim.signal(SIGKILL)
            kills.append(Kill(prefix: victim.prefix, at: Date(), renders: renders))
            let replacement = try Worker(arguments, environment: env)
            workers.withLock { $0.append(replacement) }
            if producersOver.withLock({ $0 }) && faultsOver.withLock({ $0 }) { break }
        }
        try await producers.value
        let times = try await faults.value
        // Until nothing is left to do (a job failed by the faults ends the wait too; the checks below name it).
        try await waitUntil("every instruction to finish", timeout: 240) {
            try supervise()
            return await count(pool, "SELECT count(*) FROM render_instructions WHERE status IN ('pending', 'processing')") == 0
        }
        let chaosSeconds = Date().timeIntervalSince(started)
        let running = workers.withLock { $0 }
        for worker in running { worker.signal(SIGTERM) }
        try await waitUntil("the workers to exit", timeout: 60) { running.allSatisfy { !$0.process.isRunning } }

        // Every instruction completed exactly once; each label submitted once.
        let ids = submittedIDs.withLock { $0 }
        #expect(ids.count == total, "every producer's labels were submitted")
        let duplicates = ids.filter { $0.value.count > 1 }
        #expect(duplicates.isEmpty, "a submit that failed for the producer committed anyway: \(duplicates)")
        let check = try await pool.query("""
            SELECT (SELECT count(*) FROM render_instructions),
                   (SELECT count(*) FROM render_instructions WHERE status = 'completed'),
                   (SELECT count(*) FROM render_outputs WHERE status = 'completed'),
                   (SELECT count(*) FROM render_outputs WHERE status = 'failed'),
                   (SELECT count(*) FROM render_timeline WHERE event IN ('quarantined', 'failed', 'retry_scheduled')),
                   (SELECT count(*) FROM render_timeline WHERE event = 'lease_expired'),
                   (SELECT coalesce(max(crash_count), 0) FROM render_instructions),
                   (SELECT coalesce(max(retry_count), 0) FROM render_instructions),
                   (SELECT count(*) FROM render_outbox WHERE published_at IS NULL)
            """)[0]
        let instructions = try check.decode(Int.self, at: 0)
        #expect(instructions == total, "no instruction lost or added")
        #expect(try check.decode(Int.self, at: 1) == instructions, "every instruction completed")
        #expect(try check.decode(Int.self, at: 2) == instructions, "one completed output each")
        #expect(try check.decode(Int.self, at: 3) == 0, "no attempt failed")
        #expect(try check.decode(Int.self, at: 4) == 0, "no job failed, quarantined or scheduled for a retry by the faults")
        let expiries = try check.decode(Int.self, at: 5)
        let maxCrashes = try check.decode(Int.self, at: 6)
        let maxRetries = try check.decode(Int.self, at: 7)
        #expect(try check.decode(Int.self, at: 8) == 0, "no dispatch signal left owed")
        let notCompleted = try await pool.query("""
            SELECT id, status, crash_count, retry_count, coalesce(error_message, '') FROM render_instructions WHERE status <> 'completed' ORDER BY id
            """)
        for row in notCompleted {
            Issue.record("instruction \(try row.decode(Int64.self, at: 0)) ended \(try row.decode(String.self, at: 1)) (crashes \(try row.decode(Int.self, at: 2)), retries \(try row.decode(Int.self, at: 3))): \(try row.decode(String.self, at: 4))")
        }

        // Each output holds its own instruction (the script copies its job file).
        let outputs = try await pool.query("SELECT instruction_id, output_path FROM render_outputs WHERE status = 'completed'")
        var wrong: [Int64] = []
        for row in outputs {
            let id = try row.decode(Int64.self, at: 0)
            let data = FileManager.default.contents(atPath: try row.decode(String.self, at: 1)) ?? Data()
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
            if (object?["id"] as? NSNumber)?.int64Value != id { wrong.append(id) }
        }
        #expect(wrong.isEmpty, "outputs that do not hold their instruction: \(wrong.prefix(10))")

        // No render process outlived its worker: none of the killed workers' renders, and no
        // process anywhere running the render script or its helper.
        let killedRenders = kills.flatMap(\.renders)
        #expect(killedRenders.count > 0, "the kills landed mid-render")
        let survivors = killedRenders.filter(\.isAlive)
        #expect(survivors.isEmpty, "render processes that outlived their killed worker: \(survivors)")
        let strays = ProcessStamp.all(matching: [scriptPath, tag])
        #expect(strays.isEmpty, "render processes left running: \(strays)")

        #expect(kills.count >= 15, "workers were killed every few seconds")
        #expect(exitedByThemselves.withLock { $0 }.isEmpty, "workers exited by themselves: \(exitedByThemselves.withLock { $0 })")
        #expect(times.redisBack > times.redisStopped && times.postgresBack > times.postgresRestartBegan)
        try await assertRenderInvariants(pool, outputDirectories: [output])

        // Recovery figures.
        let claims = try await pool.query("""
            SELECT extract(epoch FROM occurred_at)::float8 FROM render_timeline WHERE event = 'claimed' ORDER BY occurred_at
            """).map { try $0.decode(Double.self, at: 0) }
        func claimsBetween(_ start: Date, _ end: Date) -> [Double] {
            claims.filter { $0 >= start.timeIntervalSince1970 && $0 <= end.timeIntervalSince1970 }
        }
        func longestGap(_ start: Date, _ end: Date) -> Double {
            let inside = [start.timeIntervalSince1970] + claimsBetween(start, end) + [end.timeIntervalSince1970]
            return zip(inside, inside.dropFirst()).map { $1 - $0 }.max() ?? 0
        }
        func firstClaim(after date: Date) -> Double {
            (claims.first { $0 >= date.timeIntervalSince1970 } ?? .nan) - date.timeIntervalSince1970
        }
        let duringRedis = claimsBetween(times.redisStopped, times.redisBack).count
        let redisGap = longestGap(times.redisStopped, times.redisBack)
        let relay = times.backlogRelayed.timeIntervalSince(times.redisBack)
        let lastClaimBeforePostgres = claims.last { $0 < times.postgresRestartBegan.timeIntervalSince1970 } ?? times.postgresRestartBegan.timeIntervalSince1970
        let postgresFirstClaim = firstClaim(after: times.postgresBack)
        let postgresGap = (claims.first { $0 >= times.postgresBack.timeIntervalSince1970 } ?? .nan) - lastClaimBeforePostgres
        let completions = try await pool.query("""
            SELECT extract(epoch FROM min(completed_at))::float8 FROM render_outputs
            WHERE status = 'completed' AND completed_at >= to_timestamp(\(times.postgresBack.timeIntervalSince1970))
            """)[0].decode(Double?.self, at: 0) ?? .nan
        let postgresFirstCompletion = completions - times.postgresBack.timeIntervalSince1970

        var recoveries: [Double] = []
        var heldByKilled = 0
        for kill in kills {
            let rows = try await pool.query("""
                SELECT extract(epoch FROM (SELECT min(c.occurred_at) FROM render_timeline c
                                           WHERE c.instruction_id = e.instruction_id AND c.event = 'claimed' AND c.id > e.id))::float8 - \(kill.at.timeIntervalSince1970)
                FROM render_timeline e
                WHERE e.event = 'lease_expired' AND e.worker_id LIKE \(kill.prefix + "-%")
                """)
            heldByKilled += rows.count
            recoveries += try rows.compactMap { try $0.decode(Double?.self, at: 0) }
        }
        #expect(heldByKilled > 0, "killed workers held jobs")
        #expect(recoveries.count == heldByKilled, "every job a killed worker held was claimed again")
        let sorted = recoveries.sorted()
        func percentile(_ p: Double) -> Double {
            sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, max(0, Int((Double(sorted.count) * p).rounded(.up)) - 1))]
        }
        let line = String(format: """
            chaos at real settings: %d instructions (2 hubctl producers, 1 RenderQueue producer; %d submits failed and were retried, %d committed while Redis was down), \
            4 workers × 2 slots, renders 1–3 s, lease 10 s, hunter 5 s, default quarantine (3) and max_retries (3); %.0f s. \
            %d SIGKILLs, %d jobs of killed workers (%d render processes killed with them, none left), %d lease expiries in all, max crash_count %d, max retry_count %d; \
            kill → claimed again: p50 %.1f s, p95 %.1f s, max %.1f s. \
            Redis stopped 20 s: %d claims meanwhile (PostgreSQL fallback), longest claim gap %.1f s; Redis back → backlog relayed %.1f s. \
            PostgreSQL restart (%.1f s): back → first claim %.2f s, first completion %.2f s; dispatch gap across it %.1f s
            """,
            total, failedSubmits.withLock { $0 }, unpublishedSubmits.withLock { $0 }, chaosSeconds,
            kills.count, heldByKilled, killedRenders.count, expiries, maxCrashes, maxRetries,
            percentile(0.5), percentile(0.95), sorted.last ?? 0,
            duringRedis, redisGap, relay,
            times.postgresBack.timeIntervalSince(times.postgresRestartBegan), postgresFirstClaim, postgresFirstCompletion, postgresGap)
        print(line)
        try? line.write(toFile: FileManager.default.temporaryDirectory.appendingPathComponent("hub-chaos-real-figures.txt").path,
                        atomically: true, encoding: .utf8)
        await producerPool.close()
        await producerRedis.close()
        await pool.close()
    }
}

/// A process as /proc shows it: pid and start time (a recycled pid is never taken for it).
struct ProcessStamp: Sendable, CustomStringConvertible {
    var pid: Int32
    var start: String
    var command: String

    var description: String { "\(pid) \(command)" }

    /// Whether that process still runs (not a zombie, same start time).
    var isAlive: Bool {
        guard let now = Self.stat(pid), now.state != "Z", now.state != "X" else { return false }
        return now.start == start
    }

    static func stat(_ pid: Int32) -> (state: Character, ppid: Int32, start: String)? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(close, offsetBy: 2)...].split(separator: " ")
        guard fields.count > 19, let state = fields[0].first, let ppid = Int32(fields[1]) else { return nil }
        return (state, ppid, String(fields[19]))
    }

    static func commandLine(_ pid: Int32) -> String {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return "" }
        return String(decoding: data.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
    }

    static func allPIDs() -> [Int32] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { Int32($0) }
    }

    /// The render processes of worker `pid`: its children running `script`, and their descendants.
    static func renders(of pid: Int32, script: String) -> [ProcessStamp] {
        var table: [(pid: Int32, ppid: Int32, start: String, state: Character)] = []
        for candidate in allPIDs() {
            if let s = stat(candidate) { table.append((candidate, s.ppid, s.start, s.state)) }
        }
        var found: [ProcessStamp] = []
        var frontier = table.filter { $0.ppid == pid && commandLine($0.pid).contains(script) }.map(\.pid)
        while let next = frontier.popLast() {
            guard let entry = table.first(where: { $0.pid == next }), entry.state != "Z" else { continue }
            found.append(ProcessStamp(pid: next, start: entry.start, command: commandLine(next)))
            frontier += table.filter { $0.ppid == next }.map(\.pid)
        }
        return found
    }

    /// Every live process whose command line contains one of `markers`.
    static func all(matching markers: [String]) -> [ProcessStamp] {
        allPIDs().compactMap { pid in
            let command = commandLine(pid)
            guard markers.contains(where: { command.contains($0) }), let s = stat(pid), s.state != "Z", s.state != "X" else { return nil }
            return ProcessStamp(pid: pid, start: s.start, command: command)
        }
    }
}
