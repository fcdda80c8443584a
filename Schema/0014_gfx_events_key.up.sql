-- 0014 gfx_events_key: an event is identified by its hand and its place in the hand.
--
-- The surrogate id of gfx_events was read by nothing (events are read by hand, in seq order) and
-- cost the import a sequence value and a second index entry per event — about a third of the
-- cost of writing an event, for the 1.2 million events of a season's exports. The primary key is
-- now the natural key (hand_id, seq), which was unique already.

ALTER TABLE gfx_events DROP CONSTRAINT gfx_events_pkey;
ALTER TABLE gfx_events DROP COLUMN id;
ALTER TABLE gfx_events DROP CONSTRAINT gfx_events_hand_id_seq_key, ADD CONSTRAINT gfx_events_pkey PRIMARY KEY (hand_id, seq);
