-- 0013 down: the row-by-row foreign keys between the GFX import tables come back; gfx_file_paths
-- goes (the next sync reads and hashes every export again, as before).

DROP TRIGGER gfx_hand_players_keep_referenced_id ON gfx_hand_players;
DROP TRIGGER gfx_players_keep_referenced_id ON gfx_players;
DROP TRIGGER gfx_hands_keep_referenced_id ON gfx_hands;
DROP TRIGGER gfx_sessions_keep_referenced_id ON gfx_sessions;
DROP FUNCTION gfx_refuse_referenced_id_change();
DROP TRIGGER gfx_players_refuse_delete ON gfx_players;
DROP FUNCTION gfx_players_refuse_delete();
DROP TRIGGER gfx_hand_players_delete_dependents ON gfx_hand_players;
DROP TRIGGER gfx_hands_delete_dependents ON gfx_hands;
DROP TRIGGER gfx_sessions_delete_dependents ON gfx_sessions;
DROP FUNCTION gfx_delete_dependents();
DROP TRIGGER hand_grades_refs_update ON hand_grades;
DROP TRIGGER hand_grades_refs_insert ON hand_grades;
DROP TRIGGER gfx_events_refs_update ON gfx_events;
DROP TRIGGER gfx_events_refs_insert ON gfx_events;
DROP TRIGGER gfx_hand_players_refs_update ON gfx_hand_players;
DROP TRIGGER gfx_hand_players_refs_insert ON gfx_hand_players;
DROP TRIGGER gfx_hands_refs_update ON gfx_hands;
DROP TRIGGER gfx_hands_refs_insert ON gfx_hands;
DROP FUNCTION hand_grades_check_refs();
DROP FUNCTION gfx_events_check_refs();
DROP FUNCTION gfx_hand_players_check_refs();
DROP FUNCTION gfx_hands_check_refs();
DROP FUNCTION gfx_lock_referenced(text, bigint[], text, text);

ALTER TABLE hand_grades ADD CONSTRAINT hand_grades_hand_player_id_fkey
    FOREIGN KEY (hand_player_id) REFERENCES gfx_hand_players (id) ON DELETE CASCADE;
ALTER TABLE hand_grades ADD CONSTRAINT hand_grades_hand_id_fkey
    FOREIGN KEY (hand_id) REFERENCES gfx_hands (id) ON DELETE CASCADE;
ALTER TABLE gfx_events ADD CONSTRAINT gfx_events_hand_id_fkey
    FOREIGN KEY (hand_id) REFERENCES gfx_hands (id) ON DELETE CASCADE;
ALTER TABLE gfx_hand_players ADD CONSTRAINT gfx_hand_players_player_id_fkey
    FOREIGN KEY (player_id) REFERENCES gfx_players (id);
ALTER TABLE gfx_hand_players ADD CONSTRAINT gfx_hand_players_hand_id_fkey
    FOREIGN KEY (hand_id) REFERENCES gfx_hands (id) ON DELETE CASCADE;
ALTER TABLE gfx_hands ADD CONSTRAINT gfx_hands_session_id_fkey
    FOREIGN KEY (session_id) REFERENCES gfx_sessions (id) ON DELETE CASCADE;

DROP TABLE gfx_file_paths;
