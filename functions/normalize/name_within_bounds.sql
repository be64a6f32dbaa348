-- name_within_bounds(p_raw): whether a name is short enough to be read (README,
-- "Normalization bounds"): at most 1024 octets once trimmed of white space (str.isspace,
-- U+200B, U+FEFF), and at most 4096 octets as given, padding included. NULL for NULL.
-- normalize_name, golden_name (through normalize_name) and identifier_sha256's name
-- answer NULL past it, before any NFC/NFD: PostgreSQL sorts a run of combining marks in
-- quadratic time and cannot be interrupted while it does. octet_length() reads the
-- length word (constant time); btrim() runs only on text over 1024 octets, at most 4096.
-- Plain SQL without SET so it inlines into the normalizers' expressions (a string body:
-- it names a function of a file applied later).
CREATE OR REPLACE FUNCTION omni_identity.name_within_bounds(p_raw text)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$
SELECT octet_length(p_raw) <= 1024
    OR (octet_length(p_raw) <= 4096
        AND octet_length(btrim(p_raw, omni_identity.unicode_space_chars())) <= 1024)
$fn$;
COMMENT ON FUNCTION omni_identity.name_within_bounds(text)
    IS 'Whether a name is readable: at most 1024 octets trimmed and 4096 as given; the name normalizers answer NULL past it.';
