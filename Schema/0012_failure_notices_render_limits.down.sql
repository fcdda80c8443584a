-- Reverts 0012. Failures still waiting for their notification are not notified by an older hunter
-- (its cursor starts again from the newest timeline entry).
ALTER TABLE aep_compositions DROP COLUMN IF EXISTS max_render_seconds;
DROP INDEX IF EXISTS notifications_dedupe_idx;
ALTER TABLE notifications DROP COLUMN IF EXISTS dedupe_key;
DROP TRIGGER IF EXISTS render_timeline_failure_notice ON render_timeline;
DROP FUNCTION IF EXISTS render_timeline_failure_notice();
DROP TABLE IF EXISTS render_failure_notices;
