-- unicode_lower(p_text): lower() under ICU's root locale: maps all of Unicode whatever
-- the database's LC_CTYPE. Applied when the server has ICU (harness/migrate.py picks
-- the first of und-x-icu, pg_unicode_fast, default that exists).
-- One file per collation because a COLLATE clause names its collation literally; the
-- normalizers call this function, so each keeps one literal body. Plain SQL without SET
-- so the planner inlines it (the caller's expression is then lower(... COLLATE ...)).
CREATE OR REPLACE FUNCTION omni_identity.unicode_lower(p_text text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN lower(p_text COLLATE "und-x-icu");
COMMENT ON FUNCTION omni_identity.unicode_lower(text)
    IS 'lower() under the collation migrate picked: ICU root, else pg_unicode_fast (both map all of Unicode), else the database default; inlined.';
