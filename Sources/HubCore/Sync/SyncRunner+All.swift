import Foundation
import HubPostgres
import Logging

extension SyncRunner {
    /// What a full sync did (PokerVOD seed §4): both sources, the linking and the grading phase.
    package struct FullResult: Sendable, Codable, Hashable {
        package var correlationID: String
        package var sources: [SourceResult]
        package var playersLinked = 0
        package var ambiguousNames: [String] = []
        package var handsGraded = 0
        package var premiumHands = 0
        package var broadcastWorthyHands = 0
        /// Render instructions created for premium hands that had none.
        package var renderInstructions: [Int64] = []
        /// Failures of the linking and grading phases.
        package var phaseErrors: [String] = []

        /// Success: every file imported or unchanged, and the later phases ran.
        package var succeeded: Bool { !sources.contains(where: \.isFailure) && phaseErrors.isEmpty }
    }

    func syncWSOP(ifGiven directory: String?) async -> SourceResult? {
        guard let directory else { return nil }
        return await syncWSOP(directory: directory)
    }

    /// Announces the hands this runner's GFX imports graded as they wrote them, grades any hand
    /// not graded yet (imported by another writer), and publishes `hand_created` for each.
    /// - Returns: the hands graded since the last call: this runner's imports' and the others.
    package func grade() async throws -> [HandGrader.GradedHand] {
        let grader = HandGrader(pool: pool, events: events)
        let imported = gradedAtImport.take()
        await grader.publishCreated(imported, correlationID: correlation)
        let graded = imported + (try await grader.gradePending(correlationID: correlation))
        if !graded.isEmpty {
            logger.info("graded \(graded.count) hands: \(graded.filter(\.isPremium).count) premium, \(graded.filter(\.broadcastWorthy).count) broadcast-worthy")
        }
        return graded
    }

    /// The full sync: phase 1 PokerGFX and WSOP+ in parallel (a failing source does not stop the
    /// other), phase 2 player linking, phase 3 grading and render instructions for premium orphans.
    /// - Parameters:
    ///   - gfx: PokerGFX folders (empty: the source is not configured and is skipped).
    ///   - wsop: the WSOP+ export folder (nil: skipped).
    ///   - queue: the render queue for premium orphans (nil: no instructions are created).
    package func full(gfx: [String], table: String?, wsop: String?, queue: RenderQueue?, template: String) async -> FullResult {
        var result = FullResult(correlationID: correlation, sources: [])
        logger.info("full sync started: phase 1 (PokerGFX and WSOP+ in parallel)")
        await publish("sync_started", nil, ["phase": .string("full")])
        async let gfxResult = gfx.isEmpty ? nil : syncGFX(directories: gfx, table: table)
        async let wsopResult = syncWSOP(ifGiven: wsop)
        let phase1 = await [gfxResult, wsopResult]
        result.sources = phase1.compactMap { $0 }
        if gfx.isEmpty { logger.notice("gfx: not configured (no folder given, HUB_SYNC_GFX_DIRS unset): skipped") }
        if wsop == nil { logger.notice("wsop: not configured (no folder given, HUB_SYNC_WSOP_DIR unset): skipped") }

        logger.info("phase 2: linking players")
        do {
            let report = try await PlayerLinker(pool: pool).link()
            result.playersLinked = report.linked
            result.ambiguousNames = report.ambiguous
            for name in report.ambiguous { logger.warning("ambiguous player name, not linked: \(name)") }
            logger.info("linked \(report.linked) PokerGFX players to WSOP+ players")
        } catch {
            result.phaseErrors.append("linking: \(Self.describe(error))")
            logger.error("linking failed: \(Self.describe(error))")
        }

        logger.info("phase 3: grading hands and render instructions for premium orphans")
        do {
            let graded = try await grade()
            result.handsGraded = graded.count
            result.premiumHands = graded.filter(\.isPremium).count
            result.broadcastWorthyHands = graded.filter(\.broadcastWorthy).count
            if let queue {
                result.renderInstructions = try await PremiumOrphans(queue: queue, template: template).queueMissing()
                if !result.renderInstructions.isEmpty {
                    logger.info("submitted \(result.renderInstructions.count) render instructions for premium hands: \(result.renderInstructions.map(String.init).joined(separator: ", "))")
                }
            }
        } catch {
            result.phaseErrors.append("grading: \(Self.describe(error))")
            logger.error("grading failed: \(Self.describe(error))")
        }
        await publish(result.succeeded ? "sync_completed" : "sync_failed", nil, [
            "phase": .string("full"), "players_linked": .integer(Int64(result.playersLinked)),
            "hands_graded": .integer(Int64(result.handsGraded)), "render_instructions": .integer(Int64(result.renderInstructions.count)),
        ])
        logger.info("full sync \(result.succeeded ? "completed" : "failed")")
        return result
    }
}
