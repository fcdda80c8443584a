import Foundation
import HubPostgres

extension GraphicsService {
    /// What ``render(_:queue:priority:trigger:actor:)`` did.
    package struct Rendered: Sendable {
        package var instruction: RenderInstruction
        package var document: GFXDataDocument
        /// Whether the dispatch signal reached Redis.
        package var published: Bool
    }

    /// Submits a render instruction carrying the document of `request` (template: the
    /// catalog's AE project, composition: the catalog's name). Rows cut to the slots are noted on
    /// the instruction's timeline.
    /// - Throws: like ``document(_:catalog:)``, and when the commit fails.
    package func render(_ request: GraphicsRequest, queue: RenderQueue, priority: Int = 5, trigger: RenderTrigger = .manual,
                       actor: String) async throws -> Rendered {
        let catalog = try await self.catalog()
        let document = try await self.document(request, catalog: catalog)
        let submission = Self.submission(document, catalog: catalog, priority: priority, trigger: trigger)
        guard !document.metadata.warnings.isEmpty else {
            let result = try await queue.submit(submission, actor: actor)
            return Rendered(instruction: result.instruction, document: document, published: result.published)
        }
        // Rows cut to the slots: the warning is on the timeline from the instruction's first commit.
        try submission.validate()
        let notify = queue.notifiesAtCommit
        let submitted = try await queue.store.pool.withTransaction { connection in
            let submitted = try await queue.store.submit([(submission, actor)], notify: notify, on: connection)[0]
            try await Self.noteWarnings(document.metadata.warnings, of: submitted.instruction.id, actor: actor, on: connection)
            return submitted
        }
        let result = await queue.announce([submitted])[0]
        return Rendered(instruction: result.instruction, document: document, published: result.published)
    }

    /// Puts a document's warnings (rows cut to the slots) on a new instruction's timeline, in the
    /// transaction that submits it.
    static func noteWarnings(_ warnings: [String], of instruction: Int64, actor: String, on connection: PostgresConnection) async throws {
        for warning in warnings {
            try await connection.execute("""
                INSERT INTO render_timeline (instruction_id, event, from_status, to_status, actor, reason)
                VALUES (\(instruction), 'data_warning', 'pending', 'pending', \(actor), \(warning))
                """)
        }
    }

    /// What a contact sheet holds.
    package struct Sheet: Sendable, Encodable {
        package struct Entry: Sendable, Encodable {
            package var composition: String
            package var category: String
            /// nil: rendered; else why the graphic was refused (its tile says so).
            package var refused: String?
        }
        package var output: String
        package var game: Int64
        package var hand: Int
        package var entries: [Entry]
        package var columns: Int
        package var rows: Int
    }

    /// Renders every composition of the catalog at one moment with the preview backend and
    /// writes them as one contact-sheet PNG at `output` (a refused graphic is a tile with its
    /// reason). Compositions about one player show `player`, else the chip leader; elimination
    /// graphics show the hand's eliminated player.
    /// - Throws: ``HubError`` `.notFound` for an unknown game or hand; `.configuration` without
    ///   ffmpeg; `.unavailable` when ffmpeg fails.
    package func sheet(game: Int64, hand: Int?, player: String?, output: String, preview: PreviewBackend,
                      sheet: ContactSheet? = nil) async throws -> Sheet {
        let sheet = try sheet ?? ContactSheet()
        let catalog = try await self.catalog()
        let moment = try await store.moment(GraphicsStore.MomentRequest(game: game, hand: hand, player: player, today: today))
        var focus = moment
        var who = player
        if who == nil, let leader = moment.hand.ranked.first {
            who = "seat:\(leader.seat)"
            focus = try await store.moment(GraphicsStore.MomentRequest(game: game, player: who, today: today, handID: moment.hand.id))
        }
        let deriver = GraphicsDeriver(catalog: catalog)
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("hub-graphics-sheet-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        var images: [(label: String, path: String)] = []
        var entries: [Sheet.Entry] = []
        for (index, composition) in catalog.compositions.enumerated() {
            var layerData: [String: JSONValue]
            var refused: String?
            do {
                let document = try deriver.document(composition, at: focus, player: composition.player == .required ? who : nil)
                layerData = document.jsonObject
            } catch let error as HubError {
                refused = error.message
                layerData = ["Composition": .string(composition.name), "Refused": .string(error.message)]
            }
            let instruction = RenderInstruction(
                id: Int64(index + 1), templateName: catalog.project, composition: composition.name, layerData: layerData,
                outputSettings: OutputSettings(format: .png, width: 1280, height: 720, fps: 30), status: .processing, priority: 5,
                trigger: .manual, triggerID: nil, cueItemID: nil, retryCount: 0, maxRetries: 0, attempt: 1, errorMessage: nil,
                dataHash: "", createdAt: Date(), scheduledAt: Date(), startedAt: nil, completedAt: nil, workerID: nil,
                leaseExpiresAt: nil, progressFrame: nil, progressTotal: nil, cancelRequested: false)
            let path = work.appendingPathComponent("\(index + 1).png").path
            let jobDirectory = work.appendingPathComponent("job-\(index + 1)")
            try FileManager.default.createDirectory(at: jobDirectory, withIntermediateDirectories: true)
            _ = try await preview.render(RenderJob(instruction: instruction, outputPath: path, workDirectory: jobDirectory)) { _ in }
            images.append((label: refused == nil ? composition.name : "\(composition.name) (refused)", path: path))
            entries.append(Sheet.Entry(composition: composition.name, category: composition.category.rawValue, refused: refused))
        }
        let layout = try await sheet.write(images, to: output)
        return Sheet(output: output, game: game, hand: moment.hand.number, entries: entries, columns: layout.columns, rows: layout.rows)
    }
}
