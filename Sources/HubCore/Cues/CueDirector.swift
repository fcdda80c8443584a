import Foundation
import HubPostgres

/// The broadcast director's desk (SPEC §5 "Cue sheets", schema doc §2.5): creates sessions,
/// sheets and items, publishes every change on `broadcast-{session_id}`, and triggers items —
/// snapshot the data the cue needs, bind it to the composition's layers, and commit the render
/// instruction together with the item's new state.
package struct CueDirector: Sendable {
    package let store: CueStore
    /// The render queue the instructions go to (its events carry the item's later states).
    package let queue: RenderQueue
    /// Raises the "broadcast session start" notification (SPEC §7.2).
    package let notifier: Notifier?

    package init(queue: RenderQueue, notifier: Notifier? = nil) {
        self.queue = queue
        self.store = CueStore(pool: queue.store.pool)
        self.notifier = notifier
    }

    var pool: PostgresPool { queue.store.pool }
    var events: EventPublisher { queue.events }

    // MARK: Sessions, sheets, items (with their live events)

    package func createSession(name: String, eventKey: String?, tableID: String? = nil, scheduledAt: Date? = nil, actor: String) async throws -> BroadcastSession {
        let session = try await store.createSession(name: name, eventKey: eventKey, tableID: tableID, scheduledAt: scheduledAt, actor: actor)
        await publish(session)
        return session
    }

    /// planned → live, with the "session started" notification; live → ended.
    package func setSessionStatus(_ id: Int64, to status: BroadcastSession.Status, actor: String, reason: String? = nil) async throws -> BroadcastSession {
        let session = try await store.setSessionStatus(id, to: status, actor: actor, reason: reason)
        await publish(session)
        if status == .live, let notifier {
            _ = try? await notifier.notify(.sessionStarted(name: session.name), data: ["session_id": .integer(id)], actor: actor)
        }
        return session
    }

    package func createSheet(session: Int64, name: String, actor: String) async throws -> CueSheet {
        let sheet = try await store.createSheet(session: session, name: name, actor: actor)
        await events.publish("cue_sheet_updated", data: [
            "id": .integer(sheet.id), "session_id": .integer(sheet.sessionID), "name": .string(sheet.name), "status": .string(sheet.status.rawValue),
        ], channels: [BroadcastSession.channel(sheet.sessionID)])
        return sheet
    }

    package func addItem(sheet: Int64, template: String, number: Int? = nil, title: String? = nil, data: [String: JSONValue] = [:]) async throws -> CueItem {
        let item = try await store.addItem(sheet: sheet, template: template, number: number, title: title, data: data)
        await publish(item)
        return item
    }

    func publish(_ session: BroadcastSession) async {
        var data: [String: JSONValue] = ["id": .integer(session.id), "name": .string(session.name), "status": .string(session.status.rawValue)]
        if let key = session.wsopEventKey { data["event"] = .string(key) }
        await events.publish("session_updated", data: data, channels: [session.channel])
    }

    func publish(_ item: CueItem) async {
        await events.publish("cue_item_updated", data: item.eventData, channels: [BroadcastSession.channel(item.sessionID)])
    }

    // MARK: Trigger

    /// What a trigger did.
    package struct Triggered: Sendable {
        /// The item, now `queued`.
        package var item: CueItem
        /// The instruction it created.
        package var instruction: RenderInstruction
        /// Whether the dispatch signal reached Redis (false: fallback workers claim it meanwhile).
        package var published: Bool
        /// The data snapshot (rows and single values) before binding.
        package var snapshot: CueSnapshot
        /// The bound layers, as the renderer receives them.
        package var layers: [String: JSONValue]
        /// The `gfx_triggers` row.
        package var triggerID: Int64

        /// What `hubctl cue trigger --json` and `POST /api/v1/items/{id}/trigger` answer.
        package struct Summary: Sendable, Encodable {
            package var item: CueItem
            package var instructionID: Int64
            package var published: Bool
            package var snapshot: CueSnapshot
            package var layers: [String: JSONValue]

            enum CodingKeys: String, CodingKey {
                case item, published, snapshot, layers
                case instructionID = "instruction_id"
            }
        }

        package var summary: Summary {
            Summary(item: item, instructionID: instruction.id, published: published, snapshot: snapshot, layers: layers)
        }
    }

    /// Triggers an item: snapshots its data, binds it and commits the render instruction with
    /// the item's move to `queued` in one transaction, then signals the workers. Re-triggering a
    /// finished item renders a new take with fresh data.
    /// - Throws: ``HubError`` `.conflict` when the item is already queued or rendering; `.usage`
    ///   when the data does not fit the composition (nothing is written); `.notFound` for an
    ///   unknown item, template composition or player.
    package func trigger(_ itemID: Int64, actor: String, reason: String? = nil) async throws -> Triggered {
        try await trigger(itemID, actor: actor, reason: reason, kind: "manual", alongside: nil)
    }

    /// Triggers an item; `alongside` runs in the same transaction after the instruction is
    /// inserted (an automatic rule records its firing there), with the connection and the
    /// instruction id. `kind` is the `gfx_triggers.trigger_type` (`manual`, `auto`).
    func trigger(_ itemID: Int64, actor: String, reason: String?, kind: String, priority: Int? = nil,
                 alongside: (@Sendable (PostgresConnection, Int64) async throws -> Void)?) async throws -> Triggered {
        let item = try await store.item(itemID)
        guard !item.status.isInFlight else {
            throw HubError(.conflict, "cue item \(itemID) is \(item.status.rawValue) (instruction \(item.renderInstructionID.map(String.init) ?? "?")): wait for it, or cancel it with hubctl jobs cancel \(item.renderInstructionID.map(String.init) ?? "ID")")
        }
        let template = try await store.template(item.templateID)
        let parameters = template.defaultData.merging(item.data) { $1 }
        let snapshot: CueSnapshot
        let layers: [String: JSONValue]
        let submission: RenderSubmission
        if item.cueType == .graphic {
            let service = GraphicsService(pool: pool)
            let catalog = try await service.store.catalog()
            var request = try GraphicsRequest(composition: template.aepComposition, cueData: parameters)
            // The event, staff and payouts of the item's own broadcast session.
            request.broadcastSession = item.sessionID
            let document = try await service.document(request, catalog: catalog)
            layers = document.jsonObject
            snapshot = CueSnapshot(values: layers)
            submission = GraphicsService.submission(document, catalog: catalog, priority: priority ?? template.priority, trigger: .cueItem,
                                                    format: template.outputFormat, cueItemID: item.id)
        } else {
            let aep = AEPStore(pool: pool)
            let composition = try await aep.composition(project: template.aepProject, name: template.aepComposition)
            let binder = DataBinder(mediaSources: try await aep.mediaSources())
            let session = try await store.session(item.sessionID)
            snapshot = try await CueSnapshot.take(for: item, parameters: parameters, session: session, composition: composition, pool: pool)
            layers = try binder.bind(composition, rows: snapshot.rows, values: snapshot.values)
            submission = RenderSubmission(
                templateName: template.aepProject, composition: template.aepComposition, layerData: layers,
                outputSettings: OutputSettings(format: template.outputFormat, width: composition.width, height: composition.height, fps: composition.fps),
                priority: template.priority, trigger: .cueItem, triggerID: nil, cueItemID: item.id)
        }
        let correlation = UUID()
        let warnings = GFXDataDocument(layerData: submission.layerData)?.metadata.warnings ?? []
        let notify = queue.notifiesAtCommit
        let (submitted, triggerID) = try await pool.withTransaction { connection in
            let current = try await connection.query("SELECT status FROM cue_items WHERE id = \(itemID) FOR UPDATE")
            guard let status = CueItemStatus(rawValue: try current.first?.decode(String.self, at: 0) ?? ""), !status.isInFlight else {
                throw HubError(.conflict, "cue item \(itemID) was triggered meanwhile by someone else")
            }
            let triggerID = try await connection.query("""
                INSERT INTO gfx_triggers (cue_item_id, trigger_type, cue_type, aep_project, aep_comp_name, gfx_data, layer_data, triggered_by, correlation_id)
                VALUES (\(itemID), \(kind), \(item.cueType.rawValue), \(template.aepProject), \(template.aepComposition),
                        \(PostgresJSON(snapshot)), \(PostgresJSON(layers)), \(actor), \(correlation))
                RETURNING id
                """)[0].decode(Int64.self, at: 0)
            var withTrigger = submission
            withTrigger.triggerID = String(triggerID)
            let submitted = try await queue.store.submit([(withTrigger, actor)], notify: notify, on: connection)[0]
            try await connection.execute("UPDATE gfx_triggers SET render_instruction_id = \(submitted.instruction.id) WHERE id = \(triggerID)")
            // More rows than slots: the cut is on the job's timeline.
            try await GraphicsService.noteWarnings(warnings, of: submitted.instruction.id, actor: actor, on: connection)
            try await alongside?(connection, submitted.instruction.id)
            try await connection.execute("""
                UPDATE cue_items SET status = 'queued', render_instruction_id = \(submitted.instruction.id), error = NULL,
                       triggered_at = now(), completed_at = NULL, updated_at = now()
                WHERE id = \(itemID)
                """)
            try await connection.execute("""
                INSERT INTO activity_log (actor, action, entity_type, entity_id, reason, details, correlation_id)
                VALUES (\(actor), 'cue_trigger', 'cue_item', \(String(itemID)), \(reason),
                        \(PostgresJSON(["instruction_id": JSONValue.integer(submitted.instruction.id), "gfx_trigger_id": .integer(triggerID)])), \(correlation))
                """)
            return (submitted, triggerID)
        }
        let fresh = try await store.item(itemID)
        // Its `instruction_updated` event is followed by the item's `cue_item_updated` (queued).
        let result = await queue.announce([submitted])[0]
        return Triggered(item: fresh, instruction: result.instruction, published: result.published, snapshot: snapshot, layers: layers, triggerID: triggerID)
    }
}
