-- 0009 claim order: the due instructions a claim takes, read in claim order through the claim
-- index (render_instructions_claim_idx: priority, scheduled_at, id, pending rows only).
--
-- Why a function: the pending rows are a sliver of a table that keeps its history, so the
-- statistics put them at about one row. Planned inline, a claim then reads every pending row
-- through the dashboard's live index (or the status index) and sorts them — harmless for a
-- handful, but with a backlog of a thousand it costs about 1.7 ms per claim instead of 0.1 ms,
-- and every worker slot pays it. `SET enable_sort = off` applies to this one query only: the
-- planner takes the ordered index scan, which needs no sort and stops after `wanted` rows.
-- VOLATILE (the default) because it locks rows; the caller's UPDATE of the same transaction
-- finds them locked by itself.

CREATE FUNCTION render_claimable(wanted integer)
RETURNS TABLE (id bigint)
LANGUAGE plpgsql
ROWS 4 -- about what one claim asks for: a realistic estimate keeps the statements that call it
       -- on one cached generic plan (with the default of 1000 the planner judged the generic
       -- plan dear and planned the whole claim again on every call)
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

COMMENT ON FUNCTION render_claimable(integer) IS
    'Up to `wanted` due pending render instructions in claim order (priority, due time, id), locked FOR UPDATE SKIP LOCKED.';

-- A batch statement (one claim or completion for several worker slots) passes its rows as arrays
-- and unnests them. Planned with the arrays' values, the planner counts their elements; planned
-- generically, it assumes ten. A cached generic plan then looks dearer than a plan made for
-- two or three rows, so PostgreSQL plans such a statement afresh on every call (about a
-- millisecond for a claim). `hub_batch` hands its array back unchanged, but the planner cannot
-- see through it: every batch size gets the same estimate and the one cached plan. VOLATILE
-- on purpose: the planner evaluates a STABLE call when it estimates, and would count again.
CREATE FUNCTION hub_batch(items anyarray)
RETURNS anyarray
LANGUAGE plpgsql VOLATILE
AS $$
BEGIN
    RETURN items;
END
$$;

COMMENT ON FUNCTION hub_batch(anyarray) IS
    'Returns its argument: hides a batch''s length from the planner so batch statements keep one cached plan.';
