import Foundation
import HubCore
import Hummingbird

extension HubServer {
    /// Unified players and the director's cue sheets over ``PlayerStore`` and ``CueDirector`` (the
    /// code `hubctl players` and `hubctl cue` run):
    /// `GET /api/v1/players[?search=&limit=]`, `GET /api/v1/players/{ref}`,
    /// `POST /api/v1/players/{ref}/overrides`, `GET|POST /api/v1/sessions`,
    /// `GET /api/v1/sessions/{id}`, `GET|POST /api/v1/sessions/{id}/sheets`,
    /// `GET|POST /api/v1/sheets/{id}/items`, `GET /api/v1/items/{id}`,
    /// `PATCH /api/v1/items/{id}/status` and `POST /api/v1/items/{id}/trigger`. The caller is the
    /// actor recorded.
    func addCueRoutes(to router: Router<HubRequestContext>) {
        let players = PlayerStore(pool: clients.database)
        let director = CueDirector(queue: queue, notifier: Notifier(pool: clients.database, events: queue.events, webhook: settings.webhook))
        router.get("/api/v1/players") { request, _ -> Response in
            let limit = try Self.integerQuery(request, "limit", default: 50, in: 1...1000)
            let found: [UnifiedPlayer]
            if let text = request.uri.queryParameters["search"].map(String.init), !text.trimmingCharacters(in: .whitespaces).isEmpty {
                found = try await players.search(text, limit: limit)
            } else {
                found = try await players.list(limit: limit)
            }
            return try Self.json(["players": found])
        }
        router.get("/api/v1/players/{ref}") { _, context -> Response in
            try Self.json(try await players.explain(try Self.textParameter(context, "ref")))
        }
        router.post("/api/v1/players/{ref}/overrides") { request, context -> Response in
            let body = try await Self.decodeBody(OverrideRequest.self, request, context,
                                                 example: #"{"field":"name_korean","value":"김민수","valid_until":"2026-07-20T00:00:00Z","reason":"graphics request"}"#)
            let player = try await players.player(try Self.textParameter(context, "ref"))
            let id = try await players.override(player, field: body.field, value: body.value, validFrom: body.validFrom, validUntil: body.validUntil,
                                                actor: Self.actor(context), reason: body.reason)
            return try Self.json(OverrideResponse(overrideID: id, player: try await players.player(player.ref)), status: .created)
        }
        router.get("/api/v1/sessions") { request, _ -> Response in
            let limit = try Self.integerQuery(request, "limit", default: 100, in: 1...1000)
            return try Self.json(["sessions": try await director.store.sessions(limit: limit)])
        }
        router.post("/api/v1/sessions") { request, context -> Response in
            let body = try await Self.decodeBody(SessionRequest.self, request, context, example: #"{"name":"Day 2 Feature","event":"WSOP-2026-E76","table":"GG"}"#)
            let session = try await director.createSession(name: body.name, eventKey: body.event, tableID: body.table, scheduledAt: body.scheduledAt,
                                                           actor: Self.actor(context))
            return try Self.json(session, status: .created)
        }
        router.get("/api/v1/sessions/{id}") { _, context -> Response in
            let id = try Self.idParameter(context)
            let session = try await director.store.session(id)
            return try Self.json(SessionResponse(session: session, sheets: try await director.store.sheets(session: id)))
        }
        router.get("/api/v1/sessions/{id}/sheets") { _, context -> Response in
            try Self.json(["sheets": try await director.store.sheets(session: try Self.idParameter(context))])
        }
        router.post("/api/v1/sessions/{id}/sheets") { request, context -> Response in
            let body = try await Self.decodeBody(SheetRequest.self, request, context, example: #"{"name":"Main"}"#)
            return try Self.json(try await director.createSheet(session: try Self.idParameter(context), name: body.name, actor: Self.actor(context)),
                                 status: .created)
        }
        router.get("/api/v1/sheets/{id}/items") { _, context -> Response in
            try Self.json(["items": try await director.store.items(sheet: try Self.idParameter(context))])
        }
        router.post("/api/v1/sheets/{id}/items") { request, context -> Response in
            let body = try await Self.decodeBody(ItemRequest.self, request, context, example: #"{"template":"leaderboard","title":"Chip leaders","data":{"top":10}}"#)
            let item = try await director.addItem(sheet: try Self.idParameter(context), template: body.template, number: body.number,
                                                  title: body.title, data: body.data ?? [:])
            return try Self.json(item, status: .created)
        }
        router.get("/api/v1/items/{id}") { _, context -> Response in
            try Self.json(try await director.store.item(try Self.idParameter(context)))
        }
        router.patch("/api/v1/items/{id}/status") { request, context -> Response in
            let body = try await Self.decodeBody(ItemStatusRequest.self, request, context, example: #"{"status":"completed","reason":"played live"}"#)
            guard let status = CueItemStatus(rawValue: body.status), CueItemStatus.settableByHand.contains(status) else {
                throw APIError.validation("status must be one of \(CueItemStatus.settableByHand.map(\.rawValue).joined(separator: ", ")), not \"\(body.status)\""
                                          + " (queued and rendering come only from a trigger, failed only from its render)",
                                          details: ["field": .string("status")])
            }
            return try Self.json(try await director.setItemStatus(try Self.idParameter(context), to: status, actor: Self.actor(context), reason: body.reason))
        }
        router.post("/api/v1/items/{id}/trigger") { request, context -> Response in
            let body = try await Self.decodeBody(ReasonRequest.self, request, context, allowEmpty: true, example: #"{"reason":"after the break"}"#)
            let result = try await director.trigger(try Self.idParameter(context), actor: Self.actor(context), reason: body.reason)
            return try Self.json(result.summary, status: .created)
        }
    }

    /// A non-empty text path parameter.
    static func textParameter(_ context: HubRequestContext, _ name: String) throws -> String {
        guard let text = context.parameters.get(name), !text.isEmpty else {
            throw APIError.validation("the path must name the \(name)", details: ["parameter": .string(name)])
        }
        return text.removingPercentEncoding ?? text
    }
}

struct OverrideRequest: Decodable {
    var field: String
    var value: String
    var validFrom: Date?
    var validUntil: Date?
    var reason: String?

    enum CodingKeys: String, CodingKey {
        case field, value, reason
        case validFrom = "valid_from"
        case validUntil = "valid_until"
    }
}

struct OverrideResponse: Encodable {
    var overrideID: Int64
    var player: UnifiedPlayer

    enum CodingKeys: String, CodingKey {
        case player
        case overrideID = "override_id"
    }
}

struct SessionRequest: Decodable {
    var name: String
    var event: String?
    var table: String?
    var scheduledAt: Date?

    enum CodingKeys: String, CodingKey {
        case name, event, table
        case scheduledAt = "scheduled_at"
    }
}

struct SessionResponse: Encodable {
    var session: BroadcastSession
    var sheets: [CueSheet]
}

struct SheetRequest: Decodable {
    var name: String
}

struct ItemRequest: Decodable {
    var template: String
    var number: Int?
    var title: String?
    var data: [String: JSONValue]?
}

/// The body of `PATCH /api/v1/items/{id}/status`.
struct ItemStatusRequest: Decodable {
    var status: String
    var reason: String?
}

struct ReasonRequest: Decodable {
    var reason: String?
}
