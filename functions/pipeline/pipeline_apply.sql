-- Batch core, stage 4b (design §6): apply the components to the tenant's clusters.
--   Input   pg_temp.oi_cl_root (stage 4a), pg_temp.oi_cl_exist, pg_temp.oi_cl_comp,
--           pg_temp.oi_cl_key.
--   Output  (in the database) the new clusters, with the batch's golden record; the
--           other existing clusters of each component merged into its survivor
--           (merge_clusters, one call per tenant); the existing survivors' golden records
--           (a field takes the batch's value when it wins, golden_wins); the new keys,
--           attached to their component's survivor.
-- Returns (clusters created, clusters merged away).
CREATE OR REPLACE FUNCTION omni_identity.pipeline_apply(OUT clusters_created integer, OUT merges integer)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $fn$
DECLARE
    v_tenant    text;
    v_losers    uuid[];
    v_survivors uuid[];
    v_n         bigint;
BEGIN
    merges := 0;
    -- The INSERT ... SELECTs from temp tables return their rows (counted): on Citus a
    -- RETURNING makes the rows go to the shards as intermediate results inserted there by
    -- an INSERT, where a plain INSERT ... SELECT would COPY them into the shards, which
    -- PostgreSQL refuses under row-level security (every role but a superuser).
    WITH ins AS (
        INSERT INTO omni_identity.customer_cluster
               (tenant_id, cluster_id, last_buyer_email, last_buyer_email_at, last_buyer_phone,
                last_buyer_phone_at, last_buyer_name, last_buyer_name_at, last_buyer_document,
                last_buyer_document_at)
        SELECT r.tenant_id, r.survivor, r.email, r.email_at, r.phone, r.phone_at, r.name, r.name_at,
               r.document, r.document_at
          FROM pg_temp.oi_cl_root r
         WHERE r.is_new
         ORDER BY r.tenant_id, r.survivor
        RETURNING 1
    )
    SELECT count(*)::integer INTO clusters_created FROM ins;

    FOR v_tenant IN SELECT DISTINCT r.tenant_id FROM pg_temp.oi_cl_root r ORDER BY 1 LOOP
        -- Merges: every other existing cluster of a component into its survivor.
        SELECT coalesce(array_agg(x.cluster_id ORDER BY x.cluster_id), '{}'),
               coalesce(array_agg(r.survivor ORDER BY x.cluster_id), '{}')
          INTO v_losers, v_survivors
          FROM pg_temp.oi_cl_exist x
          JOIN pg_temp.oi_cl_comp c ON c.node = x.cnode
          JOIN pg_temp.oi_cl_root r ON r.root = c.root
         WHERE x.tenant_id = v_tenant AND x.cluster_id <> r.survivor;
        IF cardinality(v_losers) > 0 THEN
            merges := merges + omni_identity.merge_clusters(v_tenant, v_losers, v_survivors);
        END IF;

        -- Existing survivors take the batch's values that win.
        SELECT coalesce(array_agg(r.survivor), '{}') INTO v_survivors
          FROM pg_temp.oi_cl_root r WHERE r.tenant_id = v_tenant AND NOT r.is_new;
        IF cardinality(v_survivors) > 0 THEN
            UPDATE omni_identity.customer_cluster c
               SET last_buyer_email = CASE WHEN omni_identity.golden_wins(r.email_at, r.email, c.last_buyer_email_at, c.last_buyer_email)
                                           THEN r.email ELSE c.last_buyer_email END
                 , last_buyer_email_at = CASE WHEN omni_identity.golden_wins(r.email_at, r.email, c.last_buyer_email_at, c.last_buyer_email)
                                              THEN r.email_at ELSE c.last_buyer_email_at END
                 , last_buyer_phone = CASE WHEN omni_identity.golden_wins(r.phone_at, r.phone, c.last_buyer_phone_at, c.last_buyer_phone)
                                           THEN r.phone ELSE c.last_buyer_phone END
                 , last_buyer_phone_at = CASE WHEN omni_identity.golden_wins(r.phone_at, r.phone, c.last_buyer_phone_at, c.last_buyer_phone)
                                              THEN r.phone_at ELSE c.last_buyer_phone_at END
                 , last_buyer_document = CASE WHEN omni_identity.golden_wins(r.document_at, r.document, c.last_buyer_document_at, c.last_buyer_document)
                                              THEN r.document ELSE c.last_buyer_document END
                 , last_buyer_document_at = CASE WHEN omni_identity.golden_wins(r.document_at, r.document, c.last_buyer_document_at, c.last_buyer_document)
                                                 THEN r.document_at ELSE c.last_buyer_document_at END
                 , last_buyer_name = CASE WHEN omni_identity.golden_wins(r.name_at, r.name, c.last_buyer_name_at, c.last_buyer_name)
                                          THEN r.name ELSE c.last_buyer_name END
                 , last_buyer_name_at = CASE WHEN omni_identity.golden_wins(r.name_at, r.name, c.last_buyer_name_at, c.last_buyer_name)
                                             THEN r.name_at ELSE c.last_buyer_name_at END
                 , updated_at = now()
              FROM pg_temp.oi_cl_root r
             WHERE c.tenant_id = v_tenant
               AND c.cluster_id = ANY (v_survivors)
               AND r.tenant_id = v_tenant
               AND c.cluster_id = r.survivor
               AND (omni_identity.golden_wins(r.email_at, r.email, c.last_buyer_email_at, c.last_buyer_email)
                 OR omni_identity.golden_wins(r.phone_at, r.phone, c.last_buyer_phone_at, c.last_buyer_phone)
                 OR omni_identity.golden_wins(r.document_at, r.document, c.last_buyer_document_at, c.last_buyer_document)
                 OR omni_identity.golden_wins(r.name_at, r.name, c.last_buyer_name_at, c.last_buyer_name));
        END IF;

        -- Keys the tenant did not know yet belong to their component's survivor.
        WITH ins AS (
            INSERT INTO omni_identity.customer_cluster_keys (tenant_id, key_type, key_value, cluster_id)
            SELECT k.tenant_id, k.key_type, k.key_value, r.survivor
              FROM pg_temp.oi_cl_key k
              JOIN pg_temp.oi_cl_comp c ON c.node = k.min_node
              JOIN pg_temp.oi_cl_root r ON r.root = c.root
             WHERE k.tenant_id = v_tenant AND k.cluster_id IS NULL
             ORDER BY k.key_type, k.key_value
            RETURNING 1
        )
        SELECT count(*) INTO v_n FROM ins;
    END LOOP;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.pipeline_apply()
    IS 'Batch core stage 4b: new clusters, merges, golden records of existing survivors and new keys, from oi_cl_root.';
