-- Block an identifier retroactively (SPEC §12, design §9): the tenant's exact blocklist
-- row for the normalized value (with p_reason; idempotent), then the key leaves the
-- graph (remove_keys: key row, evidence pairs, evidence, golden fields) and its cluster
-- is queued for a split, which the next reconcile runs. Inputs drop the value from now
-- on (the blocklist rule, design §2). Returns the clusters queued (0 when the value was
-- no key).
-- OI050 while the tenant's evidence is incomplete (a split would cut links it cannot see);
-- OI055 unknown key type; OI056 a value that does not normalize.
-- Locking: the tenant's lock exclusive (tenant_lock_exclusive: no queueing, OI035 after
-- 5 s), which every writer of keys and evidence holds shared (resolve) or exclusive
-- (batches): no input can re-create the key, or record a pair with it, until this
-- transaction commits, and then the blocklist row is visible to every input. One lock
-- whatever the cluster's size (an L2 lock per key would not exclude batches).
CREATE OR REPLACE FUNCTION omni_identity.block_identifier(
      p_tenant_id text
    , p_key_type  text
    , p_value     text
    , p_reason    text DEFAULT NULL
) RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_key    text;
    v_queued integer;
BEGIN
    PERFORM omni_identity.require_tenant(p_tenant_id);
    v_key := omni_identity.identifier_key(p_key_type, p_value);
    PERFORM omni_identity.require_evidence_complete(p_tenant_id);
    PERFORM omni_identity.tenant_lock_exclusive(p_tenant_id, interval '5 seconds');
    -- Evidence = the tables plus the unfolded log (design §9.1): fold it first (L0
    -- exclusive: no resolve call checks removed keys until this transaction ends).
    PERFORM omni_identity.evidence_fold(p_tenant_id);

    -- The check, then INSERT ... VALUES (the tenant lock keeps a concurrent block of the
    -- value out between them): on Citus an INSERT ... SELECT into the reference table is
    -- run through the coordinator with COPY, which row-level security refuses to the
    -- application's role.
    IF NOT EXISTS (SELECT FROM omni_identity.key_blocklist b
                    WHERE b.tenant_id = p_tenant_id AND b.key_type = p_key_type
                      AND NOT b.is_regex AND b.value_pattern = v_key)
       -- A forgotten value is already dropped from every input by its tombstone, and its
       -- plaintext must never be stored again.
       AND NOT EXISTS (SELECT FROM omni_identity.forgotten_identifiers f
                        WHERE f.tenant_id = p_tenant_id AND f.key_type = p_key_type
                          AND f.value_sha256 = omni_identity.value_sha256(v_key)) THEN
        INSERT INTO omni_identity.key_blocklist (tenant_id, key_type, value_pattern, is_regex, reason)
        VALUES (p_tenant_id, p_key_type, v_key, false, p_reason);
    END IF;

    SELECT r.clusters_queued INTO v_queued
      FROM omni_identity.remove_keys(p_tenant_id, ARRAY[p_key_type], ARRAY[v_key], 'block') r;
    RETURN v_queued;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.block_identifier(text, text, text, text)
    IS 'Block an identifier retroactively: tenant blocklist row, key removed with its evidence, its cluster queued for a split; returns clusters queued.';
