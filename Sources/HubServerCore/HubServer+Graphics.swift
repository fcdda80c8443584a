import Foundation
import HubCore
import Hummingbird

extension HubServer {
    /// The graphics package over ``GraphicsService`` and the rules over ``CueRuleStore`` (the code
    /// `hubctl graphics` and `hubctl cue rule|staff` run): `GET /api/v1/graphics`,
    /// `GET /api/v1/graphics/{composition}/data?game=&hand=&player=&start_rank=`,
    /// `POST /api/v1/graphics/{composition}/render`, `GET /api/v1/graphics/sheet?game=&hand=&player=`
    /// (a PNG), `GET|POST /api/v1/sessions/{id}/rules`, `GET|POST /api/v1/sessions/{id}/staff`.
    /// An unknown composition, game, hand or player answers 404 naming what exists; a graphic the
    /// moment cannot fill answers 422 with the reason.
    func addGraphicsRoutes(to router: Router<HubRequestContext>) {
        let service = GraphicsService(pool: clients.database)
        let rules = CueRuleStore(pool: clients.database)
        let cues = CueStore(pool: clients.database)
        let queue = self.queue
        router.get("/api/v1/graphics") { _, _ -> Response in
            try Self.json(try await service.catalog())
        }
        router.get("/api/v1/graphics/sheet") { request, _ -> Response in
            let moment = try Self.graphicsMoment(request)
            let preview = try PreviewBackend()
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("hub-sheet-\(UUID().uuidString).png")
            defer { try? FileManager.default.removeItem(at: file) }
            _ = try await service.sheet(game: moment.game, hand: moment.hand, player: moment.player, output: file.path, preview: preview)
            let data = try Data(contentsOf: file)
            return Response(status: .ok, headers: [.contentType: "image/png"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
        router.get("/api/v1/graphics/{composition}/data") { request, context -> Response in
            let moment = try Self.graphicsMoment(request)
            let composition = try Self.textParameter(context, "composition")
            let document = try await service.document(GraphicsRequest(composition: composition, game: moment.game, hand: moment.hand,
                                                                      player: moment.player, startRank: moment.startRank))
            return try Self.json(document)
        }
        router.post("/api/v1/graphics/{composition}/render") { request, context -> Response in
            let body = try await Self.decodeBody(GraphicsRenderRequest.self, request, context,
                                                 example: #"{"game":638961999170907267,"hand":2,"player":"seat:3","priority":2}"#)
            guard (1...10).contains(body.priority ?? 5) else { throw APIError.validation("priority must be 1 (highest) … 10 (lowest)") }
            if let start = body.startRank, !(1...100_000).contains(start) { throw APIError.validation("start_rank must be 1…100000") }
            let composition = try Self.textParameter(context, "composition")
            let rendered = try await service.render(
                GraphicsRequest(composition: composition, game: body.game, hand: body.hand, player: body.player, startRank: body.startRank),
                queue: queue, priority: body.priority ?? 5, trigger: .api, actor: Self.actor(context))
            return try Self.json(GraphicsRenderResponse(instructionID: rendered.instruction.id, published: rendered.published,
                                                        template: rendered.instruction.templateName, document: rendered.document), status: .created)
        }
        router.get("/api/v1/sessions/{id}/rules") { _, context -> Response in
            let id = try Self.idParameter(context)
            return try Self.json(RulesResponse(rules: try await rules.rules(session: id), firings: try await rules.firings(session: id, limit: 100)))
        }
        router.post("/api/v1/sessions/{id}/rules") { request, context -> Response in
            let body = try await Self.decodeBody(RuleRequest.self, request, context,
                                                 example: #"{"table":"GG","on":"elimination","composition":"Elimination","priority":2}"#)
            let rule = try await rules.add(session: try Self.idParameter(context), table: body.table, on: try CueRuleEvent(parsing: body.on),
                                           composition: body.composition, priority: body.priority ?? 2, actor: Self.actor(context))
            return try Self.json(rule, status: .created)
        }
        router.get("/api/v1/sessions/{id}/staff") { _, context -> Response in
            let id = try Self.idParameter(context)
            _ = try await cues.session(id)
            return try Self.json(["staff": try await cues.staff(session: id)])
        }
        router.post("/api/v1/sessions/{id}/staff") { request, context -> Response in
            let body = try await Self.decodeBody(StaffRequest.self, request, context,
                                                 example: #"{"role":"commentator","name":"Jeff Platt","social_handle":"@jeffplatt"}"#)
            guard let role = GraphicsMoment.StaffMember.Role(rawValue: body.role) else { throw APIError.validation("role must be commentator or reporter") }
            let entry = try await cues.addStaff(session: try Self.idParameter(context), role: role, name: body.name,
                                                socialHandle: body.socialHandle ?? "", order: body.displayOrder)
            return try Self.json(entry, status: .created)
        }
    }

    /// `game`, `hand`, `player` and `start_rank` of a graphics query.
    static func graphicsMoment(_ request: Request) throws -> (game: Int64, hand: Int?, player: String?, startRank: Int?) {
        let query = request.uri.queryParameters
        guard let text = query["game"], let game = Int64(text) else {
            throw APIError.validation("query parameter game must be the PokerGFX session id (GameID= of the export's file name)",
                                      details: ["parameter": .string("game")])
        }
        var hand: Int?
        if query["hand"] != nil { hand = try integerQuery(request, "hand", default: 0, in: Int(Int32.min)...Int(Int32.max)) }
        var startRank: Int?
        if query["start_rank"] != nil { startRank = try integerQuery(request, "start_rank", default: 1, in: 1...100_000) }
        let player = query["player"].map { String($0).removingPercentEncoding ?? String($0) }.flatMap { $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : $0 }
        return (game, hand, player, startRank)
    }
}

/// The body of `POST /api/v1/graphics/{composition}/render`.
struct GraphicsRenderRequest: Decodable {
    var game: Int64
    var hand: Int?
    var player: String?
    var startRank: Int?
    var priority: Int?
    enum CodingKeys: String, CodingKey { case game, hand, player, startRank = "start_rank", priority }
}

/// What `POST /api/v1/graphics/{composition}/render` answers.
struct GraphicsRenderResponse: Encodable {
    var instructionID: Int64
    var published: Bool
    var template: String
    var document: GFXDataDocument
    enum CodingKeys: String, CodingKey { case instructionID = "instruction_id", published, template, document }
}

/// The body of `POST /api/v1/sessions/{id}/rules`.
struct RuleRequest: Decodable {
    var table: String
    /// `elimination`, `premium_hand`, `level_change`, `chip_leader`, `every:N`.
    var on: String
    var composition: String
    var priority: Int?
}

/// What `GET /api/v1/sessions/{id}/rules` answers.
struct RulesResponse: Encodable {
    var rules: [CueRule]
    var firings: [CueRuleStore.Firing]
}

/// The body of `POST /api/v1/sessions/{id}/staff`.
struct StaffRequest: Decodable {
    var role: String
    var name: String
    var socialHandle: String?
    var displayOrder: Int?
    enum CodingKeys: String, CodingKey { case role, name, socialHandle = "social_handle", displayOrder = "display_order" }
}
