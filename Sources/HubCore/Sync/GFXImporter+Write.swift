import Foundation
import HubPostgres

extension GFXImporter {
    /// Writes one checked file in one transaction of two statements: the session (created or
    /// touched) with the new hands, then the master players of the new hands, their seats and
    /// events and the file's hash. Two statements instead of one per table: round trips, not
    /// rows, are what an import of many small files spends its time on.
    func write(_ record: GFXSessionRecord, item: Loaded, runID: Int64?) async throws -> Outcome {
        try await pool.withTransaction { connection in
            var outcome = Outcome()
            let hands = record.hands
            let rows = try await connection.query("""
                WITH s AS (
                    INSERT INTO gfx_sessions (gfx_id, table_id, event_title, session_type, software_version, created_at_utc,
                                              payouts, id_from_file_name)
                    VALUES (\(record.gfxID), \(item.file.table), \(record.eventTitle), \(record.type), \(record.softwareVersion),
                            \(record.createdAt)::timestamptz, \(record.payouts), \(record.idFromFileName))
                    ON CONFLICT (gfx_id) DO UPDATE SET
                        updated_at = now(),
                        event_title = EXCLUDED.event_title,
                        session_type = coalesce(EXCLUDED.session_type, gfx_sessions.session_type),
                        software_version = coalesce(EXCLUDED.software_version, gfx_sessions.software_version),
                        created_at_utc = coalesce(EXCLUDED.created_at_utc, gfx_sessions.created_at_utc),
                        payouts = coalesce(EXCLUDED.payouts, gfx_sessions.payouts)
                    RETURNING id, (xmax = 0) AS inserted
                ), input AS (
                    SELECT * FROM unnest(
                        \(hands.map(\.handNum))::bigint[], \(hands.map(\.startedAt))::text[], \(hands.map(\.gameVariant))::text[],
                        \(hands.map(\.gameClass))::text[], \(hands.map(\.betStructure))::text[], \(hands.map { $0.durationSeconds ?? -1 })::float8[],
                        \(hands.map { $0.recordingOffset ?? "" })::text[], \(hands.map(\.anteAmt))::bigint[], \(hands.map(\.bombPotAmt))::bigint[],
                        \(hands.map(\.numBoards))::bigint[], \(hands.map(\.runItNumTimes))::bigint[], \(hands.map(\.description))::text[],
                        \(hands.map { JSONValue.object($0.blinds).canonicalText })::text[],
                        \(hands.map { JSONValue.object($0.studLimits).canonicalText })::text[],
                        \(hands.map { $0.board.map(\.description).joined(separator: " ") })::text[], \(hands.map(\.pot))::bigint[],
                        \(hands.map { $0.winnerSeat ?? -1 })::bigint[]
                    ) WITH ORDINALITY AS u(hn, st, gv, gc, bs, dur, ro, ante, bomb, nb, rit, descr, blinds, stud, board, pot, winner, ord)
                ), h AS (
                    INSERT INTO gfx_hands (session_id, hand_num, started_at, game_variant, game_class, bet_structure, duration_seconds,
                                           recording_offset, ante_amt, bomb_pot_amt, num_boards, run_it_num_times, description, blinds,
                                           stud_limits, board_cards, pot, winner_seat)
                    SELECT s.id, hn, st::timestamptz, gv, gc, bs, nullif(dur, -1), nullif(ro, ''), ante, bomb, nb, rit, descr, blinds::jsonb,
                           stud::jsonb, coalesce(string_to_array(nullif(board, ''), ' '), '{}'), pot, nullif(winner, -1)
                    FROM input, s ORDER BY ord
                    ON CONFLICT (session_id, hand_num, started_at) DO NOTHING
                    RETURNING id, hand_num, started_at
                )
                SELECT s.id, s.inserted, n.id, n.ord
                FROM s LEFT JOIN (SELECT h.id, min(input.ord) AS ord FROM h JOIN input ON input.hn = h.hand_num AND input.st::timestamptz = h.started_at
                                  GROUP BY h.id) n ON true
                ORDER BY n.ord
                """)
            let sessionID = try rows[0].decode(Int64.self, at: 0)
            outcome.sessionCreated = try rows[0].decode(Bool.self, at: 1)
            if outcome.sessionCreated { outcome.rowsCreated += 1 } else { outcome.rowsUpdated += 1 }
            var added: [(id: Int64, hand: GFXHandRecord)] = []
            for row in rows where !row.isNull(at: 2) {
                added.append((try row.decode(Int64.self, at: 2), hands[try row.decode(Int.self, at: 3) - 1]))
            }
            outcome.newHandIDs = added.map(\.id)
            outcome.rowsCreated += added.count
            try await writeDetails(added, sessionID: sessionID, record: record, item: item, runID: runID, on: connection, outcome: &outcome)
            return outcome
        }
    }

    /// The master players (inserted or touched, in key order so that concurrent imports lock them
    /// in the same order), the seats and events of the new hands, and the file's hash: one statement.
    func writeDetails(_ hands: [(id: Int64, hand: GFXHandRecord)], sessionID: Int64, record: GFXSessionRecord, item: Loaded, runID: Int64?,
                      on connection: PostgresConnection, outcome: inout Outcome) async throws {
        var byKey: [String: GFXHandRecord.Player] = [:]
        for (_, hand) in hands {
            for player in hand.players where !player.nameKey.isEmpty && byKey[player.nameKey] == nil { byKey[player.nameKey] = player }
        }
        let keys = byKey.keys.sorted()

        var handID: [Int64] = [], nameKey: [String] = [], seat: [Int] = [], name: [String] = [], longName: [String] = []
        var start: [Int64] = [], end: [Int64] = [], cumulative: [Int64] = [], straddle: [Int64] = [], hole: [String] = []
        var sittingOut: [Bool] = [], elimination: [Int] = [], vpip: [Double] = [], pfr: [Double] = [], aggression: [Double] = []
        var showdown: [Double] = []
        var eHand: [Int64] = [], eSeq: [Int] = [], eType: [String] = [], ePlayer: [Int] = [], eBet: [Int64] = [], ePot: [Int64] = []
        var eCard: [String] = [], eBoard: [Int] = [], eTime: [String] = [], eDrawn: [Int] = []
        for (id, hand) in hands {
            for p in hand.players {
                handID.append(id); nameKey.append(p.nameKey); seat.append(p.seat); name.append(p.name); longName.append(p.longName)
                start.append(p.startStack); end.append(p.endStack); cumulative.append(p.cumulativeWinnings)
                straddle.append(p.blindBetStraddle); hole.append(p.holeCards.map(\.description).joined(separator: " "))
                sittingOut.append(p.sittingOut); elimination.append(p.eliminationRank); vpip.append(p.vpip); pfr.append(p.pfr)
                aggression.append(p.aggression); showdown.append(p.showdown)
            }
            for (index, e) in hand.events.enumerated() {
                eHand.append(id); eSeq.append(index); eType.append(e.type); ePlayer.append(e.playerNum); eBet.append(e.betAmt)
                ePot.append(e.pot); eCard.append(e.boardCard?.description ?? ""); eBoard.append(e.boardNum)
                eTime.append(e.occurredAt ?? ""); eDrawn.append(e.numCardsDrawn)
            }
        }
        let rows = try await connection.query("""
            WITH pl AS (
                INSERT INTO gfx_players (name, long_name, name_key)
                SELECT n, l, k FROM unnest(\(keys.map { byKey[$0]!.name })::text[], \(keys.map { byKey[$0]!.longName })::text[],
                                           \(keys)::text[]) AS u(n, l, k)
                ORDER BY k
                ON CONFLICT (name_key) DO UPDATE SET last_seen_at = now()
                RETURNING id, name_key, (xmax = 0) AS inserted
            ), seats AS (
                INSERT INTO gfx_hand_players (hand_id, player_id, seat, name, long_name, start_stack, end_stack, cumulative_winnings,
                                              blind_bet_straddle, hole_cards, sitting_out, elimination_rank, vpip_percent, pfr_percent,
                                              aggression_percent, showdown_percent)
                SELECT h, pl.id, s, n, l, st, en, cu, bl, coalesce(string_to_array(nullif(hc, ''), ' '), '{}'), so, el, vp, pf, ag, sd
                FROM unnest(\(handID)::bigint[], \(nameKey)::text[], \(seat)::bigint[], \(name)::text[], \(longName)::text[],
                            \(start)::bigint[], \(end)::bigint[], \(cumulative)::bigint[], \(straddle)::bigint[], \(hole)::text[],
                            \(sittingOut)::boolean[], \(elimination)::bigint[], \(vpip)::float8[], \(pfr)::float8[],
                            \(aggression)::float8[], \(showdown)::float8[])
                     AS u(h, k, s, n, l, st, en, cu, bl, hc, so, el, vp, pf, ag, sd)
                LEFT JOIN pl ON pl.name_key = u.k
                RETURNING 1
            ), ev AS (
                INSERT INTO gfx_events (hand_id, seq, event_type, player_num, bet_amt, pot, board_card, board_num, occurred_at, num_cards_drawn)
                SELECT h, q, t, p, b, po, nullif(c, ''), bn, nullif(tm, '')::timestamptz, d
                FROM unnest(\(eHand)::bigint[], \(eSeq)::bigint[], \(eType)::text[], \(ePlayer)::bigint[], \(eBet)::bigint[], \(ePot)::bigint[],
                            \(eCard)::text[], \(eBoard)::bigint[], \(eTime)::text[], \(eDrawn)::bigint[])
                     AS u(h, q, t, p, b, po, c, bn, tm, d)
                RETURNING 1
            ), f AS (
                INSERT INTO gfx_files (file_hash, session_id, path, byte_size, hands_in_file, hands_added, sync_run_id)
                VALUES (\(item.hash), \(sessionID), \(item.file.path), \(item.data.count), \(record.hands.count), \(hands.count), \(runID))
                ON CONFLICT (file_hash) DO NOTHING
                RETURNING 1
            )
            SELECT (SELECT count(*) FROM pl WHERE inserted), (SELECT count(*) FROM seats), (SELECT count(*) FROM ev), (SELECT count(*) FROM f)
            """)
        let players = try rows[0].decode(Int.self, at: 0)
        outcome.playersCreated += players
        outcome.rowsCreated += players + (try rows[0].decode(Int.self, at: 1)) + (try rows[0].decode(Int.self, at: 2))
    }
}
