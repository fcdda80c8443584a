ALTER TABLE render_instructions DROP COLUMN IF EXISTS no_cache;
ALTER TABLE render_instructions DROP COLUMN IF EXISTS template_version;
ALTER TABLE render_outputs DROP COLUMN IF EXISTS template_version;
DROP TABLE IF EXISTS render_template_versions;
