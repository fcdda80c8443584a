import Foundation
import HubDriverSupport
import HubPostgres
import Logging

extension RenderWorker {
    /// How one attempt ended.
    private enum Outcome: Sendable {
        case rendered(RenderStore.Output)
        case failed(String)
        /// Failed in a way another attempt would meet the same way: no retry.
        case refused(String)
        case cancelledByOperator
        case shutdown
        case leaseLost
    }

    /// Renders one claimed instruction with heartbeats and records the outcome.
    /// - Returns: the slot's next job when a successful render's completion statement claimed one
    ///   for `consumer` (see ``RenderStore/complete(_:thenClaimFor:lease:)``).
    func process(_ claim: RenderClaim, thenClaimFor consumer: String) async -> RenderClaim? {
        let instruction = claim.instruction
        let ext = instruction.outputSettings.format.rawValue
        // Paths are built without asking the file system whether they are directories
        // (`appendingPathComponent` stats every call: a tenth of the CPU of a no-op render).
        let outputPath = configuration.outputDirectory
            .appending(path: "\(instruction.templateName.filter { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" })-\(instruction.id)-a\(claim.attempt)-\(claim.leaseToken.uuidString.prefix(8).lowercased()).\(ext)",
                       directoryHint: .notDirectory).path
        let work = FileManager.default.temporaryDirectory.appending(path: "hub-render-\(claim.leaseToken.uuidString)", directoryHint: .isDirectory)
        let usesWork = backend.usesWorkDirectory
        if usesWork { try? FileManager.default.createDirectory(at: work, withIntermediateDirectories: true) }
        defer { if usesWork { try? FileManager.default.removeItem(at: work) } }

        let latest = PThreadLocked<RenderProgress?>(nil)
        let started = ContinuousClock.now
        await queue.events.render("render_started", instruction, status: .processing,
                                  extra: ["worker": .string(claim.workerID), "attempt": .integer(Int64(claim.attempt))])
        // The claim brought the render cache's newest candidate; older ones are only looked up
        // when its file is gone.
        if let candidate = claim.cacheCandidate {
            let cached = FileManager.default.fileExists(atPath: candidate.path)
                ? candidate : try? await queue.store.cachedOutput(dataHash: instruction.dataHash, excluding: instruction.id)
            if let cached {
                return await record(.rendered(cached), for: claim, started: started, thenClaimFor: consumer)
            }
        }
        // The backend writes to a temporary name beside the final path; only a render whose
        // completion the database recorded is renamed to it, so a killed or failed render — or a
        // late one whose job was taken back — leaves nothing there.
        let partial = partialPath(for: outputPath)
        let job = RenderJob(instruction: instruction, outputPath: partial, workDirectory: work,
                            layerMapping: await layerMapping(for: instruction))
        // Defence in depth: whatever wrote the instruction, no media outside the roots reaches
        // the renderer (the data as submitted, and the layers the backend will fill).
        do {
            try configuration.media.check(layerData: instruction.layerData)
            try configuration.media.check(layerData: job.layers, what: "layer")
        } catch {
            return await record(.refused("refused before rendering: \(error)"), for: claim, started: started, thenClaimFor: consumer)
        }
        let pidFile = pidFile(for: claim)
        let limit = await renderTimeLimit(for: instruction)
        var outcome: Outcome = await withTaskGroup(of: Outcome?.self) { group in
            group.addTask { [backend] in
                do {
                    let output = try await SupervisedProcess.$pidFile.withValue(pidFile) {
                        try await backend.render(job) { progress in latest.withLock { $0 = progress } }
                    }
                    return .rendered(output)
                } catch is CancellationError {
                    return nil
                } catch {
                    return .failed(String(describing: error))
                }
            }
            // The watcher also stops a render that keeps printing but never ends (its time limit).
            group.addTask { await self.watch(claim, progress: latest, limit: limit, started: started) }
            // The first to finish decides: the render, or the watcher (cancel, lease lost, shutdown).
            var decided: Outcome?
            for await result in group {
                if let result {
                    decided = result
                    break
                }
            }
            group.cancelAll()
            return decided ?? .shutdown
        }
        var move: OutputMove?
        let wrote = FileManager.default.fileExists(atPath: partial)
        if case .rendered(var output) = outcome, output.path == partial {
            // The completion names the final path; the file moves there once it is recorded.
            output.path = outputPath
            outcome = .rendered(output)
            // (A backend that writes nothing, noop, has nothing to move.)
            if wrote { move = OutputMove(from: partial, to: outputPath) }
        }
        if move == nil, wrote { try? FileManager.default.removeItem(atPath: partial) }
        return await record(outcome, for: claim, started: started, thenClaimFor: consumer, moving: move)
    }

    /// A finished render's output at its temporary name, and the final name it moves to once its
    /// completion is recorded.
    struct OutputMove: Sendable {
        var from: String
        var to: String

        /// Moves the output to its final name (same directory: atomic).
        func finish() -> Bool { rename(from, to) == 0 }

        /// Removes the output: its completion was refused or not recorded.
        func discard() { try? FileManager.default.removeItem(atPath: from) }
    }

    /// Whole seconds of `duration`, for messages.
    static func seconds(_ duration: Duration) -> Int64 { duration.components.seconds }

    /// The worker's logger with the claim's ids as metadata (`instruction_id`, `lease`, `worker`,
    /// `attempt`), for every line logged about it: a log shipper filters by them.
    func logger(for claim: RenderClaim) -> Logger {
        var logger = self.logger
        logger[metadataKey: "instruction_id"] = "\(claim.instruction.id)"
        logger[metadataKey: "lease"] = "\(claim.leaseToken.uuidString.lowercased())"
        logger[metadataKey: "worker"] = "\(claim.workerID)"
        logger[metadataKey: "attempt"] = "\(claim.attempt)"
        return logger
    }

    /// How long one render may run and what its failure says when it runs longer.
    struct RenderTimeLimit: Sendable {
        var duration: Duration
        /// The attempt's error message.
        var exceeded: String
    }

    /// The render time limit of `instruction`: its template's (``RenderStore/templateRenderLimit(template:composition:)``,
    /// looked up at claim time and kept for ``templateLimitLifetime``), else the worker's
    /// ``RenderWorkerConfiguration/maxRenderTime``. A database error does not stop the render: the
    /// worker's limit holds for it and the error is logged.
    func renderTimeLimit(for instruction: RenderInstruction) async -> RenderTimeLimit {
        var logger = self.logger
        logger[metadataKey: "instruction_id"] = "\(instruction.id)"
        let template = "\(instruction.templateName)/\(instruction.composition)"
        let key = TemplateLimitCacheKey(worker: ObjectIdentifier(self), template: instruction.templateName, composition: instruction.composition)
        let now = ContinuousClock.now
        let cached = recentTemplateLimits.withLock { entries -> TemplateRenderLimit?? in
            entries = entries.filter { $0.value.worker != nil && now - $0.value.loadedAt < Self.templateLimitLifetime }
            guard let entry = entries[key], entry.worker === self else { return nil }
            return .some(entry.limit)
        }
        var declared: TemplateRenderLimit?
        if let cached {
            declared = cached
        } else {
            do {
                declared = try await queue.store.templateRenderLimit(template: instruction.templateName, composition: instruction.composition)
                recentTemplateLimits.withLock { $0[key] = CachedTemplateLimit(worker: self, limit: declared, loadedAt: now) }
            } catch {
                logger.warning("instruction \(instruction.id): could not read the maximum render time of template \(template) (\(error)); the worker's \(Self.seconds(configuration.maxRenderTime)) s hold")
            }
        }
        if let declared {
            return RenderTimeLimit(duration: .seconds(declared.seconds),
                exceeded: "the render exceeded template \(template)'s maximum render time of \(declared.seconds) s (max_render_seconds of \(declared.declaredBy)) and was stopped")
        }
        return RenderTimeLimit(duration: configuration.maxRenderTime,
            exceeded: "the render ran longer than the maximum render time of \(Self.seconds(configuration.maxRenderTime)) s and was stopped (raise --max-render-seconds / HUB_MAX_RENDER_SECONDS, or declare max_render_seconds for template \(template), if it needs longer)")
    }

    /// How long a template's looked-up limit is used before it is read again.
    static let templateLimitLifetime: Duration = .seconds(30)

    /// The layer mapping of a graphics instruction's project (nil for other instructions), from
    /// ``LayerMappingStore``, cached per project for ``layerMappingLifetime``. A database error
    /// does not fail the render: it is logged and the fields fill the layers named like their keys.
    func layerMapping(for instruction: RenderInstruction) async -> LayerMapping? {
        var logger = self.logger
        logger[metadataKey: "instruction_id"] = "\(instruction.id)"
        guard GFXDataDocument(layerData: instruction.layerData) != nil else { return nil }
        let project = instruction.templateName
        let key = LayerMappingCacheKey(worker: ObjectIdentifier(self), project: project)
        let now = ContinuousClock.now
        let cached = recentLayerMappings.withLock { entries -> LayerMapping? in
            // Entries of workers that are gone (their identifiers may be reused) go first.
            entries = entries.filter { $0.value.worker != nil && now - $0.value.loadedAt < Self.layerMappingLifetime }
            guard let entry = entries[key], entry.worker === self else { return nil }
            return entry.mapping
        }
        if let cached { return cached }
        do {
            let mapping = try await LayerMappingStore(pool: queue.store.pool).mapping(project: project)
            recentLayerMappings.withLock { $0[key] = CachedLayerMapping(worker: self, mapping: mapping, loadedAt: now) }
            return mapping
        } catch {
            logger.warning("instruction \(instruction.id): could not load the layer mapping of project \(project) (\(error)); rendering with the field keys as layer names")
            return nil
        }
    }

    /// How long a loaded layer mapping is used before it is read again.
    static let layerMappingLifetime: Duration = .seconds(30)

    /// Heartbeats until the render ends; returns early when the render must stop (cancelled, lease
    /// lost, shutdown, or running longer than `limit` since `started`). One task and one timer
    /// per render for all of it.
    private func watch(_ claim: RenderClaim, progress: PThreadLocked<RenderProgress?>, limit: RenderTimeLimit,
                       started: ContinuousClock.Instant) async -> Outcome? {
        var logger: Logger { self.logger(for: claim) } // built only to log
        let deadline = started + limit.duration
        while true {
            let now = ContinuousClock.now
            if now >= deadline { return .failed(limit.exceeded) }
            do {
                try await Task.sleep(for: min(configuration.heartbeatInterval, .milliseconds(250), deadline - now))
            } catch {
                return nil
            }
            if ContinuousClock.now >= deadline { return .failed(limit.exceeded) }
            if let deadline = state(\.stopDeadline), ContinuousClock.now >= deadline { return .shutdown }
            guard shouldHeartbeat(claim) else { continue }
            let current = progress.withLock { $0 }
            do {
                let status = try await queue.store.heartbeat(claim, lease: configuration.lease, frame: current?.frame, totalFrames: current?.totalFrames)
                if status.cancelRequested { return .cancelledByOperator }
                if let current {
                    await queue.events.render("render_progress", claim.instruction, status: .processing, extra: [
                        "frame": .integer(Int64(current.frame)),
                        "total_frames": current.totalFrames.map { .integer(Int64($0)) } ?? .null,
                    ])
                }
            } catch let error as HubError where error.code == .leaseLost {
                return .leaseLost
            } catch {
                logger.warning("heartbeat for instruction \(claim.instruction.id) failed: \(error)")
            }
        }
    }

    private func record(_ outcome: Outcome, for claim: RenderClaim, started: ContinuousClock.Instant, thenClaimFor consumer: String,
                        moving move: OutputMove? = nil) async -> RenderClaim? {
        var logger: Logger { self.logger(for: claim) } // built only to log
        let id = claim.instruction.id
        state.withLock { $0.lastHeartbeat[claim.leaseToken] = nil }
        do {
            switch outcome {
            case .rendered(var output):
                let elapsed = ContinuousClock.now - started
                output.renderMilliseconds = Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
                // No next job for a slot that is stopping or whose task was cancelled (a sibling
                // slot failed): it would only have to be handed back.
                let wantsNext = !isStopping && !Task.isCancelled
                // A completion that cannot reach the database is tried again until it can (while
                // the lease is this worker's): the render is not thrown away for a blip.
                let answer = try await persisting("the completion", of: claim) {
                    let answer = try await completer.submit(Completion(claim: claim, output: output, next: wantsNext ? consumer : nil))
                    if case .failure(let error) = answer.output, answer.next == nil, Self.isTransientDatabaseError(error) { throw error }
                    return answer
                }
                do {
                    _ = try answer.output.get()
                } catch {
                    // Whatever became of this completion, the job claimed with it is the slot's.
                    if let error = error as? HubError, error.code == .leaseLost {
                        logger.warning("instruction \(id): \(error.message)")
                        count { $0.leaseLost += 1 }
                    } else {
                        logger.error("instruction \(id): could not record the outcome (\(error)); the lease will expire and the job be recovered")
                    }
                    // Not recorded: the output must not appear at a final path (the attempt that
                    // took the job over writes its own).
                    move?.discard()
                    return answer.next
                }
                if let move, !move.finish() {
                    // The completion is recorded: the file stays at its temporary name for the
                    // next hub-worker on this machine, whose start-up sweep moves it.
                    logger.error("instruction \(id): completed, but its output could not be moved from \(move.from) to \(move.to) (\(String(cString: strerror(errno)))); the next hub-worker started on this machine moves it")
                }
                count { $0.completed += 1 }
                await queue.events.render("render_completed", claim.instruction, status: .completed,
                                          extra: ["output": .string(output.path), "cache_hit": .bool(output.cacheHit)])
                if deliveriesConfigured.withLock({ $0 }) { await deliveryBoard.signal() }
                return answer.next
            case .failed(let message), .refused(let message):
                let store = queue.store, policy = configuration.retryPolicy
                let retryable = if case .failed = outcome { true } else { false }
                let now = try await persisting("the failure", of: claim) {
                    try await store.fail(claim, error: message, policy: policy, retryable: retryable)
                }
                logger.warning("instruction \(id) attempt \(claim.attempt) failed: \(message) — now \(now.status.rawValue)")
                if now.status == .cancelled {
                    // An operator had asked to cancel it: the failure ends it as cancelled.
                    count { $0.cancelled += 1 }
                    await queue.events.render("instruction_updated", now, status: .cancelled)
                } else {
                    count { $0.failed += 1 }
                    await queue.events.render("render_failed", now, extra: ["error": .string(message), "retry_count": .integer(Int64(now.retryCount))])
                }
            case .cancelledByOperator:
                let store = queue.store
                try await persisting("the cancel", of: claim) { try await store.acknowledgeCancel(claim) }
                count { $0.cancelled += 1 }
                await queue.events.render("instruction_updated", claim.instruction, status: .cancelled)
            case .shutdown:
                // Not cancellable: a hand-back that never reaches the database leaves the job to
                // wait out its lease and be counted as a crash.
                let store = queue.store
                let now = try await Task {
                    try await self.persisting("the hand-back", of: claim) {
                        try await store.handBack(claim, reason: "worker \(claim.workerID) stopped before the render finished")
                    }
                }.value
                if now == .cancelled { count { $0.cancelled += 1 } } else { count { $0.handedBack += 1 } }
                await queue.events.render("instruction_updated", claim.instruction, status: now)
            case .leaseLost:
                logger.warning("instruction \(id): lease lost, render abandoned")
                count { $0.leaseLost += 1 }
            }
        } catch let error as HubError where error.code == .leaseLost {
            logger.warning("instruction \(id): \(error.message)")
            count { $0.leaseLost += 1 }
            move?.discard()
        } catch {
            logger.error("instruction \(id): could not record the outcome (\(error)); the lease will expire and the job be recovered")
            move?.discard()
        }
        return nil
    }
}

/// A project's layer mapping as one worker loaded it.
private struct LayerMappingCacheKey: Hashable, Sendable {
    var worker: ObjectIdentifier
    var project: String
}

/// The mapping and when it was loaded; `worker` is weak so a later worker that gets the same
/// identifier never sees another database's mapping.
private struct CachedLayerMapping: Sendable {
    weak var worker: RenderWorker?
    var mapping: LayerMapping
    var loadedAt: ContinuousClock.Instant
}

/// Layer mappings the workers of this process loaded recently (RenderWorker cannot hold them
/// itself from an extension).
private let recentLayerMappings = PThreadLocked<[LayerMappingCacheKey: CachedLayerMapping]>([:])

/// A template's limit as one worker looked it up (nil: the template declares none).
private struct TemplateLimitCacheKey: Hashable, Sendable {
    var worker: ObjectIdentifier
    var template: String
    var composition: String
}

private struct CachedTemplateLimit: Sendable {
    weak var worker: RenderWorker?
    var limit: TemplateRenderLimit?
    var loadedAt: ContinuousClock.Instant
}

/// Template limits the workers of this process looked up recently.
private let recentTemplateLimits = PThreadLocked<[TemplateLimitCacheKey: CachedTemplateLimit]>([:])
