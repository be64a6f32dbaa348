-- Remove keys from the identity graph (design §9): the one removal of block_identifier,
-- the blocklist sweep of reconcile and the forget functions. For the keys
-- (p_types[i], p_values[i]) of tenant p_tenant_id:
--   1. their customer_cluster_keys rows are deleted (the clusters they were on are the
--      clusters affected);
--   2. their evidence pairs (key_pairs where the key is either end) are deleted, and the
--      other end's key_evidence.linked_<type> counter loses one per pair (when that end
--      is not removed too); when such an end has no key row (it may have been generic),
--      the tenant is marked for the generic re-evaluation of reconcile (generic_applied);
--   3. their key_evidence rows are deleted;
--   4. golden-record fields that hold one of them are emptied, on the affected clusters
--      and their merged-away aliases (the split recomputes the live ones from evidence);
--   5. the affected live clusters are queued for a split (cluster_split_queue, p_reason).
-- Returns the keys that had a key or evidence row, and the clusters queued.
-- Precondition (the caller's): the tenant's lock is held exclusive (tenant_lock_exclusive),
-- so no resolve or batch writes keys, pairs or evidence of the tenant meanwhile.
-- Every statement probes by key (primary keys, key_pairs_b_idx, the keys' cluster index).
CREATE OR REPLACE FUNCTION omni_identity.remove_keys(
      p_tenant_id text
    , p_types     text[]
    , p_values    text[]
    , p_reason    text
) RETURNS TABLE (keys_removed integer, clusters_queued integer)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $fn$
DECLARE
    v_clusters uuid[];
    v_keys     integer;
    v_evidence integer;
BEGIN
    IF coalesce(cardinality(p_types), 0) = 0 THEN
        keys_removed := 0;
        clusters_queued := 0;
        RETURN NEXT;
        RETURN;
    END IF;

    -- 1. The key rows, and the (live) clusters they were on.
    WITH d AS (
        DELETE FROM omni_identity.customer_cluster_keys k
         USING unnest(p_types, p_values) AS r(key_type, key_value)
         WHERE k.tenant_id = p_tenant_id
           AND k.key_type = r.key_type AND k.key_value = r.key_value
        RETURNING k.key_type, k.key_value, k.cluster_id
    )
    SELECT count(*)::integer, coalesce(array_agg(DISTINCT d.cluster_id), '{}') INTO v_keys, v_clusters FROM d;

    -- 2. The pairs, each end probed by its index; the surviving end's counter of the
    -- removed end's type goes down by one per pair.
    WITH r AS (
        SELECT DISTINCT x.key_type, x.key_value FROM unnest(p_types, p_values) AS x(key_type, key_value)
    ), gone AS (
        DELETE FROM omni_identity.key_pairs p
         USING r
         WHERE p.tenant_id = p_tenant_id
           AND ((p.a_type = r.key_type AND p.a_value = r.key_value)
                OR (p.b_type = r.key_type AND p.b_value = r.key_value))
        RETURNING p.a_type, p.a_value, p.b_type, p.b_value
    ), other AS (
        -- The end that stays, and the type of the end removed.
        SELECT g.b_type AS key_type, g.b_value AS key_value, g.a_type AS lost_type
          FROM gone g
         WHERE NOT EXISTS (SELECT FROM r WHERE r.key_type = g.b_type AND r.key_value = g.b_value)
        UNION ALL
        SELECT g.a_type, g.a_value, g.b_type
          FROM gone g
         WHERE NOT EXISTS (SELECT FROM r WHERE r.key_type = g.a_type AND r.key_value = g.a_value)
    ), lost AS (
        SELECT o.key_type, o.key_value
             , count(*) FILTER (WHERE o.lost_type = 'email') AS emails
             , count(*) FILTER (WHERE o.lost_type = 'phone') AS phones
             , count(*) FILTER (WHERE o.lost_type = 'document') AS documents
          FROM other o
         GROUP BY o.key_type, o.key_value
    )
    , fell AS (
        UPDATE omni_identity.key_evidence e
           SET linked_emails = GREATEST(e.linked_emails - l.emails, 0)
             , linked_phones = GREATEST(e.linked_phones - l.phones, 0)
             , linked_documents = GREATEST(e.linked_documents - l.documents, 0)
          FROM lost l
         WHERE e.tenant_id = p_tenant_id
           AND e.key_type = l.key_type AND e.key_value = l.key_value
        RETURNING e.key_type, e.key_value
    )
    -- A key without a key row whose counters fell may be generic no more (SPEC §12: it
    -- links again at the next reconcile): reset the threshold applied, so reconcile
    -- re-evaluates the tenant (generic_sweep_next).
    INSERT INTO omni_identity.generic_applied AS a (tenant_id, threshold, applied_at)
    SELECT p_tenant_id, NULL, now()
     WHERE EXISTS (SELECT FROM fell f
                    WHERE NOT EXISTS (SELECT FROM omni_identity.customer_cluster_keys k
                                       WHERE k.tenant_id = p_tenant_id AND k.key_type = f.key_type
                                         AND k.key_value = f.key_value))
    ON CONFLICT (tenant_id) DO UPDATE SET threshold = NULL, applied_at = EXCLUDED.applied_at;

    -- 3. Their own evidence.
    DELETE FROM omni_identity.key_evidence e
     USING unnest(p_types, p_values) AS r(key_type, key_value)
     WHERE e.tenant_id = p_tenant_id
       AND e.key_type = r.key_type AND e.key_value = r.key_value;
    GET DIAGNOSTICS v_evidence = ROW_COUNT;

    -- 4. Golden fields holding a removed value, on the affected clusters and their aliases.
    UPDATE omni_identity.customer_cluster c
       SET last_buyer_email = CASE WHEN g.e THEN NULL ELSE c.last_buyer_email END
         , last_buyer_email_at = CASE WHEN g.e THEN NULL ELSE c.last_buyer_email_at END
         , last_buyer_phone = CASE WHEN g.p THEN NULL ELSE c.last_buyer_phone END
         , last_buyer_phone_at = CASE WHEN g.p THEN NULL ELSE c.last_buyer_phone_at END
         , last_buyer_document = CASE WHEN g.d THEN NULL ELSE c.last_buyer_document END
         , last_buyer_document_at = CASE WHEN g.d THEN NULL ELSE c.last_buyer_document_at END
         , updated_at = now()
      FROM (SELECT x.cluster_id
                 , x.last_buyer_email IN (SELECT r.key_value FROM unnest(p_types, p_values) AS r(key_type, key_value)
                                           WHERE r.key_type = 'email') AS e
                 , x.last_buyer_phone IN (SELECT r.key_value FROM unnest(p_types, p_values) AS r(key_type, key_value)
                                           WHERE r.key_type = 'phone') AS p
                 , x.last_buyer_document IN (SELECT r.key_value FROM unnest(p_types, p_values) AS r(key_type, key_value)
                                              WHERE r.key_type = 'document') AS d
              FROM omni_identity.customer_cluster x
             WHERE x.tenant_id = p_tenant_id
               AND (x.cluster_id = ANY (v_clusters) OR x.merged_into = ANY (v_clusters))) g
     WHERE c.tenant_id = p_tenant_id AND c.cluster_id = g.cluster_id
       AND (g.e OR g.p OR g.d);

    -- 5. The split queue.
    INSERT INTO omni_identity.cluster_split_queue (tenant_id, cluster_id, reason)
    SELECT p_tenant_id, u.id, p_reason FROM unnest(v_clusters) AS u(id)
    ON CONFLICT (tenant_id, cluster_id) DO NOTHING;

    keys_removed := GREATEST(v_keys, v_evidence);
    clusters_queued := cardinality(v_clusters);
    RETURN NEXT;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.remove_keys(text, text[], text[], text)
    IS 'Remove keys: key rows, evidence pairs (counters of the other ends), evidence, golden fields; queue their clusters for a split.';
