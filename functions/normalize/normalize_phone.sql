-- normalize_phone(p_raw, p_default_region): E.164 with '+' (SPEC §3), else NULL: '+' and
-- phone_e164_digits() (phone_e164_digits.sql), which holds the rules below and gives the
-- digits alone (what identifier_sha256 hashes, without building the '+' to drop it again).
-- Brazil: what phonenumbers (pinned) gives for parse(p_raw, 'BR') when it finds a valid
-- FIXED_LINE or MOBILE number; NULL when it cannot parse the text or finds the number
-- invalid or of another type (toll free, premium rate, shared cost). Other country
-- codes (after '+' or 00 + carrier): '+' and 8–15 digits. Other default regions: only
-- numbers written with '+'.
-- Fast path: text of ASCII digits and the separators space ( ) - (the usual
-- writings), or '+' and such text, is recognized by one small pattern and its digits D
-- taken with replace() (several times cheaper than one translate()). The integer of
-- '1' || D keeps D's length and leading zeros, so one width_bucket() over the generated
-- bounds of the linkable numbers (generated/phone_br_reading_bounds.sql) tells whether D is a linkable national
-- number, trunk 0 and one, or 55 and one, and a simple CASE on its class builds the
-- answer: D is computed twice, where a pattern per reading cost several times more.
-- Digits in no such class starting 1–4 or 6–8 are a national number as they stand, not
-- linkable: NULL. For such text the library's parser can take no other road (no
-- letters, extension, second number), which the property tests check against it.
-- Everything else goes through one call of phone_fallback(): the rest of that alphabet
-- (with dots, trunk 0 and 0800 or a carrier code, 0055, 55 or 90 first, a second '+')
-- to phone_br_plain(), which reads the digits with the same rules and calls the full
-- parser where they do not decide; 0xx; words after a number; and phone_parse(), the
-- parser restated step by step. Plain SQL without SET so the planner inlines it into
-- the caller's query.
CREATE OR REPLACE FUNCTION omni_identity.normalize_phone(p_raw text, p_default_region text DEFAULT 'BR')
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$
SELECT '+' || omni_identity.phone_e164_digits(p_raw, p_default_region)
$fn$;
COMMENT ON FUNCTION omni_identity.normalize_phone(text, text)
    IS 'Phone in E.164 (+ and digits): Brazilian fixed/mobile numbers as phonenumbers reads them, other countries written with + or 00; else NULL.';
