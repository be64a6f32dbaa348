-- unicode_lower(p_text): lower() under the database's collation: applied only on a
-- server with neither ICU nor pg_unicode_fast (harness/migrate.py picks the first of
-- und-x-icu, pg_unicode_fast, default that exists).
-- One file per collation because a COLLATE clause names its collation literally; the
-- normalizers call this function, so each keeps one literal body. Plain SQL without SET
-- so the planner inlines it (the caller's expression is then lower(... COLLATE ...)).
CREATE OR REPLACE FUNCTION omni_identity.unicode_lower(p_text text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN lower(p_text COLLATE "default");
COMMENT ON FUNCTION omni_identity.unicode_lower(text)
    IS 'lower() under the collation migrate picked: ICU root, else pg_unicode_fast (both map all of Unicode), else the database default; inlined.';
