-- The text patterns of phonenumbers' parser (phonenumberutil.py of the pinned version),
-- restated for PostgreSQL: \d becomes the generated Unicode decimal-digit class and the
-- case-insensitive flag becomes explicit case pairs (PostgreSQL's flag follows the
-- locale). Proven equal to the library by tests_py/test_normalize_phone.py.

-- The same two patterns for ASCII text: every non-ASCII character left out of the
-- classes and every alternative that needs one dropped, so they match ASCII text exactly
-- where the patterns above do. The full patterns carry thousands of Unicode ranges, and
-- PostgreSQL builds their automaton's states afresh at every match (tens of µs a row).
CREATE OR REPLACE FUNCTION omni_identity.phone_extension_ascii_re()
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$
SELECT replace(
       ';[eE][xX][tT]=(D{1,20})'
    || '|[ \t,]*(?:[eE]?[xX][tT](?:[eE][nN][sS][iI][oO])?[nN]?|[aA][nN][eE][xX][oO])[:.]?[ \t,-]*(D{1,20})#?'
    || '|[ \t,]*(?:[xX#~]|[iI][nN][tT])[:.]?[ \t,-]*(D{1,9})#?'
    || '|[- ]+(D{1,6})#'
    || '|[ \t]*(?:,{2}|;)[:.]?[ \t,-]*(D{1,15})#?'
    || '|[ \t]*(?:,)+[:.]?[ \t,-]*(D{1,9})#?',
    'D', '[0-9]')
$fn$;
COMMENT ON FUNCTION omni_identity.phone_extension_ascii_re()
    IS 'phone_extension_re() for ASCII text (non-ASCII characters and alternatives left out).';
