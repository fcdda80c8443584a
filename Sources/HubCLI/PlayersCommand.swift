import ArgumentParser
import Foundation
import HubCommandSupport
import HubCore

/// `hubctl players …`: unified players (SPEC §5) — search, show (with where each field came
/// from), override, link, unlink, image.
struct PlayersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "players",
        abstract: "Find players across WSOP+ and PokerGFX, override fields, link and unlink them, register photos.",
        discussion: """
            A player is named by a ref (wsop:12, gfx:7), a WSOP+ id (P-1001) or a name that matches one player \
            (case, spacing and accents ignored). Merge priority: name manual > WSOP+ > GFX; name_korean, bio, \
            notable_wins manual only; country_code and profile_image manual > WSOP+; chip_count WSOP+ > GFX; hand data GFX.
            """,
        subcommands: [Search.self, Show.self, Create.self, Update.self, Override.self, Link.self, Unlink.self, Image.self]
    )

    static func withPlayers<T>(_ global: GlobalOptions, _ body: (PlayerStore) async throws -> T) async throws -> T {
        try await global.withClients { clients in
            try await SchemaGuard.verify(clients.database, program: "hubctl")
            return try await body(PlayerStore(pool: clients.database, media: clients.media))
        }
    }

    static func table(_ players: [UnifiedPlayer]) -> String {
        var rows = [["REF", "NAME", "KOREAN", "COUNTRY", "CHIPS", "HANDS", "LINK"]]
        for player in players {
            rows.append([player.ref, player.name, player.nameKorean ?? "", player.countryCode ?? "",
                         player.chipCount.map(BroadcastFormat.number) ?? "", String(player.handsPlayed),
                         player.gfxPlayerID.flatMap { id in player.wsopPlayerID.map { _ in "gfx:\(id) (\(player.linkMethod ?? "?"))" } } ?? "-"])
        }
        return TextTable.render(rows)
    }

    struct Search: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Players whose name, Korean name or WSOP+ id contains TEXT.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Part of a name (accents and case ignored).") var text: String
        @Option(help: "At most this many.") var limit = 50
        @Flag(help: "Print JSON.") var json = false

        func validate() throws {
            guard (1...1000).contains(limit) else { throw ValidationError("--limit must be 1…1000") }
        }

        func run() async throws {
            let players = try await PlayersCommand.withPlayers(global) { try await $0.search(text, limit: limit) }
            if json { print(try JSONOutput.encode(players)); return }
            print(players.isEmpty ? "no player matches \"\(text)\"" : PlayersCommand.table(players))
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One player: every field with its source, what the other sources say, and the overrides.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The player (wsop:12, gfx:7, P-1001 or a name).") var player: String
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let explanation = try await PlayersCommand.withPlayers(global) { try await $0.explain(player) }
            if json { print(try JSONOutput.encode(explanation)); return }
            let p = explanation.player
            var header = "\(p.ref)  \(p.name)"
            if let key = p.wsopPlayerKey { header += "  WSOP+ \(key)" }
            if let gfx = p.gfxPlayerID { header += p.wsopPlayerID == nil ? "  (GFX only)" : "  linked to gfx:\(gfx) (\(p.linkMethod ?? "?"))" }
            print(header)
            var rows = [["FIELD", "VALUE", "FROM", "PRIORITY", "OTHER SOURCES"]]
            for field in PlayerField.allCases {
                let source = p.sources[field]
                let others = (explanation.candidates[field] ?? [:]).filter { $0.key != source }
                    .sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key.rawValue): \($0.value)" }.joined(separator: "; ")
                rows.append([field.rawValue, p.value(of: field) ?? "-", source?.rawValue ?? "-",
                             field.priority.map(\.rawValue).joined(separator: " > "), others])
            }
            print(TextTable.render(rows))
            if !explanation.overrides.isEmpty {
                print("\nOverrides (newest first; the newest applied one wins):")
                let formatter = ISO8601DateFormatter()
                var table = [["ID", "FIELD", "VALUE", "STATE", "FROM", "UNTIL", "BY", "REASON"]]
                for o in explanation.overrides {
                    table.append([String(o.id), o.field.rawValue, o.value, o.state.rawValue, formatter.string(from: o.validFrom),
                                  o.validUntil.map(formatter.string(from:)) ?? "-", o.createdBy, o.reason ?? ""])
                }
                print(TextTable.render(table))
            }
        }
    }

    /// The manual values `create` and `update` take (the fields of `POST /api/v1/players`).
    struct ValueOptions: ParsableArguments {
        @Option(help: "Korean name.") var korean: String?
        @Option(help: "ISO country code in capitals (KR, US).") var country: String?
        @Option(help: "Biography.") var bio: String?
        @Option(help: "Notable wins.") var wins: String?
        @Option(help: "A PNG or JPEG file inside the media roots.") var photo: String?

        func changes(name: String?) -> PlayerChanges {
            PlayerChanges(name: name, nameKorean: korean, countryCode: country, bio: bio, notableWins: wins, profileImage: photo)
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a manual player (one no source has exported yet) and print its ref.",
            discussion: "Example: hubctl players create \"Minsu Park\" --korean 박민수 --country KR --wsop-id P-9001. The same as POST /api/v1/players."
        )
        @OptionGroup var global: GlobalOptions
        @OptionGroup var who: ActorOptions
        @Argument(help: "The player's name.") var name: String
        @OptionGroup var values: ValueOptions
        @Option(name: .customLong("wsop-id"), help: "The WSOP+ player id when known (P-1234); default a made-up M-….") var wsopID: String?
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let player = try await PlayersCommand.withPlayers(global) {
                try await $0.create(values.changes(name: name), wsopPlayerKey: wsopID, actor: who.actor, reason: who.reason)
            }
            print(json ? try JSONOutput.encode(player) : player.ref)
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change a player's values by hand (each becomes a manual value from now on).",
            discussion: "Example: hubctl players update P-1003 --wins \"10 bracelets\". The same as PATCH /api/v1/players/{ref}."
        )
        @OptionGroup var global: GlobalOptions
        @OptionGroup var who: ActorOptions
        @Argument(help: "The player (wsop:12, gfx:7, P-1001 or a name).") var player: String
        @Option(help: "A new name.") var name: String?
        @OptionGroup var values: ValueOptions
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let updated = try await PlayersCommand.withPlayers(global) {
                try await $0.update(player, values.changes(name: name), actor: who.actor, reason: who.reason)
            }
            print(json ? try JSONOutput.encode(updated) : PlayersCommand.table([updated]))
        }
    }

    struct Override: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set a field by hand (name, name_korean, country_code, bio, notable_wins), or switch an override off.",
            discussion: """
                Examples:
                  hubctl players override P-1001 name_korean 김민수
                  hubctl players override "Phil Ivey" bio "10-time bracelet winner" --until 2026-07-20T00:00:00Z
                  hubctl players override --deactivate 12 --reason "typo"
                """
        )
        @OptionGroup var global: GlobalOptions
        @OptionGroup var who: ActorOptions
        @Argument(help: "The player.") var player: String?
        @Argument(help: "The field.") var field: String?
        @Argument(help: "The value.") var value: String?
        @Option(help: "Applies from this time (ISO 8601; default now).") var from: String?
        @Option(help: "Applies until this time (ISO 8601; default open-ended).") var until: String?
        @Option(help: "Switch override ID off instead.") var deactivate: Int64?
        @Flag(help: "Print JSON.") var json = false

        static func date(_ text: String?, _ flag: String) throws -> Date? {
            guard let text else { return nil }
            let formatter = ISO8601DateFormatter()
            if let date = formatter.date(from: text) { return date }
            formatter.formatOptions = [.withFullDate]
            if let date = formatter.date(from: text) { return date }
            throw ValidationError("\(flag) must be an ISO 8601 time such as 2026-07-10T18:00:00Z or 2026-07-10, not '\(text)'")
        }

        func validate() throws {
            if deactivate != nil {
                guard player == nil else { throw ValidationError("--deactivate takes only the override id") }
                return
            }
            guard player != nil, let field, let value else { throw ValidationError("usage: hubctl players override PLAYER FIELD VALUE") }
            do { _ = try PlayerStore.validateOverride(field: field, value: value) } catch let error as HubError { throw ValidationError(error.message) }
            _ = try Self.date(from, "--from")
            _ = try Self.date(until, "--until")
        }

        func run() async throws {
            if let deactivate {
                try await PlayersCommand.withPlayers(global) { try await $0.deactivateOverride(deactivate, actor: who.actor, reason: who.reason) }
                print(json ? try JSONOutput.encode(["override_id": JSONValue.integer(deactivate), "active": .bool(false)]) : "override \(deactivate) is off")
                return
            }
            let (id, player) = try await PlayersCommand.withPlayers(global) { store in
                let target = try await store.player(self.player!)
                let id = try await store.override(target, field: field!, value: value!, validFrom: try Self.date(from, "--from"),
                                                  validUntil: try Self.date(until, "--until"), actor: who.actor, reason: who.reason)
                return (id, try await store.player(target.ref))
            }
            if json { print(try JSONOutput.encode(["override_id": JSONValue.integer(id), "player": .string(player.ref)])); return }
            print("override \(id): \(field!) of \(player.ref) is \"\(value!)\"\(from.map { " from \($0)" } ?? "")\(until.map { " until \($0)" } ?? "") (now shows: \(player.value(of: PlayerField(rawValue: field!)!) ?? "-"))")
        }
    }

    struct Link: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Link a WSOP+ player and a GFX player by hand (manual links win), or run the automatic linker with --auto.",
            discussion: "The automatic linker links by normalized name and reports ambiguous matches instead of guessing."
        )
        @OptionGroup var global: GlobalOptions
        @OptionGroup var who: ActorOptions
        @Argument(help: "The WSOP+ player.") var wsop: String?
        @Argument(help: "The GFX player (gfx:ID or a name).") var gfx: String?
        @Flag(help: "Link every unlinked pair whose names match exactly once.") var auto = false
        @Flag(help: "Print JSON.") var json = false

        func validate() throws {
            if auto {
                guard wsop == nil else { throw ValidationError("--auto takes no players") }
            } else {
                guard wsop != nil, gfx != nil else { throw ValidationError("usage: hubctl players link WSOP_PLAYER GFX_PLAYER, or hubctl players link --auto") }
            }
        }

        func run() async throws {
            if auto {
                let report = try await PlayersCommand.withPlayers(global) { try await $0.autoLink() }
                if json { print(try JSONOutput.encode(report)); return }
                print("linked \(report.linked) player(s)")
                for line in report.ambiguous { print("ambiguous, not linked: \(line)") }
                return
            }
            let player = try await PlayersCommand.withPlayers(global) { try await $0.link(wsop: wsop!, gfx: gfx!, actor: who.actor, reason: who.reason) }
            if json { print(try JSONOutput.encode(player)); return }
            print("\(player.ref) (\(player.name)) is linked to gfx:\(player.gfxPlayerID.map(String.init) ?? "?") by hand")
        }
    }

    struct Unlink: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a link; the automatic linker will not link the pair again.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var who: ActorOptions
        @Argument(help: "Either player of the link.") var player: String
        @Flag(help: "Print JSON: the two players that are no longer linked.") var json = false

        func run() async throws {
            let pair = try await PlayersCommand.withPlayers(global) { try await $0.unlink(player, actor: who.actor, reason: who.reason) }
            if json { print(try JSONOutput.encode(["wsop_player_id": JSONValue.integer(pair.wsop), "gfx_player_id": .integer(pair.gfx), "blocked": .bool(true)])); return }
            print("wsop:\(pair.wsop) and gfx:\(pair.gfx) are no longer linked (blocked for the automatic linker)")
        }
    }

    struct Image: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Register a profile photo (a real PNG or JPEG) for a player; it replaces the previous one.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var who: ActorOptions
        @Argument(help: "The player.") var player: String
        @Argument(help: "The image file (its absolute path is stored; render machines must see the same path).") var file: String
        @Flag(help: "Print JSON.") var json = false

        struct Result: Encodable {
            var player: String
            var path: String
            var image: ImageProbe.Info
        }

        func run() async throws {
            let (ref, info) = try await PlayersCommand.withPlayers(global) { store in
                let target = try await store.player(player)
                return (target.ref, try await store.registerImage(target, file: file, actor: who.actor, reason: who.reason))
            }
            if json { print(try JSONOutput.encode(Result(player: ref, path: URL(fileURLWithPath: file).standardizedFileURL.path, image: info))); return }
            print("\(ref): profile image \(URL(fileURLWithPath: file).standardizedFileURL.path) (\(info.format.rawValue) \(info.width)×\(info.height))")
        }
    }
}
