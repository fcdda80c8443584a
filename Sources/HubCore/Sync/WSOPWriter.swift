import Foundation
import HubPostgres

/// Writes one checked WSOP+ file in one transaction, with its import log row.
struct WSOPWriter {
    var file: WSOPImporter.File
    var hash: String
    var rowsRead: Int
    var runID: Int64?

    typealias Counts = (created: Int, updated: Int)

    func transaction(_ pool: PostgresPool, rows: Int, _ body: (PostgresConnection) async throws -> Counts) async throws -> Counts {
        try await pool.withTransaction { connection in
            try await connection.query("SET LOCAL TimeZone = 'UTC'")
            let counts = try await body(connection)
            try await connection.query("""
                INSERT INTO wsop_import_logs (file_name, file_hash, entity, status, rows_read, rows_created, rows_updated, sync_run_id)
                VALUES (\(file.path), \(hash), \(file.entity.rawValue), 'imported', \(rows), \(counts.created), \(counts.updated), \(runID))
                """)
            return counts
        }
    }

    /// The "new player -> activity log" rule (schema doc §8.2) as a data-modifying CTE: one
    /// entry per row of `source` (`id`, `player_key`, `name`, `inserted`) that was inserted, in
    /// the statement that inserts the players.
    static func newPlayerEntries(_ source: String) -> PostgresQuery {
        """
        INSERT INTO activity_log (actor, action, entity_type, entity_id, reason, details)
        SELECT \(GFXImporter.activityActor), \(NotificationRules.newPlayerRule), 'player', 'wsop:' || s.id,
               \(NotificationRules.newPlayerTitlePrefix) || s.name,
               jsonb_build_object('source', 'wsop', 'name', s.name, 'wsop_player_id', s.id, 'wsop_player_key', s.player_key)
        FROM \(identifier: source) s WHERE s.inserted
        RETURNING 1
        """
    }

    /// Created and updated counts from `RETURNING (xmax = 0)`.
    static func tally(_ rows: PostgresResult, column: Int) throws -> Counts {
        var counts: Counts = (0, 0)
        for row in rows { if try row.decode(Bool.self, at: column) { counts.created += 1 } else { counts.updated += 1 } }
        return counts
    }

    func write(events: [WSOPRecords.Event], pool: PostgresPool) async throws -> Counts {
        guard !events.isEmpty else { return try await transaction(pool, rows: 0) { _ in (0, 0) } }
        return try await transaction(pool, rows: events.count) { connection in
            let rows = try await connection.query("""
                INSERT INTO wsop_events (event_key, name, buy_in, start_date, venue, status, entries, prize_pool)
                SELECT k, n, nullif(b, -1), nullif(d, ''), nullif(v, ''), nullif(s, ''), nullif(e, -1), nullif(p, -1)
                FROM unnest(\(events.map(\.key))::text[], \(events.map(\.name))::text[], \(events.map { $0.buyIn ?? -1 })::bigint[],
                            \(events.map { $0.startDate ?? "" })::text[], \(events.map { $0.venue ?? "" })::text[],
                            \(events.map { $0.status ?? "" })::text[], \(events.map { $0.entries ?? -1 })::bigint[],
                            \(events.map { $0.prizePool ?? -1 })::bigint[]) AS u(k, n, b, d, v, s, e, p)
                ON CONFLICT (event_key) DO UPDATE SET
                    name = EXCLUDED.name, buy_in = EXCLUDED.buy_in, start_date = EXCLUDED.start_date, venue = EXCLUDED.venue,
                    status = EXCLUDED.status, entries = EXCLUDED.entries, prize_pool = EXCLUDED.prize_pool, updated_at = now()
                WHERE (wsop_events.name, wsop_events.buy_in, wsop_events.start_date, wsop_events.venue, wsop_events.status,
                       wsop_events.entries, wsop_events.prize_pool)
                      IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.buy_in, EXCLUDED.start_date, EXCLUDED.venue, EXCLUDED.status,
                                        EXCLUDED.entries, EXCLUDED.prize_pool)
                RETURNING (xmax = 0)
                """)
            return try Self.tally(rows, column: 0)
        }
    }

    func write(players: [WSOPRecords.Player], pool: PostgresPool) async throws -> Counts {
        guard !players.isEmpty else { return try await transaction(pool, rows: 0) { _ in (0, 0) } }
        return try await transaction(pool, rows: players.count) { connection in
            let rows = try await connection.query("""
                WITH up AS (
                INSERT INTO wsop_players (player_key, name, name_key, country_code, city, profile_image_url)
                SELECT k, n, nk, nullif(c, ''), nullif(ci, ''), nullif(ph, '')
                FROM unnest(\(players.map(\.key))::text[], \(players.map(\.name))::text[], \(players.map { WSOPFields.nameKey($0.name) })::text[],
                            \(players.map { $0.country ?? "" })::text[], \(players.map { $0.city ?? "" })::text[],
                            \(players.map { $0.photo ?? "" })::text[]) AS u(k, n, nk, c, ci, ph)
                ON CONFLICT (player_key) DO UPDATE SET
                    name = EXCLUDED.name, name_key = EXCLUDED.name_key, country_code = EXCLUDED.country_code, city = EXCLUDED.city,
                    profile_image_url = EXCLUDED.profile_image_url, updated_at = now()
                WHERE (wsop_players.name, wsop_players.country_code, wsop_players.city, wsop_players.profile_image_url)
                      IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.country_code, EXCLUDED.city, EXCLUDED.profile_image_url)
                RETURNING id, player_key, name, (xmax = 0) AS inserted
                ), np AS (\(fragment: Self.newPlayerEntries("up")))
                SELECT inserted FROM up
                """)
            return try Self.tally(rows, column: 0)
        }
    }

    /// Ids of the events named by a CSV, creating a placeholder (name = key) for an event
    /// Events.json has not described yet.
    func eventIDs(_ keys: Set<String>, on connection: PostgresConnection, counts: inout Counts) async throws -> [String: Int64] {
        let sorted = keys.sorted()
        let rows = try await connection.query("""
            WITH ins AS (
                INSERT INTO wsop_events (event_key, name) SELECT k, k FROM unnest(\(sorted)::text[]) AS u(k) ORDER BY k
                ON CONFLICT (event_key) DO NOTHING RETURNING id, event_key)
            SELECT id, event_key, true FROM ins
            UNION ALL SELECT id, event_key, false FROM wsop_events WHERE event_key = ANY(\(sorted))
            """)
        var ids: [String: Int64] = [:]
        for row in rows {
            ids[try row.decode(String.self, at: 1)] = try row.decode(Int64.self, at: 0)
            if try row.decode(Bool.self, at: 2) { counts.created += 1 }
        }
        return ids
    }

    /// Ids of the players named by a CSV: by WSOP+ id, else by name (one match); a player not
    /// known yet is created.
    /// - Throws: ``ContentError`` when a name matches several players.
    func playerIDs(_ refs: [(line: Int, ref: WSOPRecords.PlayerRef)], on connection: PostgresConnection, counts: inout Counts) async throws
        -> [WSOPRecords.PlayerRef: Int64] {
        let nameKeys = Array(Set(refs.filter { $0.ref.id == nil }.map { WSOPFields.nameKey($0.ref.name) }))
        var byName: [String: [String]] = [:]
        if !nameKeys.isEmpty {
            for row in try await connection.query("SELECT name_key, player_key FROM wsop_players WHERE name_key = ANY(\(nameKeys))") {
                byName[try row.decode(String.self, at: 0), default: []].append(try row.decode(String.self, at: 1))
            }
        }
        var keyOf: [WSOPRecords.PlayerRef: String] = [:]
        var toCreate: [String: WSOPRecords.PlayerRef] = [:]
        for (line, ref) in refs where keyOf[ref] == nil {
            let key: String
            if let id = ref.id {
                key = id
            } else {
                let nameKey = WSOPFields.nameKey(ref.name)
                let matches = byName[nameKey] ?? []
                guard matches.count <= 1 else {
                    throw ContentError(position: "line \(line)", reason: "'\(ref.name)' matches \(matches.count) players (\(matches.joined(separator: ", "))): add a player_id column")
                }
                key = matches.first ?? "name:\(nameKey)"
            }
            keyOf[ref] = key
            if toCreate[key] == nil { toCreate[key] = ref }
        }
        let keys = toCreate.keys.sorted()
        let rows = try await connection.query("""
            WITH ins AS (
                INSERT INTO wsop_players (player_key, name, name_key, country_code)
                SELECT k, n, nk, nullif(c, '') FROM unnest(\(keys)::text[], \(keys.map { toCreate[$0]!.name })::text[],
                    \(keys.map { WSOPFields.nameKey(toCreate[$0]!.name) })::text[], \(keys.map { toCreate[$0]!.country ?? "" })::text[]) AS u(k, n, nk, c)
                ORDER BY k
                ON CONFLICT (player_key) DO NOTHING RETURNING id, player_key, name, true AS inserted
            ), np AS (\(fragment: Self.newPlayerEntries("ins")))
            SELECT id, player_key, true FROM ins
            UNION ALL SELECT id, player_key, false FROM wsop_players WHERE player_key = ANY(\(keys))
            """)
        var idOfKey: [String: Int64] = [:]
        for row in rows {
            idOfKey[try row.decode(String.self, at: 1)] = try row.decode(Int64.self, at: 0)
            if try row.decode(Bool.self, at: 2) { counts.created += 1 }
        }
        return keyOf.compactMapValues { idOfKey[$0] }
    }

    func write(chipCounts rows: [WSOPRecords.ChipCount], pool: PostgresPool) async throws -> Counts {
        try await transaction(pool, rows: rows.count) { connection in
            var counts: Counts = (0, 0)
            guard !rows.isEmpty else { return counts }
            let events = try await eventIDs(Set(rows.map(\.event)), on: connection, counts: &counts)
            let players = try await playerIDs(rows.map { ($0.line, $0.player) }, on: connection, counts: &counts)
            let eventID = rows.map { events[$0.event]! }, playerID = rows.map { players[$0.player]! }
            counts.created += try await connection.execute("""
                INSERT INTO wsop_chip_counts (event_id, player_id, chips, recorded_at)
                SELECT e, p, c, r::timestamptz FROM unnest(\(eventID)::bigint[], \(playerID)::bigint[], \(rows.map(\.chips))::bigint[],
                                                          \(rows.map(\.recordedAt))::text[]) AS u(e, p, c, r)
                ON CONFLICT (event_id, player_id, recorded_at) DO NOTHING
                """)
            // The current state of each (event, player): the latest count of this file, unless a
            // later one is stored already.
            var latest: [String: Int] = [:]
            for (index, row) in rows.enumerated() {
                let key = "\(eventID[index]):\(playerID[index])"
                if let other = latest[key], rows[other].recordedAt >= row.recordedAt { continue }
                latest[key] = index
            }
            let picked = latest.values.sorted()
            let state = try await connection.query("""
                INSERT INTO wsop_event_players (event_id, player_id, status, current_chips, table_no, seat, eliminated_at, as_of)
                SELECT e, p, CASE WHEN c = 0 THEN 'eliminated' ELSE 'active' END, c, nullif(t, ''), nullif(s, -1),
                       CASE WHEN c = 0 THEN r::timestamptz END, r::timestamptz
                FROM unnest(\(picked.map { eventID[$0] })::bigint[], \(picked.map { playerID[$0] })::bigint[],
                            \(picked.map { rows[$0].chips })::bigint[], \(picked.map { rows[$0].table ?? "" })::text[],
                            \(picked.map { rows[$0].seat ?? -1 })::bigint[], \(picked.map { rows[$0].recordedAt })::text[]) AS u(e, p, c, t, s, r)
                ORDER BY e, p
                ON CONFLICT (event_id, player_id) DO UPDATE SET
                    status = EXCLUDED.status, current_chips = EXCLUDED.current_chips,
                    table_no = coalesce(EXCLUDED.table_no, wsop_event_players.table_no), seat = coalesce(EXCLUDED.seat, wsop_event_players.seat),
                    eliminated_at = CASE WHEN EXCLUDED.current_chips = 0
                                         THEN coalesce(wsop_event_players.eliminated_at, EXCLUDED.eliminated_at) END,
                    as_of = EXCLUDED.as_of, updated_at = now()
                WHERE wsop_event_players.as_of IS NULL OR wsop_event_players.as_of <= EXCLUDED.as_of
                RETURNING (xmax = 0)
                """)
            let tally = try Self.tally(state, column: 0)
            counts.created += tally.created
            counts.updated += tally.updated
            return counts
        }
    }

    func write(standings rows: [WSOPRecords.Standing], pool: PostgresPool) async throws -> Counts {
        try await transaction(pool, rows: rows.count) { connection in
            var counts: Counts = (0, 0)
            guard !rows.isEmpty else { return counts }
            let events = try await eventIDs(Set(rows.map(\.event)), on: connection, counts: &counts)
            let players = try await playerIDs(rows.map { ($0.line, $0.player) }, on: connection, counts: &counts)
            counts.created += try await connection.execute("""
                INSERT INTO wsop_standings (event_id, snapshot_at, rank, player_id, chips, prize)
                SELECT e, t::timestamptz, r, p, nullif(c, -1), nullif(z, -1)
                FROM unnest(\(rows.map { events[$0.event]! })::bigint[], \(rows.map(\.snapshotAt))::text[], \(rows.map(\.rank))::bigint[],
                            \(rows.map { players[$0.player]! })::bigint[], \(rows.map { $0.chips ?? -1 })::bigint[],
                            \(rows.map { $0.prize ?? -1 })::bigint[]) AS u(e, t, r, p, c, z)
                ON CONFLICT (event_id, snapshot_at, rank) DO NOTHING
                """)
            return counts
        }
    }
}
