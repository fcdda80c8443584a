import Foundation
import HubPostgres

/// Writes the WSOP+ tournament info, payout structure and broadcast schedule (Docs/wsop-import.md),
/// each file in one transaction with its import log row, like the other WSOP+ files.
extension WSOPWriter {
    /// An event found in `wsop_events`.
    struct FoundEvent: Hashable {
        var id: Int64
        var key: String
    }

    /// The stored events the references name. A key finds the event with that key; a number finds
    /// the event keyed by the number, else the one event with that `event_number`. A reference
    /// that finds nothing is missing from the result.
    /// - Throws: ``ContentError`` when a number matches several events.
    func findEvents(_ refs: [(line: Int, ref: WSOPRecords.EventRef)], on connection: PostgresConnection) async throws
        -> [WSOPRecords.EventRef: FoundEvent] {
        let numbers = Set(refs.compactMap { $0.ref.key == nil ? $0.ref.number : nil })
        let keys = Set(refs.compactMap(\.ref.key)).union(numbers.map(String.init))
        guard !keys.isEmpty else { return [:] }
        let rows = try await connection.query("""
            SELECT id, event_key, event_number FROM wsop_events
            WHERE event_key = ANY(\(keys.sorted())) OR event_number = ANY(\(numbers.sorted()))
            ORDER BY event_key
            """)
        var byKey: [String: FoundEvent] = [:]
        var byNumber: [Int64: [FoundEvent]] = [:]
        for row in rows {
            let event = FoundEvent(id: try row.decode(Int64.self, at: 0), key: try row.decode(String.self, at: 1))
            byKey[event.key] = event
            if let number = try row.decode(Int64?.self, at: 2) { byNumber[number, default: []].append(event) }
        }
        var found: [WSOPRecords.EventRef: FoundEvent] = [:]
        for (line, ref) in refs where found[ref] == nil {
            if let key = ref.key {
                found[ref] = byKey[key]
            } else if let number = ref.number {
                if let event = byKey[String(number)] {
                    found[ref] = event
                    continue
                }
                let matches = byNumber[number] ?? []
                guard matches.count <= 1 else {
                    throw ContentError(position: "line \(line)",
                                       reason: "tournament \(number) matches \(matches.count) events (\(matches.map(\.key).joined(separator: ", "))): add an event column with the event's key")
                }
                found[ref] = matches.first
            }
        }
        return found
    }

    /// Upserts `wsop_events` by event key: the `event` cell, else the event the tournament number
    /// finds, else the number itself. A value the file does not give keeps the stored one.
    func write(tournaments rows: [WSOPRecords.Tournament], pool: PostgresPool) async throws -> Counts {
        try await transaction(pool, rows: rows.count) { connection in
            guard !rows.isEmpty else { return (0, 0) }
            let found = try await findEvents(rows.map { ($0.line, $0.event) }, on: connection)
            var lineOfKey: [String: Int] = [:]
            let keys = try rows.map { row in
                let key = row.event.key ?? found[row.event]?.key ?? String(row.event.number ?? 0)
                if let first = lineOfKey[key] {
                    throw ContentError(position: "line \(row.line)", reason: "the row describes event \(key) again (first on line \(first))")
                }
                lineOfKey[key] = row.line
                return key
            }
            func numbers(_ value: (WSOPRecords.Tournament) -> Int64?) -> PostgresNullableArray<Int64> { PostgresNullableArray(rows.map(value)) }
            func texts(_ value: (WSOPRecords.Tournament) -> String?) -> PostgresNullableArray<String> { PostgresNullableArray(rows.map(value)) }
            let result = try await connection.query("""
                INSERT INTO wsop_events (event_key, name, event_number, buy_in, rake, starting_chips, current_level, remaining_players,
                                         entries, prize_pool, status, places_paid, day_name, series_name, venue)
                SELECT u.k, coalesce(u.n, e.name, u.k), u.num, u.b, u.r, u.sc, u.cl, u.rp, u.en, u.pp, u.st, u.pl, u.dn, u.sn, u.v
                FROM unnest(\(keys)::text[], \(texts(\.name))::text[], \(numbers(\.event.number))::bigint[], \(numbers(\.buyIn))::bigint[],
                            \(numbers(\.rake))::bigint[], \(numbers(\.startingChips))::bigint[], \(numbers(\.currentLevel))::bigint[],
                            \(numbers(\.remainingPlayers))::bigint[], \(numbers(\.entries))::bigint[], \(numbers(\.prizePool))::bigint[],
                            \(texts(\.status))::text[], \(numbers(\.placesPaid))::bigint[], \(texts(\.dayName))::text[],
                            \(texts(\.seriesName))::text[], \(texts(\.venue))::text[])
                     AS u(k, n, num, b, r, sc, cl, rp, en, pp, st, pl, dn, sn, v)
                LEFT JOIN wsop_events e ON e.event_key = u.k
                ORDER BY u.k
                ON CONFLICT (event_key) DO UPDATE SET
                    name = EXCLUDED.name,
                    event_number = coalesce(EXCLUDED.event_number, wsop_events.event_number),
                    buy_in = coalesce(EXCLUDED.buy_in, wsop_events.buy_in),
                    rake = coalesce(EXCLUDED.rake, wsop_events.rake),
                    starting_chips = coalesce(EXCLUDED.starting_chips, wsop_events.starting_chips),
                    current_level = coalesce(EXCLUDED.current_level, wsop_events.current_level),
                    remaining_players = coalesce(EXCLUDED.remaining_players, wsop_events.remaining_players),
                    entries = coalesce(EXCLUDED.entries, wsop_events.entries),
                    prize_pool = coalesce(EXCLUDED.prize_pool, wsop_events.prize_pool),
                    status = coalesce(EXCLUDED.status, wsop_events.status),
                    places_paid = coalesce(EXCLUDED.places_paid, wsop_events.places_paid),
                    day_name = coalesce(EXCLUDED.day_name, wsop_events.day_name),
                    series_name = coalesce(EXCLUDED.series_name, wsop_events.series_name),
                    venue = coalesce(EXCLUDED.venue, wsop_events.venue),
                    updated_at = now()
                WHERE (wsop_events.name, wsop_events.event_number, wsop_events.buy_in, wsop_events.rake, wsop_events.starting_chips,
                       wsop_events.current_level, wsop_events.remaining_players, wsop_events.entries, wsop_events.prize_pool,
                       wsop_events.status, wsop_events.places_paid, wsop_events.day_name, wsop_events.series_name, wsop_events.venue)
                      IS DISTINCT FROM
                      (EXCLUDED.name, coalesce(EXCLUDED.event_number, wsop_events.event_number), coalesce(EXCLUDED.buy_in, wsop_events.buy_in),
                       coalesce(EXCLUDED.rake, wsop_events.rake), coalesce(EXCLUDED.starting_chips, wsop_events.starting_chips),
                       coalesce(EXCLUDED.current_level, wsop_events.current_level),
                       coalesce(EXCLUDED.remaining_players, wsop_events.remaining_players), coalesce(EXCLUDED.entries, wsop_events.entries),
                       coalesce(EXCLUDED.prize_pool, wsop_events.prize_pool), coalesce(EXCLUDED.status, wsop_events.status),
                       coalesce(EXCLUDED.places_paid, wsop_events.places_paid), coalesce(EXCLUDED.day_name, wsop_events.day_name),
                       coalesce(EXCLUDED.series_name, wsop_events.series_name), coalesce(EXCLUDED.venue, wsop_events.venue))
                RETURNING (xmax = 0)
                """)
            return try Self.tally(result, column: 0)
        }
    }

    /// Replaces the payout structure of each event the file names: places the file no longer has
    /// are deleted (counted as updated), the others upserted by (event, place_start).
    /// - Throws: ``ContentError`` for an event not imported yet and for overlapping ranges.
    func write(payouts rows: [WSOPRecords.Payout], pool: PostgresPool) async throws -> Counts {
        try await transaction(pool, rows: rows.count) { connection in
            guard !rows.isEmpty else { return (0, 0) }
            let found = try await findEvents(rows.map { ($0.line, $0.event) }, on: connection)
            let ids = try rows.map { row in
                guard let event = found[row.event] else {
                    throw ContentError(position: "line \(row.line)",
                                       reason: "\(row.event.label) is not imported: import its tournament_data.csv or Events.json first (in one folder, tournament info is imported before payouts)")
                }
                return event.id
            }
            let eventOf = Dictionary(zip(rows.map(\.line), ids)) { first, _ in first }
            try WSOPRecords.checkRanges(rows) { eventOf[$0.line]! }
            let deleted = try await connection.execute("""
                DELETE FROM wsop_payouts p
                WHERE p.event_id = ANY(\(Array(Set(ids)).sorted()))
                  AND NOT EXISTS (SELECT 1 FROM unnest(\(ids)::bigint[], \(rows.map(\.placeStart))::bigint[]) AS u(e, s)
                                  WHERE u.e = p.event_id AND u.s = p.place_start)
                """)
            let result = try await connection.query("""
                INSERT INTO wsop_payouts (event_id, place_start, place_end, amount_cents, percentage, is_bracelet)
                SELECT e, s, en, c, pc, b
                FROM unnest(\(ids)::bigint[], \(rows.map(\.placeStart))::bigint[], \(rows.map(\.placeEnd))::bigint[],
                            \(rows.map(\.amountCents))::bigint[], \(PostgresNullableArray(rows.map(\.percentage)))::float8[],
                            \(rows.map(\.isBracelet))::boolean[]) AS u(e, s, en, c, pc, b)
                ORDER BY e, s
                ON CONFLICT (event_id, place_start) DO UPDATE SET
                    place_end = EXCLUDED.place_end, amount_cents = EXCLUDED.amount_cents, percentage = EXCLUDED.percentage,
                    is_bracelet = EXCLUDED.is_bracelet, updated_at = now()
                WHERE (wsop_payouts.place_end, wsop_payouts.amount_cents, wsop_payouts.percentage, wsop_payouts.is_bracelet)
                      IS DISTINCT FROM (EXCLUDED.place_end, EXCLUDED.amount_cents, EXCLUDED.percentage, EXCLUDED.is_bracelet)
                RETURNING (xmax = 0)
                """)
            var counts = try Self.tally(result, column: 0)
            counts.updated += deleted
            return counts
        }
    }

    /// Upserts `broadcast_schedule` on (date, start time, title, channel); a tournament the hub
    /// does not know leaves the row without an event.
    /// - Throws: ``ContentError`` when a tournament number matches several events.
    func write(schedule rows: [WSOPRecords.Broadcast], pool: PostgresPool) async throws -> Counts {
        try await transaction(pool, rows: rows.count) { connection in
            guard !rows.isEmpty else { return (0, 0) }
            let refs = rows.compactMap { row in row.event.map { (row.line, $0) } }
            let found = try await findEvents(refs, on: connection)
            let result = try await connection.query("""
                INSERT INTO broadcast_schedule (broadcast_date, time_start, time_end, event_title, channel, event_id, is_live)
                SELECT d::date, ts::time, te::time, t, c, e, l
                FROM unnest(\(rows.map(\.date))::text[], \(rows.map(\.timeStart))::text[], \(PostgresNullableArray(rows.map(\.timeEnd)))::text[],
                            \(rows.map(\.title))::text[], \(rows.map(\.channel))::text[],
                            \(PostgresNullableArray(rows.map { $0.event.flatMap { found[$0]?.id } }))::bigint[],
                            \(rows.map(\.isLive))::boolean[]) AS u(d, ts, te, t, c, e, l)
                ORDER BY d, ts, t, c
                ON CONFLICT (broadcast_date, time_start, event_title, channel) DO UPDATE SET
                    time_end = EXCLUDED.time_end, event_id = EXCLUDED.event_id, is_live = EXCLUDED.is_live, imported_at = now()
                WHERE (broadcast_schedule.time_end, broadcast_schedule.event_id, broadcast_schedule.is_live)
                      IS DISTINCT FROM (EXCLUDED.time_end, EXCLUDED.event_id, EXCLUDED.is_live)
                RETURNING (xmax = 0)
                """)
            return try Self.tally(result, column: 0)
        }
    }
}
