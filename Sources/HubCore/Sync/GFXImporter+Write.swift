import Foundation
import HubPostgres

extension GFXImporter {
    /// Writes one checked file in one transaction: the session (created or touched), the master
    /// players of its new hands, the new hands with their seats and events, and the file's hash.
    func write(_ record: GFXSessionRecord, item: Loaded, runID: Int64?) async throws -> Outcome {
        try await pool.withTransaction { connection in
            var outcome = Outcome()
            let session = try await connection.query("""
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
                """)
            let sessionID = try session[0].decode(Int64.self, at: 0)
            outcome.sessionCreated = try session[0].decode(Bool.self, at: 1)
            if outcome.sessionCreated { outcome.rowsCreated += 1 } else { outcome.rowsUpdated += 1 }

            // Hands first (one statement each: a hand already stored returns nothing).
            var added: [(id: Int64, hand: GFXHandRecord)] = []
            for hand in record.hands {
                let rows = try await connection.query("""
                    INSERT INTO gfx_hands (session_id, hand_num, started_at, game_variant, game_class, bet_structure,
                                           duration_seconds, recording_offset, ante_amt, bomb_pot_amt, num_boards,
                                           run_it_num_times, description, blinds, stud_limits, board_cards, pot, winner_seat)
                    VALUES (\(sessionID), \(hand.handNum), \(hand.startedAt)::timestamptz, \(hand.gameVariant), \(hand.gameClass),
                            \(hand.betStructure), \(hand.durationSeconds), \(hand.recordingOffset), \(hand.anteAmt), \(hand.bombPotAmt),
                            \(hand.numBoards), \(hand.runItNumTimes), \(hand.description), \(PostgresJSON(hand.blinds)),
                            \(PostgresJSON(hand.studLimits)), \(hand.board.map(\.description)), \(hand.pot), \(hand.winnerSeat))
                    ON CONFLICT (session_id, hand_num, started_at) DO NOTHING
                    RETURNING id
                    """)
                if let row = rows.first { added.append((try row.decode(Int64.self, at: 0), hand)) }
            }
            outcome.newHandIDs = added.map(\.id)
            outcome.rowsCreated += added.count

            if !added.isEmpty {
                let playerIDs = try await upsertPlayers(added.flatMap(\.hand.players), on: connection, outcome: &outcome)
                try await insertSeats(added, playerIDs: playerIDs, on: connection, outcome: &outcome)
                try await insertEvents(added, on: connection, outcome: &outcome)
            }
            try await connection.query("""
                INSERT INTO gfx_files (file_hash, session_id, path, byte_size, hands_in_file, hands_added, sync_run_id)
                VALUES (\(item.hash), \(sessionID), \(item.file.path), \(item.data.count), \(record.hands.count), \(added.count), \(runID))
                ON CONFLICT (file_hash) DO NOTHING
                """)
            return outcome
        }
    }

    /// Inserts the master players not seen before and touches the others, in key order (so two
    /// concurrent imports lock them in the same order); returns each key's id.
    func upsertPlayers(_ players: [GFXHandRecord.Player], on connection: PostgresConnection, outcome: inout Outcome) async throws -> [String: Int64] {
        var byKey: [String: GFXHandRecord.Player] = [:]
        for player in players where !player.nameKey.isEmpty && byKey[player.nameKey] == nil { byKey[player.nameKey] = player }
        guard !byKey.isEmpty else { return [:] }
        let keys = byKey.keys.sorted()
        let rows = try await connection.query("""
            INSERT INTO gfx_players (name, long_name, name_key)
            SELECT n, l, k FROM unnest(\(keys.map { byKey[$0]!.name })::text[], \(keys.map { byKey[$0]!.longName })::text[],
                                       \(keys)::text[]) AS u(n, l, k)
            ORDER BY k
            ON CONFLICT (name_key) DO UPDATE SET last_seen_at = now()
            RETURNING id, name_key, (xmax = 0) AS inserted
            """)
        var ids: [String: Int64] = [:]
        for row in rows {
            ids[try row.decode(String.self, at: 1)] = try row.decode(Int64.self, at: 0)
            if try row.decode(Bool.self, at: 2) {
                outcome.playersCreated += 1
                outcome.rowsCreated += 1
            }
        }
        return ids
    }

    func insertSeats(_ hands: [(id: Int64, hand: GFXHandRecord)], playerIDs: [String: Int64],
                     on connection: PostgresConnection, outcome: inout Outcome) async throws {
        var handID: [Int64] = [], playerID: [Int64] = [], seat: [Int] = [], name: [String] = [], longName: [String] = []
        var start: [Int64] = [], end: [Int64] = [], cumulative: [Int64] = [], straddle: [Int64] = [], hole: [String] = []
        var sittingOut: [Bool] = [], elimination: [Int] = [], vpip: [Double] = [], pfr: [Double] = [], aggression: [Double] = []
        var showdown: [Double] = []
        for (id, hand) in hands {
            for p in hand.players {
                handID.append(id); playerID.append(playerIDs[p.nameKey] ?? 0); seat.append(p.seat); name.append(p.name)
                longName.append(p.longName); start.append(p.startStack); end.append(p.endStack); cumulative.append(p.cumulativeWinnings)
                straddle.append(p.blindBetStraddle); hole.append(p.holeCards.map(\.description).joined(separator: " "))
                sittingOut.append(p.sittingOut); elimination.append(p.eliminationRank); vpip.append(p.vpip); pfr.append(p.pfr)
                aggression.append(p.aggression); showdown.append(p.showdown)
            }
        }
        guard !handID.isEmpty else { return }
        outcome.rowsCreated += try await connection.execute("""
            INSERT INTO gfx_hand_players (hand_id, player_id, seat, name, long_name, start_stack, end_stack, cumulative_winnings,
                                          blind_bet_straddle, hole_cards, sitting_out, elimination_rank, vpip_percent, pfr_percent,
                                          aggression_percent, showdown_percent)
            SELECT h, nullif(p, 0), s, n, l, st, en, cu, bl, coalesce(string_to_array(nullif(hc, ''), ' '), '{}'), so, el, vp, pf, ag, sd
            FROM unnest(\(handID)::bigint[], \(playerID)::bigint[], \(seat)::bigint[], \(name)::text[], \(longName)::text[],
                        \(start)::bigint[], \(end)::bigint[], \(cumulative)::bigint[], \(straddle)::bigint[], \(hole)::text[],
                        \(sittingOut)::boolean[], \(elimination)::bigint[], \(vpip)::float8[], \(pfr)::float8[],
                        \(aggression)::float8[], \(showdown)::float8[])
                 AS u(h, p, s, n, l, st, en, cu, bl, hc, so, el, vp, pf, ag, sd)
            """)
    }

    func insertEvents(_ hands: [(id: Int64, hand: GFXHandRecord)], on connection: PostgresConnection, outcome: inout Outcome) async throws {
        var handID: [Int64] = [], seq: [Int] = [], type: [String] = [], player: [Int] = [], bet: [Int64] = [], pot: [Int64] = []
        var card: [String] = [], board: [Int] = [], time: [String] = [], drawn: [Int] = []
        for (id, hand) in hands {
            for (index, e) in hand.events.enumerated() {
                handID.append(id); seq.append(index); type.append(e.type); player.append(e.playerNum); bet.append(e.betAmt)
                pot.append(e.pot); card.append(e.boardCard?.description ?? ""); board.append(e.boardNum)
                time.append(e.occurredAt ?? ""); drawn.append(e.numCardsDrawn)
            }
        }
        guard !handID.isEmpty else { return }
        outcome.rowsCreated += try await connection.execute("""
            INSERT INTO gfx_events (hand_id, seq, event_type, player_num, bet_amt, pot, board_card, board_num, occurred_at, num_cards_drawn)
            SELECT h, q, t, p, b, po, nullif(c, ''), bn, nullif(tm, '')::timestamptz, d
            FROM unnest(\(handID)::bigint[], \(seq)::bigint[], \(type)::text[], \(player)::bigint[], \(bet)::bigint[], \(pot)::bigint[],
                        \(card)::text[], \(board)::bigint[], \(time)::text[], \(drawn)::bigint[])
                 AS u(h, q, t, p, b, po, c, bn, tm, d)
            """)
    }
}
