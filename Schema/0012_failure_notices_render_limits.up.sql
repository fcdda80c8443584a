-- 0012 (issue 13): every failed render is notified exactly once, whatever order the transactions
-- that record failures commit in; a composition may declare its own maximum render time.
--
-- Failure notifications followed a cursor over render_timeline ids. Ids are taken when a row is
-- inserted, not when it commits, so a failure whose transaction committed after one with a higher
-- id had been seen was skipped for good. Now each failure leaves a notice, written by a trigger
-- in the very transaction that records it (so it exists exactly when the failure does); the
-- Zombie Hunter raises the notification and removes the notice. A notification carries a
-- dedupe key (job_failed:<timeline id>), unique, so two hunters never raise one twice.

CREATE TABLE render_failure_notices (
    timeline_id     bigint PRIMARY KEY REFERENCES render_timeline (id) ON DELETE CASCADE,
    instruction_id  bigint NOT NULL,
    queued_at       timestamptz NOT NULL DEFAULT now()
);

COMMENT ON TABLE render_failure_notices IS 'Failed transitions (render_timeline to_status failed, quarantine entries aside) whose job_failed notification is not raised yet: written by trigger, removed by the Zombie Hunter once notified.';

CREATE FUNCTION render_timeline_failure_notice() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO render_failure_notices (timeline_id, instruction_id) VALUES (NEW.id, NEW.instruction_id);
    RETURN NULL;
END
$$;

-- A quarantine writes two failed entries (lease_expired and quarantined): the first is notified.
CREATE TRIGGER render_timeline_failure_notice AFTER INSERT ON render_timeline
    FOR EACH ROW WHEN (NEW.to_status = 'failed' AND NEW.event <> 'quarantined')
    EXECUTE FUNCTION render_timeline_failure_notice();

-- Failures after the old cursor that it had not reached yet are notified, not lost, on upgrade.
INSERT INTO render_failure_notices (timeline_id, instruction_id)
SELECT t.id, t.instruction_id FROM render_timeline t
WHERE t.to_status = 'failed' AND t.event <> 'quarantined'
  AND t.id > (SELECT (details->>'failed_timeline_id')::bigint FROM hunter_runs
              WHERE name = 'zombie_hunter' AND details ? 'failed_timeline_id');

UPDATE hunter_runs SET details = details - 'failed_timeline_id' WHERE name = 'zombie_hunter';

ALTER TABLE notifications ADD COLUMN dedupe_key text;
CREATE UNIQUE INDEX notifications_dedupe_idx ON notifications (dedupe_key) WHERE dedupe_key IS NOT NULL;
COMMENT ON COLUMN notifications.dedupe_key IS 'What the notification is about, once (job_failed:<render_timeline id>): a second raise of the same is not stored or posted.';

-- A composition's own limit (its description's max_render_seconds); NULL: the worker's
-- (HUB_MAX_RENDER_SECONDS / hub-worker --max-render-seconds).
ALTER TABLE aep_compositions ADD COLUMN max_render_seconds integer CHECK (max_render_seconds BETWEEN 1 AND 604800);
COMMENT ON COLUMN aep_compositions.max_render_seconds IS 'The longest one render of this composition may run before it is stopped and the attempt fails; NULL: the worker''s limit.';
