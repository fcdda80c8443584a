import ArgumentParser
import Foundation
import HubCommandSupport
import HubCore

/// `hubctl hands list|show`: the imported hands through ``HandStore`` (the same repository as
/// `GET /api/v1/hands`).
struct HandsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hands",
        abstract: "List and show the hands imported from the feature tables.",
        subcommands: [List.self, Show.self]
    )

    static func withHands<T>(_ global: GlobalOptions, _ body: (HandStore) async throws -> T) async throws -> T {
        try await global.withClients { clients in
            try await SchemaGuard.verify(clients.database, program: "hubctl")
            return try await body(HandStore(pool: clients.database))
        }
    }

    static func cards(_ cards: [String]) -> String { cards.isEmpty ? "-" : cards.joined(separator: " ") }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Hands newest first, filtered by game, table, time, premium and broadcast-worthy.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Only this game (the PokerGFX GameID).") var game: Int64?
        @Option(help: "Only this feature table.") var table: String?
        @Option(help: ArgumentHelp("Only hands started within this long before now (e.g. 90m, 2h, 1d).", valueName: DurationOption.valueName),
                transform: DurationOption.wholeSeconds)
        var since: Int?
        @Flag(help: "Only premium hands (full house or better shown).") var premium = false
        @Flag(name: .customLong("broadcast-worthy"), help: "Only broadcast-worthy hands.") var broadcastWorthy = false
        @Option(help: "At most this many (1…500).") var limit = 20
        @Option(help: "The page after this one (the next_cursor of the previous page).") var cursor: String?
        @Flag(help: "Print JSON (the page with its next_cursor).") var json = false

        func validate() throws {
            guard (1...500).contains(limit) else { throw ValidationError("--limit must be 1…500") }
            if let since, since <= 0 { throw ValidationError("--since must be a positive duration") }
        }

        func run() async throws {
            let query = HandQuery(gameID: game, tableID: table, startedFrom: since.map { Date().addingTimeInterval(-Double($0)) },
                                  premium: premium ? true : nil, broadcastWorthy: broadcastWorthy ? true : nil, limit: limit, cursor: cursor)
            let page = try await HandsCommand.withHands(global) { try await $0.hands(query) }
            if json { print(try JSONOutput.encode(page)); return }
            guard !page.hands.isEmpty else { print("no hand matches"); return }
            var rows = [["ID", "GAME", "TABLE", "HAND", "STARTED", "BOARD", "GRADE", "WINNER", "PREMIUM", "WORTHY"]]
            for hand in page.hands {
                rows.append([String(hand.id), String(hand.gameID), hand.tableID, String(hand.handNumber),
                             hand.startedAt.formatted(.iso8601), HandsCommand.cards(hand.board), hand.grade?.name ?? "-", hand.winner ?? "-",
                             hand.isPremium ? "yes" : "", hand.isBroadcastWorthy ? "yes" : ""])
            }
            print(TextTable.render(rows))
            if let next = page.nextCursor { print("more: hubctl hands list --cursor \(next)") }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One hand: its seats, cards, actions and grade.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The hand's id (from `hands list`), or GAME:HAND (the PokerGFX GameID and hand number).") var hand: String
        @Flag(help: "Print JSON.") var json = false

        func validate() throws {
            guard Self.parse(hand) != nil else { throw ValidationError("'\(hand)' is not a hand id or GAME:HAND (e.g. 42 or 638961999170907267:2)") }
        }

        static func parse(_ text: String) -> (id: Int64?, game: Int64?, number: Int?)? {
            let parts = text.split(separator: ":")
            if parts.count == 1, let id = Int64(parts[0]), id > 0 { return (id, nil, nil) }
            if parts.count == 2, let game = Int64(parts[0]), let number = Int(parts[1]) { return (nil, game, number) }
            return nil
        }

        func run() async throws {
            let reference = Self.parse(hand)!
            let found = try await HandsCommand.withHands(global) { store in
                if let id = reference.id { return try await store.hand(id: id) }
                return try await store.hand(game: reference.game!, number: reference.number!)
            }
            if json { print(try JSONOutput.encode(found)); return }
            print("hand \(found.handNumber) of game \(found.gameID) (id \(found.id)), table \(found.tableID), \(found.startedAt.formatted(.iso8601))")
            print("\(found.gameVariant) \(found.betStructure)  pot \(found.pot)  board \(HandsCommand.cards(found.board))  grade \(found.grade?.name ?? "-")"
                  + (found.isPremium ? "  PREMIUM" : "") + (found.isBroadcastWorthy ? "  BROADCAST-WORTHY" : ""))
            print("winner: \(found.winner ?? "-")")
            var rows = [["SEAT", "NAME", "START", "END", "NET", "CARDS", "SHOWED"]]
            for player in found.players {
                rows.append([String(player.seat), player.name, String(player.startStack), String(player.endStack), String(player.net),
                             HandsCommand.cards(player.holeCards), player.category?.name ?? ""])
            }
            print(TextTable.render(rows))
            if !found.events.isEmpty {
                print("actions: " + found.events.map { $0.boardCard.map { "[\($0)]" } ?? "\($0.seat) \($0.type.lowercased())\($0.amount > 0 ? " \($0.amount)" : "")" }
                    .joined(separator: ", "))
            }
        }
    }
}
