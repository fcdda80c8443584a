-- 0003 service registry (SPEC §7.4): every hub process registers itself and heartbeats, so
-- operators see which workers run, in which dispatch mode, and which went silent.

CREATE TABLE service_registry (
    id             text PRIMARY KEY CHECK (id <> ''),
    kind           text NOT NULL CHECK (kind IN ('hub-worker', 'hub-sync', 'hub-server', 'hubctl')),
    host           text NOT NULL,
    pid            integer NOT NULL CHECK (pid > 0),
    version        text NOT NULL,
    mode           text,
    details        jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(details) = 'object'),
    started_at     timestamptz NOT NULL DEFAULT now(),
    last_heartbeat timestamptz NOT NULL DEFAULT now(),
    stopped_at     timestamptz
);

COMMENT ON TABLE service_registry IS 'Hub processes: kind, host, version, dispatch mode and last heartbeat (SPEC §7.4).';

CREATE INDEX service_registry_kind_idx ON service_registry (kind, last_heartbeat DESC);
