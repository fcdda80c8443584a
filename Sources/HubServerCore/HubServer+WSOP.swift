import Foundation
import HubCore
import Hummingbird

extension HubServer {
    /// The imported WSOP+ events over ``WSOPQueries``: `GET /api/v1/events[?status=&limit=]`,
    /// `GET /api/v1/events/{id}` (database id or export key such as `WSOP-2026-E76`) with the
    /// latest chip count of every player, `GET /api/v1/events/{id}/players[?status=&limit=]` (the
    /// event's field as the chip counts left it) and `GET /api/v1/events/{id}/standings` (the
    /// latest standings snapshot).
    func addWSOPRoutes(to router: Router<HubRequestContext>) {
        let queries = WSOPQueries(pool: clients.database)
        router.get("/api/v1/events") { request, _ -> Response in
            let limit = try Self.integerQuery(request, "limit", default: 100, in: 1...10_000)
            let status = request.uri.queryParameters["status"].map(String.init)
            return try Self.json(["events": try await queries.events(status: status, limit: limit)])
        }
        router.get("/api/v1/events/{id}") { _, context -> Response in
            try Self.json(try await queries.event(try Self.textParameter(context, "id")))
        }
        router.get("/api/v1/events/{id}/players") { request, context -> Response in
            let limit = try Self.integerQuery(request, "limit", default: 1000, in: 1...10_000)
            let status = request.uri.queryParameters["status"].map(String.init)
            if let status, !["active", "eliminated"].contains(status) {
                throw APIError.validation("query parameter status must be active or eliminated", details: ["parameter": .string("status")])
            }
            let found = try await queries.players(event: try Self.textParameter(context, "id"), status: status, limit: limit)
            return try Self.json(EventPlayersResponse(event: found.event, players: found.players))
        }
        router.get("/api/v1/events/{id}/standings") { request, context -> Response in
            let limit = try Self.integerQuery(request, "limit", default: 1000, in: 1...10_000)
            return try Self.json(try await queries.standings(event: try Self.textParameter(context, "id"), limit: limit))
        }
    }
}

/// The body of `GET /api/v1/events/{id}/players`.
struct EventPlayersResponse: Encodable {
    var event: WSOPQueries.Event
    var players: [WSOPQueries.EventPlayer]
}
