-- 0010 graphics (GRAPHICS.md; Docs/graphics.md): the broadcast's graphics catalog, layer mappings
-- per After Effects project, the WSOP+ tournament info, payout structure and broadcast schedule
-- the derivations need, staff per broadcast session, and the automatic-graphics rules with the
-- record of each event they fired for.

-- ---------------------------------------------------------------------------------------------
-- The catalog: one row per composition of the package, loaded from Graphics/catalog.json.

CREATE TABLE graphics_compositions (
    name          text PRIMARY KEY CHECK (name <> ''),
    category      text NOT NULL CHECK (category IN ('chip_display', 'payout', 'event_info', 'schedule', 'staff',
                                                    'player_info', 'elimination', 'transition', 'other')),
    render_type   text NOT NULL CHECK (render_type <> ''),
    slots         integer NOT NULL DEFAULT 0 CHECK (slots BETWEEN 0 AND 100),
    project       text NOT NULL CHECK (project <> ''),
    position      integer NOT NULL,
    definition    jsonb NOT NULL CHECK (jsonb_typeof(definition) = 'object'),
    source_file   text,
    loaded_by     text NOT NULL,
    loaded_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE graphics_catalog (
    only_row     boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    name         text NOT NULL,
    version      integer NOT NULL,
    project      text NOT NULL CHECK (project <> ''),
    settings     jsonb NOT NULL CHECK (jsonb_typeof(settings) = 'object'),
    source_file  text,
    loaded_by    text NOT NULL,
    loaded_at    timestamptz NOT NULL DEFAULT now()
);

COMMENT ON TABLE graphics_catalog IS 'The loaded catalog file''s own settings (units, flags, chip denominations): one row.';

COMMENT ON TABLE graphics_compositions IS 'The graphics catalog (GRAPHICS.md §1): each composition with its category, slots and fields; definition is the catalog entry (fields with derivation, required, default).';

-- Layer mappings (reference/render-client/CyprusDesign.yaml): a field key of a composition
-- (slot fields as slot1_name) to the After Effects layer it fills. composition '' holds the
-- project-wide common field values of the file's `global.common_fields`.
CREATE TABLE aep_layer_mappings (
    project      text NOT NULL CHECK (project <> ''),
    composition  text NOT NULL,
    field_key    text NOT NULL CHECK (field_key <> ''),
    layer_name   text NOT NULL CHECK (layer_name <> ''),
    source_file  text,
    imported_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project, composition, field_key)
);

CREATE TABLE aep_project_fields (
    project      text NOT NULL CHECK (project <> ''),
    field_key    text NOT NULL CHECK (field_key <> ''),
    value        text NOT NULL,
    imported_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project, field_key)
);

COMMENT ON TABLE aep_project_fields IS 'Project-wide field values of a layer mapping file (global.common_fields): used when a graphic has no value of its own for the field.';

-- ---------------------------------------------------------------------------------------------
-- WSOP+ tournament info, payout structure, broadcast schedule (reference/wsop §2.1, §2.4, §2.5).
-- Money: buy_in, rake and prize_pool are whole dollars (as the exports write them); payout
-- amounts are cents (the export's amount is a decimal in dollars).

ALTER TABLE wsop_events
    ADD COLUMN event_number       integer,
    ADD COLUMN rake               bigint CHECK (rake >= 0),
    ADD COLUMN starting_chips     bigint CHECK (starting_chips >= 0),
    ADD COLUMN current_level      integer,
    ADD COLUMN remaining_players  integer CHECK (remaining_players >= 0),
    ADD COLUMN places_paid        integer CHECK (places_paid >= 0),
    ADD COLUMN day_name           text,
    ADD COLUMN series_name        text;

COMMENT ON COLUMN wsop_events.buy_in IS 'Whole dollars, rake included (the total a player pays).';
COMMENT ON COLUMN wsop_events.rake IS 'Whole dollars: the fee part of buy_in.';
COMMENT ON COLUMN wsop_events.prize_pool IS 'Whole dollars.';

CREATE TABLE wsop_payouts (
    event_id      bigint NOT NULL REFERENCES wsop_events (id) ON DELETE CASCADE,
    place_start   integer NOT NULL CHECK (place_start > 0),
    place_end     integer NOT NULL,
    amount_cents  bigint NOT NULL CHECK (amount_cents >= 0),
    percentage    double precision,
    is_bracelet   boolean NOT NULL DEFAULT false,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (event_id, place_start),
    CHECK (place_end >= place_start)
);

COMMENT ON TABLE wsop_payouts IS 'Payout structure of a WSOP+ event: a place range (5-6, 7-9) and the amount each place in it wins, in cents.';

CREATE TABLE broadcast_schedule (
    id              bigserial PRIMARY KEY,
    broadcast_date  date NOT NULL,
    time_start      time NOT NULL,
    time_end        time,
    event_title     text NOT NULL CHECK (event_title <> ''),
    channel         text NOT NULL DEFAULT '',
    event_id        bigint REFERENCES wsop_events (id) ON DELETE SET NULL,
    is_live         boolean NOT NULL DEFAULT false,
    imported_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (broadcast_date, time_start, event_title, channel)
);

COMMENT ON TABLE broadcast_schedule IS 'The broadcast schedule (WSOP+ broadcast_schedule.csv): local date and start time as the export writes them.';

ALTER TABLE wsop_import_logs DROP CONSTRAINT wsop_import_logs_entity_check;
ALTER TABLE wsop_import_logs ADD CONSTRAINT wsop_import_logs_entity_check
    CHECK (entity IN ('events', 'players', 'chip_counts', 'standings', 'tournaments', 'payouts', 'schedule'));

-- hub-sync tracks the three new WSOP+ files like the other four (SyncSource.entities).
INSERT INTO sync_status (source, entity, interval_seconds) VALUES
    ('wsop', 'tournaments', 1800), ('wsop', 'payouts', 1800), ('wsop', 'schedule', 1800)
ON CONFLICT DO NOTHING;

-- ---------------------------------------------------------------------------------------------
-- Staff per broadcast session (the upstream's TODO broadcast_staff).

CREATE TABLE broadcast_staff (
    id             bigserial PRIMARY KEY,
    session_id     bigint NOT NULL REFERENCES broadcast_sessions (id) ON DELETE CASCADE,
    role           text NOT NULL CHECK (role IN ('commentator', 'reporter')),
    name           text NOT NULL CHECK (name <> ''),
    social_handle  text NOT NULL DEFAULT '',
    display_order  integer NOT NULL DEFAULT 1,
    created_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (session_id, role, name)
);

-- ---------------------------------------------------------------------------------------------
-- Graphics as cue items: a cue template per catalog composition (graphics:<name>).

ALTER TABLE cue_templates DROP CONSTRAINT cue_templates_cue_type_check;
ALTER TABLE cue_templates ADD CONSTRAINT cue_templates_cue_type_check
    CHECK (cue_type IN ('leaderboard', 'chip_count', 'player_info', 'custom', 'graphic'));
ALTER TABLE cue_items DROP CONSTRAINT cue_items_cue_type_check;
ALTER TABLE cue_items ADD CONSTRAINT cue_items_cue_type_check
    CHECK (cue_type IN ('leaderboard', 'chip_count', 'player_info', 'custom', 'graphic'));

-- ---------------------------------------------------------------------------------------------
-- Automatic graphics (GRAPHICS.md §5)

CREATE TABLE cue_rules (
    id           bigserial PRIMARY KEY,
    session_id   bigint NOT NULL REFERENCES broadcast_sessions (id) ON DELETE CASCADE,
    table_id     text NOT NULL CHECK (table_id <> ''),
    on_event     text NOT NULL CHECK (on_event IN ('elimination', 'premium_hand', 'level_change', 'chip_leader', 'every')),
    every_n      integer CHECK (every_n BETWEEN 1 AND 100000),
    composition  text NOT NULL REFERENCES graphics_compositions (name) ON UPDATE CASCADE,
    priority     smallint NOT NULL DEFAULT 2 CHECK (priority BETWEEN 1 AND 10),
    enabled      boolean NOT NULL DEFAULT true,
    created_by   text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    CHECK ((on_event = 'every') = (every_n IS NOT NULL)),
    UNIQUE NULLS NOT DISTINCT (session_id, table_id, on_event, every_n, composition)
);

CREATE INDEX cue_rules_table_idx ON cue_rules (table_id) WHERE enabled;

CREATE TABLE cue_rule_firings (
    id                     bigserial PRIMARY KEY,
    rule_id                bigint NOT NULL REFERENCES cue_rules (id) ON DELETE CASCADE,
    event_key              text NOT NULL CHECK (event_key <> ''),
    gfx_session_id         bigint NOT NULL REFERENCES gfx_sessions (id) ON DELETE CASCADE,
    hand_id                bigint REFERENCES gfx_hands (id) ON DELETE SET NULL,
    details                jsonb NOT NULL DEFAULT '{}'::jsonb,
    cue_item_id            bigint REFERENCES cue_items (id) ON DELETE SET NULL,
    render_instruction_id  bigint REFERENCES render_instructions (id) ON DELETE SET NULL,
    error                  text,
    fired_at               timestamptz NOT NULL DEFAULT now(),
    UNIQUE (rule_id, event_key)
);

COMMENT ON TABLE cue_rule_firings IS 'Each game event a rule fired for, once: the unique (rule, event key) keeps re-imports and grown re-exports from firing it again.';

-- Each hand is looked at once by the automatic-graphics rules after it is graded; until then it is
-- pending (a crash, a lost connection or a run that only grades leaves it pending for the next
-- run). Hands imported before 0010 count as looked at.
ALTER TABLE gfx_hands ADD COLUMN rules_checked_at timestamptz;
UPDATE gfx_hands SET rules_checked_at = now();
CREATE INDEX gfx_hands_rules_pending_idx ON gfx_hands (started_at, id) WHERE rules_checked_at IS NULL;

-- Whether a seat of a session showed an elimination rank before a hand (an elimination fires the
-- first time only): the ranked rows of one seat and name, a handful until the rank sticks.
CREATE INDEX gfx_hand_players_eliminated_idx ON gfx_hand_players (seat, lower(name)) WHERE elimination_rank > 0;

-- A moment reads the hand before it and a player's last played hands by start time.
CREATE INDEX gfx_hands_session_started_idx ON gfx_hands (session_id, started_at DESC);
