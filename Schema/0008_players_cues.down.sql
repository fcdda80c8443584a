-- Reverts 0008: cue sheets, AEP metadata, overrides and the unified view.

DROP TRIGGER IF EXISTS render_instructions_cue_item ON render_instructions;
DROP FUNCTION IF EXISTS cue_item_follow_render();
DROP INDEX IF EXISTS render_instructions_cue_item_idx;
ALTER TABLE render_instructions DROP CONSTRAINT IF EXISTS render_instructions_cue_item_fk;

DROP TABLE gfx_triggers;
DROP TABLE cue_items;
DROP TABLE cue_sheets;
DROP TABLE cue_templates;
DROP TABLE broadcast_sessions;

DROP TABLE aep_media_sources;
DROP TABLE aep_layers;
DROP TABLE aep_field_keys;
DROP TABLE aep_compositions;

DROP VIEW unified_players;
DROP TABLE player_overrides;
DROP TABLE profile_images;
DROP TABLE player_link_blocks;
ALTER TABLE player_link_mapping DROP COLUMN reason;
ALTER TABLE player_link_mapping DROP CONSTRAINT player_link_mapping_wsop_player_key;
DROP INDEX wsop_chip_counts_player_idx;
ALTER TABLE wsop_players DROP COLUMN profile_image_url;
