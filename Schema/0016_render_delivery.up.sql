-- Delivery of completed outputs to a folder per template (issue 16): the playout system's watch
-- folder, a NAS mount. A completion of a template with a target inserts its delivery row in the
-- same statement (no completed render is ever left undelivered by a crash in between); the worker
-- on the machine that holds the file copies it under a temporary name and renames it, then
-- records the delivered path and the file's SHA-256. A failed delivery is retried with a backoff
-- and raises the monitor's delivery_failed alert; it never fails the render.
CREATE TABLE render_delivery_targets (
    template    text PRIMARY KEY CHECK (template <> ''),
    directory   text NOT NULL CHECK (directory LIKE '/%'),
    updated_by  text NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE render_deliveries (
    id               bigserial PRIMARY KEY,
    instruction_id   bigint NOT NULL UNIQUE REFERENCES render_instructions (id) ON DELETE CASCADE,
    template         text NOT NULL,
    source_path      text NOT NULL,
    directory        text NOT NULL,
    -- The machine whose worker holds the source file (only its workers deliver it).
    host             text NOT NULL,
    status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered')),
    attempts         integer NOT NULL DEFAULT 0,
    last_error       text,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    delivered_path   text,
    checksum         text,
    bytes            bigint,
    created_at       timestamptz NOT NULL DEFAULT now(),
    delivered_at     timestamptz,
    CHECK (status <> 'delivered' OR (delivered_path IS NOT NULL AND checksum IS NOT NULL))
);

CREATE INDEX render_deliveries_due_idx ON render_deliveries (host, next_attempt_at) WHERE status = 'pending';
CREATE INDEX render_deliveries_owed_idx ON render_deliveries (template) WHERE status = 'pending';
