import Foundation
import HubDriverSupport
import HubPostgres
import Logging

/// Runs syncs (SPEC §4.3): each source run takes the source's advisory lock (an overlapping run
/// of the same source is skipped, never imports twice), honours the source's circuit breaker,
/// records a `sync_history` row with counts and duration, moves the state machine, and publishes
/// `sync_started` / `sync_completed` / `sync_failed` on `sync-status`. Every event and log line
/// of one runner carries its correlation id.
package struct SyncRunner: Sendable {
    /// The database.
    package let pool: PostgresPool
    /// Where events go (nil: none).
    package let events: EventPublisher?
    /// Ties every event, log line and history row of this run together.
    package let correlationID: UUID
    /// The breaker applied to each source.
    package var breaker = SyncCircuitBreaker()
    /// GFX files imported at once.
    package var concurrency = 4
    /// Checked before each file of a GFX import (``GFXImporter/shouldStop``).
    package var shouldStop: @Sendable () -> Bool = { false }
    /// Called with (phase, done, total) as work progresses.
    package var progress: @Sendable (String, Int, Int) -> Void = { _, _, _ in }
    /// Where critical sync notifications are also posted (`HUB_WEBHOOK_URL`); nil: stored and
    /// published only.
    package var webhook: WebhookSettings? = nil
    /// Where WSOP+ player photos may point (``WSOPImporter/media``).
    package var media = MediaPolicy()
    /// The largest export file read (``HubSetting/syncMaxFileBytes``): a larger one is skipped
    /// unread, with the reason.
    package var maxFileBytes = InputFile.defaultMaxBytes
    /// The run's logger (its metadata holds `correlation_id`).
    package let logger: Logger
    /// Hands the GFX imports of this runner graded as they wrote them, until ``grade()`` announces them.
    let gradedAtImport = GradedHands()

    package init(pool: PostgresPool, events: EventPublisher?, correlationID: UUID = UUID(), logger: Logger = Logger(label: "hub.sync")) {
        self.pool = pool
        self.events = events
        self.correlationID = correlationID
        var logger = logger
        logger[metadataKey: "correlation_id"] = "\(correlationID.uuidString.lowercased())"
        self.logger = logger
    }

    var store: SyncStore { SyncStore(pool: pool) }
    var correlation: String { correlationID.uuidString.lowercased() }

    /// Graded hands handed from the import to ``grade()``.
    final class GradedHands: Sendable {
        private let hands = PThreadLocked<[HandGrader.GradedHand]>([])
        func add(_ more: [HandGrader.GradedHand]) { hands.withLock { $0 += more } }
        /// Every hand added so far; empties the list.
        func take() -> [HandGrader.GradedHand] { hands.withLock { list in defer { list = [] }; return list } }
    }

    /// The outcome of one source run.
    package struct SourceResult: Sendable, Codable, Hashable {
        package var source: String
        /// `completed`, `failed` or `skipped`.
        package var status: String
        package var runID: Int64?
        package var counts: SyncCounts
        package var durationMs: Int
        /// Why it failed or was skipped.
        package var reason: String?
        /// Hands added (GFX).
        package var newHands: Int = 0
        /// Whether the run counts as a failure for the exit status (a lock-skip does not).
        package var isFailure: Bool { status == "failed" || (status == "skipped" && reason?.hasPrefix("circuit") == true) }
    }

    /// Imports the PokerGFX exports under `directories`.
    package func syncGFX(directories: [String], table: String? = nil) async -> SourceResult {
        await run(.gfx) { runID in
            let files = try GFXScanner.scan(directories, table: table)
            logger.info("gfx: \(files.count) files under \(directories.joined(separator: ", "))")
            var importer = GFXImporter(pool: pool, concurrency: concurrency, logger: logger)
            importer.concurrency = concurrency
            importer.shouldStop = shouldStop
            importer.maxFileBytes = maxFileBytes
            let progress = self.progress
            let report = try await importer.importFiles(files, runID: runID) { done, total in progress("gfx", done, total) }
            // Graded as they were written; ``grade()`` announces them.
            gradedAtImport.add(report.graded)
            let failed: Set<String> = report.counts.filesFailed > 0 ? Set(SyncSource.gfx.entities) : []
            return (report.counts, failed, report.newHandIDs.count,
                    ["sessions_created": .integer(Int64(report.sessionsCreated)), "hands_added": .integer(Int64(report.newHandIDs.count)),
                     "players_created": .integer(Int64(report.playersCreated)), "files_not_read": .integer(Int64(report.filesNotRead))])
        }
    }

    /// Imports the WSOP+ export folder `directory` (and the export folders below it).
    package func syncWSOP(directory: String) async -> SourceResult {
        await run(.wsop) { runID in
            let files = try WSOPImporter.scan(directory)
            logger.info("wsop: \(files.count) files under \(directory)")
            let progress = self.progress
            var importer = WSOPImporter(pool: pool, media: media, logger: logger)
            importer.maxFileBytes = maxFileBytes
            let report = try await importer.importFiles(files, runID: runID) { done, total in
                progress("wsop", done, total)
            }
            let failed = Set(report.byEntity.filter { $0.value.filesFailed > 0 }.map(\.key.rawValue))
            return (report.counts, failed, 0, [:])
        }
    }

    typealias Body = @Sendable (Int64) async throws -> (SyncCounts, Set<String>, Int, [String: JSONValue])

    /// Runs one source under its lock and breaker, with history, state and events, and records its
    /// duration in the process's metrics.
    func run(_ source: SyncSource, body: Body) async -> SourceResult {
        let started = ContinuousClock.now
        let result = await runUnmeasured(source, body: body)
        HubMetrics.syncDuration(source: source.rawValue, ContinuousClock.now - started)
        // Files and new hands are counted by the importers as each file ends.
        return result
    }

    func runUnmeasured(_ source: SyncSource, body: Body) async -> SourceResult {
        let clock = ContinuousClock()
        let started = clock.now
        func elapsed() -> Int { Int((clock.now - started).components.seconds * 1000 + (clock.now - started).components.attoseconds / 1_000_000_000_000_000) }
        do {
            let inputs = try await store.breakerInputs(source)
            if breaker.state(consecutiveFailures: inputs.failures, lastFailure: inputs.last) == .open {
                let reason = "circuit open: \(source.displayName) failed \(inputs.failures) runs in a row; it is tried again after \(breaker.cooldown)"
                logger.warning("\(source.rawValue): skipped, \(reason)")
                let id = try? await store.skipped(source.rawValue, correlationID: correlationID, reason: reason)
                await publish("sync_failed", source, ["status": .string("skipped"), "reason": .string(reason)])
                return SourceResult(source: source.rawValue, status: "skipped", runID: id, counts: SyncCounts(), durationMs: elapsed(), reason: reason)
            }
            return try await pool.withConnection { lockConnection in
                let acquired = try await lockConnection.query("SELECT pg_try_advisory_lock(\(source.lockKey))")
                guard try acquired[0].decode(Bool.self, at: 0) else {
                    let reason = "another hub-sync run is importing \(source.displayName) now (it holds the \(source.rawValue) lock); nothing was imported twice"
                    logger.notice("\(source.rawValue): skipped, \(reason)")
                    let id = try? await store.skipped(source.rawValue, correlationID: correlationID, reason: reason)
                    return SourceResult(source: source.rawValue, status: "skipped", runID: id, counts: SyncCounts(), durationMs: elapsed(), reason: reason)
                }
                do {
                    let result = try await locked(source, body: body, elapsed: elapsed)
                    _ = try await lockConnection.query("SELECT pg_advisory_unlock(\(source.lockKey))")
                    return result
                } catch {
                    _ = try? await lockConnection.query("SELECT pg_advisory_unlock(\(source.lockKey))")
                    throw error
                }
            }
        } catch {
            let reason = Self.describe(error)
            logger.error("\(source.rawValue): sync failed: \(reason)")
            await publish("sync_failed", source, ["error": .string(reason)])
            return SourceResult(source: source.rawValue, status: "failed", runID: nil, counts: SyncCounts(), durationMs: elapsed(), reason: reason)
        }
    }

    /// The part of a run that happens under the source's lock.
    func locked(_ source: SyncSource, body: Body, elapsed: () -> Int) async throws -> SourceResult {
        let runID = try await store.begin(source.rawValue, correlationID: correlationID, entities: source.entities)
        await publish("sync_started", source, ["run_id": .integer(runID)])
        logger.info("\(source.rawValue): sync \(runID) started")
        var result = SourceResult(source: source.rawValue, status: "completed", runID: runID, counts: SyncCounts(), durationMs: 0)
        var failedEntities: Set<String> = []
        var details: [String: JSONValue] = [:]
        do {
            let outcome = try await body(runID)
            (result.counts, failedEntities, result.newHands, details) = outcome
        } catch {
            result.reason = Self.describe(error)
        }
        if !result.counts.warnings.isEmpty {
            details["warnings"] = .array(result.counts.warnings.map { .string($0.description) })
        }
        if result.reason != nil || result.counts.filesFailed > 0 {
            result.status = "failed"
            if result.reason == nil { result.reason = "\(result.counts.filesFailed) of \(result.counts.filesSeen) files skipped" }
        }
        try await store.finish(runID, source: source, counts: result.counts,
                               error: result.counts.filesFailed > 0 && result.reason?.hasSuffix("files skipped") == true ? nil : result.reason,
                               failedEntities: failedEntities, entities: source.entities, details: details)
        result.durationMs = elapsed()
        let c = result.counts
        let data: [String: JSONValue] = [
            "run_id": .integer(runID), "files_seen": .integer(Int64(c.filesSeen)), "files_imported": .integer(Int64(c.filesImported)),
            "files_unchanged": .integer(Int64(c.filesUnchanged)), "files_failed": .integer(Int64(c.filesFailed)),
            "rows_created": .integer(Int64(c.rowsCreated)), "rows_updated": .integer(Int64(c.rowsUpdated)),
            "duration_ms": .integer(Int64(result.durationMs)), "error": result.reason.map(JSONValue.string) ?? .null,
        ]
        await publish(result.status == "completed" ? "sync_completed" : "sync_failed", source, data)
        await notify(result, source: source)
        for error in c.errors { logger.warning("\(source.rawValue): skipped \(error)") }
        for warning in c.warnings { logger.warning("\(source.rawValue): dropped \(warning)") }
        logger.info("\(source.rawValue): sync \(runID) \(result.status): \(c.filesSeen) files, \(c.filesImported) imported, \(c.filesUnchanged) unchanged, \(c.filesFailed) failed; \(c.rowsCreated) rows created, \(c.rowsUpdated) updated in \(result.durationMs) ms")
        return result
    }

    /// Applies the notification rules of SPEC §7.2 to a finished run: a completed sync is an info
    /// notification (dashboard only), a failed one a warning, critical from the third failure in a
    /// row. A notification that cannot be stored is logged; the run's outcome stands.
    func notify(_ result: SourceResult, source: SyncSource) async {
        let notifier = Notifier(pool: pool, events: events, webhook: webhook)
        do {
            if result.status == "completed" {
                try await notifier.notify(.syncCompleted(source: source.rawValue), actor: "hub-sync")
            } else {
                let failures = try await store.breakerInputs(source).failures
                try await notifier.notify(.syncFailed(source: source.rawValue, consecutiveFailures: max(1, failures),
                                                      error: result.reason ?? "failed"), actor: "hub-sync")
            }
        } catch {
            logger.warning("\(source.rawValue): the sync notification was not stored: \(error)")
        }
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case let e as HubError: e.message
        case let e as PostgresError: e.description
        default: String(describing: error)
        }
    }

    func publish(_ type: String, _ source: SyncSource?, _ data: [String: JSONValue]) async {
        guard let events else { return }
        var data = data
        if let source { data["source"] = .string(source.rawValue) }
        await events.publish(type, data: data, channels: ["sync-status"], correlationID: correlation)
    }
}
