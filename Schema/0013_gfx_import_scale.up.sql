-- 0013 gfx_import_scale: what importing a season of PokerGFX exports in seconds needs.
--
-- 1. gfx_file_paths: for every export path hub-sync has read, the file's status just before the
--    read (size, modification and change times in nanoseconds, inode and device), when the read
--    began, and the content it held (a gfx_files hash). A path whose status is unchanged, and
--    whose read began well after the file's last change, is not read again (Docs/sync.md).
--
-- 2. The references between the GFX import tables — a hand's session, a seat's hand and master
--    player, an event's hand, a grade's hand and seat — are checked once per statement by triggers
--    instead of row by row by foreign keys. An import writes about twenty such rows per hand;
--    PostgreSQL's row-by-row check is a query per row that cost more than inserting the row, and
--    its plan, made once per connection while the tables were still empty, scanned whole tables.
--    The triggers keep what the foreign keys guaranteed:
--    - a row whose referenced row does not exist is refused with SQLSTATE 23503
--      (foreign_key_violation), as before;
--    - the referenced rows are locked FOR KEY SHARE until the writer's transaction ends, as a
--      foreign key locks them, so a concurrent delete waits for it and then sees the new rows;
--    - deleting sessions deletes their hands; deleting hands deletes their seats, events and
--      grades; deleting seats deletes their grades (all ON DELETE CASCADE before);
--    - deleting a master player a seat still names, or changing a referenced id, is refused.
--    TRUNCATE of one of these tables alone is not stopped any more: truncate them together.
--    The other tables' foreign keys to them (gfx_files, cue_rule_firings, …) stay.

CREATE TABLE gfx_file_paths (
    path        text PRIMARY KEY CHECK (path <> ''),
    file_hash   text NOT NULL REFERENCES gfx_files (file_hash) ON DELETE CASCADE,
    byte_size   bigint NOT NULL CHECK (byte_size >= 0),
    mtime_ns    bigint NOT NULL,
    ctime_ns    bigint NOT NULL,
    inode       bigint NOT NULL,
    device      bigint NOT NULL,
    read_at_ns  bigint NOT NULL,
    seen_at     timestamptz NOT NULL DEFAULT now()
);

COMMENT ON TABLE gfx_file_paths IS 'Each export path as hub-sync last read it: the file status before the read, when the read began, the content (hash) it held. An unchanged path read well after its last change is not read again.';
COMMENT ON COLUMN gfx_file_paths.mtime_ns IS 'st_mtime in nanoseconds since 1970 (set by the writer; a copy may carry the original''s).';
COMMENT ON COLUMN gfx_file_paths.ctime_ns IS 'st_ctime in nanoseconds since 1970 (set by the kernel on any write or rename).';
COMMENT ON COLUMN gfx_file_paths.inode IS 'st_ino as a signed 64-bit bit pattern.';
COMMENT ON COLUMN gfx_file_paths.read_at_ns IS 'This host''s clock when the read began; a read within 2 s of the file''s last change is racy and not trusted.';

CREATE INDEX gfx_file_paths_hash_idx ON gfx_file_paths (file_hash);

ALTER TABLE gfx_hands DROP CONSTRAINT gfx_hands_session_id_fkey;
ALTER TABLE gfx_hand_players DROP CONSTRAINT gfx_hand_players_hand_id_fkey;
ALTER TABLE gfx_hand_players DROP CONSTRAINT gfx_hand_players_player_id_fkey;
ALTER TABLE gfx_events DROP CONSTRAINT gfx_events_hand_id_fkey;
ALTER TABLE hand_grades DROP CONSTRAINT hand_grades_hand_id_fkey;
ALTER TABLE hand_grades DROP CONSTRAINT hand_grades_hand_player_id_fkey;

-- Locks the rows of `target` with the given ids FOR KEY SHARE and refuses the statement of
-- `referrer` if any of them does not exist. `ids`: distinct, without NULL.
CREATE FUNCTION gfx_lock_referenced(target text, ids bigint[], referrer text, referring_column text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    locked bigint;
    missing bigint;
BEGIN
    IF coalesce(cardinality(ids), 0) = 0 THEN
        RETURN;
    END IF;
    CASE target
    WHEN 'gfx_sessions' THEN
        PERFORM 1 FROM gfx_sessions t WHERE t.id = ANY(ids) FOR KEY SHARE OF t;
        GET DIAGNOSTICS locked = ROW_COUNT;
        IF locked < cardinality(ids) THEN
            SELECT m INTO missing FROM unnest(ids) m WHERE NOT EXISTS (SELECT 1 FROM gfx_sessions t WHERE t.id = m) LIMIT 1;
        END IF;
    WHEN 'gfx_hands' THEN
        PERFORM 1 FROM gfx_hands t WHERE t.id = ANY(ids) FOR KEY SHARE OF t;
        GET DIAGNOSTICS locked = ROW_COUNT;
        IF locked < cardinality(ids) THEN
            SELECT m INTO missing FROM unnest(ids) m WHERE NOT EXISTS (SELECT 1 FROM gfx_hands t WHERE t.id = m) LIMIT 1;
        END IF;
    WHEN 'gfx_players' THEN
        PERFORM 1 FROM gfx_players t WHERE t.id = ANY(ids) FOR KEY SHARE OF t;
        GET DIAGNOSTICS locked = ROW_COUNT;
        IF locked < cardinality(ids) THEN
            SELECT m INTO missing FROM unnest(ids) m WHERE NOT EXISTS (SELECT 1 FROM gfx_players t WHERE t.id = m) LIMIT 1;
        END IF;
    WHEN 'gfx_hand_players' THEN
        PERFORM 1 FROM gfx_hand_players t WHERE t.id = ANY(ids) FOR KEY SHARE OF t;
        GET DIAGNOSTICS locked = ROW_COUNT;
        IF locked < cardinality(ids) THEN
            SELECT m INTO missing FROM unnest(ids) m WHERE NOT EXISTS (SELECT 1 FROM gfx_hand_players t WHERE t.id = m) LIMIT 1;
        END IF;
    END CASE;
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'insert or update on table "%" violates its reference to "%"', referrer, target
            USING ERRCODE = 'foreign_key_violation', TABLE = referrer,
                  DETAIL = format('Key (%s)=(%s) is not present in table "%s".', referring_column, missing, target);
    END IF;
END
$$;

CREATE FUNCTION gfx_hands_check_refs() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM gfx_lock_referenced('gfx_sessions', ARRAY(SELECT DISTINCT n.session_id FROM new_rows n), 'gfx_hands', 'session_id');
    RETURN NULL;
END
$$;

CREATE FUNCTION gfx_hand_players_check_refs() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM gfx_lock_referenced('gfx_hands', ARRAY(SELECT DISTINCT n.hand_id FROM new_rows n), 'gfx_hand_players', 'hand_id');
    PERFORM gfx_lock_referenced('gfx_players', ARRAY(SELECT DISTINCT n.player_id FROM new_rows n WHERE n.player_id IS NOT NULL),
                                'gfx_hand_players', 'player_id');
    RETURN NULL;
END
$$;

CREATE FUNCTION gfx_events_check_refs() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM gfx_lock_referenced('gfx_hands', ARRAY(SELECT DISTINCT n.hand_id FROM new_rows n), 'gfx_events', 'hand_id');
    RETURN NULL;
END
$$;

CREATE FUNCTION hand_grades_check_refs() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM gfx_lock_referenced('gfx_hands', ARRAY(SELECT DISTINCT n.hand_id FROM new_rows n), 'hand_grades', 'hand_id');
    PERFORM gfx_lock_referenced('gfx_hand_players', ARRAY(SELECT DISTINCT n.hand_player_id FROM new_rows n), 'hand_grades', 'hand_player_id');
    RETURN NULL;
END
$$;

CREATE TRIGGER gfx_hands_refs_insert AFTER INSERT ON gfx_hands
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION gfx_hands_check_refs();
CREATE TRIGGER gfx_hands_refs_update AFTER UPDATE ON gfx_hands
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION gfx_hands_check_refs();
CREATE TRIGGER gfx_hand_players_refs_insert AFTER INSERT ON gfx_hand_players
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION gfx_hand_players_check_refs();
CREATE TRIGGER gfx_hand_players_refs_update AFTER UPDATE ON gfx_hand_players
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION gfx_hand_players_check_refs();
CREATE TRIGGER gfx_events_refs_insert AFTER INSERT ON gfx_events
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION gfx_events_check_refs();
CREATE TRIGGER gfx_events_refs_update AFTER UPDATE ON gfx_events
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION gfx_events_check_refs();
CREATE TRIGGER hand_grades_refs_insert AFTER INSERT ON hand_grades
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION hand_grades_check_refs();
CREATE TRIGGER hand_grades_refs_update AFTER UPDATE ON hand_grades
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION hand_grades_check_refs();

-- Deleted sessions take their hands along; deleted hands their seats, events and grades; deleted
-- seats their grades.
CREATE FUNCTION gfx_delete_dependents() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    CASE TG_TABLE_NAME
    WHEN 'gfx_sessions' THEN
        DELETE FROM gfx_hands WHERE session_id IN (SELECT o.id FROM old_rows o);
    WHEN 'gfx_hands' THEN
        DELETE FROM hand_grades WHERE hand_id IN (SELECT o.id FROM old_rows o);
        DELETE FROM gfx_hand_players WHERE hand_id IN (SELECT o.id FROM old_rows o);
        DELETE FROM gfx_events WHERE hand_id IN (SELECT o.id FROM old_rows o);
    WHEN 'gfx_hand_players' THEN
        DELETE FROM hand_grades WHERE hand_player_id IN (SELECT o.id FROM old_rows o);
    END CASE;
    RETURN NULL;
END
$$;

CREATE TRIGGER gfx_sessions_delete_dependents AFTER DELETE ON gfx_sessions
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION gfx_delete_dependents();
CREATE TRIGGER gfx_hands_delete_dependents AFTER DELETE ON gfx_hands
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION gfx_delete_dependents();
CREATE TRIGGER gfx_hand_players_delete_dependents AFTER DELETE ON gfx_hand_players
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION gfx_delete_dependents();

-- A master player a seat still names is not deleted.
CREATE FUNCTION gfx_players_refuse_delete() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    named bigint;
BEGIN
    SELECT o.id INTO named FROM old_rows o
    WHERE EXISTS (SELECT 1 FROM gfx_hand_players p WHERE p.player_id = o.id) LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'update or delete on table "gfx_players" violates the reference from "gfx_hand_players"'
            USING ERRCODE = 'foreign_key_violation', TABLE = 'gfx_players',
                  DETAIL = format('Key (id)=(%s) is still referenced from table "gfx_hand_players".', named);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER gfx_players_refuse_delete AFTER DELETE ON gfx_players
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION gfx_players_refuse_delete();

-- A referenced row keeps its id.
CREATE FUNCTION gfx_refuse_referenced_id_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    referenced boolean;
BEGIN
    CASE TG_TABLE_NAME
    WHEN 'gfx_sessions' THEN
        referenced := EXISTS (SELECT 1 FROM gfx_hands WHERE session_id = OLD.id);
    WHEN 'gfx_hands' THEN
        referenced := EXISTS (SELECT 1 FROM gfx_hand_players WHERE hand_id = OLD.id)
                      OR EXISTS (SELECT 1 FROM gfx_events WHERE hand_id = OLD.id)
                      OR EXISTS (SELECT 1 FROM hand_grades WHERE hand_id = OLD.id);
    WHEN 'gfx_players' THEN
        referenced := EXISTS (SELECT 1 FROM gfx_hand_players WHERE player_id = OLD.id);
    WHEN 'gfx_hand_players' THEN
        referenced := EXISTS (SELECT 1 FROM hand_grades WHERE hand_player_id = OLD.id);
    END CASE;
    IF referenced THEN
        RAISE EXCEPTION 'update on table "%" changes the id of a referenced row', TG_TABLE_NAME
            USING ERRCODE = 'foreign_key_violation', TABLE = TG_TABLE_NAME,
                  DETAIL = format('Key (id)=(%s) is still referenced.', OLD.id);
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER gfx_sessions_keep_referenced_id BEFORE UPDATE OF id ON gfx_sessions
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION gfx_refuse_referenced_id_change();
CREATE TRIGGER gfx_hands_keep_referenced_id BEFORE UPDATE OF id ON gfx_hands
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION gfx_refuse_referenced_id_change();
CREATE TRIGGER gfx_players_keep_referenced_id BEFORE UPDATE OF id ON gfx_players
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION gfx_refuse_referenced_id_change();
CREATE TRIGGER gfx_hand_players_keep_referenced_id BEFORE UPDATE OF id ON gfx_hand_players
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION gfx_refuse_referenced_id_change();
