-- The advisory-lock key of one identifier of one tenant (lock level L2, design §5):
-- whoever may create the key row holds it, so two calls can never both create a cluster
-- for the same new key. The tenant hash seeds the key hash,
-- so no separator inside the text can make two different triples collide by construction.
CREATE OR REPLACE FUNCTION omni_identity.key_lock_key(p_tenant_id text, p_key_type text, p_key_value text)
RETURNS bigint
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $fn$
    SELECT pg_catalog.hashtextextended(
        p_key_type || ':' || p_key_value,
        pg_catalog.hashtextextended('omni_identity.key:' || p_tenant_id, 0))
$fn$;
COMMENT ON FUNCTION omni_identity.key_lock_key(text, text, text)
    IS 'Advisory-lock key of one identifier (tenant, key_type, key_value) for resolve_customer_cluster.';
