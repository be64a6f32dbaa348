-- The blocklist rule in set form (design §2), for the batch core: delete from
-- pg_temp.oi_cl_key (stage 1's keys: tenant_id, key_type, key_value) every key that
-- matches key_blocklist — a global row (tenant_id NULL) or its tenant's own, of the key's
-- type, as exact text or as a regular expression (~, unanchored unless the pattern
-- anchors itself). Returns the keys deleted.
-- The one-buyer form of the same rule is blocked_keys, inlined into resolve's read-only
-- statement: resolve's cost is mostly statement setup, and calling a PL/pgSQL function
-- there instead measured slower beyond noise (BENCHMARKS.md, resolve).
-- PL/pgSQL, so the rule is never an SQL function inlined into another statement (it
-- reads a table; Citus cannot plan that). Two statements, each a join of the batch's keys
-- with the blocklist (hashed on value, resp. key_type for the few regex rows), never two
-- probes per key.
CREATE OR REPLACE FUNCTION omni_identity.pipeline_drop_blocked_keys()
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $fn$
DECLARE
    v_exact integer;
    v_regex integer;
BEGIN
    DELETE FROM pg_temp.oi_cl_key k
     USING omni_identity.key_blocklist b
     WHERE NOT b.is_regex AND b.key_type = k.key_type AND b.value_pattern = k.key_value
       AND (b.tenant_id IS NULL OR b.tenant_id = k.tenant_id);
    GET DIAGNOSTICS v_exact = ROW_COUNT;
    DELETE FROM pg_temp.oi_cl_key k
     USING omni_identity.key_blocklist b
     WHERE b.is_regex AND b.key_type = k.key_type
       AND (b.tenant_id IS NULL OR b.tenant_id = k.tenant_id)
       AND k.key_value ~ b.value_pattern;
    GET DIAGNOSTICS v_regex = ROW_COUNT;
    RETURN v_exact + v_regex;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.pipeline_drop_blocked_keys()
    IS 'Batch core: delete from pg_temp.oi_cl_key the keys that match the blocklist (global or the tenant''s; exact or regex).';
