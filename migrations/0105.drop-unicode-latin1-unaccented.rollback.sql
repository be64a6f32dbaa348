-- unicode_latin1_unaccented as harness/generate_phone_rules.py last wrote it (Python's
-- unicodedata 14.0.0), for code that still calls it.
CREATE OR REPLACE FUNCTION omni_identity.unicode_latin1_unaccented()
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN E'AAAAAACEEEEIIIINOOOOOUUUUYaaaaaaceeeeiiiinooooouuuuyy';
COMMENT ON FUNCTION omni_identity.unicode_latin1_unaccented() IS 'The ASCII letter of each character of unicode_latin1_accented().';
