import Foundation
import HubCore
import Hummingbird

extension HubServer {
    /// The players routes of schema doc §9 beside the ones in ``addCueRoutes(to:)``:
    /// `GET /api/v1/players/search?q=&limit=`, `POST /api/v1/players` (a manual player) and
    /// `PATCH /api/v1/players/{ref}` (manual values), over ``PlayerStore``. A photo
    /// (`profile_image`) must be a PNG or JPEG file inside the media roots (``MediaPolicy``).
    func addPlayerRoutes(to router: Router<HubRequestContext>) {
        let players = PlayerStore(pool: clients.database, media: clients.media)
        router.get("/api/v1/players/search") { request, _ -> Response in
            let limit = try Self.integerQuery(request, "limit", default: 50, in: 1...1000)
            guard let text = request.uri.queryParameters["q"].map({ String($0).removingPercentEncoding ?? String($0) }),
                  !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw APIError.validation("query parameter q must hold part of a name, e.g. /api/v1/players/search?q=ivey",
                                          details: ["parameter": .string("q")])
            }
            return try Self.json(["players": try await players.search(text, limit: limit)])
        }
        router.post("/api/v1/players") { request, context -> Response in
            let body = try await Self.playerBody(request, context, creating: true)
            let player = try await players.create(body.changes, wsopPlayerKey: body.wsopPlayerKey, actor: Self.actor(context), reason: body.reason)
            return try Self.json(player, status: .created)
        }
        router.patch("/api/v1/players/{ref}") { request, context -> Response in
            let body = try await Self.playerBody(request, context, creating: false)
            let player = try await players.update(try Self.textParameter(context, "ref"), body.changes, actor: Self.actor(context), reason: body.reason)
            return try Self.json(player)
        }
    }

    /// The text fields `POST /api/v1/players` and `PATCH /api/v1/players/{ref}` take.
    static let playerFields = ["name", "name_korean", "country_code", "bio", "notable_wins", "profile_image"]

    /// A player body: an object of text fields (null: not given), refusing any other key.
    /// - Throws: ``APIError`` 400 naming the field.
    static func playerBody(_ request: Request, _ context: HubRequestContext, creating: Bool) async throws
        -> (changes: PlayerChanges, wsopPlayerKey: String?, reason: String?) {
        let example = creating ? #"{"name":"Minsu Kim","name_korean":"김민수","country_code":"KR"}"# : #"{"bio":"2024 WSOP bracelet winner"}"#
        let object = try await decodeBody([String: JSONValue].self, request, context, example: example)
        var allowed = playerFields + ["reason"]
        if creating { allowed.append("wsop_player_key") }
        if let unknown = object.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw APIError.validation("unknown field \(unknown): a player takes \(allowed.joined(separator: ", "))", details: ["field": .string(unknown)])
        }
        var text: [String: String] = [:]
        for (key, value) in object {
            switch value {
            case .string(let string): text[key] = string
            case .null: continue
            default: throw APIError.validation("\(key) must be a string", details: ["field": .string(key)])
            }
        }
        let changes = PlayerChanges(name: text["name"], nameKorean: text["name_korean"], countryCode: text["country_code"], bio: text["bio"],
                                    notableWins: text["notable_wins"], profileImage: text["profile_image"])
        return (changes, text["wsop_player_key"], text["reason"])
    }
}
