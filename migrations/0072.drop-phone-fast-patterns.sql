-- depends: 0071.index-key-blocklist-regex
-- normalize_phone no longer reads Brazilian numbers with the four generated patterns
-- (it reads the digits through generated bounds: phone_br_reading_bounds), and
-- functions/ no longer creates them; drop them from databases migrated before. They were
-- internal helpers of normalize_phone, never part of the public API (SPEC §3).
-- squawk-ignore-file ban-drop-function
DROP FUNCTION IF EXISTS omni_identity.phone_br_fast_national_re();
DROP FUNCTION IF EXISTS omni_identity.phone_br_fast_international_re();
DROP FUNCTION IF EXISTS omni_identity.phone_br_fast_trunk_re();
DROP FUNCTION IF EXISTS omni_identity.phone_br_plain_re();
