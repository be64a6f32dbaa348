-- The text patterns of phonenumbers' parser (phonenumberutil.py of the pinned version),
-- restated for PostgreSQL: \d becomes the generated Unicode decimal-digit class and the
-- case-insensitive flag becomes explicit case pairs (PostgreSQL's flag follows the
-- locale). Proven equal to the library by tests_py/test_normalize_phone.py.

-- _VALID_PUNCTUATION plus the 'X' its case-insensitive matching allows.
CREATE OR REPLACE FUNCTION omni_identity.phone_punctuation_class()
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$
SELECT '-xX\u2010-\u2015\u2212\u30fc\uff0d-\uff0f \u00a0\u00ad\u200b\u2060\u3000()\uff08\uff09\uff3b\uff3d.\[\]/~\u2053\u223c\uff5e'
$fn$;
COMMENT ON FUNCTION omni_identity.phone_punctuation_class()
    IS 'Regex bracket contents: punctuation phonenumbers accepts inside a phone number.';

-- _EXTN_PATTERNS_FOR_PARSING: the ways of writing an extension (without the final $).
CREATE OR REPLACE FUNCTION omni_identity.phone_extension_re()
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$
SELECT replace(
       ';[eE][xX][tT]=(D{1,20})'
    || '|[ \u00a0\t,]*(?:[eE]?[xX][tT](?:[eE][nN][sS][iI](?:[oO]\u0301?|[\u00f3\u00d3]))?[nN]?'
    ||     '|[\uff45\uff25]?[\uff58\uff38][\uff54\uff34][\uff4e\uff2e]?|[\u0434\u0414][\u043e\u041e][\u0431\u0411]'
    ||     '|[aA][nN][eE][xX][oO])[:.\uff0e]?[ \u00a0\t,-]*(D{1,20})#?'
    || '|[ \u00a0\t,]*(?:[xX\uff58\uff38#\uff03~\uff5e]|[iI][nN][tT]|[\uff49\uff29][\uff4e\uff2e][\uff54\uff34])'
    ||     '[:.\uff0e]?[ \u00a0\t,-]*(D{1,9})#?'
    || '|[- ]+(D{1,6})#'
    || '|[ \u00a0\t]*(?:,{2}|;)[:.\uff0e]?[ \u00a0\t,-]*(D{1,15})#?'
    || '|[ \u00a0\t]*(?:,)+[:.\uff0e]?[ \u00a0\t,-]*(D{1,9})#?',
    'D', '[' || omni_identity.unicode_digit_class() || ']')
$fn$;
COMMENT ON FUNCTION omni_identity.phone_extension_re()
    IS 'Regular expression of a phone extension as phonenumbers parses it (unanchored).';

-- _VALID_PHONE_NUMBER_PATTERN (fullmatch): two digits, or optional pluses, at least three
-- digits among punctuation and '*', then punctuation, '*', ASCII letters and digits, and
-- an optional extension.
CREATE OR REPLACE FUNCTION omni_identity.phone_viable_re()
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$
SELECT '^(?:[' || omni_identity.unicode_digit_class() || ']{2}'
    || '|[+\uff0b]*(?:[' || omni_identity.phone_punctuation_class() || '*]*['
    || omni_identity.unicode_digit_class() || ']){3,}['
    || omni_identity.phone_punctuation_class() || '*A-Za-z' || omni_identity.unicode_digit_class() || ']*'
    || '(?:' || omni_identity.phone_extension_re() || ')?)$'
$fn$;
COMMENT ON FUNCTION omni_identity.phone_viable_re()
    IS 'Anchored regular expression of a viable phone number (phonenumbers _VALID_PHONE_NUMBER_PATTERN).';

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

CREATE OR REPLACE FUNCTION omni_identity.phone_viable_ascii_re()
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$
SELECT '^(?:[0-9]{2}'
    || '|[+]*(?:[-xX ().\[\]/~*]*[0-9]){3,}[-xX ().\[\]/~*A-Za-z0-9]*'
    || '(?:' || omni_identity.phone_extension_ascii_re() || ')?)$'
$fn$;
COMMENT ON FUNCTION omni_identity.phone_viable_ascii_re()
    IS 'phone_viable_re() for ASCII text (non-ASCII characters and alternatives left out).';
