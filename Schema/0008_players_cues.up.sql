-- 0008 players, cue sheets and After Effects metadata (SPEC §2 "Overrides and unified players",
-- "Cue sheets", "After Effects metadata"; §5). Docs/players-and-cues.md describes them.

-- ---------------------------------------------------------------------------------------------
-- Overrides and unified players (schema doc §2.3–2.4, §4)

ALTER TABLE wsop_players ADD COLUMN profile_image_url text;

COMMENT ON COLUMN wsop_players.profile_image_url IS 'The photo Players.json names (photo, image, profile_image, photo_url).';

CREATE INDEX wsop_chip_counts_player_idx ON wsop_chip_counts (player_id, recorded_at DESC);

-- A link is one GFX player <-> one WSOP+ player. Automatic links that share a WSOP+ player were
-- ambiguous (two GFX spellings of one name): they are dropped, and the linker reports them.
DELETE FROM player_link_mapping m
WHERE m.method = 'auto_name'
  AND EXISTS (SELECT 1 FROM player_link_mapping o WHERE o.wsop_player_id = m.wsop_player_id AND o.id <> m.id);
ALTER TABLE player_link_mapping ADD CONSTRAINT player_link_mapping_wsop_player_key UNIQUE (wsop_player_id);
ALTER TABLE player_link_mapping ADD COLUMN reason text;

-- An operator's "these two are not the same person": the automatic linker never links the pair.
CREATE TABLE player_link_blocks (
    wsop_player_id  bigint NOT NULL REFERENCES wsop_players (id) ON DELETE CASCADE,
    gfx_player_id   bigint NOT NULL REFERENCES gfx_players (id) ON DELETE CASCADE,
    blocked_by      text NOT NULL,
    reason          text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (wsop_player_id, gfx_player_id)
);

CREATE TABLE profile_images (
    id              bigserial PRIMARY KEY,
    wsop_player_id  bigint REFERENCES wsop_players (id) ON DELETE CASCADE,
    gfx_player_id   bigint REFERENCES gfx_players (id) ON DELETE CASCADE,
    path            text NOT NULL CHECK (path <> ''),
    format          text NOT NULL CHECK (format IN ('png', 'jpeg')),
    width           integer NOT NULL CHECK (width > 0),
    height          integer NOT NULL CHECK (height > 0),
    byte_size       bigint NOT NULL CHECK (byte_size > 0),
    sha256          text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    active          boolean NOT NULL DEFAULT true,
    uploaded_by     text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CHECK ((wsop_player_id IS NULL) <> (gfx_player_id IS NULL))
);

COMMENT ON TABLE profile_images IS 'Photos registered by operators (hubctl players image): the manual source of profile_image.';

CREATE UNIQUE INDEX profile_images_wsop_active_idx ON profile_images (wsop_player_id) WHERE active AND wsop_player_id IS NOT NULL;
CREATE UNIQUE INDEX profile_images_gfx_active_idx ON profile_images (gfx_player_id) WHERE active AND gfx_player_id IS NOT NULL;

CREATE TABLE player_overrides (
    id              bigserial PRIMARY KEY,
    wsop_player_id  bigint REFERENCES wsop_players (id) ON DELETE CASCADE,
    gfx_player_id   bigint REFERENCES gfx_players (id) ON DELETE CASCADE,
    field           text NOT NULL CHECK (field IN ('name', 'name_korean', 'country_code', 'bio', 'notable_wins')),
    value           text NOT NULL,
    active          boolean NOT NULL DEFAULT true,
    valid_from      timestamptz NOT NULL DEFAULT now(),
    valid_until     timestamptz,
    reason          text,
    created_by      text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CHECK ((wsop_player_id IS NULL) <> (gfx_player_id IS NULL)),
    CHECK (valid_until IS NULL OR valid_until > valid_from)
);

COMMENT ON TABLE player_overrides IS 'Manual values; one applies while active and valid_from <= now() < valid_until (the newest wins).';

CREATE INDEX player_overrides_wsop_idx ON player_overrides (wsop_player_id) WHERE wsop_player_id IS NOT NULL;
CREATE INDEX player_overrides_gfx_idx ON player_overrides (gfx_player_id) WHERE gfx_player_id IS NOT NULL;

-- One row per person: every WSOP+ player (with its linked GFX player, if any) and every GFX
-- player without a link. Each field follows the merge priority of SPEC §5, and *_source says
-- which source gave it: name manual > wsop > gfx; name_korean, bio, notable_wins manual only;
-- country_code and profile_image manual > wsop; chip_count wsop > gfx; hand data gfx only.
CREATE VIEW unified_players AS
WITH base AS (
    SELECT 'wsop:' || w.id AS player_ref, w.id AS wsop_player_id, m.gfx_player_id
    FROM wsop_players w LEFT JOIN player_link_mapping m ON m.wsop_player_id = w.id
    UNION ALL
    SELECT 'gfx:' || g.id, NULL::bigint, g.id
    FROM gfx_players g
    WHERE NOT EXISTS (SELECT 1 FROM player_link_mapping m WHERE m.gfx_player_id = g.id)
)
SELECT b.player_ref,
       b.wsop_player_id,
       b.gfx_player_id,
       w.player_key AS wsop_player_key,
       lm.method AS link_method,
       coalesce(o.name, w.name, g.name) AS name,
       CASE WHEN o.name IS NOT NULL THEN 'manual' WHEN w.name IS NOT NULL THEN 'wsop' WHEN g.name IS NOT NULL THEN 'gfx' END AS name_source,
       o.name_korean,
       CASE WHEN o.name_korean IS NOT NULL THEN 'manual' END AS name_korean_source,
       coalesce(o.country_code, nullif(w.country_code, '')) AS country_code,
       CASE WHEN o.country_code IS NOT NULL THEN 'manual' WHEN nullif(w.country_code, '') IS NOT NULL THEN 'wsop' END AS country_code_source,
       coalesce(pi.path, nullif(w.profile_image_url, '')) AS profile_image,
       CASE WHEN pi.path IS NOT NULL THEN 'manual' WHEN nullif(w.profile_image_url, '') IS NOT NULL THEN 'wsop' END AS profile_image_source,
       o.bio,
       CASE WHEN o.bio IS NOT NULL THEN 'manual' END AS bio_source,
       o.notable_wins,
       CASE WHEN o.notable_wins IS NOT NULL THEN 'manual' END AS notable_wins_source,
       coalesce(wc.chips, gc.chips) AS chip_count,
       CASE WHEN wc.chips IS NOT NULL THEN 'wsop' WHEN gc.chips IS NOT NULL THEN 'gfx' END AS chip_count_source,
       CASE WHEN wc.chips IS NOT NULL THEN wc.recorded_at ELSE gc.recorded_at END AS chip_count_at,
       coalesce(gh.hands_played, 0) AS hands_played,
       gh.last_hand_at,
       CASE WHEN gh.hands_played > 0 THEN 'gfx' END AS hand_data_source
FROM base b
LEFT JOIN wsop_players w ON w.id = b.wsop_player_id
LEFT JOIN gfx_players g ON g.id = b.gfx_player_id
LEFT JOIN player_link_mapping lm ON lm.gfx_player_id = b.gfx_player_id AND lm.wsop_player_id = b.wsop_player_id
LEFT JOIN LATERAL (
    SELECT (array_agg(po.value ORDER BY po.id DESC) FILTER (WHERE po.field = 'name'))[1] AS name,
           (array_agg(po.value ORDER BY po.id DESC) FILTER (WHERE po.field = 'name_korean'))[1] AS name_korean,
           (array_agg(po.value ORDER BY po.id DESC) FILTER (WHERE po.field = 'country_code'))[1] AS country_code,
           (array_agg(po.value ORDER BY po.id DESC) FILTER (WHERE po.field = 'bio'))[1] AS bio,
           (array_agg(po.value ORDER BY po.id DESC) FILTER (WHERE po.field = 'notable_wins'))[1] AS notable_wins
    FROM player_overrides po
    WHERE (po.wsop_player_id = b.wsop_player_id OR po.gfx_player_id = b.gfx_player_id)
      AND po.active AND po.valid_from <= now() AND (po.valid_until IS NULL OR po.valid_until > now())
) o ON true
LEFT JOIN LATERAL (
    SELECT p.path FROM profile_images p
    WHERE p.active AND (p.wsop_player_id = b.wsop_player_id OR p.gfx_player_id = b.gfx_player_id)
    ORDER BY p.id DESC LIMIT 1
) pi ON true
LEFT JOIN LATERAL (
    SELECT c.chips, c.recorded_at FROM wsop_chip_counts c WHERE c.player_id = b.wsop_player_id
    ORDER BY c.recorded_at DESC LIMIT 1
) wc ON true
LEFT JOIN LATERAL (
    SELECT hp.end_stack AS chips, h.started_at AS recorded_at
    FROM gfx_hand_players hp JOIN gfx_hands h ON h.id = hp.hand_id
    WHERE hp.player_id = b.gfx_player_id
    ORDER BY h.started_at DESC LIMIT 1
) gc ON true
LEFT JOIN LATERAL (
    SELECT count(*) AS hands_played, max(h.started_at) AS last_hand_at
    FROM gfx_hand_players hp JOIN gfx_hands h ON h.id = hp.hand_id
    WHERE hp.player_id = b.gfx_player_id
) gh ON true;

COMMENT ON VIEW unified_players IS 'One row per person across WSOP+ and PokerGFX with the SPEC §5 merge priority; *_source names the source of each field.';

-- ---------------------------------------------------------------------------------------------
-- After Effects metadata (schema doc §5.2): registered by `hubctl aep import FILE`

CREATE TABLE aep_compositions (
    id               bigserial PRIMARY KEY,
    project          text NOT NULL CHECK (project <> ''),
    name             text NOT NULL CHECK (name <> ''),
    width            integer NOT NULL DEFAULT 1920 CHECK (width > 0),
    height           integer NOT NULL DEFAULT 1080 CHECK (height > 0),
    fps              integer NOT NULL DEFAULT 30 CHECK (fps > 0),
    duration_frames  integer CHECK (duration_frames > 0),
    description      text,
    source_file      text,
    imported_by      text NOT NULL,
    imported_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (project, name)
);

CREATE TABLE aep_field_keys (
    id              bigserial PRIMARY KEY,
    composition_id  bigint NOT NULL REFERENCES aep_compositions (id) ON DELETE CASCADE,
    field_key       text NOT NULL CHECK (field_key ~ '^[a-z][a-z0-9_]*$'),
    pattern_type    text NOT NULL CHECK (pattern_type IN ('slot', 'single')),
    slot_count      integer CHECK (slot_count BETWEEN 1 AND 500),
    value_kind      text NOT NULL DEFAULT 'text' CHECK (value_kind IN ('text', 'image')),
    layer_pattern   text NOT NULL CHECK (layer_pattern <> ''),
    required        boolean NOT NULL DEFAULT false,
    format          text NOT NULL DEFAULT 'auto' CHECK (format IN ('auto', 'number', 'plain')),
    media_kind      text,
    UNIQUE (composition_id, field_key),
    CHECK ((pattern_type = 'slot') = (slot_count IS NOT NULL)),
    CHECK (value_kind = 'image' OR media_kind IS NULL)
);

COMMENT ON COLUMN aep_field_keys.layer_pattern IS 'Layer name, with {n} replaced by the slot number for slot fields ("Name {n}" -> "Name 1" ...).';

CREATE TABLE aep_layers (
    id              bigserial PRIMARY KEY,
    composition_id  bigint NOT NULL REFERENCES aep_compositions (id) ON DELETE CASCADE,
    name            text NOT NULL CHECK (name <> ''),
    layer_type      text NOT NULL CHECK (layer_type IN ('text', 'image', 'other')),
    field_key_id    bigint REFERENCES aep_field_keys (id) ON DELETE CASCADE,
    slot            integer CHECK (slot > 0),
    UNIQUE (composition_id, name)
);

CREATE TABLE aep_media_sources (
    id            bigserial PRIMARY KEY,
    kind          text NOT NULL UNIQUE CHECK (kind ~ '^[a-z][a-z0-9_]*$'),
    path_pattern  text NOT NULL CHECK (path_pattern LIKE '%{value}%' OR path_pattern LIKE '%{value_lower}%'),
    fallback      text,
    updated_at    timestamptz NOT NULL DEFAULT now()
);

COMMENT ON TABLE aep_media_sources IS 'Where images come from: {value} (or {value_lower}) in path_pattern is replaced (flag: the country code; profile: the photo path).';

-- ---------------------------------------------------------------------------------------------
-- Cue sheets (schema doc §2.5)

CREATE TABLE broadcast_sessions (
    id              bigserial PRIMARY KEY,
    name            text NOT NULL CHECK (name <> ''),
    wsop_event_id   bigint REFERENCES wsop_events (id) ON DELETE SET NULL,
    table_id        text,
    status          text NOT NULL DEFAULT 'planned' CHECK (status IN ('planned', 'live', 'ended')),
    scheduled_at    timestamptz,
    started_at      timestamptz,
    ended_at        timestamptz,
    created_by      text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (status = 'planned' OR started_at IS NOT NULL),
    CHECK (status <> 'ended' OR ended_at IS NOT NULL)
);

CREATE TABLE cue_templates (
    id               bigserial PRIMARY KEY,
    name             text NOT NULL UNIQUE CHECK (name <> ''),
    cue_type         text NOT NULL CHECK (cue_type IN ('leaderboard', 'chip_count', 'player_info', 'custom')),
    aep_project      text NOT NULL CHECK (aep_project <> ''),
    aep_composition  text NOT NULL CHECK (aep_composition <> ''),
    output_format    text NOT NULL DEFAULT 'png' CHECK (output_format IN ('mp4', 'mov', 'png')),
    priority         smallint NOT NULL DEFAULT 2 CHECK (priority BETWEEN 1 AND 10),
    default_data     jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(default_data) = 'object'),
    description      text,
    created_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE cue_sheets (
    id          bigserial PRIMARY KEY,
    session_id  bigint NOT NULL REFERENCES broadcast_sessions (id) ON DELETE CASCADE,
    name        text NOT NULL CHECK (name <> ''),
    status      text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'ready', 'live', 'done')),
    created_by  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (session_id, name)
);

CREATE TABLE cue_items (
    id                     bigserial PRIMARY KEY,
    sheet_id               bigint NOT NULL REFERENCES cue_sheets (id) ON DELETE CASCADE,
    cue_number             integer NOT NULL CHECK (cue_number > 0),
    cue_type               text NOT NULL CHECK (cue_type IN ('leaderboard', 'chip_count', 'player_info', 'custom')),
    title                  text NOT NULL DEFAULT '',
    template_id            bigint NOT NULL REFERENCES cue_templates (id),
    data                   jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(data) = 'object'),
    status                 text NOT NULL DEFAULT 'pending'
                           CHECK (status IN ('pending', 'queued', 'rendering', 'completed', 'failed', 'cancelled')),
    render_instruction_id  bigint REFERENCES render_instructions (id) ON DELETE SET NULL,
    error                  text,
    triggered_at           timestamptz,
    completed_at           timestamptz,
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    UNIQUE (sheet_id, cue_number)
);

COMMENT ON COLUMN cue_items.status IS 'pending until triggered; then follows its render instruction: queued, rendering, completed | failed | cancelled.';

CREATE TABLE gfx_triggers (
    id                     bigserial PRIMARY KEY,
    cue_item_id            bigint NOT NULL REFERENCES cue_items (id) ON DELETE CASCADE,
    trigger_type           text NOT NULL DEFAULT 'manual' CHECK (trigger_type IN ('manual', 'auto')),
    cue_type               text NOT NULL,
    aep_project            text NOT NULL,
    aep_comp_name          text NOT NULL,
    gfx_data               jsonb NOT NULL,
    layer_data             jsonb NOT NULL,
    render_instruction_id  bigint REFERENCES render_instructions (id) ON DELETE SET NULL,
    triggered_by           text NOT NULL,
    correlation_id         uuid NOT NULL,
    created_at             timestamptz NOT NULL DEFAULT now()
);

COMMENT ON TABLE gfx_triggers IS 'Every trigger of a cue item: the data snapshot (gfx_data), the bound layers and the instruction it created.';

CREATE INDEX gfx_triggers_item_idx ON gfx_triggers (cue_item_id, id DESC);

ALTER TABLE render_instructions ADD CONSTRAINT render_instructions_cue_item_fk
    FOREIGN KEY (cue_item_id) REFERENCES cue_items (id) ON DELETE SET NULL;
CREATE INDEX render_instructions_cue_item_idx ON render_instructions (cue_item_id) WHERE cue_item_id IS NOT NULL;

-- A cue item follows its current render instruction: every status change of the instruction
-- moves the item in the same transaction, whoever makes it (worker, hunter, operator).
CREATE FUNCTION cue_item_follow_render() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE cue_items
    SET status = CASE NEW.status
                     WHEN 'pending' THEN 'queued'
                     WHEN 'stale' THEN 'queued'
                     WHEN 'processing' THEN 'rendering'
                     ELSE NEW.status
                 END,
        error = CASE WHEN NEW.status IN ('failed', 'pending') THEN NEW.error_message END,
        completed_at = CASE WHEN NEW.status IN ('completed', 'failed', 'cancelled') THEN now() END,
        updated_at = now()
    WHERE id = NEW.cue_item_id AND render_instruction_id = NEW.id;
    RETURN NULL;
END
$$;

CREATE TRIGGER render_instructions_cue_item
    AFTER UPDATE OF status ON render_instructions
    FOR EACH ROW
    WHEN (NEW.cue_item_id IS NOT NULL AND OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION cue_item_follow_render();
