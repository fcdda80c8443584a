import Foundation
import HubCore
import Hummingbird
import Logging

extension HubServer {
    /// The sync surface (SPEC §4.3) over ``SyncStore`` and ``SyncRunner``:
    /// `GET /api/v1/sync/status`, `POST /api/v1/sync/{source}/trigger` (`gfx`, `wsop`, `all`) and
    /// `GET /api/v1/sync/{source}/history`.
    ///
    /// A trigger runs the sync the way `hub-sync` does — under the source's advisory lock and
    /// circuit breaker, with its history row, state, events and notifications — on the folders of
    /// `HUB_SYNC_GFX_DIRS` / `HUB_SYNC_WSOP_DIR`, and answers when the run is over.
    func addSyncRoutes(to router: Router<HubRequestContext>) {
        let store = SyncStore(pool: clients.database)
        router.get("/api/v1/sync/status") { _, _ -> Response in
            try await store.refresh()
            let statuses = try await store.statuses()
            var sources: [SyncSourceBody] = []
            for source in SyncSource.allCases {
                let latest = try await store.history(source: source.rawValue, limit: 1).first
                sources.append(SyncSourceBody(source: source.rawValue, name: source.displayName,
                                              configured: self.syncFolders(source) != nil,
                                              entities: statuses.filter { $0.source == source.rawValue }.map(SyncStatusBody.init),
                                              lastRun: latest.map(SyncRunBody.init)))
            }
            return try Self.json(["sources": sources])
        }
        router.post("/api/v1/sync/{source}/trigger") { _, context -> Response in
            let target = try Self.syncTarget(context)
            return try await self.triggerSync(target)
        }
        router.get("/api/v1/sync/{source}/history") { request, context -> Response in
            let target = try Self.syncTarget(context)
            let limit = try Self.integerQuery(request, "limit", default: 20, in: 1...500)
            let runs = try await store.history(source: target.source?.rawValue, limit: limit)
            return try Self.json(SyncHistoryBody(source: target.name, runs: runs.map(SyncRunBody.init)))
        }
    }

    /// The source named in the path: a ``SyncSource``, or `all` (nil source).
    struct SyncTarget {
        var source: SyncSource?
        var name: String { source?.rawValue ?? "all" }
    }

    /// - Throws: ``APIError`` 400 for anything but `gfx`, `wsop` or `all`.
    static func syncTarget(_ context: HubRequestContext) throws -> SyncTarget {
        let text = context.parameters.get("source") ?? ""
        if text == "all" { return SyncTarget(source: nil) }
        guard let source = SyncSource(rawValue: text) else {
            throw APIError.validation("the source must be gfx, wsop or all, not '\(text)'", details: ["parameter": .string("source")])
        }
        return SyncTarget(source: source)
    }

    /// The configured folders of `source` (nil: not configured).
    func syncFolders(_ source: SyncSource) -> [String]? {
        switch source {
        case .gfx:
            let folders = (clients.configuration.value(.syncGFXDirectories) ?? "").split(separator: ":").map(String.init).filter { !$0.isEmpty }
            return folders.isEmpty ? nil : folders
        case .wsop:
            return clients.configuration.value(.syncWSOPDirectory).flatMap { $0.isEmpty ? nil : [$0] }
        }
    }

    /// The folders of `sources`, checked to exist.
    /// - Throws: ``APIError`` 409 when none is configured or a configured folder is missing.
    func checkedSyncFolders(_ sources: [SyncSource]) throws -> [SyncSource: [String]] {
        var folders: [SyncSource: [String]] = [:]
        for source in sources {
            guard let configured = syncFolders(source) else { continue }
            for folder in configured where !FileManager.default.fileExists(atPath: folder) {
                throw APIError(.conflict, code: "CONFLICT",
                               "the \(source.displayName) folder \(folder) (\(Self.folderSetting(source))) does not exist on the server: mount it, or correct the setting and restart hub-server",
                               details: ["source": .string(source.rawValue), "setting": .string(Self.folderSetting(source))])
            }
            folders[source] = configured
        }
        guard !folders.isEmpty else {
            let settings = sources.map(Self.folderSetting)
            throw APIError(.conflict, code: "CONFLICT",
                           "\(sources.map(\.displayName).joined(separator: " and ")) is not configured on this server: set \(settings.joined(separator: " / ")) for hub-server",
                           details: ["settings": .array(settings.map(JSONValue.string))])
        }
        return folders
    }

    static func folderSetting(_ source: SyncSource) -> String {
        source == .gfx ? HubSetting.syncGFXDirectories.name : HubSetting.syncWSOPDirectory.name
    }

    /// The automatic-graphics rules for the hands graded and not yet looked at (Docs/graphics.md):
    /// nil, or what failed.
    func fireRules() async -> String? {
        do {
            let report = try await CueRuleEngine(director: CueDirector(queue: queue), logger: logger).firePending(actor: "hub-server")
            if !report.instructions.isEmpty {
                logger.info("automatic graphics queued", metadata: ["instructions": "\(report.instructions)"])
            }
            return nil
        } catch {
            return "automatic graphics: \((error as? HubError)?.message ?? String(describing: error))"
        }
    }

    /// Runs the sync of `target` and answers with its outcome: 200 for a run that happened
    /// (completed or failed, the body says which), 409 for a single source that was skipped
    /// (another run holds its lock, or its circuit is open).
    func triggerSync(_ target: SyncTarget) async throws -> Response {
        let folders = try checkedSyncFolders(target.source.map { [$0] } ?? SyncSource.allCases)
        var runner = SyncRunner(pool: clients.database, events: queue.events, logger: logger)
        let poolSize = (try? clients.configuration.integer(.databasePoolSize, in: 1...256)) ?? 8
        runner.concurrency = max(1, min(4, poolSize / 2))
        runner.webhook = settings.webhook
        runner.media = clients.media
        runner.maxFileBytes = try InputFile.maxBytes(clients.configuration)
        let correlation = runner.correlationID.uuidString.lowercased()
        logger.info("sync \(target.name) triggered over the API (correlation id \(correlation))")
        switch target.source {
        case .gfx:
            let result = await runner.syncGFX(directories: folders[.gfx] ?? [])
            var graded: [HandGrader.GradedHand] = []
            var phaseErrors: [String] = []
            do { graded = try await runner.grade() } catch { phaseErrors.append("grading: \((error as? HubError)?.message ?? String(describing: error))") }
            if let failed = await fireRules() { phaseErrors.append(failed) }
            return try Self.syncResponse(SyncTriggerBody(correlationID: correlation, sources: [result], graded: graded, phaseErrors: phaseErrors),
                                         skipped: result.status == "skipped" ? result : nil)
        case .wsop:
            let result = await runner.syncWSOP(directory: folders[.wsop]?.first ?? "")
            return try Self.syncResponse(SyncTriggerBody(correlationID: correlation, sources: [result], graded: [], phaseErrors: []),
                                         skipped: result.status == "skipped" ? result : nil)
        case nil:
            let template = clients.configuration.value(.syncPremiumTemplate) ?? "premium_hand"
            var full = await runner.full(gfx: folders[.gfx] ?? [], table: nil, wsop: folders[.wsop]?.first, queue: queue, template: template)
            if let failed = await fireRules() { full.phaseErrors.append(failed) }
            return try Self.syncResponse(SyncTriggerBody(full), skipped: nil)
        }
    }

    static func syncResponse(_ body: SyncTriggerBody, skipped: SyncRunner.SourceResult?) throws -> Response {
        guard let skipped else { return try json(body) }
        throw APIError(.conflict, code: "CONFLICT", "the \(skipped.source) sync did not run: \(skipped.reason ?? "skipped")",
                       details: ["source": .string(skipped.source), "run_id": skipped.runID.map(JSONValue.integer) ?? .null,
                                 "correlation_id": .string(body.correlationID)])
    }
}

/// One source in `GET /api/v1/sync/status`.
struct SyncSourceBody: Encodable {
    var source: String
    var name: String
    /// Whether hub-server has its folders (`HUB_SYNC_GFX_DIRS`, `HUB_SYNC_WSOP_DIR`).
    var configured: Bool
    var entities: [SyncStatusBody]
    var lastRun: SyncRunBody?

    enum CodingKeys: String, CodingKey {
        case source, name, configured, entities
        case lastRun = "last_run"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(source, forKey: .source)
        try c.encode(name, forKey: .name)
        try c.encode(configured, forKey: .configured)
        try c.encode(entities, forKey: .entities)
        try c.encode(lastRun, forKey: .lastRun)
    }
}

/// What `GET /api/v1/sync/{source}/history` answers.
struct SyncHistoryBody: Encodable {
    var source: String
    var runs: [SyncRunBody]
}

/// One `sync_status` row.
struct SyncStatusBody: Encodable {
    var entity: String
    var status: String
    var intervalSeconds: Int
    var retryCount: Int
    var lastSyncAt: Date?
    var nextSyncAt: Date?
    var lastError: String?
    var consecutiveFailures: Int
    var updatedAt: Date

    enum CodingKeys: String, CodingKey {
        case entity, status
        case intervalSeconds = "interval_seconds"
        case retryCount = "retry_count"
        case lastSyncAt = "last_sync_at"
        case nextSyncAt = "next_sync_at"
        case lastError = "last_error"
        case consecutiveFailures = "consecutive_failures"
        case updatedAt = "updated_at"
    }

    init(_ s: SyncStore.Status) {
        entity = s.entity
        status = s.status
        intervalSeconds = s.intervalSeconds
        retryCount = s.retryCount
        lastSyncAt = s.lastSyncAt
        nextSyncAt = s.nextSyncAt
        lastError = s.lastError
        consecutiveFailures = s.consecutiveFailures
        updatedAt = s.updatedAt
    }
}

/// The counts of a run.
struct SyncCountsBody: Encodable {
    struct FileError: Encodable {
        var path: String
        var position: String?
        var reason: String
    }

    var filesSeen: Int
    var filesImported: Int
    var filesUnchanged: Int
    var filesFailed: Int
    var rowsCreated: Int
    var rowsUpdated: Int
    var errors: [FileError]

    enum CodingKeys: String, CodingKey {
        case errors
        case filesSeen = "files_seen"
        case filesImported = "files_imported"
        case filesUnchanged = "files_unchanged"
        case filesFailed = "files_failed"
        case rowsCreated = "rows_created"
        case rowsUpdated = "rows_updated"
    }

    init(_ c: SyncCounts) {
        filesSeen = c.filesSeen
        filesImported = c.filesImported
        filesUnchanged = c.filesUnchanged
        filesFailed = c.filesFailed
        rowsCreated = c.rowsCreated
        rowsUpdated = c.rowsUpdated
        errors = c.errors.map { FileError(path: $0.path, position: $0.position, reason: $0.reason) }
    }
}

/// One `sync_history` row.
struct SyncRunBody: Encodable {
    var id: Int64
    var correlationID: String
    var source: String
    var status: String
    var startedAt: Date
    var durationMs: Int?
    var counts: SyncCountsBody
    var error: String?

    enum CodingKeys: String, CodingKey {
        case id, source, status, counts, error
        case correlationID = "correlation_id"
        case startedAt = "started_at"
        case durationMs = "duration_ms"
    }

    init(_ r: SyncStore.Run) {
        id = r.id
        correlationID = r.correlationID
        source = r.source
        status = r.status
        startedAt = r.startedAt
        durationMs = r.durationMs
        counts = SyncCountsBody(r.counts)
        error = r.error
    }
}

/// What `POST /api/v1/sync/{source}/trigger` answers.
struct SyncTriggerBody: Encodable {
    struct Source: Encodable {
        var source: String
        var status: String
        var runID: Int64?
        var durationMs: Int
        var reason: String?
        var counts: SyncCountsBody

        enum CodingKeys: String, CodingKey {
            case source, status, reason, counts
            case runID = "run_id"
            case durationMs = "duration_ms"
        }
    }

    var correlationID: String
    var succeeded: Bool
    var sources: [Source]
    var handsGraded: Int
    var premiumHands: Int
    var playersLinked: Int?
    var renderInstructions: [Int64]?
    var phaseErrors: [String]

    enum CodingKeys: String, CodingKey {
        case succeeded, sources
        case correlationID = "correlation_id"
        case handsGraded = "hands_graded"
        case premiumHands = "premium_hands"
        case playersLinked = "players_linked"
        case renderInstructions = "render_instructions"
        case phaseErrors = "phase_errors"
    }

    static func source(_ r: SyncRunner.SourceResult) -> Source {
        Source(source: r.source, status: r.status, runID: r.runID, durationMs: r.durationMs, reason: r.reason, counts: SyncCountsBody(r.counts))
    }

    init(correlationID: String, sources: [SyncRunner.SourceResult], graded: [HandGrader.GradedHand], phaseErrors: [String]) {
        self.correlationID = correlationID
        self.sources = sources.map(Self.source)
        succeeded = !sources.contains(where: \.isFailure) && phaseErrors.isEmpty
        handsGraded = graded.count
        premiumHands = graded.filter(\.isPremium).count
        self.phaseErrors = phaseErrors
    }

    init(_ full: SyncRunner.FullResult) {
        correlationID = full.correlationID
        sources = full.sources.map(Self.source)
        succeeded = full.succeeded
        handsGraded = full.handsGraded
        premiumHands = full.premiumHands
        playersLinked = full.playersLinked
        renderInstructions = full.renderInstructions
        phaseErrors = full.phaseErrors
    }
}
