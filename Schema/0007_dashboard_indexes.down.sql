-- Reverts 0007: drops the dashboard indexes.
DROP INDEX IF EXISTS render_instructions_finished_idx;
DROP INDEX IF EXISTS render_instructions_live_idx;
