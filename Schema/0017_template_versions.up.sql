-- 0017 template_versions: the template's version is part of the render cache key (issue 16).
--
-- A template (an After Effects project) has a version: declared in its composition description
-- ("version") or, when none is declared, the hash of what `hubctl aep import` read for it. Each
-- completed output records the version it was rendered with; the cache serves an output only to
-- an instruction of a template whose version is still the same. An instruction submitted with
-- --no-cache never takes one.
CREATE TABLE render_template_versions (
    template    text PRIMARY KEY CHECK (template <> ''),
    version     text NOT NULL CHECK (version <> ''),
    declared    boolean NOT NULL DEFAULT false,
    updated_by  text NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE render_outputs ADD COLUMN template_version text;
-- The version current when the instruction was last claimed: what its output was rendered with
-- (a version imported while the render ran does not relabel it).
ALTER TABLE render_instructions ADD COLUMN template_version text;
ALTER TABLE render_instructions ADD COLUMN no_cache boolean NOT NULL DEFAULT false;
