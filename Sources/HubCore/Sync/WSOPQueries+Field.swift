import Foundation
import HubPostgres

extension WSOPQueries {
    /// A player registered in an event (`wsop_event_players`): the state the latest chip count
    /// import left.
    package struct EventPlayer: Sendable, Codable, Hashable {
        /// The unified player (`wsop:<id>`), for `/api/v1/players/{ref}`.
        package var ref: String
        package var playerID: Int64
        /// The export's player id (`P-1001`).
        package var playerKey: String
        package var name: String
        package var country: String?
        /// `active` or `eliminated`.
        package var status: String
        package var chips: Int64?
        package var table: String?
        package var seat: Int?
        package var eliminatedAt: Date?
        /// When the count this state comes from was recorded.
        package var asOf: Date?

        enum CodingKeys: String, CodingKey {
            case ref, name, country, status, chips, table, seat
            case playerID = "player_id"
            case playerKey = "player_key"
            case eliminatedAt = "eliminated_at"
            case asOf = "as_of"
        }
    }

    /// One place of a standings snapshot.
    package struct Standing: Sendable, Codable, Hashable {
        package var rank: Int
        package var ref: String
        package var playerID: Int64
        package var playerKey: String
        package var name: String
        package var country: String?
        package var chips: Int64?
        /// Prize in whole dollars (nil until paid).
        package var prize: Int64?

        enum CodingKeys: String, CodingKey {
            case rank, ref, name, country, chips, prize
            case playerID = "player_id"
            case playerKey = "player_key"
        }
    }

    /// An event's current standings: its latest imported snapshot (`Standings.csv`).
    package struct Standings: Sendable, Codable, Hashable {
        package var event: Event
        /// When the snapshot was taken (nil: no standings imported for the event yet).
        package var snapshotAt: Date?
        package var standings: [Standing]

        enum CodingKeys: String, CodingKey {
            case event, standings
            case snapshotAt = "snapshot_at"
        }

        /// Encodes `snapshot_at` as null while no standings are imported.
        package func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(event, forKey: .event)
            try container.encode(snapshotAt, forKey: .snapshotAt)
            try container.encode(standings, forKey: .standings)
        }
    }

    /// The event by database id or export key.
    /// - Throws: ``HubError`` `.notFound`.
    func findEvent(_ idOrKey: String) async throws -> Event {
        let id = Int64(idOrKey)
        let rows = try await pool.query("""
            SELECT \(fragment: Self.eventColumns) FROM wsop_events e
            WHERE (\(id)::bigint IS NOT NULL AND e.id = \(id)) OR e.event_key = \(idOrKey)
            ORDER BY (e.event_key = \(idOrKey)) DESC LIMIT 1
            """)
        guard let row = rows.first else {
            throw HubError(.notFound, "WSOP+ event \(idOrKey) does not exist: GET /api/v1/events lists the imported events (hub-sync wsop imports them)")
        }
        return try Self.decodeEvent(row)
    }

    /// The players of an event, most chips first (the eliminated last, latest out first).
    /// - Parameter status: `active` or `eliminated` only; nil: both.
    /// - Throws: ``HubError`` `.notFound` for an unknown event, `.usage` for another status.
    package func players(event idOrKey: String, status: String? = nil, limit: Int = 1000) async throws -> (event: Event, players: [EventPlayer]) {
        if let status, !["active", "eliminated"].contains(status) {
            throw HubError(.usage, "status must be active or eliminated, not \"\(status)\"")
        }
        let event = try await findEvent(idOrKey)
        let players = try await pool.query("""
            SELECT p.id, p.player_key, p.name, p.country_code, ep.status, ep.current_chips, ep.table_no, ep.seat, ep.eliminated_at, ep.as_of
            FROM wsop_event_players ep JOIN wsop_players p ON p.id = ep.player_id
            WHERE ep.event_id = \(event.id) AND (\(status)::text IS NULL OR ep.status = \(status))
            ORDER BY ep.status = 'eliminated', ep.current_chips DESC NULLS LAST, ep.eliminated_at DESC NULLS LAST, p.name, p.id
            LIMIT \(max(1, min(limit, 10_000)))
            """).map { row in
            let id = try row.decode(Int64.self, at: 0)
            return EventPlayer(ref: "wsop:\(id)", playerID: id, playerKey: try row.decode(String.self, at: 1), name: try row.decode(String.self, at: 2),
                               country: try row.decode(String?.self, at: 3), status: try row.decode(String.self, at: 4),
                               chips: try row.decode(Int64?.self, at: 5), table: try row.decode(String?.self, at: 6), seat: try row.decode(Int?.self, at: 7),
                               eliminatedAt: try row.decode(Date?.self, at: 8), asOf: try row.decode(Date?.self, at: 9))
        }
        return (event, players)
    }

    /// The event's latest standings snapshot, by rank.
    /// - Throws: ``HubError`` `.notFound` for an unknown event.
    package func standings(event idOrKey: String, limit: Int = 1000) async throws -> Standings {
        let event = try await findEvent(idOrKey)
        let rows = try await pool.query("""
            SELECT s.snapshot_at, s.rank, p.id, p.player_key, p.name, p.country_code, s.chips, s.prize
            FROM wsop_standings s JOIN wsop_players p ON p.id = s.player_id
            WHERE s.event_id = \(event.id)
              AND s.snapshot_at = (SELECT max(l.snapshot_at) FROM wsop_standings l WHERE l.event_id = \(event.id))
            ORDER BY s.rank
            LIMIT \(max(1, min(limit, 10_000)))
            """)
        var snapshotAt: Date?
        let standings = try rows.map { row in
            snapshotAt = try row.decode(Date.self, at: 0)
            let id = try row.decode(Int64.self, at: 2)
            return Standing(rank: try row.decode(Int.self, at: 1), ref: "wsop:\(id)", playerID: id, playerKey: try row.decode(String.self, at: 3),
                            name: try row.decode(String.self, at: 4), country: try row.decode(String?.self, at: 5),
                            chips: try row.decode(Int64?.self, at: 6), prize: try row.decode(Int64?.self, at: 7))
        }
        return Standings(event: event, snapshotAt: snapshotAt, standings: standings)
    }
}
