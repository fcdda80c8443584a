-- 0018 capabilities and concurrency limits (issue 16).
--
-- Capabilities: a worker declares tags (hub-worker --tags ae-2025,gpu); an instruction may require
-- tags (its composition's description "requires", or --requires at submit; both, stamped at
-- submit). A claim takes only instructions whose required tags the worker has: render_claimable
-- gets the worker's tags.
--
-- Concurrency limits: a composition's description may declare max_concurrent_renders, the most
-- renders of it the farm runs at once (a heavy composition on at most N machines). The claim
-- enforces it: claimers that meet a limited composition decide one at a time (a transaction-level
-- advisory lock held to their commit), count its processing instructions with a fresh snapshot,
-- and pass over it when it is full. Without any limit declared the claim is the single ordered
-- index scan of 0009; with limits it is the same scan, in rounds (one more per composition found
-- full).

ALTER TABLE render_instructions ADD COLUMN required_tags text[] NOT NULL DEFAULT '{}';
COMMENT ON COLUMN render_instructions.required_tags IS 'Tags a worker must have to claim it (lower case, sorted): the composition''s "requires" and the submission''s --requires.';

ALTER TABLE aep_compositions ADD COLUMN required_tags text[] NOT NULL DEFAULT '{}';
COMMENT ON COLUMN aep_compositions.required_tags IS 'Tags every instruction of this composition requires of its worker (the description''s "requires").';
ALTER TABLE aep_compositions ADD COLUMN max_concurrent integer CHECK (max_concurrent BETWEEN 1 AND 10000);
COMMENT ON COLUMN aep_compositions.max_concurrent IS 'The most renders of this composition processing at once across the farm (the description''s max_concurrent_renders); NULL: no limit.';

DROP FUNCTION render_claimable(integer);

CREATE FUNCTION render_claimable(wanted integer, tags text[] DEFAULT '{}')
RETURNS TABLE (id bigint)
LANGUAGE plpgsql
ROWS 4
SET enable_sort = off
AS $$
DECLARE
    -- the limited compositions (template, unit separator, composition) and their limits
    limited_keys text[];
    limits integer[];
    -- limited compositions found at their limit in this call
    full_keys text[] := '{}';
    -- what this call picked: the outer statement marks them processing after it returns, so
    -- they are counted here
    picked bigint[] := '{}';
    picked_keys text[] := '{}';
    candidate record;
    slot integer;
    running integer;
    found_full boolean;
    fetched integer;
BEGIN
    SELECT coalesce(array_agg(c.project || chr(31) || c.name), '{}'), coalesce(array_agg(c.max_concurrent), '{}')
    INTO limited_keys, limits
    FROM aep_compositions c WHERE c.max_concurrent IS NOT NULL;
    IF cardinality(limited_keys) = 0 THEN
        RETURN QUERY
            SELECT r.id FROM render_instructions r
            WHERE r.status = 'pending' AND r.scheduled_at <= now() AND NOT r.cancel_requested
              AND r.required_tags <@ tags
            ORDER BY r.priority, r.scheduled_at, r.id
            LIMIT wanted
            FOR UPDATE OF r SKIP LOCKED;
        RETURN;
    END IF;
    -- Limits declared: the same ordered scan, a round at a time, for the places still open.
    -- A row of a limited composition is taken only while the composition is below its limit;
    -- one found full is left out of the next round (which fills the places it did not take).
    -- Its row stays locked until this claim commits: no one may take it meanwhile anyway.
    LOOP
        found_full := false;
        fetched := 0;
        FOR candidate IN
            SELECT r.id, r.template_name, r.composition, r.template_name || chr(31) || r.composition AS key
            FROM render_instructions r
            WHERE r.status = 'pending' AND r.scheduled_at <= now() AND NOT r.cancel_requested
              AND r.required_tags <@ tags
              AND r.template_name || chr(31) || r.composition <> ALL (full_keys)
              AND r.id <> ALL (picked)
            ORDER BY r.priority, r.scheduled_at, r.id
            LIMIT wanted - cardinality(picked)
            FOR UPDATE OF r SKIP LOCKED
        LOOP
            fetched := fetched + 1;
            IF candidate.key = ANY (full_keys) THEN
                CONTINUE;
            END IF;
            slot := array_position(limited_keys, candidate.key);
            IF slot IS NOT NULL THEN
                -- One claimer at a time decides on limited compositions, until it commits (its
                -- claims are then visible as processing to the next, whose count is a new
                -- statement with a new snapshot). One lock for all of them: claimers that meet
                -- several cannot deadlock on their order; claims that meet none never wait.
                PERFORM pg_advisory_xact_lock(7526466960337251840);
                SELECT count(*) INTO running FROM render_instructions p
                WHERE p.template_name = candidate.template_name AND p.composition = candidate.composition
                  AND p.status = 'processing';
                running := running + coalesce(cardinality(array_positions(picked_keys, candidate.key)), 0);
                IF running >= limits[slot] THEN
                    full_keys := full_keys || candidate.key;
                    found_full := true;
                    CONTINUE;
                END IF;
            END IF;
            picked := picked || candidate.id;
            picked_keys := picked_keys || candidate.key;
            id := candidate.id;
            RETURN NEXT;
        END LOOP;
        -- Done when every place is taken, or the round found nothing left to take.
        EXIT WHEN cardinality(picked) >= wanted OR NOT found_full OR fetched = 0;
    END LOOP;
END
$$;

COMMENT ON FUNCTION render_claimable(integer, text[]) IS
    'Up to `wanted` due pending render instructions in claim order (priority, due time, id) whose required tags are among `tags`, within their compositions'' concurrency limits, locked FOR UPDATE SKIP LOCKED.';
