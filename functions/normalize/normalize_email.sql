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
