import Foundation
import HubCore
import Hummingbird

extension HubServer {
    /// The imported WSOP+ events over ``WSOPQueries``: `GET /api/v1/events[?status=&limit=]` and
    /// `GET /api/v1/events/{id}` (database id or export key such as `WSOP-2026-E76`) with the
    /// latest chip count of every player.
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
    }
}
