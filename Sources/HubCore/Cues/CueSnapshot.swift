import Foundation
import HubPostgres

/// The data a cue shows, taken when it is triggered (stored in `gfx_triggers.gfx_data`): list
/// rows for slot fields and single values. Keys are the field keys compositions use: `rank`,
/// `name`, `name_korean`, `chips`, `flag` (a country code, resolved through the `flag` media
/// source), `country`, `photo` (resolved through `profile`), `player_ref`; singles `title`,
/// `subtitle`, `event`, `as_of`, and for a player card `bio`, `notable_wins`, `hands_played`.
package struct CueSnapshot: Sendable, Hashable, Codable {
    package var rows: [[String: JSONValue]]
    package var values: [String: JSONValue]

    package init(rows: [[String: JSONValue]] = [], values: [String: JSONValue] = [:]) {
        self.rows = rows
        self.values = values
    }

    /// Takes the snapshot for `item` of `session`.
    static func take(for item: CueItem, parameters: [String: JSONValue], session: BroadcastSession, composition: AEPComposition,
                     pool: PostgresPool) async throws -> CueSnapshot {
        var snapshot = CueSnapshot()
        snapshot.values["title"] = parameters["title"] ?? .string(item.title)
        if let subtitle = parameters["subtitle"] { snapshot.values["subtitle"] = subtitle }
        switch item.cueType {
        case .leaderboard, .chipCount:
            let eventID = try requireEvent(session, item)
            // Default N: the slots of the composition's list (the smallest slot field).
            let slots = composition.fields.compactMap(\.slotCount).min() ?? 10
            var top: Int = if case .integer(let n)? = parameters["top"] { Int(n) } else { slots }
            var only: [Int64]?
            if item.cueType == .chipCount, case .array(let names)? = parameters["players"] {
                let players = PlayerStore(pool: pool)
                var ids: [Int64] = []
                for case .string(let reference) in names {
                    let player = try await players.player(reference)
                    guard let id = player.wsopPlayerID else {
                        throw HubError(.usage, "\(reference) (\(player.ref)) has no WSOP+ chip count: only WSOP+ players can be on a chip count cue")
                    }
                    ids.append(id)
                }
                only = ids
                // Named players: all of them, unless the item caps the list itself.
                if parameters["top"] == nil { top = ids.count }
            }
            let rows = try await pool.query("""
                WITH latest AS (
                    SELECT DISTINCT ON (c.player_id) c.player_id, c.chips, c.recorded_at
                    FROM wsop_chip_counts c WHERE c.event_id = \(eventID)
                    ORDER BY c.player_id, c.recorded_at DESC
                ), ranked AS (
                    SELECT l.*, rank() OVER (ORDER BY l.chips DESC) AS place FROM latest l WHERE l.chips > 0
                )
                SELECT r.place, u.name, u.name_korean, r.chips, u.country_code, u.profile_image, u.player_ref, r.recorded_at
                FROM ranked r JOIN unified_players u ON u.wsop_player_id = r.player_id
                WHERE \(only == nil) OR r.player_id = ANY(\(only ?? []))
                ORDER BY r.chips DESC, u.name
                LIMIT \(top)
                """)
            if let only, rows.count < min(top, only.count) {
                throw HubError(.usage, "\(only.count - rows.count) of the \(only.count) players have no chip count in \(session.wsopEventKey ?? "the event") (or are eliminated)")
            }
            var asOf: Date?
            for row in rows {
                let recorded = try row.decode(Date.self, at: 7)
                asOf = max(asOf ?? recorded, recorded)
                snapshot.rows.append(playerRow(rank: try row.decode(Int64.self, at: 0), name: try row.decode(String.self, at: 1),
                                               nameKorean: try row.decode(String?.self, at: 2), chips: try row.decode(Int64.self, at: 3),
                                               country: try row.decode(String?.self, at: 4), photo: try row.decode(String?.self, at: 5),
                                               ref: try row.decode(String.self, at: 6)))
            }
            guard !snapshot.rows.isEmpty else {
                throw HubError(.usage, "event \(session.wsopEventKey ?? "?") has no chip counts with players still in: import ChipCounts.csv with hub-sync wsop DIR")
            }
            if let asOf { snapshot.values["as_of"] = .string(ISO8601DateFormatter().string(from: asOf)) }
            snapshot.values["event"] = .string(try await eventName(eventID, pool: pool))
        case .playerInfo:
            guard case .string(let reference)? = parameters["player"] else {
                throw HubError(.usage, "a player_info cue needs a player (--player wsop:12, a WSOP+ id or a name)")
            }
            let player = try await PlayerStore(pool: pool).player(reference)
            var place: Int64?
            if let eventID = session.wsopEventID, let wsopID = player.wsopPlayerID {
                place = try await pool.query("""
                    WITH latest AS (
                        SELECT DISTINCT ON (c.player_id) c.player_id, c.chips FROM wsop_chip_counts c WHERE c.event_id = \(eventID)
                        ORDER BY c.player_id, c.recorded_at DESC
                    )
                    SELECT place FROM (SELECT player_id, rank() OVER (ORDER BY chips DESC) AS place FROM latest WHERE chips > 0) r
                    WHERE player_id = \(wsopID)
                    """).first?.decode(Int64.self, at: 0)
                snapshot.values["event"] = .string(try await eventName(eventID, pool: pool))
            }
            let row = playerRow(rank: place, name: player.name, nameKorean: player.nameKorean, chips: player.chipCount,
                                country: player.countryCode, photo: player.profileImage, ref: player.ref)
            snapshot.values.merge(row) { current, _ in current }
            if let bio = player.bio { snapshot.values["bio"] = .string(bio) }
            if let wins = player.notableWins { snapshot.values["notable_wins"] = .string(wins) }
            snapshot.values["hands_played"] = .integer(Int64(player.handsPlayed))
        case .graphic:
            throw HubError(.usage, "a graphic cue is made by GraphicsService, not bound through a description")
        case .custom:
            if let fields = parameters["fields"] {
                guard case .object(let object) = fields else { throw HubError(.usage, "fields must be a JSON object of field keys to values") }
                snapshot.values.merge(object) { $1 }
            }
            if let rows = parameters["rows"] {
                guard case .array(let list) = rows else { throw HubError(.usage, "rows must be a JSON array of objects") }
                snapshot.rows = try list.enumerated().map { index, value in
                    guard case .object(let object) = value else { throw HubError(.usage, "rows[\(index)] is not an object") }
                    return object
                }
            }
        }
        return snapshot
    }

    static func playerRow(rank: Int64?, name: String, nameKorean: String?, chips: Int64?, country: String?, photo: String?, ref: String) -> [String: JSONValue] {
        var row: [String: JSONValue] = ["name": .string(name), "player_ref": .string(ref)]
        if let rank { row["rank"] = .integer(rank) }
        if let nameKorean { row["name_korean"] = .string(nameKorean) }
        if let chips { row["chips"] = .integer(chips) }
        if let country {
            row["country"] = .string(country)
            row["flag"] = .string(country)
        }
        if let photo { row["photo"] = .string(photo) }
        return row
    }

    static func requireEvent(_ session: BroadcastSession, _ item: CueItem) throws -> Int64 {
        guard let id = session.wsopEventID else {
            throw HubError(.usage, "cue \(item.number) (\(item.cueType.rawValue)) needs chip counts, but session \(session.id) has no WSOP+ event: create the session with --event EVENT_ID")
        }
        return id
    }

    static func eventName(_ id: Int64, pool: PostgresPool) async throws -> String {
        try await pool.query("SELECT name FROM wsop_events WHERE id = \(id)").first?.decode(String.self, at: 0) ?? ""
    }
}
