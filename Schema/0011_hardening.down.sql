-- Reverts 0011: drops the constraint. Rows it cancelled stay cancelled (retry them to render).
ALTER TABLE render_instructions DROP CONSTRAINT IF EXISTS render_instructions_cancel_not_waiting;
