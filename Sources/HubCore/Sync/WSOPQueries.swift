import Foundation
import HubPostgres

/// Reads the imported WSOP+ data (SPEC §4.2): the events with their field, and one event with
/// the latest chip count of each player. For hub-server's `/api/v1/events…` and for `hubctl`.
package struct WSOPQueries: Sendable {
    /// The database.
    package let pool: PostgresPool

    /// Creates the queries on `pool`.
    package init(pool: PostgresPool) { self.pool = pool }

    /// One WSOP+ event with the size of its field as far as the chip counts tell.
    package struct Event: Sendable, Codable, Hashable {
        package var id: Int64
        /// The export's event id (`WSOP-2026-E76`).
        package var eventKey: String
        package var name: String
        /// Buy-in in whole dollars.
        package var buyIn: Int64?
        /// The start date as exported (`2026-07-03`).
        package var startDate: String?
        package var venue: String?
        /// As exported: `running`, `registering`, `completed`, …
        package var status: String?
        package var entries: Int?
        /// Prize pool in whole dollars.
        package var prizePool: Int64?
        /// Players with a chip count in this event.
        package var players: Int
        /// Of those, the ones not eliminated.
        package var remaining: Int
        /// When the latest chip count was recorded (nil: none imported yet).
        package var lastChipCountAt: Date?
        package var updatedAt: Date

        enum CodingKeys: String, CodingKey {
            case id, name, venue, status, entries, players, remaining
            case eventKey = "event_key"
            case buyIn = "buy_in"
            case startDate = "start_date"
            case prizePool = "prize_pool"
            case lastChipCountAt = "last_chip_count_at"
            case updatedAt = "updated_at"
        }
    }

    /// A player's latest chip count in an event.
    package struct PlayerChips: Sendable, Codable, Hashable {
        package var playerID: Int64
        /// The export's player id (`P-1001`).
        package var playerKey: String
        package var name: String
        /// ISO 3166 country code as exported (`KR`).
        package var country: String?
        package var chips: Int64
        /// A count of 0: the player is out.
        package var eliminated: Bool
        package var table: String?
        package var seat: Int?
        /// When this count was recorded.
        package var recordedAt: Date

        enum CodingKeys: String, CodingKey {
            case name, country, chips, eliminated, table, seat
            case playerID = "player_id"
            case playerKey = "player_key"
            case recordedAt = "recorded_at"
        }
    }

    /// An event with its players' latest chip counts, most chips first (the eliminated last).
    package struct EventDetail: Sendable, Codable, Hashable {
        package var event: Event
        package var players: [PlayerChips]
    }

    static let eventColumns: PostgresQuery = """
        e.id, e.event_key, e.name, e.buy_in, e.start_date, e.venue, e.status, e.entries, e.prize_pool,
        (SELECT count(DISTINCT c.player_id) FROM wsop_chip_counts c WHERE c.event_id = e.id),
        (SELECT count(*) FROM (SELECT DISTINCT ON (c.player_id) c.is_eliminated FROM wsop_chip_counts c
                               WHERE c.event_id = e.id ORDER BY c.player_id, c.recorded_at DESC) latest
         WHERE NOT latest.is_eliminated),
        (SELECT max(c.recorded_at) FROM wsop_chip_counts c WHERE c.event_id = e.id),
        e.updated_at
        """

    static func decodeEvent(_ row: PostgresRow) throws -> Event {
        Event(id: try row.decode(Int64.self, at: 0), eventKey: try row.decode(String.self, at: 1), name: try row.decode(String.self, at: 2),
              buyIn: try row.decode(Int64?.self, at: 3), startDate: try row.decode(String?.self, at: 4), venue: try row.decode(String?.self, at: 5),
              status: try row.decode(String?.self, at: 6), entries: try row.decode(Int?.self, at: 7), prizePool: try row.decode(Int64?.self, at: 8),
              players: try row.decode(Int.self, at: 9), remaining: try row.decode(Int.self, at: 10),
              lastChipCountAt: try row.decode(Date?.self, at: 11), updatedAt: try row.decode(Date.self, at: 12))
    }

    /// The events, latest start first (events without a start date last), then by event id.
    /// - Parameter status: only events with this exported status (`running`, …).
    package func events(status: String? = nil, limit: Int = 100) async throws -> [Event] {
        let rows = try await pool.query("""
            SELECT \(fragment: Self.eventColumns) FROM wsop_events e
            WHERE \(status)::text IS NULL OR e.status = \(status)
            ORDER BY e.start_date DESC NULLS LAST, e.event_key LIMIT \(max(1, min(limit, 10_000)))
            """)
        return try rows.map(Self.decodeEvent)
    }

    /// One event by its database id or its export key (`WSOP-2026-E76`), with the latest chip
    /// count of every player that has one.
    /// - Throws: ``HubError`` `.notFound` when there is no such event.
    package func event(_ idOrKey: String) async throws -> EventDetail {
        let event = try await findEvent(idOrKey)
        let players = try await pool.query("""
            SELECT p.id, p.player_key, p.name, p.country_code, latest.chips, latest.is_eliminated, ep.table_no, ep.seat, latest.recorded_at
            FROM (SELECT DISTINCT ON (c.player_id) c.player_id, c.chips, c.is_eliminated, c.recorded_at
                  FROM wsop_chip_counts c WHERE c.event_id = \(event.id)
                  ORDER BY c.player_id, c.recorded_at DESC) latest
            JOIN wsop_players p ON p.id = latest.player_id
            LEFT JOIN wsop_event_players ep ON ep.event_id = \(event.id) AND ep.player_id = latest.player_id
            ORDER BY latest.chips DESC, p.name, p.id
            """).map { row in
            PlayerChips(playerID: try row.decode(Int64.self, at: 0), playerKey: try row.decode(String.self, at: 1),
                        name: try row.decode(String.self, at: 2), country: try row.decode(String?.self, at: 3),
                        chips: try row.decode(Int64.self, at: 4), eliminated: try row.decode(Bool.self, at: 5),
                        table: try row.decode(String?.self, at: 6), seat: try row.decode(Int?.self, at: 7),
                        recordedAt: try row.decode(Date.self, at: 8))
        }
        return EventDetail(event: event, players: players)
    }
}
