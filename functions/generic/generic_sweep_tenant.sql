-- Re-evaluate a tenant's keys under its generic_threshold (SPEC §12, design §9 "Generic
-- values"): what reconcile does after set_setting changed the threshold, or after
-- remove_keys lowered counters of keys that had no key row. The caller holds the
-- tenant's lock exclusive and its reconcile lock, and folded its evidence log
-- (reconcile_splits).
--   1. keys now generic: a walk of key_evidence_linked_idx (counters above the
--      threshold), then generic_detach — key rows dropped, clusters queued 'generic';
--   2. keys active again: evidence rows that are not generic (key_is_generic, the one
--      rule function) and have no key row (removed keys have no evidence row). Each is
--      attached, round after round, to the cluster of a neighbour (key_pairs, either end)
--      that has a key row; those left (no active neighbour on a cluster) each get a new
--      cluster. Then every pair between such a key and a neighbour on another live
--      cluster merges the two, younger into older (merge_clusters, as resolve does), one
--      at a time; every cluster a re-activated key ends on is queued for a split (reason
--      'generic'), which recomputes its components and golden record from evidence and
--      repoints its sales by their keys;
--   3. the threshold applied is recorded (generic_applied).
-- Step 2 reads the tenant's evidence rows above the threshold applied before (all of
-- them when unknown): it runs only when something changed. A sale whose only keys were
-- generic has no customer_hash and is not repointed when its key is active again (it
-- takes its cluster when next clustered); see docs/reresolution.md.
-- Returns the keys detached plus the keys re-activated.
CREATE OR REPLACE FUNCTION omni_identity.generic_sweep_tenant(p_tenant_id text)
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $fn$
DECLARE
    v_threshold integer := omni_identity.generic_threshold(p_tenant_id);
    v_before    integer;
    v_types     text[];
    v_values    text[];
    v_n         integer;
    v_detached  integer := 0;
    v_loser     uuid;
    v_keep      uuid;
BEGIN
    SELECT a.threshold INTO v_before FROM omni_identity.generic_applied a WHERE a.tenant_id = p_tenant_id;
    IF NOT FOUND THEN
        v_before := 20;
    END IF;

    -- 1. Keys now generic (GREATEST(...) > threshold: the index's expression).
    IF v_threshold > 0 THEN
        SELECT coalesce(array_agg(e.key_type), '{}'), coalesce(array_agg(e.key_value), '{}')
          INTO v_types, v_values
          FROM omni_identity.key_evidence e
         WHERE e.tenant_id = p_tenant_id
           AND GREATEST(e.linked_emails, e.linked_phones, e.linked_documents) > v_threshold;
        SELECT count(*)::integer INTO v_detached FROM omni_identity.generic_detach(p_tenant_id, v_types, v_values);
    END IF;

    -- 2. Keys active again: were above the threshold applied before (any, when unknown or
    -- 0 = off), are not generic now, have no key row.
    SELECT coalesce(array_agg(e.key_type), '{}'), coalesce(array_agg(e.key_value), '{}')
      INTO v_types, v_values
      FROM omni_identity.key_evidence e
     WHERE e.tenant_id = p_tenant_id
       AND GREATEST(e.linked_emails, e.linked_phones, e.linked_documents) > coalesce(nullif(v_before, 0), -1)
       AND NOT omni_identity.key_is_generic(e.linked_emails, e.linked_phones, e.linked_documents, v_threshold)
       AND NOT EXISTS (SELECT FROM omni_identity.customer_cluster_keys k
                        WHERE k.tenant_id = p_tenant_id AND k.key_type = e.key_type AND k.key_value = e.key_value);

    IF cardinality(v_types) > 0 THEN
        -- Attach to a neighbour's cluster, round after round (a chain of re-activated keys
        -- attaches one link per round).
        LOOP
            INSERT INTO omni_identity.customer_cluster_keys (tenant_id, key_type, key_value, cluster_id)
            SELECT p_tenant_id, a.t, a.v, a.cluster_id
              FROM (SELECT u.t, u.v
                         , coalesce((SELECT k.cluster_id FROM omni_identity.key_pairs p
                                       JOIN omni_identity.customer_cluster_keys k
                                         ON k.tenant_id = p_tenant_id AND k.key_type = p.b_type AND k.key_value = p.b_value
                                      WHERE p.tenant_id = p_tenant_id AND p.a_type = u.t AND p.a_value = u.v
                                      LIMIT 1),
                                    (SELECT k.cluster_id FROM omni_identity.key_pairs p
                                       JOIN omni_identity.customer_cluster_keys k
                                         ON k.tenant_id = p_tenant_id AND k.key_type = p.a_type AND k.key_value = p.a_value
                                      WHERE p.tenant_id = p_tenant_id AND p.b_type = u.t AND p.b_value = u.v
                                      LIMIT 1)) AS cluster_id
                      FROM unnest(v_types, v_values) AS u(t, v)
                     WHERE NOT EXISTS (SELECT FROM omni_identity.customer_cluster_keys k
                                        WHERE k.tenant_id = p_tenant_id AND k.key_type = u.t AND k.key_value = u.v)) a
             WHERE a.cluster_id IS NOT NULL;
            GET DIAGNOSTICS v_n = ROW_COUNT;
            EXIT WHEN v_n = 0;
        END LOOP;

        -- No active neighbour on a cluster: a cluster of its own (the merges below join
        -- re-activated neighbours).
        WITH n AS MATERIALIZED (
            SELECT u.t, u.v, gen_random_uuid() AS id
              FROM unnest(v_types, v_values) AS u(t, v)
             WHERE NOT EXISTS (SELECT FROM omni_identity.customer_cluster_keys k
                                WHERE k.tenant_id = p_tenant_id AND k.key_type = u.t AND k.key_value = u.v)
        ), c AS (
            INSERT INTO omni_identity.customer_cluster (tenant_id, cluster_id, created_at, updated_at)
            SELECT p_tenant_id, n.id, clock_timestamp(), now() FROM n
            RETURNING cluster_id
        )
        INSERT INTO omni_identity.customer_cluster_keys (tenant_id, key_type, key_value, cluster_id)
        SELECT p_tenant_id, n.t, n.v, c.cluster_id FROM n JOIN c ON c.cluster_id = n.id;

        -- Merges: a pair of a re-activated key and a neighbour on another live cluster.
        LOOP
            SELECT CASE WHEN (ca.created_at, ca.cluster_id) < (cb.created_at, cb.cluster_id) THEN cb.cluster_id ELSE ca.cluster_id END
                 , CASE WHEN (ca.created_at, ca.cluster_id) < (cb.created_at, cb.cluster_id) THEN ca.cluster_id ELSE cb.cluster_id END
              INTO v_loser, v_keep
              FROM unnest(v_types, v_values) AS u(t, v)
              JOIN omni_identity.customer_cluster_keys ka
                ON ka.tenant_id = p_tenant_id AND ka.key_type = u.t AND ka.key_value = u.v
              CROSS JOIN LATERAL (SELECT p.b_type AS ot, p.b_value AS ov FROM omni_identity.key_pairs p
                                   WHERE p.tenant_id = p_tenant_id AND p.a_type = u.t AND p.a_value = u.v
                                  UNION ALL
                                  SELECT p.a_type, p.a_value FROM omni_identity.key_pairs p
                                   WHERE p.tenant_id = p_tenant_id AND p.b_type = u.t AND p.b_value = u.v) o
              JOIN omni_identity.customer_cluster_keys kb
                ON kb.tenant_id = p_tenant_id AND kb.key_type = o.ot AND kb.key_value = o.ov
              JOIN omni_identity.customer_cluster ca ON ca.tenant_id = p_tenant_id AND ca.cluster_id = ka.cluster_id
              JOIN omni_identity.customer_cluster cb ON cb.tenant_id = p_tenant_id AND cb.cluster_id = kb.cluster_id
             WHERE ka.cluster_id <> kb.cluster_id
             LIMIT 1;
            EXIT WHEN v_loser IS NULL;
            PERFORM omni_identity.merge_clusters(p_tenant_id, ARRAY[v_loser], ARRAY[v_keep]);
            v_loser := NULL;
        END LOOP;

        -- Their clusters: components and golden records from evidence, sales by their keys.
        INSERT INTO omni_identity.cluster_split_queue (tenant_id, cluster_id, reason)
        SELECT DISTINCT p_tenant_id, k.cluster_id, 'generic'
          FROM unnest(v_types, v_values) AS u(t, v)
          JOIN omni_identity.customer_cluster_keys k
            ON k.tenant_id = p_tenant_id AND k.key_type = u.t AND k.key_value = u.v
        ON CONFLICT (tenant_id, cluster_id) DO NOTHING;
    END IF;

    -- 3. Applied.
    INSERT INTO omni_identity.generic_applied (tenant_id, threshold, applied_at)
    VALUES (p_tenant_id, v_threshold, now())
    ON CONFLICT (tenant_id) DO UPDATE SET threshold = EXCLUDED.threshold, applied_at = EXCLUDED.applied_at;
    RETURN v_detached + cardinality(v_types);
END;
$fn$;
COMMENT ON FUNCTION omni_identity.generic_sweep_tenant(text)
    IS 'Re-evaluate a tenant''s keys under its generic_threshold: detach keys now generic, re-attach and merge keys active again; record the threshold applied.';
