-- The split (SPEC §12, design §9): up to p_batch_size clusters of tenant p_tenant_id
-- queued in cluster_split_queue are recomputed from their evidence. The caller holds the
-- tenant's lock exclusive and its reconcile lock (reconcile_splits).
--   1. claim the queue rows (oldest first); a queued cluster merged away since is split as
--      its live cluster;
--   2. the live clusters' keys (pg_temp.oi_sp_key, nodes 1..n) and the evidence pairs
--      whose both ends are among them, on the same cluster (pg_temp.oi_cl_edge), every
--      key a node (pg_temp.oi_cl_comp) — active keys only: a key generic under the
--      tenant's generic_threshold now (key_is_generic over its counters: a threshold
--      lowered since it was attached) is no node, so no edge touches it, and its key row
--      goes (SPEC §12: components of the active keys over pairs whose ends are active);
--   3. connected components: the batch core's pipeline_components;
--   4. per cluster, the component holding its oldest key (customer_cluster_keys.created_at,
--      then (key_type, key_value COLLATE "C")) keeps the cluster_id; every other one
--      becomes a new cluster whose created_at is its own oldest key's; a cluster with no
--      key left keeps its id and an empty golden record;
--   5. golden records from key_evidence (design §4): per field the key of greatest
--      golden_rank(last_seen_at, key_value) of that type, the name of greatest
--      golden_rank(name_seen_at, name) over the component's keys;
--   6. keys move, one customer_cluster_splits row per new cluster (reason: the queue
--      row's), the queue rows go, and the split clusters, their merged-away aliases and
--      the queued ids enter cluster_repoint_queue (split_repoint moves their sales) — all
--      in this transaction, so a kill leaves either the queue row or the split.
-- Returns the queue rows processed (0: none queued).
CREATE OR REPLACE FUNCTION omni_identity.split_clusters(p_tenant_id text, p_batch_size integer)
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $fn$
DECLARE
    v_queued uuid[];
    v_live   uuid[];
    v_reasons text[];
    v_qlive  uuid[];
    v_threshold integer := omni_identity.generic_threshold(p_tenant_id);
    v_ktypes  text[];
    v_kvalues text[];
    v_etypes  text[];
    v_evalues text[];
    v_eseen   timestamptz[];
    v_enames  text[];
    v_enames_at timestamptz[];
    v_n_from    uuid[];     -- the new clusters (v_n_*): one element each
    v_n_into    uuid[];
    v_n_email   text[];
    v_n_email_at timestamptz[];
    v_n_phone   text[];
    v_n_phone_at timestamptz[];
    v_n_document text[];
    v_n_document_at timestamptz[];
    v_n_name    text[];
    v_n_name_at timestamptz[];
    v_n_created timestamptz[];
    v_n_reason  text[];
BEGIN
    PERFORM omni_identity.pipeline_temp_tables();
    TRUNCATE pg_temp.oi_sp_key, pg_temp.oi_sp_root, pg_temp.oi_cl_edge, pg_temp.oi_cl_edge2,
             pg_temp.oi_cl_comp;

    -- 1. Claim (v_queued, with each row's reason and live cluster).
    SELECT coalesce(array_agg(q.cluster_id ORDER BY q.n), '{}'), coalesce(array_agg(q.reason ORDER BY q.n), '{}')
         , coalesce(array_agg(q.live ORDER BY q.n), '{}')
      INTO v_queued, v_reasons, v_qlive
      FROM (SELECT s.cluster_id, s.reason, row_number() OVER () AS n
                 , (SELECT coalesce(x.merged_into, x.cluster_id)
                      FROM omni_identity.customer_cluster x
                     WHERE x.tenant_id = p_tenant_id AND x.cluster_id = s.cluster_id) AS live
              FROM (SELECT y.cluster_id, y.reason FROM omni_identity.cluster_split_queue y
                     WHERE y.tenant_id = p_tenant_id
                     ORDER BY y.queued_at, y.cluster_id
                     LIMIT p_batch_size
                       FOR UPDATE SKIP LOCKED) s) q;
    IF cardinality(v_queued) = 0 THEN
        RETURN 0;
    END IF;
    SELECT coalesce(array_agg(DISTINCT u.id) FILTER (WHERE u.id IS NOT NULL), '{}') INTO v_live
      FROM unnest(v_qlive) AS u(id);

    -- 2. Keys (one probe of the keys' cluster index per cluster) and pairs (one probe of
    -- key_pairs' primary key per key, as the pair's a end: every pair has one).
    INSERT INTO pg_temp.oi_sp_key (node, cluster_id, key_type, key_value, created_at)
    SELECT row_number() OVER (ORDER BY k.cluster_id, k.key_type, k.key_value COLLATE "C")::integer,
           k.cluster_id, k.key_type, k.key_value, k.created_at
      FROM unnest(v_live) AS u(id)
      CROSS JOIN LATERAL (SELECT x.cluster_id, x.key_type, x.key_value, x.created_at
                            FROM omni_identity.customer_cluster_keys x
                           WHERE x.tenant_id = p_tenant_id AND x.cluster_id = u.id
                          OFFSET 0) k
     WHERE NOT coalesce((SELECT omni_identity.key_is_generic(e.linked_emails, e.linked_phones, e.linked_documents, v_threshold)
                           FROM omni_identity.key_evidence e
                          WHERE e.tenant_id = p_tenant_id AND e.key_type = k.key_type AND e.key_value = k.key_value), false);
    ANALYZE pg_temp.oi_sp_key;
    -- Generic keys are no key of any cluster.
    -- (Here and below a temp table that a statement joins with a package table is read
    -- in a MATERIALIZED CTE: Citus can plan a join of a distributed table with such an
    -- intermediate result, not with a local table.)
    WITH kept AS MATERIALIZED (SELECT k.key_type, k.key_value FROM pg_temp.oi_sp_key k)
    DELETE FROM omni_identity.customer_cluster_keys x
     WHERE x.tenant_id = p_tenant_id AND x.cluster_id = ANY (v_live)
       AND NOT EXISTS (SELECT FROM kept k
                        WHERE k.key_type = x.key_type AND k.key_value = x.key_value);
    INSERT INTO pg_temp.oi_cl_comp (node, root) SELECT k.node, k.node FROM pg_temp.oi_sp_key k;
    WITH sk AS MATERIALIZED (SELECT k.node, k.cluster_id, k.key_type, k.key_value FROM pg_temp.oi_sp_key k)
    INSERT INTO pg_temp.oi_cl_edge (a, b)
    SELECT DISTINCT GREATEST(ka.node, kb.node), LEAST(ka.node, kb.node)
      FROM sk ka
      CROSS JOIN LATERAL (SELECT p.b_type, p.b_value
                            FROM omni_identity.key_pairs p
                           WHERE p.tenant_id = p_tenant_id
                             AND p.a_type = ka.key_type AND p.a_value = ka.key_value
                          OFFSET 0) p
      JOIN sk kb
        ON kb.key_type = p.b_type AND kb.key_value = p.b_value AND kb.cluster_id = ka.cluster_id;
    ANALYZE pg_temp.oi_cl_edge;

    -- 3. Components (oi_cl_comp.root = the smallest node of each).
    PERFORM omni_identity.pipeline_components();

    -- 4, 5. Per component: the cluster it came from, its oldest key, whether it holds the
    -- cluster's oldest key, its golden record (one probe of key_evidence per key).
    -- The keys' evidence first, by a statement of its own (Citus cannot plan the
    -- aggregate below with the probes inside it), then the aggregate over local data.
    SELECT coalesce(array_agg(k.key_type), '{}'), coalesce(array_agg(k.key_value), '{}')
      INTO v_ktypes, v_kvalues
      FROM pg_temp.oi_sp_key k;
    SELECT coalesce(array_agg(u.t), '{}'), coalesce(array_agg(u.v), '{}'), coalesce(array_agg(x.last_seen_at), '{}'),
           coalesce(array_agg(x.name), '{}'), coalesce(array_agg(x.name_seen_at), '{}')
      INTO v_etypes, v_evalues, v_eseen, v_enames, v_enames_at
      FROM unnest(v_ktypes, v_kvalues) AS u(t, v)
      CROSS JOIN LATERAL (SELECT e.last_seen_at, e.name, e.name_seen_at
                            FROM omni_identity.key_evidence e
                           WHERE e.tenant_id = p_tenant_id
                             AND e.key_type = u.t AND e.key_value = u.v
                          OFFSET 0) x;
    INSERT INTO pg_temp.oi_sp_root
           (root, from_cluster, into_cluster, keeps, created_at, email, email_at, phone, phone_at,
            document, document_at, name, name_at)
    SELECT g.root, g.cluster_id
         , CASE WHEN g.first = 1 THEN g.cluster_id ELSE gen_random_uuid() END
         , g.first = 1, g.created_at
         , g.email, g.email_at, g.phone, g.phone_at, g.document, g.document_at, g.name, g.name_at
      FROM (SELECT h.*
                 , row_number() OVER (PARTITION BY h.cluster_id
                                      ORDER BY h.created_at, h.oldest_type, h.oldest_value COLLATE "C") AS first
              FROM (SELECT k.root, k.cluster_id
                         , (array_agg(k.created_at ORDER BY k.created_at, k.key_type, k.key_value COLLATE "C"))[1] AS created_at
                         , (array_agg(k.key_type ORDER BY k.created_at, k.key_type, k.key_value COLLATE "C"))[1] AS oldest_type
                         , (array_agg(k.key_value ORDER BY k.created_at, k.key_type, k.key_value COLLATE "C"))[1] AS oldest_value
                         , (array_agg(k.key_value ORDER BY omni_identity.golden_rank(e.last_seen_at, k.key_value) DESC)
                                FILTER (WHERE k.key_type = 'email' AND e.last_seen_at IS NOT NULL))[1] AS email
                         , max(e.last_seen_at) FILTER (WHERE k.key_type = 'email') AS email_at
                         , (array_agg(k.key_value ORDER BY omni_identity.golden_rank(e.last_seen_at, k.key_value) DESC)
                                FILTER (WHERE k.key_type = 'phone' AND e.last_seen_at IS NOT NULL))[1] AS phone
                         , max(e.last_seen_at) FILTER (WHERE k.key_type = 'phone') AS phone_at
                         , (array_agg(k.key_value ORDER BY omni_identity.golden_rank(e.last_seen_at, k.key_value) DESC)
                                FILTER (WHERE k.key_type = 'document' AND e.last_seen_at IS NOT NULL))[1] AS document
                         , max(e.last_seen_at) FILTER (WHERE k.key_type = 'document') AS document_at
                         , (array_agg(e.name ORDER BY omni_identity.golden_rank(e.name_seen_at, e.name) DESC)
                                FILTER (WHERE e.name IS NOT NULL))[1] AS name
                         , max(e.name_seen_at) AS name_at
                      FROM (SELECT c.root, y.cluster_id, y.key_type, y.key_value, y.created_at
                              FROM pg_temp.oi_cl_comp c
                              JOIN pg_temp.oi_sp_key y ON y.node = c.node) k
                      LEFT JOIN unnest(v_etypes, v_evalues, v_eseen, v_enames, v_enames_at)
                                AS e(key_type, key_value, last_seen_at, name, name_seen_at)
                             ON e.key_type = k.key_type AND e.key_value = k.key_value
                     GROUP BY k.root, k.cluster_id) h) g;

    -- 6. New clusters, golden records, keys, lineage, queues.
    -- On Citus the new clusters (and their lineage below) come as arrays, each row read with the
    -- cluster it splits from: on Citus an INSERT ... SELECT whose rows come from a
    -- package table of the tenant runs on its shard, where one fed by a local table or
    -- by arrays alone is copied there with COPY, which row-level security refuses to
    -- any role but a superuser.
    IF omni_identity.citus_active() THEN
        SELECT coalesce(array_agg(r.from_cluster ORDER BY r.created_at, r.into_cluster), '{}')
             , coalesce(array_agg(r.into_cluster ORDER BY r.created_at, r.into_cluster), '{}')
             , coalesce(array_agg(r.email ORDER BY r.created_at, r.into_cluster), '{}')
             , coalesce(array_agg(r.email_at ORDER BY r.created_at, r.into_cluster), '{}')
             , coalesce(array_agg(r.phone ORDER BY r.created_at, r.into_cluster), '{}')
             , coalesce(array_agg(r.phone_at ORDER BY r.created_at, r.into_cluster), '{}')
             , coalesce(array_agg(r.document ORDER BY r.created_at, r.into_cluster), '{}')
             , coalesce(array_agg(r.document_at ORDER BY r.created_at, r.into_cluster), '{}')
             , coalesce(array_agg(r.name ORDER BY r.created_at, r.into_cluster), '{}')
             , coalesce(array_agg(r.name_at ORDER BY r.created_at, r.into_cluster), '{}')
             , coalesce(array_agg(r.created_at ORDER BY r.created_at, r.into_cluster), '{}')
             , coalesce(array_agg((SELECT min(x.reason) FROM unnest(v_qlive, v_reasons) AS x(live, reason)
                                    WHERE x.live = r.from_cluster) ORDER BY r.created_at, r.into_cluster), '{}')
          INTO v_n_from, v_n_into, v_n_email, v_n_email_at, v_n_phone, v_n_phone_at, v_n_document,
               v_n_document_at, v_n_name, v_n_name_at, v_n_created, v_n_reason
          FROM pg_temp.oi_sp_root r
         WHERE NOT r.keeps;
        INSERT INTO omni_identity.customer_cluster
               (tenant_id, cluster_id, last_buyer_email, last_buyer_email_at, last_buyer_phone,
                last_buyer_phone_at, last_buyer_document, last_buyer_document_at, last_buyer_name,
                last_buyer_name_at, created_at, updated_at)
        SELECT f.tenant_id, r.into_cluster, r.email, r.email_at, r.phone, r.phone_at, r.document,
               r.document_at, r.name, r.name_at, r.created_at, now()
          FROM unnest(v_n_from, v_n_into, v_n_email, v_n_email_at, v_n_phone, v_n_phone_at, v_n_document,
                      v_n_document_at, v_n_name, v_n_name_at, v_n_created)
               AS r(from_cluster, into_cluster, email, email_at, phone, phone_at, document, document_at,
                    name, name_at, created_at)
          JOIN omni_identity.customer_cluster f ON f.tenant_id = p_tenant_id AND f.cluster_id = r.from_cluster;
    ELSE
        -- One node: straight from the temp table (the arrays cost a fifth of the split).
        INSERT INTO omni_identity.customer_cluster
               (tenant_id, cluster_id, last_buyer_email, last_buyer_email_at, last_buyer_phone,
                last_buyer_phone_at, last_buyer_document, last_buyer_document_at, last_buyer_name,
                last_buyer_name_at, created_at, updated_at)
        SELECT p_tenant_id, r.into_cluster, r.email, r.email_at, r.phone, r.phone_at, r.document,
               r.document_at, r.name, r.name_at, r.created_at, now()
          FROM pg_temp.oi_sp_root r
         WHERE NOT r.keeps;
    END IF;

    WITH kept AS MATERIALIZED (SELECT x.into_cluster, x.email, x.email_at, x.phone, x.phone_at, x.document,
                                      x.document_at, x.name, x.name_at
                                 FROM pg_temp.oi_sp_root x WHERE x.keeps)
    UPDATE omni_identity.customer_cluster c
       SET last_buyer_email = r.email, last_buyer_email_at = r.email_at
         , last_buyer_phone = r.phone, last_buyer_phone_at = r.phone_at
         , last_buyer_document = r.document, last_buyer_document_at = r.document_at
         , last_buyer_name = r.name, last_buyer_name_at = r.name_at
         , updated_at = now()
      FROM (SELECT u.id, x.email, x.email_at, x.phone, x.phone_at, x.document, x.document_at,
                   x.name, x.name_at
              FROM unnest(v_live) AS u(id)
              LEFT JOIN kept x ON x.into_cluster = u.id) r
     WHERE c.tenant_id = p_tenant_id AND c.cluster_id = ANY (v_live) AND c.cluster_id = r.id;

    WITH m AS MATERIALIZED (
        SELECT s.key_type, s.key_value, r.into_cluster
          FROM pg_temp.oi_sp_key s
          JOIN pg_temp.oi_cl_comp c ON c.node = s.node
          JOIN pg_temp.oi_sp_root r ON r.root = c.root
         WHERE NOT r.keeps)
    UPDATE omni_identity.customer_cluster_keys k
       SET cluster_id = m.into_cluster
      FROM m
     WHERE k.tenant_id = p_tenant_id AND k.key_type = m.key_type AND k.key_value = m.key_value;

    -- In the arrays' order (split_id follows it). On Citus one INSERT ... VALUES per split:
    -- it runs an INSERT ... SELECT into a table with an identity column through the
    -- coordinator (COPY, above). One node keeps the one statement (a statement per split
    -- measured 1.5x the whole split: BENCHMARKS.md).
    IF omni_identity.citus_active() THEN
        FOR v_i IN 1 .. cardinality(v_n_into) LOOP
            INSERT INTO omni_identity.customer_cluster_splits (tenant_id, from_cluster, into_cluster, reason)
            VALUES (p_tenant_id, v_n_from[v_i], v_n_into[v_i], v_n_reason[v_i]);
        END LOOP;
    ELSE
        INSERT INTO omni_identity.customer_cluster_splits (tenant_id, from_cluster, into_cluster, reason)
        SELECT p_tenant_id, r.from_cluster, r.into_cluster
             , (SELECT min(x.reason) FROM unnest(v_qlive, v_reasons) AS x(live, reason) WHERE x.live = r.from_cluster)
          FROM pg_temp.oi_sp_root r
         WHERE NOT r.keeps
         ORDER BY r.created_at, r.into_cluster;
    END IF;

    DELETE FROM omni_identity.cluster_split_queue q
     WHERE q.tenant_id = p_tenant_id AND q.cluster_id = ANY (v_queued);

    -- The split clusters, the queued ones and the clusters merged into them (clusters are
    -- never deleted: every id has its row).
    INSERT INTO omni_identity.cluster_repoint_queue (tenant_id, cluster_id)
    SELECT a.tenant_id, a.cluster_id FROM omni_identity.customer_cluster a
     WHERE a.tenant_id = p_tenant_id AND a.cluster_id = ANY (v_live || v_queued)
    ON CONFLICT (tenant_id, cluster_id) DO NOTHING;
    INSERT INTO omni_identity.cluster_repoint_queue (tenant_id, cluster_id)
    SELECT a.tenant_id, a.cluster_id FROM omni_identity.customer_cluster a
     WHERE a.tenant_id = p_tenant_id AND a.merged_into IS NOT NULL AND a.merged_into = ANY (v_live)
    ON CONFLICT (tenant_id, cluster_id) DO NOTHING;

    RETURN cardinality(v_queued);
END;
$fn$;
COMMENT ON FUNCTION omni_identity.split_clusters(text, integer)
    IS 'Split a batch of queued clusters of one tenant from evidence: components, oldest-key rule, new clusters, golden records, lineage, repoint queue.';
