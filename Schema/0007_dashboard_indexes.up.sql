-- 0007 dashboard indexes (SPEC §7.5, §10 "monitoring API p99 < 20 ms with 1 million instructions
-- stored"): the two reads of /api/dashboard go through partial indexes instead of scanning
-- render_instructions. The live queue (pending, processing, stale) is small whatever the table
-- holds; the finished rows of the dashboard window are read by completion time, and the index
-- carries every column the aggregate needs, so a vacuumed table answers from the index alone.
-- Plain CREATE INDEX (migrations run in a transaction): it blocks writes to the table while it
-- builds, so on a large existing table apply it in a quiet moment.

CREATE INDEX render_instructions_live_idx ON render_instructions (template_name, composition, status, trigger_type)
    INCLUDE (created_at)
    WHERE status IN ('pending', 'processing', 'stale');

CREATE INDEX render_instructions_finished_idx ON render_instructions (completed_at)
    INCLUDE (template_name, composition, status, trigger_type, created_at, started_at)
    WHERE status IN ('completed', 'failed', 'cancelled');
