-- 0011 hardening (issue 13): no render instruction may wait where no claim can take it.
--
-- A pending or stale row with cancel_requested is skipped by every claim (render_claimable,
-- claim) and refused by an operator retry ("already pending and due"): it would strand forever.
-- Since this release every path that ends an attempt (hand-back, failure with retries left, a
-- reaped lease) makes such a row cancelled instead. Rows stranded before it are cancelled here,
-- with a timeline entry (the cue-item trigger moves their items), and a constraint keeps any
-- other writer from stranding one again.

WITH target AS (
    SELECT id, status FROM render_instructions
    WHERE status IN ('pending', 'stale') AND cancel_requested
    FOR UPDATE
), stranded AS (
    UPDATE render_instructions r
    SET status = 'cancelled', completed_at = now(), updated_at = now()
    FROM target WHERE r.id = target.id
    RETURNING r.id, r.attempt, target.status AS from_status
)
INSERT INTO render_timeline (instruction_id, event, from_status, to_status, actor, attempt, reason)
SELECT id, 'cancelled', from_status, 'cancelled', 'migration 0011', attempt,
       'cancel requested while its worker stopped; the row waited where no claim could take it'
FROM stranded;

ALTER TABLE render_instructions ADD CONSTRAINT render_instructions_cancel_not_waiting
    CHECK (NOT (cancel_requested AND status IN ('pending', 'stale')));

COMMENT ON CONSTRAINT render_instructions_cancel_not_waiting ON render_instructions IS
    'A row an operator asked to cancel never waits for a claim (no claim takes it): it is cancelled instead.';
