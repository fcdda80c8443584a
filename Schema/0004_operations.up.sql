-- 0004 operations (SPEC §3 Zombie Hunter, §7): the hunter's one-pass-per-interval guard, monitor
-- events raised by the anomaly rules, notifications and their webhook delivery, and the health
-- mark of the service registry.

-- One row per periodic task; a pass acts only when it moves last_run forward under a conditional
-- UPDATE, so one process acts per interval however many workers and crons try.
CREATE TABLE hunter_runs (
    name       text PRIMARY KEY CHECK (name <> ''),
    last_run   timestamptz,
    last_actor text,
    details    jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(details) = 'object')
);

COMMENT ON TABLE hunter_runs IS 'Last pass of each periodic task (zombie hunter, monitor) and its cursor: the one-pass-per-interval guard.';

INSERT INTO hunter_runs (name) VALUES ('zombie_hunter'), ('monitor');

-- Anomalies and health conditions (SPEC §7.1, §7.4). A condition that persists keeps one open
-- event (unique per rule and subject while unresolved); passes update last_seen and occurrences.
CREATE TABLE monitor_events (
    id           bigserial PRIMARY KEY,
    rule         text NOT NULL CHECK (rule <> ''),
    subject      text NOT NULL DEFAULT '',
    level        text NOT NULL CHECK (level IN ('info', 'warning', 'error', 'critical')),
    message      text NOT NULL,
    details      jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(details) = 'object'),
    first_seen   timestamptz NOT NULL DEFAULT now(),
    last_seen    timestamptz NOT NULL DEFAULT now(),
    occurrences  integer NOT NULL DEFAULT 1 CHECK (occurrences >= 1),
    resolved_at  timestamptz,
    resolved_by  text,
    resolution   text,
    CHECK ((resolved_at IS NULL) = (resolved_by IS NULL))
);

COMMENT ON TABLE monitor_events IS 'Anomaly and health events: one open event per (rule, subject) while the condition lasts.';

CREATE UNIQUE INDEX monitor_events_open_idx ON monitor_events (rule, subject) WHERE resolved_at IS NULL;
CREATE INDEX monitor_events_recent_idx ON monitor_events (last_seen DESC);

-- Notifications (SPEC §7.2, schema doc §8.2): stored always, published live, optionally posted to
-- a webhook; the delivery columns say what happened to the post.
CREATE TABLE notifications (
    id               bigserial PRIMARY KEY,
    created_at       timestamptz NOT NULL DEFAULT now(),
    rule             text NOT NULL CHECK (rule <> ''),
    level            text NOT NULL CHECK (level IN ('info', 'warning', 'error', 'critical')),
    title            text NOT NULL,
    message          text NOT NULL,
    data             jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(data) = 'object'),
    webhook_status   text NOT NULL DEFAULT 'none' CHECK (webhook_status IN ('none', 'pending', 'delivered', 'failed')),
    webhook_attempts integer NOT NULL DEFAULT 0 CHECK (webhook_attempts >= 0),
    webhook_error    text,
    delivered_at     timestamptz,
    read_at          timestamptz
);

COMMENT ON TABLE notifications IS 'Notifications with level and webhook delivery state (SPEC §7.2).';

CREATE INDEX notifications_created_idx ON notifications (created_at DESC);
CREATE INDEX notifications_webhook_idx ON notifications (id) WHERE webhook_status = 'pending';

-- Health mark of a registered process: set unhealthy by the monitor when its heartbeat stops,
-- back to healthy by its next heartbeat.
ALTER TABLE service_registry
    ADD COLUMN health text NOT NULL DEFAULT 'healthy' CHECK (health IN ('healthy', 'unhealthy')),
    ADD COLUMN unhealthy_since timestamptz;

INSERT INTO system_config (key, value, value_type, description) VALUES
    ('monitor.orphan_action', '"alert"', 'string', 'premium hand without a render instruction: alert, or create the instruction'),
    ('monitor.orphan_template', '"premium_hand"', 'string', 'template of instructions created for orphan premium hands')
ON CONFLICT (key) DO NOTHING;
