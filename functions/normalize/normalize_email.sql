-- normalize_email(p_raw, p_canonical): the e-mail as a linking key (SPEC §3), or NULL.
-- Trim white space (str.isspace, U+200B, U+FEFF), NFC, Unicode lowercase; one regular
-- expression states the grammar (local part 1–64 characters without white space,
-- controls or '"', no leading/trailing/double dot; domain ≤ 253 characters, ≥ 2 LDH
-- labels, the last not all digits). substring() returns the value only when it matches,
-- so the cleaned text is computed once. Plain SQL without SET so the planner inlines it.
-- The collation of lower() is picked at apply time: ICU's root locale when the server
-- has ICU, else the builtin pg_unicode_fast (PostgreSQL 17+); both map all of Unicode
-- whatever the database's LC_CTYPE.
DO $do$
DECLARE
    v_collation text := coalesce(
        (SELECT c.collname FROM pg_catalog.pg_collation c
          WHERE c.collname IN ('und-x-icu', 'pg_unicode_fast')
            AND c.collnamespace = 'pg_catalog'::regnamespace
            AND c.collencoding IN (-1, pg_catalog.pg_char_to_encoding('UTF8'))
          ORDER BY c.collname = 'und-x-icu' DESC LIMIT 1),
        'default');
BEGIN
    EXECUTE pg_catalog.format($sql$
CREATE OR REPLACE FUNCTION omni_identity.normalize_email(p_raw text, p_canonical boolean DEFAULT false)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$
SELECT CASE WHEN p_canonical
            THEN omni_identity.email_canonical(
                   substring(lower(normalize(btrim(p_raw, omni_identity.unicode_space_chars()), NFC) COLLATE %1$I)
                             FROM omni_identity.email_grammar_re()))
            ELSE substring(lower(normalize(btrim(p_raw, omni_identity.unicode_space_chars()), NFC) COLLATE %1$I)
                           FROM omni_identity.email_grammar_re())
       END
$fn$
$sql$, v_collation);
END
$do$;
COMMENT ON FUNCTION omni_identity.normalize_email(text, boolean)
    IS 'Normalized e-mail (trimmed, NFC, lowercase) when valid, else NULL; p_canonical drops +tags and Gmail dots.';

-- The e-mail grammar of SPEC §3 as one anchored regular expression over the lowercased text.
CREATE OR REPLACE FUNCTION omni_identity.email_grammar_re()
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$
SELECT '^(?=[^@]{1,64}@)'
    || '[^@."\u0001-\u001f\u007f-\u009f' || omni_identity.unicode_space_class() || ']+'
    || '(?:\.[^@."\u0001-\u001f\u007f-\u009f' || omni_identity.unicode_space_class() || ']+)*'
    || '@(?=[^@]{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+'
    || '(?![0-9]+$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$'
$fn$;
COMMENT ON FUNCTION omni_identity.email_grammar_re()
    IS 'Anchored regular expression of a valid normalized e-mail (SPEC §3 grammar).';
