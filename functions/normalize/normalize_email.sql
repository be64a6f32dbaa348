-- normalize_email(p_raw, p_canonical): the e-mail as a linking key (SPEC §3), or NULL.
-- Fast path: at most 64 characters, printable ASCII forming a valid address once outer
-- spaces are trimmed — then the rest of the trimming and NFC change nothing, lowercase
-- is ASCII, and no length limit can be exceeded — one regular expression, then lower().
-- Without '+' the canonical form is the address itself outside Gmail, and the local part
-- without dots at gmail.com (what email_canonical() gives then, without its patterns).
-- The usual address, with no space at either end, is read as it stands: btrim() builds
-- character arrays in a multibyte database and costs more than a pattern of few states,
-- so only padded text pays for it. The 64-character bound is tested on bytes (constant
-- time; length() counts characters): each branch goes on only for printable ASCII, where
-- the two agree. Everything else (and every NULL) goes through email_parse(), which
-- refuses text too long to be an address before any Unicode normalization. Plain SQL
-- without SET so the planner inlines it.
CREATE OR REPLACE FUNCTION omni_identity.normalize_email(p_raw text, p_canonical boolean DEFAULT false)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$
SELECT CASE WHEN octet_length(p_raw) <= 64 AND left(p_raw, 1) <> ' ' AND right(p_raw, 1) <> ' '
                 AND p_raw ~ omni_identity.email_ascii_re()
            THEN CASE WHEN p_canonical IS NOT TRUE
                           OR (strpos(p_raw, '+') = 0 AND strpos(p_raw, '@g') = 0 AND strpos(p_raw, '@G') = 0)
                      THEN lower(p_raw COLLATE "C") COLLATE "default"
                      WHEN strpos(p_raw, '+') > 0
                      THEN omni_identity.email_canonical(lower(p_raw COLLATE "C") COLLATE "default")
                      WHEN lower(right(p_raw, 10) COLLATE "C") = '@gmail.com'
                      THEN replace(lower(left(p_raw, -10) COLLATE "C") COLLATE "default", '.', '') || '@gmail.com'
                      WHEN lower(right(p_raw, 15) COLLATE "C") = '@googlemail.com'
                      THEN omni_identity.email_canonical(lower(p_raw COLLATE "C") COLLATE "default")
                      ELSE lower(p_raw COLLATE "C") COLLATE "default" END
            WHEN octet_length(p_raw) <= 64 AND (left(p_raw, 1) = ' ' OR right(p_raw, 1) = ' ')
                 AND btrim(p_raw, ' ') ~ omni_identity.email_ascii_re()
            THEN CASE WHEN p_canonical IS NOT TRUE
                           OR (strpos(p_raw, '+') = 0 AND strpos(p_raw, '@g') = 0 AND strpos(p_raw, '@G') = 0)
                      THEN lower(btrim(p_raw, ' ') COLLATE "C") COLLATE "default"
                      WHEN strpos(p_raw, '+') > 0
                      THEN omni_identity.email_canonical(lower(btrim(p_raw, ' ') COLLATE "C") COLLATE "default")
                      WHEN lower(right(rtrim(p_raw, ' '), 10) COLLATE "C") = '@gmail.com'
                      THEN replace(lower(left(btrim(p_raw, ' '), -10) COLLATE "C") COLLATE "default", '.', '') || '@gmail.com'
                      WHEN lower(right(rtrim(p_raw, ' '), 15) COLLATE "C") = '@googlemail.com'
                      THEN omni_identity.email_canonical(lower(btrim(p_raw, ' ') COLLATE "C") COLLATE "default")
                      ELSE lower(btrim(p_raw, ' ') COLLATE "C") COLLATE "default" END
            -- At most 64 printable ASCII characters that fail the pattern: no trimming,
            -- NFC or Unicode lowercase can make them valid.
            WHEN octet_length(p_raw) <= 64 AND p_raw !~ '[^\u0020-\u007e]' THEN NULL
            WHEN p_canonical THEN omni_identity.email_canonical(omni_identity.email_parse(p_raw))
            ELSE omni_identity.email_parse(p_raw)
       END
$fn$;
COMMENT ON FUNCTION omni_identity.normalize_email(text, boolean)
    IS 'Normalized e-mail (trimmed, NFC, lowercase) when valid, else NULL; p_canonical drops +tags and Gmail dots.';

-- A valid address in printable ASCII, either case: local part of printable characters but
-- '"', '.' and '@' in dot-separated runs; LDH labels; a last label not all digits.
CREATE OR REPLACE FUNCTION omni_identity.email_ascii_re()
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN '^[!#-\-/-?A-~]+(?:\.[!#-\-/-?A-~]+)*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+'
    || '(?:[A-Za-z0-9]*[A-Za-z][A-Za-z0-9]*|[A-Za-z0-9][A-Za-z0-9-]*-[A-Za-z0-9-]*[A-Za-z0-9])$';
COMMENT ON FUNCTION omni_identity.email_ascii_re()
    IS 'Anchored regular expression of a valid e-mail written in printable ASCII (either case).';

-- email_parse(p_raw): normalize_email for any input. Trim white space (str.isspace,
-- U+200B, U+FEFF), NFC, Unicode lowercase, then the grammar: exactly one '@'; local
-- part 1–64 characters without white space, controls (Cc) or '"', no leading, trailing
-- or double dot; domain ≤ 253 characters of ≥ 2 LDH labels of 1–63 characters, the last
-- not all digits; the whole address at most 254 octets (RFC 5321), counted on the
-- trimmed text and again on the result. The collation of lower() is picked at apply
-- time: ICU's root locale when the server has ICU, else the builtin pg_unicode_fast
-- (PostgreSQL 17+); both map all of Unicode whatever the database's LC_CTYPE.
-- Bounds first: PostgreSQL's NFC sorts a run of combining marks in quadratic time and
-- cannot be interrupted (no statement_timeout, no pg_terminate_backend), so no text
-- longer than an address reaches normalize(). Text over 4096 octets as given (white
-- space padding included) is refused before trimming, so btrim() stays cheap too;
-- octet_length() reads the length word, whatever the size of the text.
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
CREATE OR REPLACE FUNCTION omni_identity.email_parse(p_raw text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
AS $fn$
DECLARE
    v_email  text;
    v_at     int;
    v_domain text;
BEGIN
    IF octet_length(p_raw) > 4096 THEN
        RETURN NULL;
    END IF;
    v_email := btrim(p_raw, omni_identity.unicode_space_chars());
    IF octet_length(v_email) > 254 THEN
        RETURN NULL;
    END IF;
    v_email := lower(normalize(v_email, NFC) COLLATE %1$I);
    v_at := strpos(v_email, '@');
    v_domain := substr(v_email, v_at + 1);
    IF v_at NOT BETWEEN 2 AND 65 OR strpos(v_domain, '@') > 0 OR length(v_domain) > 253
       OR octet_length(v_email) > 254 THEN
        RETURN NULL;
    END IF;
    IF left(v_email, v_at - 1) !~ ('^[^@."\u0001-\u001f\u007f-\u009f' || omni_identity.unicode_space_class()
                                    || ']+(?:\.[^@."\u0001-\u001f\u007f-\u009f'
                                    || omni_identity.unicode_space_class() || ']+)*$') THEN
        RETURN NULL;
    END IF;
    IF v_domain !~ '^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?:[a-z0-9]*[a-z][a-z0-9]*|[a-z0-9][a-z0-9-]*-[a-z0-9-]*[a-z0-9])$'
       OR v_domain ~ '[^.]{64}' THEN
        RETURN NULL;
    END IF;
    RETURN v_email;
END;
$fn$
$sql$, v_collation);
END
$do$;
COMMENT ON FUNCTION omni_identity.email_parse(text)
    IS 'normalize_email for any input: trim, NFC, Unicode lowercase, then the SPEC §3 grammar and at most 254 octets; NULL when invalid.';
