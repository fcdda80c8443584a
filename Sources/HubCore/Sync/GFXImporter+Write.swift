import Foundation
import HubPostgres

extension GFXImporter {
    /// The actor of the activity log entries an import writes (the new-player rule).
    static let activityActor = "hub-sync"

    /// Writes one checked file in one transaction of two statements: the session (created or
    /// touched) with the new hands, then the master players of the new hands, their seats, grades
    /// and events, the file's hash and its path's status. Two statements instead of one per table:
    /// round trips, not rows, are what an import of many small files spends its time on; and each
    /// table gets one multi-row insert of bound arrays per file.
    ///
    /// The new hands are graded here, from the cards already in memory (``HandGrader/grade(hole:board:)``),
    /// and inserted graded (`graded_at`); when no enabled automatic-graphics rule of a live or
    /// planned broadcast session watches the file's table, they are inserted with the rules
    /// already checked (`rules_checked_at`), as ``CueRuleEngine/firePending(actor:batch:)`` would
    /// have marked them — so neither pass rewrites every new hand afterwards.
    func write(_ record: GFXSessionRecord, item: Loaded, runID: Int64?) async throws -> Outcome {
        try await pool.withTransaction { connection in
            var outcome = Outcome()
            let hands = record.hands
            let c = HandColumns(hands)
            if c.containsNUL { throw Self.nulRefusal }
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
                    RETURNING id, (xmax = 0) AS inserted, table_id
                ), watched AS (
                    -- the candidate rules of CueRuleEngine.fire: enabled, on this table, in a session not ended
                    SELECT EXISTS (SELECT 1 FROM cue_rules r JOIN broadcast_sessions b ON b.id = r.session_id AND b.status <> 'ended'
                                   JOIN s ON r.table_id = s.table_id WHERE r.enabled) AS yes
                ), input AS (
                    SELECT * FROM unnest(
                        \(c.handNum)::bigint[], \(c.startedAt)::text[], \(c.gameVariant)::text[],
                        \(c.gameClass)::text[], \(c.betStructure)::text[], \(c.duration)::float8[],
                        \(c.recordingOffset)::text[], \(c.ante)::bigint[], \(c.bomb)::bigint[],
                        \(c.numBoards)::bigint[], \(c.runItNumTimes)::bigint[], \(c.description)::text[],
                        \(c.blinds)::text[], \(c.stud)::text[], \(c.board)::text[], \(c.pot)::bigint[],
                        \(c.winner)::bigint[]
                    ) WITH ORDINALITY AS u(hn, st, gv, gc, bs, dur, ro, ante, bomb, nb, rit, descr, blinds, stud, board, pot, winner, ord)
                ), h AS (
                    INSERT INTO gfx_hands (session_id, hand_num, started_at, game_variant, game_class, bet_structure, duration_seconds,
                                           recording_offset, ante_amt, bomb_pot_amt, num_boards, run_it_num_times, description, blinds,
                                           stud_limits, board_cards, pot, winner_seat, graded_at, rules_checked_at)
                    SELECT s.id, hn, st::timestamptz, gv, gc, bs, nullif(dur, -1), nullif(ro, ''), ante, bomb, nb, rit, descr, blinds::jsonb,
                           stud::jsonb, coalesce(string_to_array(nullif(board, ''), ' '), '{}'), pot, nullif(winner, -1), now(),
                           CASE WHEN watched.yes THEN NULL ELSE now() END
                    FROM input, s, watched ORDER BY ord
                    ON CONFLICT (session_id, hand_num, started_at) DO NOTHING
                    RETURNING id, hand_num, started_at
                )
                SELECT s.id, s.inserted, s.table_id, n.id, n.ord
                FROM s LEFT JOIN (SELECT h.id, min(input.ord) AS ord FROM h JOIN input ON input.hn = h.hand_num AND input.st::timestamptz = h.started_at
                                  GROUP BY h.id) n ON true
                ORDER BY n.ord
                """)
            let sessionID = try rows[0].decode(Int64.self, at: 0)
            outcome.sessionCreated = try rows[0].decode(Bool.self, at: 1)
            let table = try rows[0].decode(String.self, at: 2)
            if outcome.sessionCreated { outcome.rowsCreated += 1 } else { outcome.rowsUpdated += 1 }
            var added: [(id: Int64, hand: GFXHandRecord)] = []
            for row in rows where !row.isNull(at: 3) {
                added.append((try row.decode(Int64.self, at: 3), hands[try row.decode(Int.self, at: 4) - 1]))
            }
            outcome.rowsCreated += added.count
            try await writeDetails(added, sessionID: sessionID, table: table, record: record, item: item, runID: runID,
                                   on: connection, outcome: &outcome)
            return outcome
        }
    }

    /// A text value with a NUL character: PostgreSQL text cannot store it, so the file is refused
    /// (as the driver refuses such a parameter).
    static var nulRefusal: PostgresError {
        PostgresError(.invalidParameter, "a text value contains a NUL character (\\u0000), which PostgreSQL text cannot store")
    }

    /// The best grade of each shown seat of `hand` (hole cards and at least five cards with the
    /// board), as ``HandGrader`` grades a hand.
    static func grades(of hand: GFXHandRecord) -> [(seat: Int, value: HandValue, bestFive: [Card])] {
        hand.players.compactMap { player in
            HandGrader.grade(hole: player.holeCards, board: hand.board).map { (player.seat, $0.value, $0.bestFive) }
        }
    }

    /// The master players (inserted or touched, in key order so that concurrent imports lock them
    /// in the same order); the seats and events of the new hands, each table one `COPY` (half the
    /// server's work of an `INSERT … SELECT FROM unnest(…)` of the same rows); then their grades,
    /// the file's hash and its path in one statement, which also returns the session's average play
    /// time for the hands' summaries.
    func writeDetails(_ hands: [(id: Int64, hand: GFXHandRecord)], sessionID: Int64, table: String, record: GFXSessionRecord, item: Loaded,
                      runID: Int64?, on connection: PostgresConnection, outcome: inout Outcome) async throws {
        var byKey: [String: GFXHandRecord.Player] = [:]
        for (_, hand) in hands {
            for player in hand.players where !player.nameKey.isEmpty && byKey[player.nameKey] == nil { byKey[player.nameKey] = player }
        }
        let keys = byKey.keys.sorted()
        var names = ArrayParameter(.text), longNames = ArrayParameter(.text), keyText = ArrayParameter(.text)
        for key in keys {
            names.append(byKey[key]!.name)
            longNames.append(byKey[key]!.longName)
            keyText.append(key)
        }
        if names.containsNUL || longNames.containsNUL || keyText.containsNUL { throw Self.nulRefusal }
        var playerIDs: [String: Int64] = [:]
        if !keys.isEmpty {
            let players = try await connection.query("""
                WITH pl AS (
                    INSERT INTO gfx_players (name, long_name, name_key)
                    SELECT n, l, k FROM unnest(\(names)::text[], \(longNames)::text[], \(keyText)::text[]) AS u(n, l, k)
                    ORDER BY k
                    ON CONFLICT (name_key) DO UPDATE SET last_seen_at = now()
                    RETURNING id, name, name_key, (xmax = 0) AS inserted
                ), np AS (
                    -- The "new player -> activity log" rule (schema doc §8.2), one entry per new player.
                    INSERT INTO activity_log (actor, action, entity_type, entity_id, reason, details)
                    SELECT \(Self.activityActor), \(NotificationRules.newPlayerRule), 'player', 'gfx:' || pl.id,
                           \(NotificationRules.newPlayerTitlePrefix) || pl.name,
                           jsonb_build_object('source', 'gfx', 'name', pl.name, 'gfx_player_id', pl.id, 'table_id', \(table)::text, 'sync_run_id', \(runID))
                    FROM pl WHERE pl.inserted
                    RETURNING 1
                )
                SELECT id, name_key, inserted FROM pl
                """)
            for row in players {
                playerIDs[try row.decode(String.self, at: 1)] = try row.decode(Int64.self, at: 0)
                if try row.decode(Bool.self, at: 2) { outcome.playersCreated += 1 }
            }
        }

        var seats = CopyRows(capacity: hands.count * 10 * 80), events = CopyRows(capacity: hands.count * 10 * 40)
        var grades = GradeColumns()
        var best: [HandValue?] = []
        best.reserveCapacity(hands.count)
        for (id, hand) in hands {
            for p in hand.players {
                seats.int(id); seats.int(p.nameKey.isEmpty ? nil : playerIDs[p.nameKey]); seats.int(p.seat); seats.text(p.name)
                seats.text(p.longName); seats.int(p.startStack); seats.int(p.endStack); seats.int(p.cumulativeWinnings)
                seats.int(p.blindBetStraddle); seats.cards(p.holeCards); seats.bool(p.sittingOut); seats.int(p.eliminationRank)
                seats.double(p.vpip); seats.double(p.pfr); seats.double(p.aggression); seats.double(p.showdown)
                seats.endRow()
            }
            for (index, e) in hand.events.enumerated() {
                events.int(id); events.int(index); events.text(e.type); events.int(e.playerNum); events.int(e.betAmt); events.int(e.pot)
                events.text(e.boardCard?.description); events.int(e.boardNum); events.text(e.occurredAt); events.int(e.numCardsDrawn)
                events.endRow()
            }
            var top: HandValue?
            for grade in Self.grades(of: hand) {
                grades.append(grade, hand: id)
                if top.map({ grade.value > $0 }) ?? true { top = grade.value }
            }
            best.append(top)
        }
        if seats.containsNUL || events.containsNUL { throw Self.nulRefusal }
        if seats.rows > 0 {
            outcome.rowsCreated += try await connection.copyIn("""
                COPY gfx_hand_players (hand_id, player_id, seat, name, long_name, start_stack, end_stack, cumulative_winnings, blind_bet_straddle,
                                       hole_cards, sitting_out, elimination_rank, vpip_percent, pfr_percent, aggression_percent, showdown_percent)
                FROM STDIN
                """, data: seats.bytes)
        }
        if events.rows > 0 {
            outcome.rowsCreated += try await connection.copyIn("""
                COPY gfx_events (hand_id, seq, event_type, player_num, bet_amt, pot, board_card, board_num, occurred_at, num_cards_drawn)
                FROM STDIN
                """, data: events.bytes)
        }
        let path = item.read
        let rows = try await connection.query("""
            WITH grades AS (
                INSERT INTO hand_grades (hand_id, hand_player_id, seat, category, category_rank, strength, best_five)
                SELECT g.h, p.id, g.s, g.c, g.r, g.st, string_to_array(g.b, ' ')
                FROM unnest(\(grades.hand)::bigint[], \(grades.seat)::bigint[], \(grades.category)::text[],
                            \(grades.rank)::bigint[], \(grades.strength)::bigint[], \(grades.best)::text[]) AS g(h, s, c, r, st, b)
                JOIN gfx_hand_players p ON p.hand_id = g.h AND p.seat = g.s
                RETURNING 1
            ), f AS (
                INSERT INTO gfx_files (file_hash, session_id, path, byte_size, hands_in_file, hands_added, sync_run_id)
                VALUES (\(path.hash), \(sessionID), \(path.path), \(item.data.count), \(record.hands.count), \(hands.count), \(runID))
                ON CONFLICT (file_hash) DO NOTHING
                RETURNING file_hash
            ), fp AS (
                INSERT INTO gfx_file_paths (path, file_hash, byte_size, mtime_ns, ctime_ns, inode, device, read_at_ns)
                SELECT \(path.path), file_hash, \(path.stat?.size), \(path.stat?.modifiedNs), \(path.stat?.changedNs), \(path.stat?.inode),
                       \(path.stat?.device), \(path.readAtNs)
                FROM f WHERE \(path.stat != nil)
                ON CONFLICT (path) DO UPDATE SET file_hash = EXCLUDED.file_hash, byte_size = EXCLUDED.byte_size, mtime_ns = EXCLUDED.mtime_ns,
                    ctime_ns = EXCLUDED.ctime_ns, inode = EXCLUDED.inode, device = EXCLUDED.device, read_at_ns = EXCLUDED.read_at_ns,
                    seen_at = now()
                RETURNING 1
            )
            SELECT (SELECT count(*) FROM grades), (SELECT count(*) FROM fp),
                   (SELECT avg(duration_seconds) FROM gfx_hands WHERE session_id = \(sessionID))
            """)
        outcome.rowsCreated += outcome.playersCreated
        // The hands' summaries as the `hands` view shows them now (gfx_hand_summary: the session's
        // average over every hand it holds, this file's included).
        let average = try rows[0].decode(Double?.self, at: 2)
        outcome.graded = zip(hands, best).map { added, top in
            let premium = (top?.category.rawValue ?? 0) >= HandCategory.fullHouse.rawValue
            let long = added.hand.durationSeconds.flatMap { duration in average.map { duration >= 1.5 * $0 } } ?? false
            let trips = (top?.category.rawValue ?? 0) >= HandCategory.threeOfAKind.rawValue
            return HandGrader.GradedHand(handID: added.id, table: table, handNumber: added.hand.handNum, category: top?.category.name,
                                         isPremium: premium, broadcastWorthy: [premium, long, trips].filter { $0 }.count >= 2)
        }
    }

    /// The hands of a file as array parameters, one per column.
    struct HandColumns {
        var handNum = ArrayParameter(.int8), startedAt = ArrayParameter(.text), gameVariant = ArrayParameter(.text)
        var gameClass = ArrayParameter(.text), betStructure = ArrayParameter(.text), duration = ArrayParameter(.float8)
        var recordingOffset = ArrayParameter(.text), ante = ArrayParameter(.int8), bomb = ArrayParameter(.int8)
        var numBoards = ArrayParameter(.int8), runItNumTimes = ArrayParameter(.int8), description = ArrayParameter(.text)
        var blinds = ArrayParameter(.text), stud = ArrayParameter(.text), board = ArrayParameter(.text), pot = ArrayParameter(.int8)
        var winner = ArrayParameter(.int8)

        /// A text value held a NUL character.
        var containsNUL: Bool {
            [startedAt, gameVariant, gameClass, betStructure, recordingOffset, description, blinds, stud, board].contains(where: \.containsNUL)
        }

        init(_ hands: [GFXHandRecord]) {
            for hand in hands {
                handNum.append(hand.handNum); startedAt.append(hand.startedAt); gameVariant.append(hand.gameVariant)
                gameClass.append(hand.gameClass); betStructure.append(hand.betStructure); duration.append(hand.durationSeconds ?? -1)
                recordingOffset.append(hand.recordingOffset ?? ""); ante.append(hand.anteAmt); bomb.append(hand.bombPotAmt)
                numBoards.append(hand.numBoards); runItNumTimes.append(hand.runItNumTimes); description.append(hand.description)
                blinds.append(JSONValue.object(hand.blinds).compactText); stud.append(JSONValue.object(hand.studLimits).compactText)
                board.append(hand.board.map(\.description).joined(separator: " ")); pot.append(hand.pot); winner.append(hand.winnerSeat ?? -1)
            }
        }
    }

    /// Grades as array parameters.
    struct GradeColumns {
        var hand = ArrayParameter(.int8), seat = ArrayParameter(.int8), category = ArrayParameter(.text), rank = ArrayParameter(.int8)
        var strength = ArrayParameter(.int8), best = ArrayParameter(.text)

        mutating func append(_ grade: (seat: Int, value: HandValue, bestFive: [Card]), hand id: Int64) {
            hand.append(id); seat.append(grade.seat); category.append(grade.value.category.name); rank.append(grade.value.category.rawValue)
            strength.append(grade.value.strength); best.append(grade.bestFive.map(\.description).joined(separator: " "))
        }
    }
}
