-- 0002 render: render instructions, their outputs, the dispatch outbox and the job timeline
-- (SPEC §2 "Render work", §3). One table holds the render job: PRD-0001's render_instructions
-- and the schema document's job_queue/render_queue are the same concept (Docs/render-jobs.md).

CREATE TABLE render_instructions (
    id               bigserial PRIMARY KEY,
    template_name    text NOT NULL CHECK (template_name <> ''),
    composition      text NOT NULL DEFAULT 'Main' CHECK (composition <> ''),
    layer_data       jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(layer_data) = 'object'),
    output_settings  jsonb NOT NULL CHECK (jsonb_typeof(output_settings) = 'object'),
    status           text NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'processing', 'completed', 'failed', 'stale', 'cancelled')),
    priority         smallint NOT NULL DEFAULT 5 CHECK (priority BETWEEN 1 AND 10),
    trigger_type     text NOT NULL DEFAULT 'manual' CHECK (trigger_type IN ('cue_item', 'premium_hand', 'manual', 'api')),
    trigger_id       text,
    cue_item_id      bigint,
    retry_count      integer NOT NULL DEFAULT 0 CHECK (retry_count >= 0),
    max_retries      integer NOT NULL DEFAULT 3 CHECK (max_retries >= 0),
    crash_count      integer NOT NULL DEFAULT 0 CHECK (crash_count >= 0),
    attempt          integer NOT NULL DEFAULT 0 CHECK (attempt >= 0),
    error_message    text,
    data_hash        text NOT NULL CHECK (data_hash ~ '^[0-9a-f]{64}$'),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    scheduled_at     timestamptz NOT NULL DEFAULT now(),
    started_at       timestamptz,
    completed_at     timestamptz,
    worker_id        text,
    lease_token      uuid,
    lease_expires_at timestamptz,
    progress_frame   integer CHECK (progress_frame >= 0),
    progress_total   integer CHECK (progress_total >= 0),
    cancel_requested boolean NOT NULL DEFAULT false,
    -- a processing row always has exactly one live lease; no other row has one
    CHECK ((status = 'processing') = (lease_token IS NOT NULL)),
    CHECK (status <> 'processing' OR (worker_id IS NOT NULL AND lease_expires_at IS NOT NULL AND started_at IS NOT NULL)),
    CHECK (status NOT IN ('completed', 'failed', 'cancelled') OR completed_at IS NOT NULL),
    CHECK (progress_frame IS NULL OR progress_total IS NULL OR progress_frame <= progress_total)
);

COMMENT ON TABLE render_instructions IS 'One render job per row: the PRD-0001 render instruction (= schema doc job_queue + render_queue).';
COMMENT ON COLUMN render_instructions.lease_token IS 'Issued by each claim; every later write by the worker must present it.';
COMMENT ON COLUMN render_instructions.data_hash IS 'SHA-256 of template, composition, layer data and output settings: the render cache key.';

-- The claim order: highest priority (1) first, then the earliest due, then the oldest.
CREATE INDEX render_instructions_claim_idx ON render_instructions (priority, scheduled_at, id) WHERE status = 'pending';
CREATE INDEX render_instructions_lease_idx ON render_instructions (lease_expires_at) WHERE status = 'processing';
CREATE INDEX render_instructions_status_idx ON render_instructions (status, updated_at DESC);
CREATE INDEX render_instructions_template_idx ON render_instructions (template_name, status);
CREATE INDEX render_instructions_cache_idx ON render_instructions (data_hash) WHERE status = 'completed';

CREATE TABLE render_outputs (
    id              bigserial PRIMARY KEY,
    instruction_id  bigint NOT NULL REFERENCES render_instructions (id) ON DELETE CASCADE,
    attempt         integer NOT NULL CHECK (attempt >= 0),
    lease_token     uuid,
    status          text NOT NULL CHECK (status IN ('completed', 'failed')),
    output_path     text,
    file_size       bigint CHECK (file_size >= 0),
    frame_count     integer CHECK (frame_count >= 0),
    error_message   text,
    cache_hit       boolean NOT NULL DEFAULT false,
    started_at      timestamptz,
    completed_at    timestamptz NOT NULL DEFAULT now(),
    render_ms       integer CHECK (render_ms >= 0),
    CHECK (status <> 'completed' OR output_path IS NOT NULL),
    UNIQUE (instruction_id, attempt)
);

-- One successful output per instruction, ever.
CREATE UNIQUE INDEX render_outputs_one_success_idx ON render_outputs (instruction_id) WHERE status = 'completed';

CREATE TABLE render_outbox (
    id             bigserial PRIMARY KEY,
    instruction_id bigint NOT NULL REFERENCES render_instructions (id) ON DELETE CASCADE,
    created_at     timestamptz NOT NULL DEFAULT now(),
    published_at   timestamptz,
    publish_attempts integer NOT NULL DEFAULT 0,
    last_error     text
);

COMMENT ON TABLE render_outbox IS 'Dispatch signals owed to Redis: written with the instruction, marked when published (SPEC §1 outbox).';

CREATE INDEX render_outbox_unpublished_idx ON render_outbox (id) WHERE published_at IS NULL;

CREATE TABLE render_timeline (
    id             bigserial PRIMARY KEY,
    instruction_id bigint NOT NULL REFERENCES render_instructions (id) ON DELETE CASCADE,
    occurred_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    event          text NOT NULL CHECK (event <> ''),
    from_status    text,
    to_status      text NOT NULL,
    actor          text NOT NULL CHECK (actor <> ''),
    worker_id      text,
    lease_token    uuid,
    attempt        integer,
    reason         text,
    details        jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(details) = 'object')
);

COMMENT ON TABLE render_timeline IS 'Every transition of a render instruction with time, actor, worker, lease and reason: the audit trail.';

CREATE INDEX render_timeline_instruction_idx ON render_timeline (instruction_id, id);
