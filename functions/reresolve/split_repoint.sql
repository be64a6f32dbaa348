-- After a split (design §9): the sales of the clusters in cluster_repoint_queue (split
-- clusters and their merged-away aliases) of tenant p_tenant_id go to the cluster of
-- their own keys: each buyer column normalized, probed in customer_cluster_keys (where
-- only active keys are: blocked and forgotten keys were removed), the e-mail's cluster
-- first, then the phone's, then the document's; NULL when none is left (and the sale
-- recorded in backfill_keyless: processed, its evidence recorded). The caller holds
-- the tenant's reconcile lock (reconcile_splits), so no merge reconcile or forget of the
-- tenant runs in between. Up to p_batch_size sales that must move are moved per call
-- (pipeline_write_customer_hash, the batch core's write-back; a plain UPDATE for the
-- NULLs, which it does not write); when a call finds none, the clusters it looked at are
-- done: their queue rows go and their lineage rows are marked reconciled. Idempotent: a
-- rerun after a kill recomputes the same targets.
-- Returns the sales moved, or when none moved, the clusters finished (0: queue empty).
CREATE OR REPLACE FUNCTION omni_identity.split_repoint(p_tenant_id text, p_batch_size integer)
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $fn$
DECLARE
    v_clusters uuid[];
    v_n        integer;
    v_null     bigint[];
BEGIN
    PERFORM omni_identity.pipeline_temp_tables();
    TRUNCATE pg_temp.oi_sp_sale, pg_temp.oi_hash_write;
    SELECT coalesce(array_agg(q.cluster_id), '{}') INTO v_clusters
      FROM (SELECT r.cluster_id FROM omni_identity.cluster_repoint_queue r
             WHERE r.tenant_id = p_tenant_id
             ORDER BY r.queued_at, r.cluster_id
             LIMIT 100) q;
    IF cardinality(v_clusters) = 0 THEN
        RETURN 0;
    END IF;

    -- The sales that must move: one probe of (tenant_id, customer_hash) per cluster, then
    -- per sale its keys' clusters by primary key (scalar subqueries); stops at the batch.
    INSERT INTO pg_temp.oi_sp_sale (sale_id, row_ctid, hash)
    SELECT s.id, s.row_ctid, s.target
      FROM (SELECT o.id, o.row_ctid, o.customer_hash
                 , coalesce((SELECT k.cluster_id FROM omni_identity.customer_cluster_keys k
                              WHERE k.tenant_id = p_tenant_id AND k.key_type = 'email' AND k.key_value = o.e),
                            (SELECT k.cluster_id FROM omni_identity.customer_cluster_keys k
                              WHERE k.tenant_id = p_tenant_id AND k.key_type = 'phone' AND k.key_value = o.p),
                            (SELECT k.cluster_id FROM omni_identity.customer_cluster_keys k
                              WHERE k.tenant_id = p_tenant_id AND k.key_type = 'document' AND k.key_value = o.d)) AS target
              FROM unnest(v_clusters) AS u(id)
              CROSS JOIN LATERAL (
                    SELECT x.id, x.ctid AS row_ctid, x.customer_hash
                         , omni_identity.normalize_email(x.buyer_email) AS e
                         , omni_identity.normalize_phone(x.buyer_phone) AS p
                         , omni_identity.normalize_document(x.buyer_document) AS d
                      FROM public.omni_sales x
                     WHERE x.tenant_id = p_tenant_id AND x.customer_hash = u.id
                    OFFSET 0) o) s
     WHERE s.target IS DISTINCT FROM s.customer_hash
     LIMIT p_batch_size;
    GET DIAGNOSTICS v_n = ROW_COUNT;

    IF v_n = 0 THEN
        DELETE FROM omni_identity.cluster_repoint_queue r
         WHERE r.tenant_id = p_tenant_id AND r.cluster_id = ANY (v_clusters);
        UPDATE omni_identity.customer_cluster_splits l
           SET reconciled_at = now()
         WHERE l.tenant_id = p_tenant_id AND l.from_cluster = ANY (v_clusters)
           AND l.reconciled_at IS NULL;
        PERFORM pg_catalog.set_config('omni_identity.reconcile_work', 'repoint-done', true);
        RETURN cardinality(v_clusters);
    END IF;
    PERFORM pg_catalog.set_config('omni_identity.reconcile_work', 'repoint', true);

    INSERT INTO pg_temp.oi_hash_write (tenant_id, sale_id, hash, row_ctid)
    SELECT p_tenant_id, s.sale_id, s.hash, s.row_ctid FROM pg_temp.oi_sp_sale s WHERE s.hash IS NOT NULL;
    PERFORM omni_identity.pipeline_write_customer_hash(p_tenant_id);

    SELECT coalesce(array_agg(s.sale_id), '{}') INTO v_null FROM pg_temp.oi_sp_sale s WHERE s.hash IS NULL;
    IF cardinality(v_null) > 0 THEN
        -- A sale left without a cluster was processed (its evidence recorded): recorded
        -- in backfill_keyless, so the backfill never records it again (design §9.4) and
        -- the generic re-evaluation gives it the cluster of a key active again.
        WITH n AS (
            UPDATE public.omni_sales o
               SET customer_hash = NULL
             WHERE o.tenant_id = p_tenant_id AND o.id = ANY (v_null)
               AND o.customer_hash = ANY (v_clusters)
            RETURNING o.id
        )
        INSERT INTO omni_identity.backfill_keyless (tenant_id, sale_id)
        SELECT p_tenant_id, n.id FROM n ORDER BY n.id
            ON CONFLICT (tenant_id, sale_id) DO NOTHING;
    END IF;
    RETURN v_n;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.split_repoint(text, integer)
    IS 'After a split: move up to p_batch_size sales of queued clusters to the cluster of their own keys (NULL when none); finish clusters with none to move.';
