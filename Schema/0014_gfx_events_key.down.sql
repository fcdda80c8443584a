-- 0014 down: gfx_events gets its surrogate id back (numbered anew), (hand_id, seq) stays unique.

ALTER TABLE gfx_events DROP CONSTRAINT gfx_events_pkey;
ALTER TABLE gfx_events ADD CONSTRAINT gfx_events_hand_id_seq_key UNIQUE (hand_id, seq);
ALTER TABLE gfx_events ADD COLUMN id bigserial PRIMARY KEY;
