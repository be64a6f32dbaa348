-- The four patterns as harness/generate_phone_rules.py last wrote them (phonenumbers
-- 9.0.43 metadata), for code that still calls them.
CREATE OR REPLACE FUNCTION omni_identity.phone_br_fast_national_re()
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN '^[ ().-]*(?:(?:1[ ().-]*[123456789]|2[ ().-]*[12478]|3[ ().-]*[1234578]|4[ ().-]*[123456789]|5[ ().-]*[1345]|6[ ().-]*[123456789]|7[ ().-]*[134579]|8[ ().-]*[123456789]|9[ ().-]*[123456789])[ ().-]*(?:[23457][ ().-]*[0-9][ ().-]*[0-9][ ().-]*[0-9][ ().-]*[0-9][ ().-]*[0-9][ ().-]*[0-9][ ().-]*[0-9][ ().-]*|[9][ ().-]*[0-9][ ().-]*[0-9][ ().-]*[0-9][ ().-]*[0-9][ ().-]*[0-9][ ().-]*[0-9][ ().-]*[0-9][ ().-]*[0-9][ ().-]*))$';
COMMENT ON FUNCTION omni_identity.phone_br_fast_national_re() IS 'Fast path: a linkable Brazilian national number written with digits and the separators space ( ) . - only; its digits are the national significant number.';

CREATE OR REPLACE FUNCTION omni_identity.phone_br_fast_international_re()
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN '^[ ().-]*(?:\+[ ().-]*)?5[ ().-]*5[ ().-]*(?:(?:1[ ().-]*[123456789]|2[ ().-]*[12478]|3[ ().-]*[1234578]|4[ ().-]*[123456789]|5[ ().-]*[1345]|6[ ().-]*[123456789]|7[ ().-]*[134579]|8[ ().-]*[123456789]|9[ ().-]*[123456789])[ ().-]*(?:[23457][ ().-]*[0-9][ ().-]*[0-9][ ().-]*[0-9][ ().-]*[0-9][ ().-]*[0-9][ ().-]*[0-9][ ().-]*[0-9][ ().-]*|[9][ ().-]*[0-9][ ().-]*[0-9][ ().-]*[0-9][ ().-]*[0-9][ ().-]*[0-9][ ().-]*[0-9][ ().-]*[0-9][ ().-]*[0-9][ ().-]*))$';
COMMENT ON FUNCTION omni_identity.phone_br_fast_international_re() IS 'Fast path: 55 (or +55) then a linkable Brazilian national number, digits and the separators space ( ) . - only; its digits are the E.164 number.';

CREATE OR REPLACE FUNCTION omni_identity.phone_br_fast_trunk_re()
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN '^[ ().-]*0[ ().-]*(?:[xX][ ().-]*[xX][ ().-]*|(?:1[ ().-]*[245]|2[ ().-]*[1-35]|3[ ().-]*1|4[ ().-]*[13]|[56][ ().-]*5|9[ ().-]*9)[ ().-]*)?(?:(?:1[ ().-]*[123456789]|2[ ().-]*[12478]|3[ ().-]*[1234578]|4[ ().-]*[123456789]|5[ ().-]*[1345]|6[ ().-]*[123456789]|7[ ().-]*[134579]|8[ ().-]*[123456789]|9[ ().-]*[123456789])[ ().-]*(?:[23457][ ().-]*[0-9][ ().-]*[0-9][ ().-]*[0-9][ ().-]*[0-9][ ().-]*[0-9][ ().-]*[0-9][ ().-]*[0-9][ ().-]*|[9][ ().-]*[0-9][ ().-]*[0-9][ ().-]*[0-9][ ().-]*[0-9][ ().-]*[0-9][ ().-]*[0-9][ ().-]*[0-9][ ().-]*[0-9][ ().-]*))$';
COMMENT ON FUNCTION omni_identity.phone_br_fast_trunk_re() IS 'Fast path: trunk 0 (0xx, or 0 and a carrier code) then a linkable Brazilian national number, digits and the separators space ( ) . - only.';

CREATE OR REPLACE FUNCTION omni_identity.phone_br_plain_re()
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN '^[ ().-]*(?:[1-46-8]|5[ ().-]*[0-46-9]|9[ ().-]*[1-9])[0-9 ().-]*$';
COMMENT ON FUNCTION omni_identity.phone_br_plain_re() IS 'Digits and the separators space ( ) . - only, not starting with 0, 55 or 90 (no trunk prefix, country code or international prefix): the digits are the national number as they stand, so linkable exactly when phone_br_fast_national_re() matches.';
