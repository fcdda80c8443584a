-- 0015 (issue 16): idempotent submission and retention of finished render instructions.
--
-- A submission may carry an idempotency key (hubctl render submit --key, the Idempotency-Key
-- header of POST /api/v1/render). The key is unique among stored instructions: a second
-- submission with the same key gets the existing instruction instead of a new one, whichever
-- process or batch it comes from (INSERT … ON CONFLICT on this index). The fingerprint is the
-- SHA-256 of what was asked (template, composition, data, output settings, priority, retries):
-- the same key with a different request is refused rather than silently answered.
-- A key lives as long as its instruction: once a purge removes the instruction, it can be used
-- again.

ALTER TABLE render_instructions
    ADD COLUMN idempotency_key text
        CHECK (idempotency_key IS NULL OR (idempotency_key <> '' AND length(idempotency_key) <= 255)),
    ADD COLUMN idempotency_fingerprint text
        CHECK (idempotency_fingerprint IS NULL OR idempotency_fingerprint ~ '^[0-9a-f]{64}$'),
    ADD CHECK ((idempotency_key IS NULL) = (idempotency_fingerprint IS NULL));

CREATE UNIQUE INDEX render_instructions_idempotency_idx ON render_instructions (idempotency_key)
    WHERE idempotency_key IS NOT NULL;

COMMENT ON COLUMN render_instructions.idempotency_key IS 'The submitter''s idempotency key: unique; the same key returns this instruction.';
COMMENT ON COLUMN render_instructions.idempotency_fingerprint IS 'SHA-256 of the keyed request: the same key with another request is refused.';

-- Retention (hubctl purge): deleting an instruction sets the references of cue items, triggers
-- and rule firings to NULL. Without an index each deleted instruction scanned those tables; the
-- partial indexes are empty for rows that name no instruction, so they cost nothing else.
CREATE INDEX cue_items_render_instruction_idx ON cue_items (render_instruction_id) WHERE render_instruction_id IS NOT NULL;
CREATE INDEX gfx_triggers_render_instruction_idx ON gfx_triggers (render_instruction_id) WHERE render_instruction_id IS NOT NULL;
CREATE INDEX cue_rule_firings_render_instruction_idx ON cue_rule_firings (render_instruction_id) WHERE render_instruction_id IS NOT NULL;
-- render_outbox and render_failure_notices get no index on instruction_id: both hold only what
-- is still owed (a published signal, a raised notification is deleted), so they stay small, and
-- an index would cost every submit.
