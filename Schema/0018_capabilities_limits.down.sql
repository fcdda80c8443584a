DROP FUNCTION IF EXISTS render_claimable(integer, text[]);

CREATE FUNCTION render_claimable(wanted integer)
RETURNS TABLE (id bigint)
LANGUAGE plpgsql
ROWS 4
SET enable_sort = off
AS $$
BEGIN
    RETURN QUERY
        SELECT r.id FROM render_instructions r
        WHERE r.status = 'pending' AND r.scheduled_at <= now() AND NOT r.cancel_requested
        ORDER BY r.priority, r.scheduled_at, r.id
        LIMIT wanted
        FOR UPDATE OF r SKIP LOCKED;
END
$$;

ALTER TABLE aep_compositions DROP COLUMN IF EXISTS max_concurrent;
ALTER TABLE aep_compositions DROP COLUMN IF EXISTS required_tags;
ALTER TABLE render_instructions DROP COLUMN IF EXISTS required_tags;
