import Foundation
import HubPostgres
import HubRedis
import Logging

/// Brings the Redis dispatch stream back in line with PostgreSQL (SPEC §3 "reconciles Redis with
/// PostgreSQL"). PostgreSQL is the truth; a stream entry is only a signal naming an instruction.
///
/// One pass:
/// 1. acknowledges pending entries (delivered, not acknowledged) whose instruction is finished,
///    no longer exists, or whose entry was trimmed away;
/// 2. reclaims the pending entries of consumers that are gone (their process stopped or went
///    silent in the service registry, or an unregistered consumer idle longer than
///    ``Settings/unregisteredConsumerIdle``), re-signals the instructions still unfinished
///    through the outbox, acknowledges the entries and deletes those consumers;
/// 3. gives `pending` instructions that never had a dispatch signal (rows written by other tools)
///    an outbox row, and relays every unpublished outbox row;
/// 4. trims the stream to about ``Settings/maxLength`` entries (`XTRIM MAXLEN ~`).
///
/// It does not depend on how workers acknowledge: entries acknowledged on read leave an empty
/// pending list and step 1 finds nothing; entries kept pending until completion are settled here
/// when a worker dies holding them.
package struct Reconciler: Sendable {
    /// Limits of a pass.
    package struct Settings: Sendable, Hashable {
        /// The consumer this reconciler claims entries as (it never reads new entries).
        package var consumer = "hub-reconciler"
        /// An unregistered consumer idle this long is gone (registered ones follow their registry row).
        package var unregisteredConsumerIdle: Duration = .seconds(600)
        /// A registered process whose last heartbeat is older than this is gone.
        package var silentAfter: Duration = .seconds(30)
        /// The stream is trimmed to about this many entries.
        package var maxLength = 10_000
        /// Pending entries examined per pass.
        package var scanLimit = 10_000

        /// The defaults.
        package init() {}
    }

    /// What a pass did.
    package struct Report: Sendable, Hashable, Codable {
        /// Entries acknowledged because their instruction is finished, gone or trimmed away.
        package var acknowledged = 0
        /// Entries taken from consumers that are gone.
        package var reclaimed = 0
        /// Consumers deleted from the group.
        package var removedConsumers: [String] = []
        /// Instructions given a fresh dispatch signal (reclaimed unfinished ones, never-signalled ones).
        package var resignalled = 0
        /// Outbox rows published by the relay.
        package var published = 0
        /// Entries removed by the trim.
        package var trimmed = 0

        /// An empty report.
        package init() {}
    }

    /// The queue (store, Redis, stream and group names).
    package let queue: RenderQueue
    /// The limits.
    package let settings: Settings
    let logger: Logger

    /// Creates a reconciler.
    package init(queue: RenderQueue, settings: Settings = Settings(), logger: Logger = Logger(label: "hub.reconciler")) {
        self.queue = queue
        self.settings = settings
        self.logger = logger
    }

    private var stream: String { queue.dispatch.stream }

    /// Runs one pass.
    /// - Throws: a ``RedisError`` when Redis is unreachable (nothing in PostgreSQL is lost; the next
    ///   pass catches up), or a PostgreSQL error.
    package func reconcile() async throws -> Report {
        var report = Report()
        try await queue.ensureGroup()
        var resignal: Set<Int64> = []
        // The untagged workers' group and one per set of worker tags (RenderTags.group).
        let base = queue.dispatch.group
        let groups = try await queue.redis.xinfoGroups(stream).map(\.name).filter { $0 == base || $0.hasPrefix(base + ":") }
        for group in Set(groups + [base]).sorted() {
            try await settle(group: group, report: &report, resignal: &resignal)
        }
        report.resignalled = try await resignalInstructions(Array(resignal))
        report.published = try await queue.relay(limit: settings.scanLimit)
        report.trimmed = try await queue.redis.xtrim(stream, maxLength: settings.maxLength, approximate: true)
        return report
    }

    /// Steps 1 and 2 of a pass for one consumer group; the instructions to signal again are added
    /// to `resignal`.
    private func settle(group: String, report: inout Report, resignal: inout Set<Int64>) async throws {
        let pending = try await queue.redis.xpending(stream, group: group, count: settings.scanLimit)
        let goneConsumers = try await consumersGone(group: group)
        if !pending.isEmpty {
            let instructions = try await instructionIDs(of: pending.map(\.id))
            let states = try await statuses(Array(Set(instructions.values)))
            var ack: [String] = []
            var reclaim: [String] = []
            for entry in pending {
                guard let id = instructions[entry.id], let status = states[id], !status.isFinished else {
                    ack.append(entry.id) // finished, unknown or trimmed away
                    continue
                }
                if goneConsumers.contains(entry.consumer) {
                    reclaim.append(entry.id)
                    resignal.insert(id)
                }
            }
            report.acknowledged += try await queue.redis.xack(stream, group: group, ids: ack)
            if !reclaim.isEmpty {
                // Take the entries over first, so the dead consumer's pending list is empty and
                // another reconciler cannot act on them; then settle them.
                let claimed = try await queue.redis.xclaim(stream, group: group, consumer: settings.consumer, minIdle: .zero, ids: reclaim)
                report.reclaimed += claimed.count
                _ = try await queue.redis.xack(stream, group: group, ids: reclaim)
            }
        }
        for consumer in goneConsumers {
            let left = try await queue.redis.xgroupDelConsumer(stream, group: group, consumer: consumer)
            if left > 0 { logger.warning("consumer \(consumer) was deleted holding \(left) entries added meanwhile") }
            report.removedConsumers.append(consumer)
        }
    }

    /// Consumers of the group that are gone: their process is registered and stopped or silent,
    /// or they are unregistered and idle past the limit. The reconciler's own consumer is kept.
    func consumersGone(group: String? = nil) async throws -> Set<String> {
        let group = group ?? queue.dispatch.group
        let consumers = try await queue.redis.xinfoConsumers(stream, group: group)
        guard !consumers.isEmpty else { return [] }
        let silent = settings.silentAfter.seconds
        let rows = try await queue.store.pool.query("""
            SELECT id, stopped_at IS NULL AND last_heartbeat > now() - make_interval(secs => \(silent)) FROM service_registry
            WHERE kind = 'hub-worker'
            """)
        var registered: [String: Bool] = [:]
        for row in rows { registered[try row.decode(String.self, at: 0)] = try row.decode(Bool.self, at: 1) }
        var gone: Set<String> = []
        for consumer in consumers where consumer.name != settings.consumer {
            let process = "hub-worker:" + Self.processPrefix(of: consumer.name)
            if let alive = registered[process] {
                if !alive { gone.insert(consumer.name) }
            } else if Double(consumer.idleMilliseconds) >= settings.unregisteredConsumerIdle.seconds * 1000 {
                gone.insert(consumer.name)
            }
        }
        return gone
    }

    /// A consumer is named `<host>-<pid>-<slot>`; its process registers as `hub-worker:<host>-<pid>`.
    static func processPrefix(of consumer: String) -> String {
        guard let dash = consumer.lastIndex(of: "-"), consumer[consumer.index(after: dash)...].allSatisfy(\.isNumber),
              dash != consumer.index(before: consumer.endIndex)
        else { return consumer }
        return String(consumer[..<dash])
    }

    /// The instruction each entry names, read with one pipelined `XRANGE id id` per entry;
    /// entries trimmed away are missing from the result.
    func instructionIDs(of entryIDs: [String]) async throws -> [String: Int64] {
        var result: [String: Int64] = [:]
        for chunk in stride(from: 0, to: entryIDs.count, by: 500).map({ Array(entryIDs[$0..<min($0 + 500, entryIDs.count)]) }) {
            let replies = try await queue.redis.pipeline(chunk.map { ["XRANGE", RedisArgument(stream), RedisArgument($0), RedisArgument($0)] })
            for (entryID, reply) in zip(chunk, replies) {
                guard let entries = try? RedisStreamEntry.entries(stream: stream, reply: reply),
                      let entry = entries.first, let text = entry["instruction"], let id = Int64(text)
                else { continue }
                result[entryID] = id
            }
        }
        return result
    }

    /// The status of each existing instruction.
    func statuses(_ ids: [Int64]) async throws -> [Int64: RenderStatus] {
        guard !ids.isEmpty else { return [:] }
        let rows = try await queue.store.pool.query("SELECT id, status FROM render_instructions WHERE id = ANY(\(ids))")
        var result: [Int64: RenderStatus] = [:]
        for row in rows {
            if let status = RenderStatus(rawValue: try row.decode(String.self, at: 1)) { result[try row.decode(Int64.self, at: 0)] = status }
        }
        return result
    }

    /// Gives a fresh outbox row to the listed instructions that are still waiting, and to every
    /// `pending` instruction that was never signalled; the relay then publishes them.
    ///
    /// Published outbox rows are deleted, so "never signalled" cannot be read from the outbox:
    /// it is a pending row with neither a `submitted` timeline entry (every submit writes one with
    /// its outbox row) nor an earlier `resignalled` one — a row another tool inserted directly.
    /// The `resignalled` entry written here keeps the next pass from signalling it again.
    func resignalInstructions(_ ids: [Int64]) async throws -> Int {
        let rows = try await queue.store.pool.query("""
            WITH due AS (
                SELECT r.id FROM render_instructions r
                WHERE r.status = 'pending'
                  AND (r.id = ANY(\(ids)) OR NOT EXISTS (
                        SELECT 1 FROM render_timeline t
                        WHERE t.instruction_id = r.id AND t.event IN ('submitted', 'resignalled')))
                  AND NOT EXISTS (SELECT 1 FROM render_outbox o WHERE o.instruction_id = r.id AND o.published_at IS NULL)
            ), outbox AS (
                INSERT INTO render_outbox (instruction_id) SELECT id FROM due RETURNING id
            ), timeline AS (
                INSERT INTO render_timeline (instruction_id, event, from_status, to_status, actor, reason)
                SELECT id, 'resignalled', 'pending', 'pending', 'reconciler', 'dispatch signal sent again' FROM due
            )
            SELECT id FROM outbox
            """)
        return rows.count
    }
}
