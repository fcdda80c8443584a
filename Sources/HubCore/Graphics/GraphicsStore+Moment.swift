import Foundation
import HubPostgres

extension GraphicsStore {
    /// Which moment: a PokerGFX session (`GameID`) and a hand number in it (nil: its latest hand).
    package struct MomentRequest: Sendable, Hashable, Codable {
        package var game: Int64
        package var hand: Int?
        /// The player whose history to read (`--player`): a name or `seat:N`.
        package var player: String?
        /// The day "today" is for the schedule (UTC date of now when nil).
        package var today: String?
        /// The exact hand (`gfx_hands.id`; wins over `hand`).
        package var handID: Int64?
        /// The broadcast session whose event, payouts and staff to read (nil: the table's live
        /// session, else its newest one that has not ended).
        package var broadcastSession: Int64?

        package init(game: Int64, hand: Int? = nil, player: String? = nil, today: String? = nil, handID: Int64? = nil, broadcastSession: Int64? = nil) {
            self.game = game
            self.hand = hand
            self.player = player
            self.today = today
            self.handID = handID
            self.broadcastSession = broadcastSession
        }
    }

    /// Reads the moment: the hand and its players (names and countries through the unified
    /// players), the hands 10/20/30 before, who was eliminated earlier, the player's last 30
    /// played stacks, the WSOP+ event of the table's broadcast session with its payouts, staff,
    /// the next 6 broadcasts and the flag media source.
    /// - Throws: ``HubError`` `.notFound` for an unknown game or hand (naming what exists) or a
    ///   player not in the hand (naming the players).
    package func moment(_ request: MomentRequest) async throws -> GraphicsMoment {
        // Two statements at once on two connections (the hands; the world around the table), then
        // the player's history when a player is named: two round trips for most graphics.
        let today = request.today ?? Self.utcDay(Date())
        async let handRows = pool.query(Self.handsStatement(request))
        async let worldRows = pool.query(Self.worldStatement(game: request.game, today: today, session: request.broadcastSession))
        let rows = try await handRows
        let world = try await worldRows
        guard let first = rows.first else { throw try await notFound(request) }

        var hands: [String: GraphicsMoment.Hand] = [:]
        var eliminatedEarlier = Set<String>()
        for row in rows {
            let role = try row.decode(String.self, at: 0)
            if hands[role] == nil {
                hands[role] = GraphicsMoment.Hand(
                    id: try row.decode(Int64.self, at: 1), number: try row.decode(Int.self, at: 2), startedAt: try row.decode(Date.self, at: 3),
                    smallBlind: Self.amount(try row.decode(String.self, at: 4)), bigBlind: Self.amount(try row.decode(String.self, at: 5)),
                    thirdBlind: Self.amount(try row.decode(String.self, at: 6)), ante: try row.decode(Int64.self, at: 7),
                    level: (try row.decode(String?.self, at: 8)).flatMap { Int($0) }, seats: [])
            }
            let seat = GraphicsMoment.Seat(
                seat: try row.decode(Int.self, at: 9), gfxName: try row.decode(String.self, at: 10), name: try row.decode(String?.self, at: 15),
                countryCode: try row.decode(String?.self, at: 16), stack: try row.decode(Int64.self, at: 11),
                sittingOut: try row.decode(Bool.self, at: 12), eliminationRank: try row.decode(Int.self, at: 13),
                vpipPercent: try row.decode(Double.self, at: 14))
            if try row.decode(Bool?.self, at: 17) == true { eliminatedEarlier.insert(seat.key) }
            hands[role]!.seats.append(seat)
        }
        guard let hand = hands["current"] else { throw try await notFound(request) }
        let sessionID = try first.decode(Int64.self, at: 18)
        var moment = GraphicsMoment(
            gameID: request.game, tableID: try first.decode(String.self, at: 19), eventTitle: try first.decode(String.self, at: 20),
            sessionPayouts: try first.decode([Int64].self, at: 21), hand: hand, previousHand: hands["previous"],
            handsAgo: Dictionary(uniqueKeysWithValues: [10, 20, 30].compactMap { n in hands["ago\(n)"].map { (n, $0) } }),
            eliminatedEarlier: eliminatedEarlier)

        // The player's last 30 played stacks.
        if let player = request.player {
            let seat = try moment.seat(matching: player)
            moment.selectedHistory = try await pool.query("""
                SELECT h.hand_num, hp.end_stack FROM gfx_hands h JOIN gfx_hand_players hp ON hp.hand_id = h.id
                WHERE h.session_id = \(sessionID) AND h.started_at <= \(hand.startedAt) AND hp.seat = \(seat.seat)
                  AND lower(hp.name) = \(seat.gfxName.lowercased()) AND NOT hp.sitting_out
                ORDER BY h.started_at DESC LIMIT 30
                """).map { GraphicsMoment.StackPoint(handNumber: try $0.decode(Int.self, at: 0), stack: try $0.decode(Int64.self, at: 1)) }.reversed()
        }

        let w = world[0]
        if let key = try w.decode(String?.self, at: 1) {
            moment.event = GraphicsMoment.Event(
                key: key, name: try w.decode(String.self, at: 2), seriesName: try w.decode(String?.self, at: 3),
                dayName: try w.decode(String?.self, at: 4), buyIn: try w.decode(Int64?.self, at: 5), rake: try w.decode(Int64?.self, at: 6),
                entrants: try w.decode(Int?.self, at: 7), placesPaid: try w.decode(Int?.self, at: 8),
                prizePool: try w.decode(Int64?.self, at: 9), venue: try w.decode(String?.self, at: 10))
            let starts = try w.decode([Int]?.self, at: 11) ?? [], ends = try w.decode([Int]?.self, at: 12) ?? []
            let cents = try w.decode([Int64]?.self, at: 13) ?? []
            moment.payouts = starts.indices.map { GraphicsMoment.PayoutRange(placeStart: starts[$0], placeEnd: ends[$0], amountCents: cents[$0]) }
            moment.dataSources += ["wsop_events", "wsop_payouts"]
        }
        if try w.decode(Int64?.self, at: 0) != nil {
            let roles = try w.decode([String]?.self, at: 14) ?? [], names = try w.decode([String]?.self, at: 15) ?? []
            let handles = try w.decode([String]?.self, at: 16) ?? []
            moment.staff = roles.indices.compactMap { index in
                GraphicsMoment.StaffMember.Role(rawValue: roles[index]).map { GraphicsMoment.StaffMember(role: $0, name: names[index], socialHandle: handles[index]) }
            }
            moment.dataSources.append("broadcast_staff")
        }
        let dates = try w.decode([String]?.self, at: 17) ?? [], times = try w.decode([String]?.self, at: 18) ?? []
        let titles = try w.decode([String]?.self, at: 19) ?? [], channels = try w.decode([String]?.self, at: 20) ?? []
        moment.schedule = dates.indices.map { GraphicsMoment.ScheduleEntry(date: dates[$0], time: times[$0], title: titles[$0], channel: channels[$0]) }
        moment.flagPattern = try w.decode(String?.self, at: 21)
        moment.dataSources += ["unified_players", "broadcast_schedule"]
        return moment
    }

    /// The hand (by id, by number — the latest-started of a repeated HandNum — or the latest), the
    /// hand before it and the ones 10/20/30 before, each seat with its unified name and country
    /// (the name and country columns of `unified_players`, 0008, for these players only: the view
    /// also counts every player's hands) and, for a seat of the hand with an elimination rank,
    /// whether it showed one in an earlier hand (the rank sticks; one probe of 0010's index).
    static func handsStatement(_ request: MomentRequest) -> PostgresQuery {
        // One text per way of naming the hand (no `$n IS NULL OR …`): PostgreSQL then keeps one
        // generic plan per text instead of planning this statement on every call.
        let which: PostgresQuery
        if let handID = request.handID {
            which = "WHERE session_id = s.id AND id = \(handID)"
        } else if let number = request.hand {
            which = "WHERE session_id = s.id AND hand_num = \(number) ORDER BY started_at DESC LIMIT 1"
        } else {
            which = "WHERE session_id = s.id ORDER BY started_at DESC, hand_num DESC LIMIT 1"
        }
        return """
        WITH s AS (
            SELECT id, table_id, event_title, coalesce(payouts, '{}'::bigint[]) AS payouts FROM gfx_sessions WHERE gfx_id = \(request.game)
        ), cur AS (
            SELECT h.id, h.hand_num, h.started_at, h.session_id FROM s
            JOIN LATERAL (SELECT id, hand_num, started_at, session_id FROM gfx_hands \(fragment: which)) h ON true
        ), picked AS (
            SELECT 'current' AS role, cur.id FROM cur
            UNION ALL
            SELECT 'previous', (SELECT h.id FROM gfx_hands h, cur WHERE h.session_id = cur.session_id AND h.started_at < cur.started_at
                                ORDER BY h.started_at DESC LIMIT 1)
            UNION ALL
            SELECT 'ago' || n, (SELECT h.id FROM gfx_hands h, cur
                                WHERE h.session_id = cur.session_id AND h.hand_num = cur.hand_num - n AND h.started_at < cur.started_at
                                ORDER BY h.started_at DESC LIMIT 1)
            FROM unnest(ARRAY[10, 20, 30]) AS n
        )
        SELECT p.role, h.id, h.hand_num, h.started_at,
               coalesce(h.blinds->>'SmallBlindAmt', h.blinds->>'SmallBlind_Amt', '0'),
               coalesce(h.blinds->>'BigBlindAmt', h.blinds->>'BigBlind_Amt', '0'),
               coalesce(h.blinds->>'ThirdBlindAmt', '0'), h.ante_amt, h.blinds->>'BlindLevel',
               hp.seat, hp.name, hp.end_stack, hp.sitting_out, hp.elimination_rank, hp.vpip_percent,
               coalesce(o.name, w.name, g.name), coalesce(o.country_code, nullif(w.country_code, '')),
               CASE WHEN p.role = 'current' AND hp.elimination_rank > 0 THEN EXISTS (
                   SELECT 1 FROM gfx_hands h2 JOIN gfx_hand_players hp2 ON hp2.hand_id = h2.id
                   WHERE h2.session_id = cur.session_id AND h2.started_at < cur.started_at
                     AND hp2.seat = hp.seat AND lower(hp2.name) = lower(hp.name) AND hp2.elimination_rank > 0) END,
               s.id, s.table_id, s.event_title, s.payouts
        FROM picked p
        CROSS JOIN s CROSS JOIN cur
        JOIN gfx_hands h ON h.id = p.id
        JOIN gfx_hand_players hp ON hp.hand_id = h.id
        LEFT JOIN gfx_players g ON g.id = hp.player_id
        LEFT JOIN player_link_mapping m ON m.gfx_player_id = g.id
        LEFT JOIN wsop_players w ON w.id = m.wsop_player_id
        LEFT JOIN LATERAL (
            SELECT (array_agg(po.value ORDER BY po.id DESC) FILTER (WHERE po.field = 'name'))[1] AS name,
                   (array_agg(po.value ORDER BY po.id DESC) FILTER (WHERE po.field = 'country_code'))[1] AS country_code
            FROM player_overrides po
            WHERE (po.wsop_player_id = w.id OR po.gfx_player_id = g.id)
              AND po.active AND po.valid_from <= now() AND (po.valid_until IS NULL OR po.valid_until > now())
        ) o ON g.id IS NOT NULL
        ORDER BY p.role, hp.seat
        """
    }

    /// The world around the game's table in one statement: its broadcast session (live first,
    /// then the newest), the session's WSOP+ event with its payouts, the staff, the next six
    /// broadcasts from `today` and the flag media source.
    static func worldStatement(game: Int64, today: String, session: Int64? = nil) -> PostgresQuery {
        let which: PostgresQuery = if let session {
            "WHERE id = \(session)"
        } else {
            """
            WHERE table_id = (SELECT table_id FROM gfx_sessions WHERE gfx_id = \(game)) AND status <> 'ended'
            ORDER BY (status = 'live') DESC, created_at DESC, id DESC LIMIT 1
            """
        }
        return """
        WITH b AS (SELECT id, wsop_event_id FROM broadcast_sessions \(fragment: which))
        SELECT b.id, e.event_key, e.name, e.series_name, e.day_name, e.buy_in, e.rake, e.entries, e.places_paid, e.prize_pool, e.venue,
               p.starts, p.ends, p.cents, st.roles, st.names, st.handles, sc.dates, sc.times, sc.titles, sc.channels,
               (SELECT path_pattern FROM aep_media_sources WHERE kind = 'flag')
        FROM (SELECT 1) AS one
        LEFT JOIN b ON true
        LEFT JOIN wsop_events e ON e.id = b.wsop_event_id
        LEFT JOIN LATERAL (
            SELECT array_agg(place_start ORDER BY place_start) AS starts, array_agg(place_end ORDER BY place_start) AS ends,
                   array_agg(amount_cents ORDER BY place_start) AS cents
            FROM wsop_payouts WHERE event_id = e.id
        ) p ON true
        LEFT JOIN LATERAL (
            SELECT array_agg(role ORDER BY display_order, id) AS roles, array_agg(name ORDER BY display_order, id) AS names,
                   array_agg(social_handle ORDER BY display_order, id) AS handles
            FROM broadcast_staff WHERE session_id = b.id
        ) st ON true
        LEFT JOIN LATERAL (
            SELECT array_agg(d ORDER BY o) AS dates, array_agg(t ORDER BY o) AS times, array_agg(ti ORDER BY o) AS titles,
                   array_agg(c ORDER BY o) AS channels
            FROM (SELECT broadcast_date::text AS d, time_start::text AS t, event_title AS ti, channel AS c,
                         row_number() OVER (ORDER BY broadcast_date, time_start, id) AS o
                  FROM broadcast_schedule WHERE broadcast_date >= \(today)::date
                  ORDER BY broadcast_date, time_start, id LIMIT 6) x
        ) sc ON true
        """
    }

    /// Why there is no moment: the game was not imported (naming the latest ones), or it has no
    /// such hand (naming its range).
    func notFound(_ request: MomentRequest) async throws -> HubError {
        guard let session = try await pool.query("SELECT id FROM gfx_sessions WHERE gfx_id = \(request.game)").first else {
            let recent = try await pool.query("SELECT gfx_id::text || ' (table ' || table_id || ')' FROM gfx_sessions ORDER BY coalesce(created_at_utc, imported_at) DESC LIMIT 5")
                .map { try $0.decode(String.self, at: 0) }
            return HubError(.notFound, "no PokerGFX game \(request.game) was imported; \(recent.isEmpty ? "no game is (import exports with hub-sync gfx DIR)" : "latest games: \(recent.joined(separator: ", "))")")
        }
        let sessionID = try session.decode(Int64.self, at: 0)
        let range = try await pool.query("SELECT min(hand_num), max(hand_num), count(*) FROM gfx_hands WHERE session_id = \(sessionID)")[0]
        let count = try range.decode(Int64.self, at: 2)
        if count == 0 { return HubError(.notFound, "game \(request.game) has no hands yet") }
        let exists = try await pool.query("""
            SELECT 1 FROM gfx_hands WHERE session_id = \(sessionID)
              AND (\(request.handID)::bigint IS NULL OR id = \(request.handID)) AND (\(request.hand)::integer IS NULL OR hand_num = \(request.hand))
            """)
        let asked = request.hand.map { "hand \($0)" } ?? request.handID.map { "the hand with id \($0)" } ?? "its latest hand"
        if !exists.isEmpty { return HubError(.notFound, "\(asked) of game \(request.game) has no players in the export") }
        return HubError(.notFound, "game \(request.game) has no \(asked); its hands are numbered \(try range.decode(Int.self, at: 0))–\(try range.decode(Int.self, at: 1)) (\(count) hands)")
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
