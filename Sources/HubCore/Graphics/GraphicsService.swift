import Foundation
import HubDriverSupport
import HubPostgres

/// One graphic for one moment: which composition, which game and hand, which player.
package struct GraphicsRequest: Sendable, Hashable, Codable {
    /// The catalog's composition name (`Elimination`).
    package var composition: String
    /// The PokerGFX session id (`GameID=` of the file name).
    package var game: Int64
    /// The hand number (nil: the latest hand).
    package var hand: Int?
    /// A name or `seat:N`.
    package var player: String?
    /// First place of a payout table from a start rank.
    package var startRank: Int?
    /// The exact hand (`gfx_hands.id`), when a HandNum repeats: automatic rules name it.
    package var handID: Int64?
    /// The broadcast session whose event, payouts and staff the graphic shows (a cue item's own);
    /// nil: the table's live session, else its newest one that has not ended.
    package var broadcastSession: Int64?

    package init(composition: String, game: Int64, hand: Int? = nil, player: String? = nil, startRank: Int? = nil, handID: Int64? = nil) {
        self.composition = composition
        self.game = game
        self.hand = hand
        self.player = player
        self.startRank = startRank
        self.handID = handID
    }

    enum CodingKeys: String, CodingKey {
        case composition, game, hand, player, startRank = "start_rank", handID = "hand_id", broadcastSession = "broadcast_session"
    }

    /// The request as cue item data (`game`, `hand`, `player`, `start_rank`).
    package var cueData: [String: JSONValue] {
        var data: [String: JSONValue] = ["game": .integer(game)]
        if let hand { data["hand"] = .integer(Int64(hand)) }
        if let player { data["player"] = .string(player) }
        if let startRank { data["start_rank"] = .integer(Int64(startRank)) }
        if let handID { data["hand_id"] = .integer(handID) }
        return data
    }

    /// Reads a request back from cue item data.
    /// - Throws: ``HubError`` `.usage` when `game` is missing or a value has the wrong type.
    package init(composition: String, cueData data: [String: JSONValue]) throws {
        func integer(_ key: String) throws -> Int64? {
            switch data[key] {
            case nil, .null?: return nil
            case .integer(let value)?: return value
            case .string(let text)?: if let value = Int64(text) { return value }
            default: break
            }
            throw HubError(.usage, "\(key) must be a whole number, not \(data[key]!.canonicalText)")
        }
        guard let game = try integer("game") else {
            throw HubError(.usage, "a graphic cue needs the PokerGFX game (data {\"game\": GAMEID}; hubctl graphics render COMPOSITION --game GAMEID)")
        }
        let hand = try integer("hand")
        let start = try integer("start_rank")
        guard (hand ?? 0) >= Int64(Int32.min) && (hand ?? 0) <= Int64(Int32.max), (start ?? 1) >= 1 && (start ?? 1) <= 100_000 else {
            throw HubError(.usage, "hand or start_rank is out of range")
        }
        var player: String?
        if case .string(let text)? = data["player"] { player = text }
        self.init(composition: composition, game: game, hand: hand.map { Int($0) }, player: player, startRank: start.map { Int($0) },
                  handID: try integer("hand_id"))
    }
}

/// The graphics front end: the v3 document of a composition for a moment, and a render
/// instruction carrying it (GRAPHICS.md §3).
package struct GraphicsService: Sendable {
    package let store: GraphicsStore
    /// The day "today" is for the schedule (`2026-12-07`); nil: today in UTC.
    package var today: String?
    /// How long a loaded catalog is reused before it is read again (a long-lived server answers
    /// many requests from one read; `hubctl graphics import` shows within this time).
    package var catalogLifetime: Duration
    let cached = PThreadLocked<(catalog: GraphicsCatalog, read: ContinuousClock.Instant)?>(nil)

    package init(pool: PostgresPool, today: String? = nil, catalogLifetime: Duration = .seconds(2)) {
        self.store = GraphicsStore(pool: pool)
        self.today = today
        self.catalogLifetime = catalogLifetime
    }

    /// The loaded catalog, read again when the cached copy is older than ``catalogLifetime``.
    package func catalog() async throws -> GraphicsCatalog {
        let now = ContinuousClock.now
        if let hit = cached.withLock({ $0 }), now - hit.read < catalogLifetime { return hit.catalog }
        let catalog = try await store.catalog()
        cached.withLock { $0 = (catalog, now) }
        return catalog
    }

    /// The catalog composition named `name`.
    /// - Throws: ``HubError`` `.notFound` listing the catalog's compositions.
    package static func composition(_ name: String, in catalog: GraphicsCatalog) throws -> GraphicsCatalog.Composition {
        guard let composition = catalog.composition(name) else {
            throw HubError(.notFound, "no composition \"\(name)\" in the graphics catalog; it has: \(catalog.compositions.map(\.name).joined(separator: ", "))")
        }
        return composition
    }

    /// The document of `request`.
    /// - Throws: ``HubError`` `.notFound` for an unknown composition, game, hand or player;
    ///   `.refused` when the moment lacks a required field; `.usage` for a missing or ambiguous player.
    package func document(_ request: GraphicsRequest, catalog: GraphicsCatalog? = nil) async throws -> GFXDataDocument {
        let catalog = try await resolve(catalog)
        let composition = try Self.composition(request.composition, in: catalog)
        let moment = try await store.moment(GraphicsStore.MomentRequest(game: request.game, hand: request.hand, player: request.player, today: today, handID: request.handID,
                                                                 broadcastSession: request.broadcastSession))
        return try GraphicsDeriver(catalog: catalog).document(composition, at: moment, player: request.player, startRank: request.startRank)
    }

    /// Every composition of the catalog at one moment: the document, or why it was refused.
    package func documents(game: Int64, hand: Int?, player: String?, catalog: GraphicsCatalog? = nil) async throws -> [(composition: String, result: Result<GFXDataDocument, HubError>)] {
        let catalog = try await resolve(catalog)
        let moment = try await store.moment(GraphicsStore.MomentRequest(game: game, hand: hand, player: player, today: today))
        let deriver = GraphicsDeriver(catalog: catalog)
        return catalog.compositions.map { composition in
            do {
                return (composition.name, .success(try deriver.document(composition, at: moment, player: composition.player == .none ? nil : player)))
            } catch let error as HubError {
                return (composition.name, .failure(error))
            } catch {
                return (composition.name, .failure(HubError(.refused, "\(error)")))
            }
        }
    }

    /// A render submission carrying `document` (template: the catalog's AE project).
    package static func submission(_ document: GFXDataDocument, catalog: GraphicsCatalog, priority: Int = 5, trigger: RenderTrigger = .manual,
                                  format: OutputSettings.Format = .png, cueItemID: Int64? = nil) -> RenderSubmission {
        RenderSubmission(templateName: catalog.project, composition: document.compName, layerData: document.jsonObject,
                         outputSettings: OutputSettings(format: format, width: 1920, height: 1080, fps: 30),
                         priority: priority, trigger: trigger, cueItemID: cueItemID)
    }

    func resolve(_ catalog: GraphicsCatalog?) async throws -> GraphicsCatalog {
        if let catalog { return catalog }
        return try await self.catalog()
    }
}
