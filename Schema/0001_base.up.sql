-- 0001 base: the hub's system configuration and activity log (SPEC §2 "Orchestration").
-- schema_migrations itself is created by the migrator, not by a migration.

CREATE TABLE system_config (
    key         text PRIMARY KEY CHECK (key ~ '^[a-z][a-z0-9_.:-]*$'),
    value       jsonb NOT NULL,
    value_type  text NOT NULL CHECK (value_type IN ('string', 'integer', 'number', 'boolean', 'duration', 'json')),
    description text NOT NULL DEFAULT '',
    is_secret   boolean NOT NULL DEFAULT false,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  text NOT NULL DEFAULT current_user,
    -- the stored JSON must match its declared type
    CHECK (
        CASE value_type
            WHEN 'string'   THEN jsonb_typeof(value) = 'string'
            WHEN 'integer'  THEN jsonb_typeof(value) = 'number' AND value::text ~ '^-?[0-9]+$'
            WHEN 'number'   THEN jsonb_typeof(value) = 'number'
            WHEN 'boolean'  THEN jsonb_typeof(value) = 'boolean'
            WHEN 'duration' THEN jsonb_typeof(value) = 'number' AND (value::text)::numeric >= 0
            ELSE true
        END
    )
);

COMMENT ON TABLE system_config IS 'Typed key/value settings operators can change at run time (schema doc §1).';
COMMENT ON COLUMN system_config.value_type IS 'duration values are seconds';

INSERT INTO system_config (key, value, value_type, description) VALUES
    ('render.max_retries',          '3',    'integer',  'default max retries of a render instruction (PRD-0001 §4.1)'),
    ('render.backoff_base',         '60',   'duration', 'retry delay = base × 2^retry_count (schema doc §7.2)'),
    ('render.legacy_timeout',       '600',  'duration', 'processing rows without a lease are zombies after this (PRD-0001 §4.2)'),
    ('monitor.delay_threshold',     '1800', 'duration', 'pending longer than this raises a delay event (PRD-0001 §4.3)'),
    ('monitor.error_spike_ratio',   '0.1',  'number',   'failed share of the last hour that raises an alert'),
    ('monitor.throughput_drop',     '0.5',  'number',   'current / previous throughput below this raises a warning');

CREATE TABLE activity_log (
    id             bigserial PRIMARY KEY,
    occurred_at    timestamptz NOT NULL DEFAULT now(),
    actor          text NOT NULL CHECK (actor <> ''),
    action         text NOT NULL CHECK (action <> ''),
    entity_type    text,
    entity_id      text,
    reason         text,
    details        jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(details) = 'object'),
    correlation_id uuid
);

COMMENT ON TABLE activity_log IS 'Who did what and why: operator actions, imports, new players (schema doc §8.2).';

CREATE INDEX activity_log_occurred_at_idx ON activity_log (occurred_at DESC);
CREATE INDEX activity_log_entity_idx ON activity_log (entity_type, entity_id, occurred_at DESC);
CREATE INDEX activity_log_correlation_idx ON activity_log (correlation_id) WHERE correlation_id IS NOT NULL;
