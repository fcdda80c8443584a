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
-- index scan of 0009.

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
    -- compositions (template, unit separator, composition) found at their limit in this call
    full_keys text[] := '{}';
    -- what this call picked: the outer statement marks them processing after it returns, so
    -- they are counted here
    picked bigint[] := '{}';
    picked_keys text[] := '{}';
    candidate record;
    candidate_key text;
    running integer;
    restart boolean;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM aep_compositions c WHERE c.max_concurrent IS NOT NULL) THEN
        RETURN QUERY
            SELECT r.id FROM render_instructions r
            WHERE r.status = 'pending' AND r.scheduled_at <= now() AND NOT r.cancel_requested
              AND r.required_tags <@ tags
            ORDER BY r.priority, r.scheduled_at, r.id
            LIMIT wanted
            FOR UPDATE OF r SKIP LOCKED;
        RETURN;
    END IF;
    -- Limits declared: walk the candidates in claim order, locking each one only when it is
    -- taken. A composition found full is left out and the walk starts again without it (at most
    -- once per limited composition), so a backlog of a full one is not read on every claim.
    LOOP
        restart := false;
        FOR candidate IN
            SELECT r.id, r.template_name, r.composition, c.max_concurrent
            FROM render_instructions r
            LEFT JOIN aep_compositions c
                   ON c.project = r.template_name AND c.name = r.composition AND c.max_concurrent IS NOT NULL
            WHERE r.status = 'pending' AND r.scheduled_at <= now() AND NOT r.cancel_requested
              AND r.required_tags <@ tags
              AND NOT (r.template_name || chr(31) || r.composition = ANY (full_keys))
              AND NOT (r.id = ANY (picked))
            ORDER BY r.priority, r.scheduled_at, r.id
        LOOP
            candidate_key := candidate.template_name || chr(31) || candidate.composition;
            IF candidate.max_concurrent IS NOT NULL THEN
                -- One claimer at a time decides on limited compositions, until it commits (its
                -- claims are then visible as processing to the next). One lock for all of them:
                -- claimers that meet several cannot deadlock on their order.
                PERFORM pg_advisory_xact_lock(7526466960337251840);
                SELECT count(*) INTO running FROM render_instructions p
                WHERE p.template_name = candidate.template_name AND p.composition = candidate.composition
                  AND p.status = 'processing';
                running := running + coalesce(array_length(array_positions(picked_keys, candidate_key), 1), 0);
                IF running >= candidate.max_concurrent THEN
                    full_keys := full_keys || candidate_key;
                    restart := true;
                    EXIT;
                END IF;
            END IF;
            -- Taken unless another claimer holds it, or it changed since the walk began.
            PERFORM 1 FROM render_instructions r
            WHERE r.id = candidate.id AND r.status = 'pending' AND NOT r.cancel_requested AND r.scheduled_at <= now()
            FOR UPDATE SKIP LOCKED;
            IF FOUND THEN
                picked := picked || candidate.id;
                picked_keys := picked_keys || candidate_key;
                id := candidate.id;
                RETURN NEXT;
                IF array_length(picked, 1) >= wanted THEN
                    RETURN;
                END IF;
            END IF;
        END LOOP;
        EXIT WHEN NOT restart;
    END LOOP;
END
$$;

COMMENT ON FUNCTION render_claimable(integer, text[]) IS
    'Up to `wanted` due pending render instructions in claim order (priority, due time, id) whose required tags are among `tags`, within their compositions'' concurrency limits, locked FOR UPDATE SKIP LOCKED.';
