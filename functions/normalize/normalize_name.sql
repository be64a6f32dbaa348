-- normalize_name(p_raw): the buyer name for display and search (SPEC §3), not a key:
-- NFD, combining marks (M*) dropped, Unicode lowercase, every run of characters that are
-- not alphanumeric (Python str.isalnum) → one space, trimmed; empty → NULL. The classes
-- are generated from unicodedata (generated/) so they do not depend on the
-- locale; unicode_lower() maps all of Unicode (its collation is picked at apply time).
-- Two shorter roads to the same result: ASCII input (NFD changes nothing, there are no
-- marks, lowercase and alphanumerics are ASCII), and ASCII plus accented Latin-1 letters
-- (NFD leaves their ASCII letter and one of seven marks, dropped with replace(): several
-- times cheaper than translate() over the 53 letters). Both replace only the runs that
-- are not already one space (two or more non-alphanumerics, or one that is not a space),
-- so a usual name costs one pass of the pattern instead of one per word.
-- A name past name_within_bounds() (1024 octets trimmed, 4096 as given) is NULL before
-- anything reads it: NFD of a long run of combining marks takes quadratic time that
-- nothing can interrupt, and length() in the ASCII test counts every character.
CREATE OR REPLACE FUNCTION omni_identity.normalize_name(p_raw text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$
SELECT CASE
        WHEN NOT omni_identity.name_within_bounds(p_raw) THEN NULL
        WHEN octet_length(p_raw) = length(p_raw)  -- ASCII
            THEN nullif(btrim(regexp_replace(lower(p_raw COLLATE "C"), '[^0-9a-z][^0-9a-z]+|[^ 0-9a-z]', ' ', 'g'), ' '), '') COLLATE "default"
        WHEN p_raw ~ ('^[\u0001-\u007f' || omni_identity.unicode_latin1_accented() || ']*$')
            THEN nullif(btrim(regexp_replace(lower(
                     replace(replace(replace(replace(replace(replace(replace(normalize(p_raw, NFD),
                         E'\u0300', ''), E'\u0301', ''), E'\u0302', ''), E'\u0303', ''), E'\u0308', ''), E'\u030a', ''), E'\u0327', '')
                     COLLATE "C"), '[^0-9a-z][^0-9a-z]+|[^ 0-9a-z]', ' ', 'g'), ' '), '') COLLATE "default"
        ELSE nullif(btrim(regexp_replace(
                     omni_identity.unicode_lower(
                         regexp_replace(normalize(p_raw, NFD), '[' || omni_identity.unicode_mark_class() || ']+', '', 'g')),
                     '[^' || omni_identity.unicode_alnum_class() || ']+', ' ', 'g'), ' '), '') COLLATE "default"
       END
$fn$;
COMMENT ON FUNCTION omni_identity.normalize_name(text)
    IS 'Name for display and search: NFD, marks dropped, lowercase, non-alphanumeric runs → one space; empty or over 1024 octets → NULL.';
