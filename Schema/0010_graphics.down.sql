-- Reverts 0010: drops the graphics catalog, layer mappings, staff, rules and the WSOP+ additions.
DROP INDEX IF EXISTS gfx_hands_session_started_idx;
DROP INDEX IF EXISTS gfx_hands_rules_pending_idx;
ALTER TABLE gfx_hands DROP COLUMN IF EXISTS rules_checked_at;
DROP INDEX IF EXISTS gfx_hand_players_eliminated_idx;
DROP TABLE IF EXISTS cue_rule_firings;
DROP TABLE IF EXISTS cue_rules;
DELETE FROM cue_items WHERE cue_type = 'graphic';
DELETE FROM cue_templates WHERE cue_type = 'graphic';
ALTER TABLE cue_items DROP CONSTRAINT cue_items_cue_type_check;
ALTER TABLE cue_items ADD CONSTRAINT cue_items_cue_type_check
    CHECK (cue_type IN ('leaderboard', 'chip_count', 'player_info', 'custom'));
ALTER TABLE cue_templates DROP CONSTRAINT cue_templates_cue_type_check;
ALTER TABLE cue_templates ADD CONSTRAINT cue_templates_cue_type_check
    CHECK (cue_type IN ('leaderboard', 'chip_count', 'player_info', 'custom'));
DROP TABLE IF EXISTS broadcast_staff;
DELETE FROM sync_status WHERE source = 'wsop' AND entity IN ('tournaments', 'payouts', 'schedule');
DELETE FROM wsop_import_logs WHERE entity IN ('tournaments', 'payouts', 'schedule');
ALTER TABLE wsop_import_logs DROP CONSTRAINT wsop_import_logs_entity_check;
ALTER TABLE wsop_import_logs ADD CONSTRAINT wsop_import_logs_entity_check
    CHECK (entity IN ('events', 'players', 'chip_counts', 'standings'));
DROP TABLE IF EXISTS broadcast_schedule;
DROP TABLE IF EXISTS wsop_payouts;
ALTER TABLE wsop_events
    DROP COLUMN IF EXISTS event_number, DROP COLUMN IF EXISTS rake, DROP COLUMN IF EXISTS starting_chips,
    DROP COLUMN IF EXISTS current_level, DROP COLUMN IF EXISTS remaining_players, DROP COLUMN IF EXISTS places_paid,
    DROP COLUMN IF EXISTS day_name, DROP COLUMN IF EXISTS series_name;
DROP TABLE IF EXISTS aep_project_fields;
DROP TABLE IF EXISTS aep_layer_mappings;
DROP TABLE IF EXISTS graphics_compositions;
DROP TABLE IF EXISTS graphics_catalog;
