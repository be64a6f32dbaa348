-- The right to erasure for one customer (SPEC §12, LGPD art. 18; design §9), in one
-- transaction: p_cluster_id (followed to its live cluster through merged_into) and its
-- merged-away aliases lose every identifier: a tombstone per key (forgotten_identifiers),
-- the keys leave the graph (remove_keys), the buyer columns (name included) and
-- customer_hash of every sale of the cluster and its aliases are cleared, their golden
-- records emptied, and every other stored copy of the keys' plaintext is erased
-- (redact_values). Sales rows and amounts are kept. Returns the keys forgotten, the
-- sales changed and the clusters queued.
-- OI050 while the tenant's evidence is incomplete; OI057 NULL cluster id; OI058 a cluster
-- the tenant does not have.
-- Locking as forget_identifier: the tenant's lock exclusive, then its reconcile lock.
CREATE OR REPLACE FUNCTION omni_identity.forget_customer(
      p_tenant_id  text
    , p_cluster_id uuid
) RETURNS TABLE (keys_forgotten integer, sales_redacted bigint, clusters_queued integer)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_live    uuid;
    v_members uuid[];
    v_types   text[];
    v_values  text[];
    v_cleared bigint;
BEGIN
    PERFORM omni_identity.require_tenant(p_tenant_id);
    IF p_cluster_id IS NULL THEN
        RAISE EXCEPTION 'cluster id must not be NULL'
            USING ERRCODE = 'OI057', HINT = 'Pass the customer_hash (cluster id) of the customer to forget.';
    END IF;
    PERFORM omni_identity.require_evidence_complete(p_tenant_id);
    PERFORM omni_identity.tenant_lock_exclusive(p_tenant_id, interval '5 seconds');
    PERFORM omni_identity.reconcile_lock(p_tenant_id);
    -- Evidence = the tables plus the unfolded log (design §9.1): fold it first (L0
    -- exclusive: no resolve call checks removed keys until this transaction ends).
    PERFORM omni_identity.evidence_fold(p_tenant_id);

    SELECT coalesce(c.merged_into, c.cluster_id) INTO v_live
      FROM omni_identity.customer_cluster c
     WHERE c.tenant_id = p_tenant_id AND c.cluster_id = p_cluster_id;
    IF v_live IS NULL THEN
        RAISE EXCEPTION 'tenant % has no cluster %', p_tenant_id, p_cluster_id
            USING ERRCODE = 'OI058', HINT = 'Pass a cluster id of this tenant (a customer_hash of its sales).';
    END IF;
    SELECT v_live || coalesce(array_agg(c.cluster_id), '{}') INTO v_members
      FROM omni_identity.customer_cluster c
     WHERE c.tenant_id = p_tenant_id AND c.merged_into = v_live;

    SELECT coalesce(array_agg(k.key_type ORDER BY k.key_type, k.key_value), '{}')
         , coalesce(array_agg(k.key_value ORDER BY k.key_type, k.key_value), '{}')
      INTO v_types, v_values
      FROM omni_identity.customer_cluster_keys k
     WHERE k.tenant_id = p_tenant_id AND k.cluster_id = v_live;

    INSERT INTO omni_identity.forgotten_identifiers (tenant_id, key_type, value_sha256)
    SELECT p_tenant_id, r.key_type, omni_identity.value_sha256(r.key_value)
      FROM unnest(v_types, v_values) AS r(key_type, key_value)
    ON CONFLICT (tenant_id, key_type, value_sha256) DO NOTHING;

    SELECT r.keys_removed, r.clusters_queued INTO keys_forgotten, clusters_queued
      FROM omni_identity.remove_keys(p_tenant_id, v_types, v_values, 'forget') r;

    -- The customer's sales: every buyer column and the cluster go (one probe of
    -- (tenant_id, customer_hash) per member).
    UPDATE public.omni_sales o
       SET buyer_email = NULL, buyer_phone = NULL, buyer_document = NULL, buyer_name = NULL
         , customer_hash = NULL
     WHERE o.tenant_id = p_tenant_id AND o.customer_hash = ANY (v_members);
    GET DIAGNOSTICS v_cleared = ROW_COUNT;

    UPDATE omni_identity.customer_cluster c
       SET last_buyer_email = NULL, last_buyer_email_at = NULL
         , last_buyer_phone = NULL, last_buyer_phone_at = NULL
         , last_buyer_document = NULL, last_buyer_document_at = NULL
         , last_buyer_name = NULL, last_buyer_name_at = NULL
         , updated_at = now()
     WHERE c.tenant_id = p_tenant_id AND c.cluster_id = ANY (v_members);

    sales_redacted := v_cleared + omni_identity.redact_values(p_tenant_id, v_types, v_values);
    RETURN NEXT;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.forget_customer(text, uuid)
    IS 'Forget a customer (LGPD): tombstones of every key, keys and evidence removed, its sales'' buyer columns and cluster cleared, every stored copy erased.';
