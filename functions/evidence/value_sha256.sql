-- The tombstone form of a forgotten value (design §9): lowercase hex SHA-256 of the
-- normalized value's UTF-8 bytes. Only this is kept of a forgotten identifier. Not
-- identifier_sha256: that one is the advertising platforms' form (a phone without '+').
CREATE OR REPLACE FUNCTION omni_identity.value_sha256(p_value text)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $fn$
    SELECT pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(p_value, 'UTF8')), 'hex')
$fn$;
COMMENT ON FUNCTION omni_identity.value_sha256(text)
    IS 'Tombstone form of a normalized value: lowercase hex SHA-256 of its UTF-8 bytes.';
