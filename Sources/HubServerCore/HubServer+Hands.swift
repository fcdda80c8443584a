import Foundation
import HubCore
import Hummingbird

extension HubServer {
    /// `GET /api/v1/hands?game=&table=&from=&before=&premium=&broadcast_worthy=&limit=&cursor=`
    /// (newest first, a page with `next_cursor`) and `GET /api/v1/hands/{id}`, over ``HandStore``
    /// (the repository `hubctl hands` reads).
    func addHandRoutes(to router: Router<HubRequestContext>) {
        let store = HandStore(pool: clients.database)
        router.get("/api/v1/hands") { request, _ -> Response in
            try Self.json(try await store.hands(try Self.handQuery(request)))
        }
        router.get("/api/v1/hands/{id}") { _, context -> Response in
            try Self.json(try await store.hand(id: try Self.idParameter(context)))
        }
    }

    /// The filters of `GET /api/v1/hands`.
    /// - Throws: ``APIError`` 400 naming the parameter.
    static func handQuery(_ request: Request) throws -> HandQuery {
        let parameters = request.uri.queryParameters
        func text(_ name: String) -> String? { parameters[name[...]].map { String($0).removingPercentEncoding ?? String($0) } }
        func flag(_ name: String) throws -> Bool? {
            guard let value = text(name) else { return nil }
            switch value.lowercased() {
            case "true", "1", "yes": return true
            case "false", "0", "no": return false
            default: throw APIError.validation("query parameter \(name) must be true or false", details: ["parameter": .string(name)])
            }
        }
        func date(_ name: String) throws -> Date? {
            guard let value = text(name) else { return nil }
            guard let parsed = try? Date(value, strategy: .iso8601) else {
                throw APIError.validation("query parameter \(name) must be an ISO 8601 time such as 2026-12-07T17:25:00Z",
                                          details: ["parameter": .string(name)])
            }
            return parsed
        }
        var query = HandQuery(limit: try integerQuery(request, "limit", default: 50, in: 1...500))
        if let game = text("game") {
            guard let id = Int64(game) else {
                throw APIError.validation("query parameter game must be the PokerGFX GameID (a whole number)", details: ["parameter": .string("game")])
            }
            query.gameID = id
        }
        query.tableID = text("table").flatMap { $0.isEmpty ? nil : $0 }
        query.startedFrom = try date("from")
        query.startedBefore = try date("before")
        query.premium = try flag("premium")
        query.broadcastWorthy = try flag("broadcast_worthy")
        if let cursor = text("cursor") {
            guard let id = Int64(cursor), id > 0 else {
                throw APIError.validation("query parameter cursor must be the next_cursor of the previous page", details: ["parameter": .string("cursor")])
            }
            query.cursor = String(id)
        }
        return query
    }
}
