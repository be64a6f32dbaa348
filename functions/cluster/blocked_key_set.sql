-- The blocklist rule over a set of keys (design §2): which of the keys (p_key_types[i],
-- p_key_values[i]) of tenant p_tenant_id match key_blocklist — a global row (tenant_id
-- NULL) or the tenant's own, of the key's type, as exact text or as a regular expression
-- (~, unanchored unless the pattern anchors itself). Returns those keys (a key matching
-- several rows may come more than once); NULL values never match.
-- PL/pgSQL, called once per batch and tenant by the batch core, never inlined into the
-- caller's statement (it reads a table: see design §8 on Citus). Each half is a semi
-- join, so a batch's thousands of keys meet the blocklist in one hash or merge join
-- (exact rows) and one join on key_type (regex rows), never two probes per key.
CREATE OR REPLACE FUNCTION omni_identity.blocked_key_set(
      p_tenant_id  text
    , p_key_types  text[]
    , p_key_values text[]
) RETURNS TABLE (key_type text, key_value text)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    RETURN QUERY
    SELECT u.key_type, u.key_value
      FROM unnest(p_key_types, p_key_values) AS u(key_type, key_value)
     WHERE EXISTS (SELECT 1 FROM omni_identity.key_blocklist b
                    WHERE NOT b.is_regex AND b.key_type = u.key_type
                      AND b.value_pattern = u.key_value
                      AND (b.tenant_id IS NULL OR b.tenant_id = p_tenant_id))
    UNION ALL
    SELECT u.key_type, u.key_value
      FROM unnest(p_key_types, p_key_values) AS u(key_type, key_value)
     WHERE EXISTS (SELECT 1 FROM omni_identity.key_blocklist b
                    WHERE b.is_regex AND b.key_type = u.key_type
                      AND (b.tenant_id IS NULL OR b.tenant_id = p_tenant_id)
                      AND u.key_value ~ b.value_pattern);
END;
$fn$;
COMMENT ON FUNCTION omni_identity.blocked_key_set(text, text[], text[])
    IS 'The keys of a set (parallel arrays of key types and normalized values) that match the blocklist (global or the tenant''s; exact or regex).';
