-- Re-evaluate a tenant's keys under its generic_threshold (SPEC §12, design §9 "Generic
-- values"): what reconcile does after set_setting changed the threshold, or after
-- remove_keys lowered counters of keys that had no key row. The caller holds the
-- tenant's lock exclusive and its reconcile lock, and folded its evidence log
-- (reconcile_splits).
--   1. keys now generic: a walk of key_evidence_linked_idx (counters above the
--      threshold), then generic_detach — key rows dropped, clusters queued 'generic';
--   2. keys active again: evidence rows that are not generic (key_is_generic, the one
--      rule function) but could have been (≥ 2 neighbours of one type; removed keys have
--      no evidence row). Those without a key row are attached, round after round, to the
--      cluster of a neighbour (key_pairs, either end) that has a key row; those left (no
--      active neighbour on a cluster) each get a new cluster. Then every pair between
--      one of these keys and a neighbour on another live cluster merges the two, younger
--      into older (merge_clusters, as resolve does), one at a time (a batch run under
--      the new threshold before this reconcile may have attached such a key to a new
--      cluster of its own); the clusters that gained a key and the merges' survivors are
--      queued for a split (reason 'generic'), which recomputes their components and
--      golden records from evidence and repoints their sales by their keys;
--   3. the threshold applied is recorded (generic_applied).
-- Step 2 reads the tenant's evidence rows with ≥ 2 neighbours of one type: it runs only
-- when something changed. A sale whose only keys were generic has no customer_hash and
-- is recorded in backfill_keyless by whatever path processed it (the batch core's stage
-- 6, or split_repoint when a split left it none): it takes its key's cluster here, and
-- the backfill never records its evidence again.
-- Returns the keys detached plus the keys re-activated.
CREATE OR REPLACE FUNCTION omni_identity.generic_sweep_tenant(p_tenant_id text)
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $fn$
DECLARE
    v_threshold integer := omni_identity.generic_threshold(p_tenant_id);
    v_types     text[];
    v_values    text[];
    v_n         integer;
    v_detached  integer := 0;
    v_loser     uuid;
    v_keep      uuid;
    v_new_t     text[];
    v_new_v     text[];
    v_kept      uuid[] := '{}'::uuid[];
BEGIN
    -- 1. Keys now generic (GREATEST(...) > threshold: the index's expression).
    IF v_threshold > 0 THEN
        SELECT coalesce(array_agg(e.key_type), '{}'), coalesce(array_agg(e.key_value), '{}')
          INTO v_types, v_values
          FROM omni_identity.key_evidence e
         WHERE e.tenant_id = p_tenant_id
           AND GREATEST(e.linked_emails, e.linked_phones, e.linked_documents) > v_threshold;
        SELECT count(*)::integer INTO v_detached FROM omni_identity.generic_detach(p_tenant_id, v_types, v_values);
    END IF;

    -- 2. Keys active again: not generic now, no key row, and with at least two neighbours
    -- of one type (fewer is never generic under any threshold: a walk of the same index).
    -- Not only those above the threshold reconcile applied last: writers in between
    -- applied whatever value was set at the time.
    SELECT coalesce(array_agg(e.key_type), '{}'), coalesce(array_agg(e.key_value), '{}')
      INTO v_types, v_values
      FROM omni_identity.key_evidence e
     WHERE e.tenant_id = p_tenant_id
       AND GREATEST(e.linked_emails, e.linked_phones, e.linked_documents) > 1
       AND NOT omni_identity.key_is_generic(e.linked_emails, e.linked_phones, e.linked_documents, v_threshold);
    -- Of those, the ones without a key row (the others may already have been re-attached
    -- by a batch under the new threshold; their pairs are checked for merges all the same).
    SELECT coalesce(array_agg(u.t), '{}'), coalesce(array_agg(u.v), '{}') INTO v_new_t, v_new_v
      FROM unnest(v_types, v_values) AS u(t, v)
     WHERE NOT EXISTS (SELECT FROM omni_identity.customer_cluster_keys k
                        WHERE k.tenant_id = p_tenant_id AND k.key_type = u.t AND k.key_value = u.v);

    IF cardinality(v_types) > 0 THEN
        -- Attach to a neighbour's cluster, round after round (a chain of re-activated keys
        -- attaches one link per round).
        -- The rows are returned (counted in a CTE): on Citus an INSERT ... SELECT it
        -- cannot push down whole is otherwise written into the shard with COPY, which
        -- row-level security refuses to every role but a superuser; with RETURNING it
        -- inserts them from an intermediate result (docs/scale-out.md, "Batch paths").
        LOOP
            WITH a AS (
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
                      FROM unnest(v_new_t, v_new_v) AS u(t, v)
                     WHERE NOT EXISTS (SELECT FROM omni_identity.customer_cluster_keys k
                                        WHERE k.tenant_id = p_tenant_id AND k.key_type = u.t AND k.key_value = u.v)) a
             WHERE a.cluster_id IS NOT NULL
            RETURNING 1)
            SELECT count(*)::integer INTO v_n FROM a;
            EXIT WHEN v_n = 0;
        END LOOP;

        -- No active neighbour on a cluster: a cluster of its own (the merges below join
        -- re-activated neighbours).
        WITH n AS MATERIALIZED (
            SELECT u.t, u.v, gen_random_uuid() AS id
              FROM unnest(v_new_t, v_new_v) AS u(t, v)
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
            v_kept := v_kept || v_keep;
            v_loser := NULL;
        END LOOP;

        -- Sales processed without a cluster (backfill_keyless, no customer_hash) may
        -- carry a key active again: they take its cluster now (the
        -- split below moves them with it). One walk of the tenant's keyless rows, a probe
        -- per sale and per key; only when keys were re-activated.
        WITH m AS (
            SELECT o.id
                 , coalesce((SELECT k.cluster_id FROM omni_identity.customer_cluster_keys k
                              WHERE k.tenant_id = p_tenant_id AND k.key_type = 'email' AND k.key_value = o.e),
                            (SELECT k.cluster_id FROM omni_identity.customer_cluster_keys k
                              WHERE k.tenant_id = p_tenant_id AND k.key_type = 'phone' AND k.key_value = o.p),
                            (SELECT k.cluster_id FROM omni_identity.customer_cluster_keys k
                              WHERE k.tenant_id = p_tenant_id AND k.key_type = 'document' AND k.key_value = o.d)) AS target
              FROM omni_identity.backfill_keyless b
              CROSS JOIN LATERAL (
                    SELECT x.id
                         , omni_identity.normalize_email(x.buyer_email) AS e
                         , omni_identity.normalize_phone(x.buyer_phone) AS p
                         , omni_identity.normalize_document(x.buyer_document) AS d
                      FROM public.omni_sales x
                     WHERE x.tenant_id = p_tenant_id AND x.id = b.sale_id AND x.customer_hash IS NULL
                    OFFSET 0) o
             WHERE b.tenant_id = p_tenant_id
        ), u AS (
            UPDATE public.omni_sales s
               SET customer_hash = m.target
              FROM m
             WHERE s.tenant_id = p_tenant_id AND s.id = m.id AND m.target IS NOT NULL
            RETURNING s.id
        )
        DELETE FROM omni_identity.backfill_keyless b
         USING u
         WHERE b.tenant_id = p_tenant_id AND b.sale_id = u.id;

        -- Their clusters: components and golden records from evidence, sales by their keys.
        -- (the clusters the keys without a row joined, and every merge's survivor, live).
        INSERT INTO omni_identity.cluster_split_queue (tenant_id, cluster_id, reason)
        SELECT DISTINCT p_tenant_id, k.cluster_id, 'generic'
          FROM unnest(v_new_t, v_new_v) AS u(t, v)
          JOIN omni_identity.customer_cluster_keys k
            ON k.tenant_id = p_tenant_id AND k.key_type = u.t AND k.key_value = u.v
        UNION
        SELECT p_tenant_id, coalesce(c.merged_into, c.cluster_id), 'generic'
          FROM omni_identity.customer_cluster c
         WHERE c.tenant_id = p_tenant_id AND c.cluster_id = ANY (v_kept)
        ON CONFLICT (tenant_id, cluster_id) DO NOTHING;
    END IF;

    -- 3. Applied.
    INSERT INTO omni_identity.generic_applied (tenant_id, threshold, applied_at)
    VALUES (p_tenant_id, v_threshold, clock_timestamp())
    ON CONFLICT (tenant_id) DO UPDATE SET threshold = EXCLUDED.threshold, applied_at = EXCLUDED.applied_at;
    RETURN v_detached + cardinality(v_types);
END;
$fn$;
COMMENT ON FUNCTION omni_identity.generic_sweep_tenant(text)
    IS 'Re-evaluate a tenant''s keys under its generic_threshold: detach keys now generic, re-attach and merge keys active again; record the threshold applied.';
