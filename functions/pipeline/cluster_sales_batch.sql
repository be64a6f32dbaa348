-- The shared set-based clustering core of ingest_sales, the CSV upload, the backfill and
-- automatic mode. The caller fills pg_temp.oi_cluster_in (see pipeline_temp_tables) with
-- the sales to cluster, one row per sale (raw buyer columns, seen_at = the sale's
-- created_at), and calls this once per batch, in its own transaction.
--
-- Steps, each one statement over the whole batch (no per-row call touching a table that
-- grows, no recursive CTE):
--   1. L1 lock: tenant_lock_key(t) EXCLUSIVE on every tenant of the batch, in sorted
--      order, by tenant_lock_exclusive (never queued: try, back off, retry for at most
--      5 s, then OI035; immediate when the caller already holds it, as ingest and the
--      backfill do). resolve_customer_cluster holds the same key SHARED, so no resolve of
--      these tenants runs beside the batch, and a batch needs no per-key or per-row
--      advisory lock (the lock table stays small at any batch size).
--   2. Normalize every identifier (one INSERT ... SELECT); the distinct keys of the batch
--      drop blocked values (key_is_blocked's rule as one DELETE over the set) and find
--      their cluster with one primary-key probe each (a correlated subquery with LIMIT 1,
--      so the planner cannot turn the lookup into a hash join over the tenant's keys).
--   3. Graph: node 1..n = the sales, n+1.. = the existing clusters named by the keys;
--      edges = (sale, first sale with the same key) and (cluster, first sale with one of
--      its keys). Connected components by alternating large-star / small-star
--      (Kiveris et al., "Connected Components in MapReduce and Beyond"): O(log n)
--      rounds in practice, each round two set-based statements over the edge table.
--   4. Per component: survivor = the oldest (created_at, cluster_id) of its existing
--      clusters, else a new cluster; the other clusters are merged into it by one
--      merge_clusters call per tenant (lineage, keys, golden records); new keys are
--      attached to the survivor; the survivor's golden record takes, per field, the
--      greatest (seen_at, value) of itself and the batch (values COLLATE "C").
--   5. customer_hash of every keyed sale := its survivor (one UPDATE by TID at the ctids
--      the caller read, else primary-key probes first; repeated for any sale updated
--      concurrently in between).
-- Sales without any key are left as they are (customer_hash NULL); pg_temp.oi_cl_sale
-- keeps each sale's survivor (NULL = no key) for the caller.
-- Returns (sales clustered, clusters created, clusters merged away).
--
-- jit is off for the call (SET clause, inherited by the nested statements): the plans of
-- the correlated probes cost above jit_above_cost, and compiling them took 100-270 ms of
-- a ~1.2 s batch of 10,000 sales, for statements that then ran in milliseconds.
CREATE OR REPLACE FUNCTION omni_identity.cluster_sales_batch()
RETURNS TABLE(clustered integer, clusters_created integer, merges integer)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $fn$
DECLARE
    v_tenant    text;
    v_nodes     integer;
    v_round     integer := 0;
    v_losers    uuid[];
    v_survivors uuid[];
    v_ctids     tid[];
    v_hashes    uuid[];
    v_n         integer;
BEGIN
    clustered := 0; clusters_created := 0; merges := 0;
    PERFORM omni_identity.pipeline_temp_tables();

    -- 1. Exclusive tenant locks, sorted (see header).
    FOR v_tenant IN SELECT DISTINCT i.tenant_id FROM pg_temp.oi_cluster_in i ORDER BY 1 LOOP
        PERFORM omni_identity.tenant_lock_exclusive(v_tenant, interval '5 seconds');
    END LOOP;

    TRUNCATE pg_temp.oi_cl_sale, pg_temp.oi_cl_key, pg_temp.oi_cl_occ, pg_temp.oi_cl_exist,
             pg_temp.oi_cl_edge, pg_temp.oi_cl_edge2, pg_temp.oi_cl_comp, pg_temp.oi_cl_root;

    -- 2. Normalize the batch in one statement.
    INSERT INTO pg_temp.oi_cl_sale
           (node, tenant_id, sale_id, seen_at, email, phone, document, name, row_ctid)
    SELECT row_number() OVER (ORDER BY i.tenant_id, i.sale_id)::integer,
           i.tenant_id, i.sale_id, i.seen_at,
           omni_identity.normalize_email(i.buyer_email),
           omni_identity.normalize_phone(i.buyer_phone),
           omni_identity.normalize_document(i.buyer_document),
           omni_identity.golden_name(i.buyer_name),
           i.row_ctid
      FROM pg_temp.oi_cluster_in i;
    GET DIAGNOSTICS v_nodes = ROW_COUNT;
    IF v_nodes = 0 THEN
        RETURN NEXT;
        RETURN;
    END IF;
    -- Statistics of the columns plans join or filter on only (the text columns would
    -- make it 5-10 times slower, ~35 ms at 10,000 sales; their IS NOT NULL filters plan
    -- well on the defaults).
    ANALYZE pg_temp.oi_cl_sale (node, tenant_id, sale_id, seen_at);

    -- Distinct keys of the batch, in one statement: blocked values dropped (the rule of
    -- key_is_blocked over the whole set: exact rows by an anti-join on the value, the few
    -- regex rows by an anti-join on key_type; never two correlated probes per key, ~10 µs
    -- each), and the cluster of every known key found by one primary-key probe per key (a
    -- correlated subquery, never a join the planner could turn into a scan of the
    -- tenant's keys).
    INSERT INTO pg_temp.oi_cl_key (tenant_id, key_type, key_value, min_node, cluster_id)
    SELECT g.tenant_id, g.key_type, g.key_value, g.min_node,
           (SELECT ck.cluster_id
              FROM omni_identity.customer_cluster_keys ck
             WHERE ck.tenant_id = g.tenant_id AND ck.key_type = g.key_type
               AND ck.key_value = g.key_value
             LIMIT 1)
      FROM (SELECT o.tenant_id, o.key_type, o.key_value, min(o.node) AS min_node
              FROM (SELECT s.tenant_id, 'email'::text AS key_type, s.email AS key_value, s.node
                      FROM pg_temp.oi_cl_sale s WHERE s.email IS NOT NULL
                    UNION ALL
                    SELECT s.tenant_id, 'phone', s.phone, s.node
                      FROM pg_temp.oi_cl_sale s WHERE s.phone IS NOT NULL
                    UNION ALL
                    SELECT s.tenant_id, 'document', s.document, s.node
                      FROM pg_temp.oi_cl_sale s WHERE s.document IS NOT NULL) o
             GROUP BY o.tenant_id, o.key_type, o.key_value) g
     WHERE NOT EXISTS (SELECT 1 FROM omni_identity.key_blocklist b
                        WHERE NOT b.is_regex AND b.key_type = g.key_type
                          AND b.value_pattern = g.key_value
                          AND (b.tenant_id IS NULL OR b.tenant_id = g.tenant_id))
       AND NOT EXISTS (SELECT 1 FROM omni_identity.key_blocklist b
                        WHERE b.is_regex AND b.key_type = g.key_type
                          AND (b.tenant_id IS NULL OR b.tenant_id = g.tenant_id)
                          AND g.key_value ~ b.value_pattern);
    ANALYZE pg_temp.oi_cl_key;

    -- Occurrences: (sale, key) pairs of surviving keys.
    INSERT INTO pg_temp.oi_cl_occ (node, key_type, key_value, min_node)
    SELECT o.node, o.key_type, o.key_value, k.min_node
      FROM (SELECT s.tenant_id, s.node, 'email'::text AS key_type, s.email AS key_value
              FROM pg_temp.oi_cl_sale s WHERE s.email IS NOT NULL
            UNION ALL
            SELECT s.tenant_id, s.node, 'phone', s.phone
              FROM pg_temp.oi_cl_sale s WHERE s.phone IS NOT NULL
            UNION ALL
            SELECT s.tenant_id, s.node, 'document', s.document
              FROM pg_temp.oi_cl_sale s WHERE s.document IS NOT NULL) o
      JOIN pg_temp.oi_cl_key k
        ON k.tenant_id = o.tenant_id AND k.key_type = o.key_type AND k.key_value = o.key_value;
    ANALYZE pg_temp.oi_cl_occ;

    -- Existing clusters become nodes n+1.. (keys always name live clusters; the batch
    -- holds the tenant lock, so none is merged meanwhile).
    INSERT INTO pg_temp.oi_cl_exist (cnode, tenant_id, cluster_id, created_at)
    SELECT v_nodes + row_number() OVER (ORDER BY e.tenant_id, e.cluster_id)::integer,
           e.tenant_id, e.cluster_id, c.created_at
      FROM (SELECT DISTINCT k.tenant_id, k.cluster_id
              FROM pg_temp.oi_cl_key k WHERE k.cluster_id IS NOT NULL) e
      CROSS JOIN LATERAL (
            SELECT cc.created_at
              FROM omni_identity.customer_cluster cc
             WHERE cc.tenant_id = e.tenant_id AND cc.cluster_id = e.cluster_id
             LIMIT 1) c;
    ANALYZE pg_temp.oi_cl_exist;

    -- 3. Edges, stored once as (a, b) with a > b.
    INSERT INTO pg_temp.oi_cl_edge (a, b)
    SELECT DISTINCT o.node, o.min_node FROM pg_temp.oi_cl_occ o WHERE o.node <> o.min_node
    UNION
    SELECT x.cnode, k.min_node
      FROM pg_temp.oi_cl_key k
      JOIN pg_temp.oi_cl_exist x ON x.tenant_id = k.tenant_id AND x.cluster_id = k.cluster_id;
    ANALYZE pg_temp.oi_cl_edge;

    LOOP
        -- Converged when the edges form stars: every child has one parent and no parent
        -- is itself a child; the parent is then the component's smallest node. (Counted
        -- with hash joins: an EXISTS would be planned as a nested loop.)
        SELECT (SELECT count(*) FROM (SELECT DISTINCT x.b FROM pg_temp.oi_cl_edge x) p
                                 JOIN (SELECT DISTINCT y.a FROM pg_temp.oi_cl_edge y) c ON c.a = p.b)
             + (SELECT count(*) FROM (SELECT x.a FROM pg_temp.oi_cl_edge x
                                       GROUP BY x.a HAVING count(*) > 1) m)
          INTO v_n;
        EXIT WHEN v_n = 0;
        v_round := v_round + 1;
        IF v_round > 200 THEN
            RAISE EXCEPTION 'connected components did not converge after % rounds', v_round - 1
                USING ERRCODE = 'OI039',
                      HINT = 'This is a bug in omni-identity; report it with the batch that caused it.';
        END IF;

        -- Large-star: every node links its larger neighbours to its smallest neighbour
        -- (itself included): edge (a, b) becomes (a, min(b, smaller neighbours of b)).
        INSERT INTO pg_temp.oi_cl_edge2 (a, b)
        SELECT DISTINCT e.a, coalesce(m.mb, e.b)
          FROM pg_temp.oi_cl_edge e
          LEFT JOIN (SELECT x.a, min(x.b) AS mb FROM pg_temp.oi_cl_edge x GROUP BY x.a) m
            ON m.a = e.b;
        TRUNCATE pg_temp.oi_cl_edge;
        INSERT INTO pg_temp.oi_cl_edge SELECT * FROM pg_temp.oi_cl_edge2;
        TRUNCATE pg_temp.oi_cl_edge2;

        -- Small-star: every node and its smaller neighbours link to the smallest of them.
        INSERT INTO pg_temp.oi_cl_edge2 (a, b)
        SELECT DISTINCT z.a, z.b
          FROM (SELECT e.a, m.mb AS b
                  FROM pg_temp.oi_cl_edge e
                  JOIN (SELECT x.a, min(x.b) AS mb FROM pg_temp.oi_cl_edge x GROUP BY x.a) m
                    ON m.a = e.a
                UNION ALL
                SELECT e.b, m.mb
                  FROM pg_temp.oi_cl_edge e
                  JOIN (SELECT x.a, min(x.b) AS mb FROM pg_temp.oi_cl_edge x GROUP BY x.a) m
                    ON m.a = e.a
                 WHERE e.b <> m.mb) z;
        TRUNCATE pg_temp.oi_cl_edge;
        INSERT INTO pg_temp.oi_cl_edge SELECT * FROM pg_temp.oi_cl_edge2;
        TRUNCATE pg_temp.oi_cl_edge2;
    END LOOP;

    -- Component of every keyed node (root = smallest node of the component).
    INSERT INTO pg_temp.oi_cl_comp (node, root)
    SELECT n.node, coalesce(e.b, n.node)
      FROM (SELECT DISTINCT o.node FROM pg_temp.oi_cl_occ o
            UNION ALL
            SELECT x.cnode FROM pg_temp.oi_cl_exist x) n
      LEFT JOIN pg_temp.oi_cl_edge e ON e.a = n.node;
    ANALYZE pg_temp.oi_cl_comp;

    -- 4. Per component, in one statement: the survivor (the oldest (created_at,
    -- cluster_id) of its existing clusters, else a new cluster id) and the batch's golden
    -- value per field (the greatest (seen_at, value COLLATE "C") among its keyed sales'
    -- surviving keys and names). Each is one DISTINCT ON, i.e. one sort of the whole set,
    -- not a sorted aggregate per component and field.
    WITH surv AS (
        SELECT DISTINCT ON (c.root) c.root, x.cluster_id
          FROM pg_temp.oi_cl_comp c
          JOIN pg_temp.oi_cl_exist x ON x.cnode = c.node
         ORDER BY c.root, x.created_at, x.cluster_id
    ), comp_tenant AS (
        SELECT c.root, min(s.tenant_id) AS tenant_id
          FROM pg_temp.oi_cl_comp c
          JOIN pg_temp.oi_cl_sale s ON s.node = c.node
         GROUP BY c.root
    ), best AS (
        -- Only keyed sales are nodes of oi_cl_comp, so names of sales without a key drop
        -- out in the join.
        SELECT DISTINCT ON (c.root, v.field) c.root, v.field, v.value, s.seen_at
          FROM (SELECT o.node, o.key_type AS field, o.key_value AS value FROM pg_temp.oi_cl_occ o
                UNION ALL
                SELECT s2.node, 'name', s2.name FROM pg_temp.oi_cl_sale s2
                 WHERE s2.name IS NOT NULL) v
          JOIN pg_temp.oi_cl_comp c ON c.node = v.node
          JOIN pg_temp.oi_cl_sale s ON s.node = v.node
         ORDER BY c.root, v.field, s.seen_at DESC, v.value COLLATE "C" DESC
    ), golden AS (
        SELECT b.root
             , max(b.value) FILTER (WHERE b.field = 'email') AS email
             , max(b.seen_at) FILTER (WHERE b.field = 'email') AS email_at
             , max(b.value) FILTER (WHERE b.field = 'phone') AS phone
             , max(b.seen_at) FILTER (WHERE b.field = 'phone') AS phone_at
             , max(b.value) FILTER (WHERE b.field = 'document') AS document
             , max(b.seen_at) FILTER (WHERE b.field = 'document') AS document_at
             , max(b.value) FILTER (WHERE b.field = 'name') AS name
             , max(b.seen_at) FILTER (WHERE b.field = 'name') AS name_at
          FROM best b
         GROUP BY b.root
    )
    INSERT INTO pg_temp.oi_cl_root
           (root, tenant_id, survivor, is_new, email, email_at, phone, phone_at,
            document, document_at, name, name_at)
    SELECT t.root, t.tenant_id, coalesce(v.cluster_id, gen_random_uuid()), v.cluster_id IS NULL,
           g.email, g.email_at, g.phone, g.phone_at, g.document, g.document_at, g.name, g.name_at
      FROM comp_tenant t
      LEFT JOIN surv v ON v.root = t.root
      LEFT JOIN golden g ON g.root = t.root;
    ANALYZE pg_temp.oi_cl_root;

    UPDATE pg_temp.oi_cl_sale s
       SET survivor = r.survivor
      FROM pg_temp.oi_cl_comp c
      JOIN pg_temp.oi_cl_root r ON r.root = c.root
     WHERE c.node = s.node;

    -- New clusters, with the batch's golden record.
    INSERT INTO omni_identity.customer_cluster
           (tenant_id, cluster_id, last_buyer_email, last_buyer_email_at, last_buyer_phone,
            last_buyer_phone_at, last_buyer_name, last_buyer_name_at, last_buyer_document,
            last_buyer_document_at)
    SELECT r.tenant_id, r.survivor, r.email, r.email_at, r.phone, r.phone_at, r.name, r.name_at,
           r.document, r.document_at
      FROM pg_temp.oi_cl_root r
     WHERE r.is_new
     ORDER BY r.tenant_id, r.survivor;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    clusters_created := v_n;

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

        -- Existing survivors take the batch's values where they are greater.
        SELECT coalesce(array_agg(r.survivor), '{}') INTO v_survivors
          FROM pg_temp.oi_cl_root r WHERE r.tenant_id = v_tenant AND NOT r.is_new;
        IF cardinality(v_survivors) > 0 THEN
            UPDATE omni_identity.customer_cluster c
               SET last_buyer_email = CASE WHEN omni_identity.pipeline_value_wins(r.email_at, r.email, c.last_buyer_email_at, c.last_buyer_email)
                                           THEN r.email ELSE c.last_buyer_email END
                 , last_buyer_email_at = CASE WHEN omni_identity.pipeline_value_wins(r.email_at, r.email, c.last_buyer_email_at, c.last_buyer_email)
                                              THEN r.email_at ELSE c.last_buyer_email_at END
                 , last_buyer_phone = CASE WHEN omni_identity.pipeline_value_wins(r.phone_at, r.phone, c.last_buyer_phone_at, c.last_buyer_phone)
                                           THEN r.phone ELSE c.last_buyer_phone END
                 , last_buyer_phone_at = CASE WHEN omni_identity.pipeline_value_wins(r.phone_at, r.phone, c.last_buyer_phone_at, c.last_buyer_phone)
                                              THEN r.phone_at ELSE c.last_buyer_phone_at END
                 , last_buyer_document = CASE WHEN omni_identity.pipeline_value_wins(r.document_at, r.document, c.last_buyer_document_at, c.last_buyer_document)
                                              THEN r.document ELSE c.last_buyer_document END
                 , last_buyer_document_at = CASE WHEN omni_identity.pipeline_value_wins(r.document_at, r.document, c.last_buyer_document_at, c.last_buyer_document)
                                                 THEN r.document_at ELSE c.last_buyer_document_at END
                 , last_buyer_name = CASE WHEN omni_identity.pipeline_value_wins(r.name_at, r.name, c.last_buyer_name_at, c.last_buyer_name)
                                          THEN r.name ELSE c.last_buyer_name END
                 , last_buyer_name_at = CASE WHEN omni_identity.pipeline_value_wins(r.name_at, r.name, c.last_buyer_name_at, c.last_buyer_name)
                                             THEN r.name_at ELSE c.last_buyer_name_at END
                 , updated_at = now()
              FROM pg_temp.oi_cl_root r
             WHERE c.tenant_id = v_tenant
               AND c.cluster_id = ANY (v_survivors)
               AND r.tenant_id = v_tenant
               AND c.cluster_id = r.survivor
               AND (omni_identity.pipeline_value_wins(r.email_at, r.email, c.last_buyer_email_at, c.last_buyer_email)
                 OR omni_identity.pipeline_value_wins(r.phone_at, r.phone, c.last_buyer_phone_at, c.last_buyer_phone)
                 OR omni_identity.pipeline_value_wins(r.document_at, r.document, c.last_buyer_document_at, c.last_buyer_document)
                 OR omni_identity.pipeline_value_wins(r.name_at, r.name, c.last_buyer_name_at, c.last_buyer_name));
        END IF;

        -- Keys the tenant did not know yet belong to their component's survivor.
        INSERT INTO omni_identity.customer_cluster_keys (tenant_id, key_type, key_value, cluster_id)
        SELECT k.tenant_id, k.key_type, k.key_value, r.survivor
          FROM pg_temp.oi_cl_key k
          JOIN pg_temp.oi_cl_comp c ON c.node = k.min_node
          JOIN pg_temp.oi_cl_root r ON r.root = c.root
         WHERE k.tenant_id = v_tenant AND k.cluster_id IS NULL
         ORDER BY k.key_type, k.key_value;

        -- 5. The sales carry their survivor: one UPDATE by TID. When the caller gave the
        -- ctid of every sale (the row version it read or wrote in this transaction, which
        -- its snapshot keeps from being pruned), that is the whole step. Otherwise, or
        -- when some sale was updated by another transaction in between (its new version
        -- has another ctid, so the TID update skips it), each sale still off its survivor
        -- is found by one primary-key probe (LATERAL, an optimization fence: never a scan
        -- of the tenant's sales) and the TID update repeats until every sale found was
        -- written. No row locks first.
        SELECT coalesce(array_agg(s.row_ctid), '{}'), coalesce(array_agg(s.survivor), '{}'),
               count(*) FILTER (WHERE s.row_ctid IS NULL)
          INTO v_ctids, v_hashes, v_n
          FROM pg_temp.oi_cl_sale s
         WHERE s.tenant_id = v_tenant AND s.survivor IS NOT NULL;
        IF v_n > 0
           OR omni_identity.pipeline_set_customer_hash(v_tenant, v_ctids, v_hashes)
              <> cardinality(v_ctids) THEN
            LOOP
                SELECT coalesce(array_agg(x.row_ctid), '{}'), coalesce(array_agg(s.survivor), '{}')
                  INTO v_ctids, v_hashes
                  FROM pg_temp.oi_cl_sale s
                  CROSS JOIN LATERAL (
                        SELECT o.ctid AS row_ctid, o.customer_hash
                          FROM public.omni_sales o
                         WHERE o.tenant_id = s.tenant_id AND o.id = s.sale_id
                         OFFSET 0) x
                 WHERE s.tenant_id = v_tenant AND s.survivor IS NOT NULL
                   AND x.customer_hash IS DISTINCT FROM s.survivor;
                EXIT WHEN omni_identity.pipeline_set_customer_hash(v_tenant, v_ctids, v_hashes)
                          = cardinality(v_ctids);
            END LOOP;
        END IF;
        SELECT count(*) INTO v_n FROM pg_temp.oi_cl_sale s
         WHERE s.tenant_id = v_tenant AND s.survivor IS NOT NULL;
        clustered := clustered + v_n;
    END LOOP;

    RETURN NEXT;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.cluster_sales_batch()
    IS 'Set-based clustering of the sales in pg_temp.oi_cluster_in: locks, keys, components, merges, golden records, customer_hash.';
