-- The golden-record form of a buyer name (design §4): as given, trimmed, every inner white-space run
-- collapsed to one space (white space = Python str.isspace plus U+200B and U+FEFF).
-- NULL when the name does not survive normalization (normalize_name is NULL), so a name
-- of only punctuation or blanks never becomes a golden value, nor one past the bounds of
-- name_within_bounds() (1024 octets trimmed, 4096 as given): the CASE tests it first, so
-- the pattern below only ever reads bounded text. Plain SQL: inlined.
CREATE OR REPLACE FUNCTION omni_identity.golden_name(p_raw text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$
    SELECT CASE WHEN omni_identity.normalize_name(p_raw) IS NOT NULL THEN
        NULLIF(pg_catalog.btrim(pg_catalog.regexp_replace(p_raw,
            U&'[\0009\000A\000B\000C\000D\001C\001D\001E\001F\0020\0085\00A0\1680\2000\2001\2002\2003\2004\2005\2006\2007\2008\2009\200A\200B\2028\2029\202F\205F\3000\FEFF]+',
            ' ', 'g'), ' '), '')
    END
$fn$;
COMMENT ON FUNCTION omni_identity.golden_name(text)
    IS 'Golden-record form of a name: trimmed, inner white space collapsed; NULL unless normalize_name accepts it.';
