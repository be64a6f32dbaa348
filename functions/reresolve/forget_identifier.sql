-- The right to erasure for one identifier (SPEC §12, LGPD art. 18; design §9), in one
-- transaction: a tombstone (forgotten_identifiers: only value_sha256 of the normalized
-- value; later inputs drop the value), the key leaves the graph (remove_keys: key row,
-- evidence pairs, evidence, golden fields; its cluster queued for a split), and every
-- other stored copy of the plaintext is erased (redact_values: buyer columns of the
-- tenant's sales, golden fields, rejected rows, report divergences, the tenant's
-- blocklist row). Sales rows and amounts are kept. Returns the keys forgotten (0 or 1),
-- the sales changed and the clusters queued.
-- OI050 while the tenant's evidence is incomplete; OI055 unknown key type; OI056 a value
-- that does not normalize.
-- Locking: the tenant's lock exclusive (as block_identifier: no resolve or batch of the
-- tenant runs until commit, so none can re-create the key or store the value in between;
-- after commit they see the tombstone), then the tenant's reconcile lock (R, design §5),
-- so no repoint computed before the forget writes a sale after it.
CREATE OR REPLACE FUNCTION omni_identity.forget_identifier(
      p_tenant_id text
    , p_key_type  text
    , p_value     text
) RETURNS TABLE (keys_forgotten integer, sales_redacted bigint, clusters_queued integer)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_key text;
BEGIN
    PERFORM omni_identity.require_tenant(p_tenant_id);
    v_key := omni_identity.identifier_key(p_key_type, p_value);
    PERFORM omni_identity.require_evidence_complete(p_tenant_id);
    PERFORM omni_identity.tenant_lock_exclusive(p_tenant_id, interval '5 seconds');
    PERFORM omni_identity.reconcile_lock(p_tenant_id);
    -- Evidence = the tables plus the unfolded log (design §9.1): fold it first (L0
    -- exclusive: no resolve call checks removed keys until this transaction ends).
    PERFORM omni_identity.evidence_fold(p_tenant_id);

    INSERT INTO omni_identity.forgotten_identifiers (tenant_id, key_type, value_sha256)
    VALUES (p_tenant_id, p_key_type, omni_identity.value_sha256(v_key))
    ON CONFLICT (tenant_id, key_type, value_sha256) DO NOTHING;

    SELECT r.keys_removed, r.clusters_queued INTO keys_forgotten, clusters_queued
      FROM omni_identity.remove_keys(p_tenant_id, ARRAY[p_key_type], ARRAY[v_key], 'forget') r;
    sales_redacted := omni_identity.redact_values(p_tenant_id, ARRAY[p_key_type], ARRAY[v_key]);
    RETURN NEXT;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.forget_identifier(text, text, text)
    IS 'Forget an identifier (LGPD): tombstone, key and evidence removed, every stored copy erased, its cluster queued for a split.';
