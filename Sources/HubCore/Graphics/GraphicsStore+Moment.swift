import Foundation
import HubPostgres

extension GraphicsStore {
    /// Which moment: a PokerGFX session (`GameID`) and a hand number in it (nil: its latest hand).
    public struct MomentRequest: Sendable, Hashable, Codable {
        public var game: Int64
        public var hand: Int?
        /// The player whose history to read (`--player`): a name or `seat:N`.
        public var player: String?
        /// The day "today" is for the schedule (UTC date of now when nil).
        public var today: String?
        /// The exact hand (`gfx_hands.id`; wins over `hand`).
        public var handID: Int64?

        public init(game: Int64, hand: Int? = nil, player: String? = nil, today: String? = nil, handID: Int64? = nil) {
            self.game = game
            self.hand = hand
            self.player = player
            self.today = today
            self.handID = handID
        }
    }

    /// Reads the moment: the hand and its players (names and countries through the unified
    /// players), the hands 10/20/30 before, who was eliminated earlier, the player's last 30
    /// played stacks, the WSOP+ event of the table's broadcast session with its payouts, staff,
    /// the next 6 broadcasts and the flag media source.
    /// - Throws: ``HubError`` `.notFound` for an unknown game or hand (naming what exists) or a
    ///   player not in the hand (naming the players).
    public func moment(_ request: MomentRequest) async throws -> GraphicsMoment {
        try await pool.withConnection { connection in
            guard let session = try await connection.query("""
                SELECT id, table_id, event_title, coalesce(payouts, '{}'::bigint[]) FROM gfx_sessions WHERE gfx_id = \(request.game)
                """).first else {
                let recent = try await connection.query("SELECT gfx_id::text || ' (table ' || table_id || ')' FROM gfx_sessions ORDER BY coalesce(created_at_utc, imported_at) DESC LIMIT 5")
                    .map { try $0.decode(String.self, at: 0) }
                throw HubError(.notFound, "no PokerGFX game \(request.game) was imported; \(recent.isEmpty ? "no game is (import exports with hub-sync gfx DIR)" : "latest games: \(recent.joined(separator: ", "))")")
            }
            let sessionID = try session.decode(Int64.self, at: 0)
            let tableID = try session.decode(String.self, at: 1)
            let current: PostgresResult
            if let handID = request.handID {
                current = try await connection.query("SELECT id, started_at FROM gfx_hands WHERE session_id = \(sessionID) AND id = \(handID)")
            } else if let number = request.hand {
                current = try await connection.query("""
                    SELECT id, started_at FROM gfx_hands WHERE session_id = \(sessionID) AND hand_num = \(number) ORDER BY started_at DESC LIMIT 1
                    """)
            } else {
                current = try await connection.query("SELECT id, started_at FROM gfx_hands WHERE session_id = \(sessionID) ORDER BY started_at DESC, hand_num DESC LIMIT 1")
            }
            guard let currentRow = current.first else {
                let range = try await connection.query("SELECT min(hand_num), max(hand_num), count(*) FROM gfx_hands WHERE session_id = \(sessionID)")[0]
                let count = try range.decode(Int64.self, at: 2)
                throw HubError(.notFound, "game \(request.game) has no hand \(request.hand.map(String.init) ?? "")" + (count == 0 ? ": it has no hands" :
                    "; its hands are numbered \(try range.decode(Int.self, at: 0))–\(try range.decode(Int.self, at: 1)) (\(count) hands)"))
            }
            let handID = try currentRow.decode(Int64.self, at: 0)
            let startedAt = try currentRow.decode(Date.self, at: 1)

            // The hand, the one before it and the ones 10/20/30 before, with their players.
            var hands: [String: GraphicsMoment.Hand] = [:]
            var gfxPlayerIDs: [Int64] = []
            var seatsPlayer: [String: [(Int, Int64)]] = [:]
            for row in try await connection.query("""
                WITH picked AS (
                    SELECT 'current' AS role, \(handID)::bigint AS id
                    UNION ALL
                    SELECT 'previous', (SELECT h.id FROM gfx_hands h WHERE h.session_id = \(sessionID) AND h.started_at < \(startedAt)
                                        ORDER BY h.started_at DESC LIMIT 1)
                    UNION ALL
                    SELECT 'ago' || n, (SELECT h.id FROM gfx_hands h
                                        WHERE h.session_id = \(sessionID) AND h.hand_num = (SELECT hand_num FROM gfx_hands WHERE id = \(handID)) - n
                                          AND h.started_at < \(startedAt)
                                        ORDER BY h.started_at DESC LIMIT 1)
                    FROM unnest(ARRAY[10, 20, 30]) AS n
                )
                SELECT p.role, h.id, h.hand_num, h.started_at,
                       coalesce(h.blinds->>'SmallBlindAmt', h.blinds->>'SmallBlind_Amt', '0'),
                       coalesce(h.blinds->>'BigBlindAmt', h.blinds->>'BigBlind_Amt', '0'),
                       coalesce(h.blinds->>'ThirdBlindAmt', '0'), h.ante_amt, h.blinds->>'BlindLevel',
                       hp.seat, hp.name, hp.end_stack, hp.sitting_out, hp.elimination_rank, hp.vpip_percent, hp.player_id
                FROM picked p JOIN gfx_hands h ON h.id = p.id JOIN gfx_hand_players hp ON hp.hand_id = h.id
                ORDER BY p.role, hp.seat
                """) {
                let role = try row.decode(String.self, at: 0)
                if hands[role] == nil {
                    hands[role] = GraphicsMoment.Hand(
                        id: try row.decode(Int64.self, at: 1), number: try row.decode(Int.self, at: 2), startedAt: try row.decode(Date.self, at: 3),
                        smallBlind: Self.amount(try row.decode(String.self, at: 4)), bigBlind: Self.amount(try row.decode(String.self, at: 5)),
                        thirdBlind: Self.amount(try row.decode(String.self, at: 6)), ante: try row.decode(Int64.self, at: 7),
                        level: (try row.decode(String?.self, at: 8)).flatMap { Int($0) }, seats: [])
                }
                let seat = GraphicsMoment.Seat(
                    seat: try row.decode(Int.self, at: 9), gfxName: try row.decode(String.self, at: 10), stack: try row.decode(Int64.self, at: 11),
                    sittingOut: try row.decode(Bool.self, at: 12), eliminationRank: try row.decode(Int.self, at: 13),
                    vpipPercent: try row.decode(Double.self, at: 14))
                hands[role]!.seats.append(seat)
                if let player = try row.decode(Int64?.self, at: 15) {
                    gfxPlayerIDs.append(player)
                    seatsPlayer[role, default: []].append((hands[role]!.seats.count - 1, player))
                }
            }
            guard var hand = hands["current"] else {
                throw HubError(.notFound, "hand \(request.hand.map(String.init) ?? "latest") of game \(request.game) has no players")
            }

            // Names and countries through the unified players (SPEC §5 priority: override > WSOP+ > GFX).
            var unified: [Int64: (String, String?)] = [:]
            if !gfxPlayerIDs.isEmpty {
                // The name and country columns of `unified_players` (0008) for these players only: the
                // view also counts every player's hands, which costs milliseconds on a long session.
                for row in try await connection.query("""
                    SELECT g.id, coalesce(o.name, w.name, g.name), coalesce(o.country_code, nullif(w.country_code, ''))
                    FROM gfx_players g
                    LEFT JOIN player_link_mapping m ON m.gfx_player_id = g.id
                    LEFT JOIN wsop_players w ON w.id = m.wsop_player_id
                    LEFT JOIN LATERAL (
                        SELECT (array_agg(po.value ORDER BY po.id DESC) FILTER (WHERE po.field = 'name'))[1] AS name,
                               (array_agg(po.value ORDER BY po.id DESC) FILTER (WHERE po.field = 'country_code'))[1] AS country_code
                        FROM player_overrides po
                        WHERE (po.wsop_player_id = w.id OR po.gfx_player_id = g.id)
                          AND po.active AND po.valid_from <= now() AND (po.valid_until IS NULL OR po.valid_until > now())
                    ) o ON true
                    WHERE g.id = ANY(\(Array(Set(gfxPlayerIDs))))
                    """) {
                    unified[try row.decode(Int64.self, at: 0)] = (try row.decode(String.self, at: 1), try row.decode(String?.self, at: 2))
                }
            }
            for (role, pairs) in seatsPlayer {
                for (index, player) in pairs {
                    guard let (name, country) = unified[player] else { continue }
                    hands[role]!.seats[index].name = name
                    hands[role]!.seats[index].countryCode = country
                }
            }
            hand = hands["current"]!

            // Of the hand's seats with an elimination rank, those that showed one in an earlier hand
            // (the rank sticks): each is one index probe that stops at the first earlier hand.
            let ranked = hand.seats.filter { $0.eliminationRank > 0 }
            var eliminatedEarlier = Set<String>()
            if !ranked.isEmpty {
                eliminatedEarlier = Set(try await connection.query("""
                    SELECT c.seat, c.name FROM unnest(\(ranked.map(\.seat)), \(ranked.map { $0.gfxName.lowercased() })) AS c(seat, name)
                    WHERE EXISTS (SELECT 1 FROM gfx_hands h JOIN gfx_hand_players hp ON hp.hand_id = h.id
                                  WHERE h.session_id = \(sessionID) AND h.started_at < \(startedAt)
                                    AND hp.seat = c.seat AND lower(hp.name) = c.name AND hp.elimination_rank > 0)
                    """).map { GraphicsMoment.Seat.key(seat: try $0.decode(Int.self, at: 0), gfxName: try $0.decode(String.self, at: 1)) })
            }

            var moment = GraphicsMoment(
                gameID: request.game, tableID: tableID, eventTitle: try session.decode(String.self, at: 2),
                sessionPayouts: try session.decode([Int64].self, at: 3), hand: hand, previousHand: hands["previous"],
                handsAgo: Dictionary(uniqueKeysWithValues: [10, 20, 30].compactMap { n in hands["ago\(n)"].map { (n, $0) } }),
                eliminatedEarlier: eliminatedEarlier)

            if let player = request.player {
                let seat = try moment.seat(matching: player)
                moment.selectedHistory = try await connection.query("""
                    SELECT h.hand_num, hp.end_stack FROM gfx_hands h JOIN gfx_hand_players hp ON hp.hand_id = h.id
                    WHERE h.session_id = \(sessionID) AND h.started_at <= \(startedAt) AND hp.seat = \(seat.seat)
                      AND lower(hp.name) = \(seat.gfxName.lowercased()) AND NOT hp.sitting_out
                    ORDER BY h.started_at DESC LIMIT 30
                    """).map { GraphicsMoment.StackPoint(handNumber: try $0.decode(Int.self, at: 0), stack: try $0.decode(Int64.self, at: 1)) }.reversed()
            }

            // The table's broadcast session (live first, then the newest), its event, payouts and staff.
            if let broadcast = try await connection.query("""
                SELECT b.id, e.id, e.event_key, e.name, e.series_name, e.day_name, e.buy_in, e.rake, e.entries, e.places_paid, e.prize_pool, e.venue
                FROM broadcast_sessions b LEFT JOIN wsop_events e ON e.id = b.wsop_event_id
                WHERE b.table_id = \(tableID) AND b.status <> 'ended'
                ORDER BY (b.status = 'live') DESC, b.created_at DESC, b.id DESC LIMIT 1
                """).first {
                let broadcastID = try broadcast.decode(Int64.self, at: 0)
                if let eventID = try broadcast.decode(Int64?.self, at: 1) {
                    moment.event = GraphicsMoment.Event(
                        key: try broadcast.decode(String.self, at: 2), name: try broadcast.decode(String.self, at: 3),
                        seriesName: try broadcast.decode(String?.self, at: 4), dayName: try broadcast.decode(String?.self, at: 5),
                        buyIn: try broadcast.decode(Int64?.self, at: 6), rake: try broadcast.decode(Int64?.self, at: 7),
                        entrants: try broadcast.decode(Int?.self, at: 8), placesPaid: try broadcast.decode(Int?.self, at: 9),
                        prizePool: try broadcast.decode(Int64?.self, at: 10), venue: try broadcast.decode(String?.self, at: 11))
                    moment.payouts = try await connection.query("""
                        SELECT place_start, place_end, amount_cents FROM wsop_payouts WHERE event_id = \(eventID) ORDER BY place_start
                        """).map { GraphicsMoment.PayoutRange(placeStart: try $0.decode(Int.self, at: 0), placeEnd: try $0.decode(Int.self, at: 1),
                                                              amountCents: try $0.decode(Int64.self, at: 2)) }
                    moment.dataSources += ["wsop_events", "wsop_payouts"]
                }
                moment.staff = try await connection.query("""
                    SELECT role, name, social_handle FROM broadcast_staff WHERE session_id = \(broadcastID) ORDER BY display_order, id
                    """).compactMap { row in
                    try GraphicsMoment.StaffMember.Role(rawValue: try row.decode(String.self, at: 0)).map {
                        GraphicsMoment.StaffMember(role: $0, name: try row.decode(String.self, at: 1), socialHandle: try row.decode(String.self, at: 2))
                    }
                }
                moment.dataSources.append("broadcast_staff")
            }
            let today = request.today ?? Self.utcDay(Date())
            moment.schedule = try await connection.query("""
                SELECT broadcast_date::text, time_start::text, event_title, channel FROM broadcast_schedule
                WHERE broadcast_date >= \(today)::date ORDER BY broadcast_date, time_start, id LIMIT 6
                """).map { GraphicsMoment.ScheduleEntry(date: try $0.decode(String.self, at: 0), time: try $0.decode(String.self, at: 1),
                                                        title: try $0.decode(String.self, at: 2), channel: try $0.decode(String.self, at: 3)) }
            moment.flagPattern = try await connection.query("SELECT path_pattern FROM aep_media_sources WHERE kind = 'flag'").first?.decode(String.self, at: 0)
            moment.dataSources += ["unified_players", "broadcast_schedule"]
            return moment
        }
    }

    /// A blind from the export's JSON (`800`, `800.0`); 0 when it is not a whole number that fits.
    static func amount(_ text: String) -> Int64 {
        if let value = Int64(text) { return max(0, value) }
        if let value = Double(text), value.isFinite, value >= 0, value < 9e18, value.rounded() == value { return Int64(value) }
        return 0
    }

    /// `2026-12-07` for `date` in UTC.
    static func utcDay(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", parts.year ?? 1970, parts.month ?? 1, parts.day ?? 1)
    }
}
