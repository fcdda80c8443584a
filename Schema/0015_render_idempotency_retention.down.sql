-- 0015 down: no idempotency keys; the retention indexes go.

DROP INDEX cue_rule_firings_render_instruction_idx;
DROP INDEX gfx_triggers_render_instruction_idx;
DROP INDEX cue_items_render_instruction_idx;
DROP INDEX render_instructions_idempotency_idx;
ALTER TABLE render_instructions DROP COLUMN idempotency_fingerprint, DROP COLUMN idempotency_key;
