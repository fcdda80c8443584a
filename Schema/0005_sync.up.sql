-- 0005 sync (SPEC §2 "Hands", "WSOP+", "Orchestration"; §4): the PokerGFX tables, the PRD-0001
-- `hands` view over them, the WSOP+ tables, the player link mapping the sync's linking phase
-- fills, and the sync state machine with its history. Docs/sync.md describes them.

-- ---------------------------------------------------------------------------------------------
-- PokerGFX (schema doc §2.1)

CREATE TABLE gfx_players (
    id             bigserial PRIMARY KEY,
    name           text NOT NULL,
    long_name      text NOT NULL DEFAULT '',
    name_key       text NOT NULL UNIQUE CHECK (name_key <> ''),
    first_seen_at  timestamptz NOT NULL DEFAULT now(),
    last_seen_at   timestamptz NOT NULL DEFAULT now()
);

COMMENT ON TABLE gfx_players IS 'Players seen in PokerGFX exports, deduplicated by name_key (trimmed, whitespace collapsed, case folded).';

CREATE TABLE gfx_sessions (
    id                 bigserial PRIMARY KEY,
    gfx_id             bigint NOT NULL UNIQUE,
    table_id           text NOT NULL CHECK (table_id <> ''),
    event_title        text NOT NULL DEFAULT '',
    session_type       text,
    software_version   text,
    created_at_utc     timestamptz,
    payouts            bigint[],
    id_from_file_name  boolean NOT NULL DEFAULT false,
    imported_at        timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);

COMMENT ON TABLE gfx_sessions IS 'One PokerGFX export session (GameID = .NET ticks, above 2^53); re-exports of a growing session update it.';
COMMENT ON COLUMN gfx_sessions.id_from_file_name IS 'The export had no ID: the id was taken from the file name (GameID=<id>).';

CREATE INDEX gfx_sessions_table_idx ON gfx_sessions (table_id, created_at_utc DESC);

CREATE TABLE gfx_hands (
    id                bigserial PRIMARY KEY,
    session_id        bigint NOT NULL REFERENCES gfx_sessions (id) ON DELETE CASCADE,
    hand_num          integer NOT NULL,
    started_at        timestamptz NOT NULL,
    game_variant      text NOT NULL DEFAULT '',
    game_class        text NOT NULL DEFAULT '',
    bet_structure     text NOT NULL DEFAULT '',
    duration_seconds  double precision CHECK (duration_seconds >= 0),
    recording_offset  text,
    ante_amt          bigint NOT NULL DEFAULT 0,
    bomb_pot_amt      bigint NOT NULL DEFAULT 0,
    num_boards        integer NOT NULL DEFAULT 1,
    run_it_num_times  integer NOT NULL DEFAULT 1,
    description       text NOT NULL DEFAULT '',
    blinds            jsonb NOT NULL DEFAULT '{}'::jsonb,
    stud_limits       jsonb NOT NULL DEFAULT '{}'::jsonb,
    board_cards       text[] NOT NULL DEFAULT '{}',
    pot               bigint NOT NULL DEFAULT 0,
    winner_seat       integer,
    imported_at       timestamptz NOT NULL DEFAULT now(),
    graded_at         timestamptz,
    -- a HandNum repeats when a hand is restarted: the start time tells the two real hands apart
    UNIQUE (session_id, hand_num, started_at)
);

COMMENT ON TABLE gfx_hands IS 'Hands of a PokerGFX session; natural key (session, HandNum, start time) — SPEC §4.1.';
COMMENT ON COLUMN gfx_hands.board_cards IS 'Board 1 in dealing order, normalized cards (Td, 6s).';

CREATE INDEX gfx_hands_ungraded_idx ON gfx_hands (id) WHERE graded_at IS NULL;

CREATE TABLE gfx_hand_players (
    id                    bigserial PRIMARY KEY,
    hand_id               bigint NOT NULL REFERENCES gfx_hands (id) ON DELETE CASCADE,
    player_id             bigint REFERENCES gfx_players (id),
    seat                  integer NOT NULL,
    name                  text NOT NULL DEFAULT '',
    long_name             text NOT NULL DEFAULT '',
    start_stack           bigint NOT NULL DEFAULT 0,
    end_stack             bigint NOT NULL DEFAULT 0,
    cumulative_winnings   bigint NOT NULL DEFAULT 0,
    blind_bet_straddle    bigint NOT NULL DEFAULT 0,
    hole_cards            text[] NOT NULL DEFAULT '{}',
    sitting_out           boolean NOT NULL DEFAULT false,
    elimination_rank      integer NOT NULL DEFAULT -1,
    vpip_percent          double precision NOT NULL DEFAULT 0,
    pfr_percent           double precision NOT NULL DEFAULT 0,
    aggression_percent    double precision NOT NULL DEFAULT 0,
    showdown_percent      double precision NOT NULL DEFAULT 0,
    UNIQUE (hand_id, seat)
);

COMMENT ON COLUMN gfx_hand_players.hole_cards IS 'Normalized hole cards (Td, 9d); empty when not shown.';

CREATE INDEX gfx_hand_players_player_idx ON gfx_hand_players (player_id);

CREATE TABLE gfx_events (
    id               bigserial PRIMARY KEY,
    hand_id          bigint NOT NULL REFERENCES gfx_hands (id) ON DELETE CASCADE,
    seq              integer NOT NULL CHECK (seq >= 0),
    event_type       text NOT NULL,
    player_num       integer NOT NULL DEFAULT 0,
    bet_amt          bigint NOT NULL DEFAULT 0,
    pot              bigint NOT NULL DEFAULT 0,
    board_card       text,
    board_num        integer NOT NULL DEFAULT 0,
    occurred_at      timestamptz,
    num_cards_drawn  integer NOT NULL DEFAULT 0,
    UNIQUE (hand_id, seq)
);

COMMENT ON COLUMN gfx_events.event_type IS 'As exported (FOLD, CHECK, CALL, BET, ALL IN, BOARD CARD, …): unknown types are kept verbatim.';

CREATE TABLE hand_grades (
    id              bigserial PRIMARY KEY,
    hand_id         bigint NOT NULL REFERENCES gfx_hands (id) ON DELETE CASCADE,
    hand_player_id  bigint NOT NULL UNIQUE REFERENCES gfx_hand_players (id) ON DELETE CASCADE,
    seat            integer NOT NULL,
    category        text NOT NULL CHECK (category IN ('high_card', 'pair', 'two_pair', 'three_of_a_kind', 'straight',
                                                      'flush', 'full_house', 'four_of_a_kind', 'straight_flush', 'royal_flush')),
    category_rank   smallint NOT NULL CHECK (category_rank BETWEEN 0 AND 9),
    strength        integer NOT NULL CHECK (strength >= 0),
    best_five       text[] NOT NULL,
    is_premium      boolean NOT NULL GENERATED ALWAYS AS (category_rank >= 6) STORED,
    graded_at       timestamptz NOT NULL DEFAULT now()
);

COMMENT ON TABLE hand_grades IS 'The best five-card hand of each shown player (hole cards + board); premium = full house or better.';
COMMENT ON COLUMN hand_grades.strength IS 'Evaluator value: higher wins, equal ties; comparable across all hands.';

CREATE INDEX hand_grades_hand_idx ON hand_grades (hand_id);
CREATE INDEX hand_grades_premium_idx ON hand_grades (hand_id) WHERE is_premium;

CREATE TABLE gfx_files (
    file_hash      text PRIMARY KEY CHECK (file_hash ~ '^[0-9a-f]{64}$'),
    session_id     bigint NOT NULL REFERENCES gfx_sessions (id) ON DELETE CASCADE,
    path           text NOT NULL,
    byte_size      bigint NOT NULL CHECK (byte_size >= 0),
    hands_in_file  integer NOT NULL CHECK (hands_in_file >= 0),
    hands_added    integer NOT NULL CHECK (hands_added >= 0),
    imported_at    timestamptz NOT NULL DEFAULT now(),
    sync_run_id    bigint
);

COMMENT ON TABLE gfx_files IS 'Every export file content imported, by SHA-256: a byte-identical file anywhere is unchanged.';

-- Per hand: its shown grades and the session's average play time, for the broadcast rule. Both
-- come from per-hand subqueries (not a window over the table), so a query for some hands reads
-- only those hands and their sessions.
CREATE VIEW gfx_hand_summary AS
SELECT h.id AS hand_id,
       h.session_id,
       g.best_rank,
       g.best_category,
       g.shown,
       coalesce(g.best_rank >= 6, false) AS is_premium,
       h.duration_seconds,
       a.session_avg_seconds,
       (  (coalesce(g.best_rank >= 6, false))::int
        + (coalesce(h.duration_seconds >= 1.5 * a.session_avg_seconds, false))::int
        + (coalesce(g.best_rank >= 3, false))::int) >= 2 AS broadcast_worthy
FROM gfx_hands h
LEFT JOIN LATERAL (
    SELECT max(category_rank) AS best_rank,
           (array_agg(category ORDER BY strength DESC))[1] AS best_category,
           count(*) AS shown
    FROM hand_grades WHERE hand_id = h.id
) g ON true
LEFT JOIN LATERAL (
    SELECT avg(x.duration_seconds) AS session_avg_seconds FROM gfx_hands x WHERE x.session_id = h.session_id
) a ON true;

COMMENT ON VIEW gfx_hand_summary IS 'Broadcast-worthy = 2 of 3: a premium hand shown, play time >= 1.5 x the session average, trips or better (SPEC §4.1).';

-- The PRD-0001 Hand, one concept over the imported hands (never a second copy).
CREATE VIEW hands AS
SELECT h.id,
       s.table_id,
       h.hand_num AS hand_number,
       'rfid'::text AS source,
       sm.best_category AS hand_rank,
       h.pot AS pot_size,
       -- the seat whose stack grew most; else (stacks often stay unchanged in exports) the best
       -- shown hand at showdown, a tie joined with ' / '
       coalesce(w.name, (SELECT string_agg(p.name, ' / ' ORDER BY p.seat)
                         FROM hand_grades g2 JOIN gfx_hand_players p ON p.id = g2.hand_player_id
                         WHERE g2.hand_id = h.id AND g2.strength = (SELECT max(strength) FROM hand_grades WHERE hand_id = h.id))) AS winner,
       coalesce((SELECT jsonb_agg(jsonb_build_object('seat', p.seat, 'name', p.name, 'stack', p.start_stack,
                                                     'end_stack', p.end_stack, 'hole_cards', to_jsonb(p.hole_cards))
                                  ORDER BY p.seat)
                 FROM gfx_hand_players p WHERE p.hand_id = h.id), '[]'::jsonb) AS players,
       h.board_cards AS community_cards,
       sm.is_premium,
       sm.broadcast_worthy,
       h.started_at,
       h.imported_at AS created_at,
       h.session_id,
       s.gfx_id AS gfx_session_id
FROM gfx_hands h
JOIN gfx_sessions s ON s.id = h.session_id
JOIN gfx_hand_summary sm ON sm.hand_id = h.id
LEFT JOIN gfx_hand_players w ON w.hand_id = h.id AND w.seat = h.winner_seat;

COMMENT ON VIEW hands IS 'PRD-0001 Hand over gfx_hands: table id, hand number, source, rank, pot, winner, players, board, premium.';

-- ---------------------------------------------------------------------------------------------
-- WSOP+ (schema doc §2.2; accepted format in Docs/wsop-import.md)

CREATE TABLE wsop_events (
    id           bigserial PRIMARY KEY,
    event_key    text NOT NULL UNIQUE CHECK (event_key <> ''),
    name         text NOT NULL,
    buy_in       bigint,
    start_date   text,
    venue        text,
    status       text,
    entries      integer,
    prize_pool   bigint,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE wsop_players (
    id            bigserial PRIMARY KEY,
    player_key    text NOT NULL UNIQUE CHECK (player_key <> ''),
    name          text NOT NULL CHECK (name <> ''),
    name_key      text NOT NULL,
    country_code  text,
    city          text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX wsop_players_name_key_idx ON wsop_players (name_key);

CREATE TABLE wsop_event_players (
    event_id       bigint NOT NULL REFERENCES wsop_events (id) ON DELETE CASCADE,
    player_id      bigint NOT NULL REFERENCES wsop_players (id) ON DELETE CASCADE,
    status         text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'eliminated')),
    current_chips  bigint CHECK (current_chips >= 0),
    table_no       text,
    seat           integer,
    eliminated_at  timestamptz,
    as_of          timestamptz,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (event_id, player_id)
);

CREATE TABLE wsop_chip_counts (
    id             bigserial PRIMARY KEY,
    event_id       bigint NOT NULL REFERENCES wsop_events (id) ON DELETE CASCADE,
    player_id      bigint NOT NULL REFERENCES wsop_players (id) ON DELETE CASCADE,
    chips          bigint NOT NULL CHECK (chips >= 0),
    is_eliminated  boolean NOT NULL GENERATED ALWAYS AS (chips = 0) STORED,
    recorded_at    timestamptz NOT NULL,
    imported_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (event_id, player_id, recorded_at)
);

COMMENT ON TABLE wsop_chip_counts IS 'Chip counts as a time series: each export appends; a count of 0 means eliminated.';

CREATE INDEX wsop_chip_counts_latest_idx ON wsop_chip_counts (event_id, recorded_at DESC);

CREATE TABLE wsop_standings (
    id           bigserial PRIMARY KEY,
    event_id     bigint NOT NULL REFERENCES wsop_events (id) ON DELETE CASCADE,
    snapshot_at  timestamptz NOT NULL,
    rank         integer NOT NULL CHECK (rank > 0),
    player_id    bigint NOT NULL REFERENCES wsop_players (id) ON DELETE CASCADE,
    chips        bigint CHECK (chips >= 0),
    prize        bigint CHECK (prize >= 0),
    UNIQUE (event_id, snapshot_at, rank)
);

COMMENT ON TABLE wsop_standings IS 'Standings snapshots: each Standings.csv is one snapshot of an event at snapshot_at.';

CREATE TABLE wsop_import_logs (
    id            bigserial PRIMARY KEY,
    file_name     text NOT NULL,
    file_hash     text NOT NULL CHECK (file_hash ~ '^[0-9a-f]{64}$'),
    entity        text NOT NULL CHECK (entity IN ('events', 'players', 'chip_counts', 'standings')),
    status        text NOT NULL CHECK (status IN ('imported', 'failed')),
    rows_read     integer NOT NULL DEFAULT 0,
    rows_created  integer NOT NULL DEFAULT 0,
    rows_updated  integer NOT NULL DEFAULT 0,
    error         text,
    sync_run_id   bigint,
    imported_at   timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX wsop_import_logs_once_idx ON wsop_import_logs (file_hash, entity) WHERE status = 'imported';

-- ---------------------------------------------------------------------------------------------
-- Player links (schema doc §2.3): filled by the sync's linking phase; manual links win.

CREATE TABLE player_link_mapping (
    id              bigserial PRIMARY KEY,
    wsop_player_id  bigint NOT NULL REFERENCES wsop_players (id) ON DELETE CASCADE,
    gfx_player_id   bigint NOT NULL REFERENCES gfx_players (id) ON DELETE CASCADE,
    method          text NOT NULL CHECK (method IN ('auto_name', 'manual')),
    confidence      double precision NOT NULL CHECK (confidence BETWEEN 0 AND 1),
    linked_by       text NOT NULL DEFAULT 'hub-sync',
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (gfx_player_id)
);

-- ---------------------------------------------------------------------------------------------
-- Sync state machine and history (schema doc §3, SPEC §4.3)

CREATE TABLE sync_status (
    source          text NOT NULL CHECK (source IN ('gfx', 'wsop')),
    entity          text NOT NULL CHECK (entity <> ''),
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'in_progress', 'synced', 'failed', 'outdated')),
    interval_seconds integer NOT NULL CHECK (interval_seconds > 0),
    retry_count     integer NOT NULL DEFAULT 0 CHECK (retry_count >= 0),
    max_retries     integer NOT NULL DEFAULT 3 CHECK (max_retries >= 0),
    last_sync_at    timestamptz,
    next_sync_at    timestamptz,
    last_error      text,
    consecutive_failures integer NOT NULL DEFAULT 0,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, entity)
);

COMMENT ON TABLE sync_status IS 'pending -> in_progress -> synced|failed; synced -> outdated after its interval; failed -> pending with backoff (max 3).';

INSERT INTO sync_status (source, entity, interval_seconds) VALUES
    ('gfx', 'sessions', 3600), ('gfx', 'hands', 3600), ('gfx', 'players', 3600),
    ('wsop', 'events', 1800), ('wsop', 'players', 1800),
    ('wsop', 'chip_counts', 900), ('wsop', 'standings', 900);

CREATE TABLE sync_history (
    id              bigserial PRIMARY KEY,
    correlation_id  uuid NOT NULL,
    source          text NOT NULL CHECK (source IN ('gfx', 'wsop', 'link', 'grade')),
    status          text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'completed', 'failed', 'skipped')),
    started_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    finished_at     timestamptz,
    duration_ms     integer,
    files_seen      integer NOT NULL DEFAULT 0,
    files_imported  integer NOT NULL DEFAULT 0,
    files_unchanged integer NOT NULL DEFAULT 0,
    files_failed    integer NOT NULL DEFAULT 0,
    rows_created    integer NOT NULL DEFAULT 0,
    rows_updated    integer NOT NULL DEFAULT 0,
    error           text,
    details         jsonb NOT NULL DEFAULT '{}'::jsonb
);

CREATE INDEX sync_history_source_idx ON sync_history (source, started_at DESC);
CREATE INDEX sync_history_correlation_idx ON sync_history (correlation_id);

CREATE TABLE sync_file_errors (
    id            bigserial PRIMARY KEY,
    history_id    bigint NOT NULL REFERENCES sync_history (id) ON DELETE CASCADE,
    path          text NOT NULL,
    position      text,
    reason        text NOT NULL,
    occurred_at   timestamptz NOT NULL DEFAULT now()
);

COMMENT ON TABLE sync_file_errors IS 'Files a sync run skipped: the file, where in it, and why (nothing of it was written).';
