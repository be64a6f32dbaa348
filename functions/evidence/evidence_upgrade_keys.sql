-- Phase 2 and 3 of the evidence upgrade (evidence_upgrade_batch; design §9): evidence
-- for the keys of up to p_batch_size live clusters of tenant p_tenant_id that keeps
-- today's partition and golden record, for keys no stored sale showed. Phase 2
-- (p_missing false) takes the clusters after p_after_cluster in cluster_id order and
-- moves the tenant's cursor (evidence_upgrade.after_cluster_id) past them; phase 3
-- (p_missing true) takes the clusters that hold a key still without evidence.
-- Returns the clusters examined (0 = none left). The caller holds the tenant's lock.
--
-- The star rule (the documented choice; docs/reresolution.md, "Upgrading"). Before the
-- upgrade, direct resolve_customer_cluster calls stored no pairs, so after the sales
-- are recorded a cluster's keys may fall into several components of its pairs (a key
-- only a resolve call showed is one on its own; two sales' keys a resolve call linked
-- are two). Per cluster, keys ordered by (created_at, key_type, key_value):
--   * a key without evidence gets a key_evidence row: one input; seen at the golden
--     record's time for its field when the golden record holds its value, else at its
--     created_at, kept strictly before that golden time (so a recomputation from
--     evidence picks today's golden value again);
--   * the golden record's values are folded in: the key that holds a field's golden
--     value is seen at least at that field's golden time; the golden name, unless a key
--     of the cluster already carries a (name_seen_at, name) at least as great, becomes
--     the name evidence of the cluster's oldest key;
--   * the connected components of the cluster's keys over the stored pairs are computed
--     (pipeline_components, the backfill's machinery); the oldest key of every
--     component but the oldest key's own is paired with the cluster's oldest key (one
--     pair, seen once, at the later created_at of its ends, no sale).
-- A cluster whose sales alone connect its keys and hold its golden record gets nothing:
-- its evidence is what a fresh install fed the same sales records. What a resolve call
-- linked is kept as a link to the oldest key, not as the call's own pairs, which were
-- never stored: blocking a key later cannot separate what such a link holds together.
CREATE OR REPLACE FUNCTION omni_identity.evidence_upgrade_keys(
      p_tenant_id     text
    , p_after_cluster uuid
    , p_batch_size    integer
    , p_missing       boolean DEFAULT false
) RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET jit = off
SET client_min_messages = warning
AS $fn$
DECLARE
    v_ids    uuid[];
    v_n      integer;
    v_last   uuid;
    v_citus  boolean := omni_identity.citus_active();
    v_a_type text[];
    v_a_val  text[];
    v_b_type text[];
    v_b_val  text[];
    v_last_n bigint;
BEGIN
    PERFORM omni_identity.pipeline_temp_tables();
    CREATE TEMP TABLE IF NOT EXISTS oi_eu_cluster (
        cluster_id uuid NOT NULL,
        email text, email_at timestamptz, phone text, phone_at timestamptz,
        document text, document_at timestamptz, name text, name_at timestamptz)
        ON COMMIT DELETE ROWS;
    CREATE TEMP TABLE IF NOT EXISTS oi_eu_key (
        node integer NOT NULL, cluster_id uuid NOT NULL, key_type text NOT NULL,
        key_value text NOT NULL, created_at timestamptz NOT NULL)
        ON COMMIT DELETE ROWS;
    CREATE TEMP TABLE IF NOT EXISTS oi_eu_pair (
        a_type text NOT NULL, a_value text NOT NULL, b_type text NOT NULL, b_value text NOT NULL)
        ON COMMIT DELETE ROWS;
    -- On Citus (citus_active): the batch keys' evidence names and stored pairs, copied in
    -- by a statement routed to the tenant's shard, so the stages below join temporary
    -- tables only (Citus refuses a join, or a LATERAL probe, of a temporary table with a
    -- distributed one).
    CREATE TEMP TABLE IF NOT EXISTS oi_eu_ev (
        key_type text NOT NULL, key_value text NOT NULL, name text, name_seen_at timestamptz)
        ON COMMIT DELETE ROWS;
    CREATE TEMP TABLE IF NOT EXISTS oi_eu_kp (
        a_type text NOT NULL, a_value text NOT NULL, b_type text NOT NULL, b_value text NOT NULL)
        ON COMMIT DELETE ROWS;
    TRUNCATE pg_temp.oi_eu_cluster, pg_temp.oi_eu_key, pg_temp.oi_eu_pair,
             pg_temp.oi_eu_ev, pg_temp.oi_eu_kp,
             pg_temp.oi_cl_edge, pg_temp.oi_cl_edge2, pg_temp.oi_cl_comp;

    IF NOT p_missing THEN
        SELECT array_agg(c.cluster_id ORDER BY c.cluster_id) INTO v_ids
          FROM (SELECT l.cluster_id FROM omni_identity.customer_cluster l
                 WHERE l.tenant_id = p_tenant_id AND l.merged_into IS NULL
                   AND (p_after_cluster IS NULL OR l.cluster_id > p_after_cluster)
                 ORDER BY l.cluster_id
                 LIMIT p_batch_size) c;
    ELSE
        SELECT array_agg(c.cluster_id ORDER BY c.cluster_id) INTO v_ids
          FROM (SELECT DISTINCT ck.cluster_id FROM omni_identity.customer_cluster_keys ck
                 WHERE ck.tenant_id = p_tenant_id
                   AND NOT EXISTS (SELECT 1 FROM omni_identity.key_evidence e
                                    WHERE e.tenant_id = p_tenant_id AND e.key_type = ck.key_type
                                      AND e.key_value = ck.key_value)
                 ORDER BY ck.cluster_id
                 LIMIT p_batch_size) c;
    END IF;
    v_n := coalesce(cardinality(v_ids), 0);
    IF v_n = 0 THEN
        RETURN 0;
    END IF;
    IF NOT p_missing THEN
        -- The cursor from a scalar variable, never an array subscript in the SET list:
        -- Citus 13.2 crashes the coordinator (signal 11, in its deparser) on an UPDATE it
        -- routes to one shard whose SET list subscripts a parameter (a PL/pgSQL variable
        -- or a bind parameter, `SET c = $1[$2]`); docs/scale-out.md.
        v_last := v_ids[v_n];
        UPDATE omni_identity.evidence_upgrade u SET after_cluster_id = v_last
         WHERE u.tenant_id = p_tenant_id;
    END IF;

    -- The clusters' golden records and keys, one primary-key probe per cluster.
    INSERT INTO pg_temp.oi_eu_cluster
    SELECT c.cluster_id, c.last_buyer_email, c.last_buyer_email_at, c.last_buyer_phone,
           c.last_buyer_phone_at, c.last_buyer_document, c.last_buyer_document_at,
           c.last_buyer_name, c.last_buyer_name_at
      FROM unnest(v_ids) AS i(cluster_id)
      CROSS JOIN LATERAL (SELECT l.* FROM omni_identity.customer_cluster l
                           WHERE l.tenant_id = p_tenant_id AND l.cluster_id = i.cluster_id
                          OFFSET 0) c;
    -- Nodes numbered by (cluster, created_at, key): the smallest node of a component is
    -- its oldest key, and of a cluster the cluster's oldest key.
    INSERT INTO pg_temp.oi_eu_key (node, cluster_id, key_type, key_value, created_at)
    SELECT row_number() OVER (ORDER BY k.cluster_id, k.created_at, k.key_type, k.key_value COLLATE "C")::integer,
           k.cluster_id, k.key_type, k.key_value, k.created_at
      FROM unnest(v_ids) AS i(cluster_id)
      CROSS JOIN LATERAL (SELECT ck.cluster_id, ck.key_type, ck.key_value, ck.created_at
                            FROM omni_identity.customer_cluster_keys ck
                           WHERE ck.tenant_id = p_tenant_id AND ck.cluster_id = i.cluster_id
                          OFFSET 0) k;
    ANALYZE pg_temp.oi_eu_key;

    -- Keys without evidence (see header).
    IF v_citus THEN
        INSERT INTO pg_temp.oi_eu_ev (key_type, key_value, name, name_seen_at)
        SELECT x.key_type, x.key_value, x.name, x.name_seen_at
          FROM omni_identity.key_evidence x
         WHERE x.tenant_id = p_tenant_id
           AND (x.key_type, x.key_value) IN (SELECT k.key_type, k.key_value FROM pg_temp.oi_eu_key k);
        INSERT INTO pg_temp.oi_eu_kp (a_type, a_value, b_type, b_value)
        SELECT p.a_type, p.a_value, p.b_type, p.b_value
          FROM omni_identity.key_pairs p
         WHERE p.tenant_id = p_tenant_id
           AND (p.a_type, p.a_value) IN (SELECT k.key_type, k.key_value FROM pg_temp.oi_eu_key k);
    END IF;
    -- ON CONFLICT alone skips the keys with evidence (one statement for one node and
    -- Citus). Its rows returned: Citus then inserts them from an intermediate result,
    -- where a plain INSERT ... SELECT would COPY them into the shard, which row-level
    -- security refuses.
    WITH ins AS (
        INSERT INTO omni_identity.key_evidence
               (tenant_id, key_type, key_value, inputs, first_seen_at, last_seen_at)
        SELECT p_tenant_id, k.key_type, k.key_value, 1, s.at, s.at
          FROM pg_temp.oi_eu_key k
          JOIN pg_temp.oi_eu_cluster c ON c.cluster_id = k.cluster_id
          CROSS JOIN LATERAL (
                SELECT CASE k.key_type WHEN 'email' THEN c.email WHEN 'phone' THEN c.phone
                                       ELSE c.document END AS value,
                       CASE k.key_type WHEN 'email' THEN c.email_at WHEN 'phone' THEN c.phone_at
                                       ELSE c.document_at END AS at) g
          CROSS JOIN LATERAL (
                SELECT CASE WHEN g.at IS NULL THEN k.created_at
                            WHEN g.value = k.key_value THEN g.at
                            ELSE least(k.created_at, g.at - interval '1 microsecond') END AS at) s
         ORDER BY k.key_type, k.key_value
            ON CONFLICT (tenant_id, key_type, key_value) DO NOTHING
        RETURNING 1
    )
    SELECT count(*) INTO v_last_n FROM ins;

    -- The golden fields: the key holding a field's golden value is seen at its time.
    UPDATE omni_identity.key_evidence e SET last_seen_at = f.at
      FROM (SELECT k.key_type, k.key_value, v.at
              FROM pg_temp.oi_eu_cluster c
              CROSS JOIN LATERAL (VALUES ('email', c.email, c.email_at),
                                         ('phone', c.phone, c.phone_at),
                                         ('document', c.document, c.document_at)) v(key_type, value, at)
              JOIN pg_temp.oi_eu_key k
                ON k.cluster_id = c.cluster_id AND k.key_type = v.key_type AND k.key_value = v.value
             WHERE v.at IS NOT NULL) f
     WHERE e.tenant_id = p_tenant_id AND e.key_type = f.key_type AND e.key_value = f.key_value
       AND e.last_seen_at < f.at;

    -- The golden name: on the cluster's oldest key, unless a key already carries it (on
    -- Citus, read from the copy of the keys' evidence: the keys inserted just above have
    -- no name).
    IF NOT v_citus THEN
        UPDATE omni_identity.key_evidence e SET name = f.name, name_seen_at = f.name_at
          FROM (SELECT o.key_type, o.key_value, c.name, c.name_at
                  FROM pg_temp.oi_eu_cluster c
                  CROSS JOIN LATERAL (SELECT k.key_type, k.key_value FROM pg_temp.oi_eu_key k
                                       WHERE k.cluster_id = c.cluster_id
                                       ORDER BY k.node LIMIT 1) o
                 WHERE c.name IS NOT NULL AND c.name_at IS NOT NULL
                   AND NOT EXISTS (
                         SELECT 1 FROM pg_temp.oi_eu_key k
                          CROSS JOIN LATERAL (SELECT x.name, x.name_seen_at FROM omni_identity.key_evidence x
                                               WHERE x.tenant_id = p_tenant_id AND x.key_type = k.key_type
                                                 AND x.key_value = k.key_value OFFSET 0) x
                          WHERE k.cluster_id = c.cluster_id AND x.name IS NOT NULL
                            AND (x.name_seen_at, x.name COLLATE "C") >= (c.name_at, c.name COLLATE "C"))) f
         WHERE e.tenant_id = p_tenant_id AND e.key_type = f.key_type AND e.key_value = f.key_value;
    ELSE
        UPDATE omni_identity.key_evidence e SET name = f.name, name_seen_at = f.name_at
          FROM (SELECT o.key_type, o.key_value, c.name, c.name_at
                  FROM pg_temp.oi_eu_cluster c
                  CROSS JOIN LATERAL (SELECT k.key_type, k.key_value FROM pg_temp.oi_eu_key k
                                       WHERE k.cluster_id = c.cluster_id
                                       ORDER BY k.node LIMIT 1) o
                 WHERE c.name IS NOT NULL AND c.name_at IS NOT NULL
                   AND NOT EXISTS (
                         SELECT 1 FROM pg_temp.oi_eu_key k
                          JOIN pg_temp.oi_eu_ev x ON x.key_type = k.key_type AND x.key_value = k.key_value
                          WHERE k.cluster_id = c.cluster_id AND x.name IS NOT NULL
                            AND (x.name_seen_at, x.name COLLATE "C") >= (c.name_at, c.name COLLATE "C"))) f
         WHERE e.tenant_id = p_tenant_id AND e.key_type = f.key_type AND e.key_value = f.key_value;
    END IF;

    -- Components of each cluster's keys over its stored pairs (edges a > b, each once).
    INSERT INTO pg_temp.oi_cl_comp (node, root) SELECT k.node, k.node FROM pg_temp.oi_eu_key k;
    IF NOT v_citus THEN
        INSERT INTO pg_temp.oi_cl_edge (a, b)
        SELECT DISTINCT greatest(k.node, o.node), least(k.node, o.node)
          FROM pg_temp.oi_eu_key k
          CROSS JOIN LATERAL (SELECT p.b_type, p.b_value FROM omni_identity.key_pairs p
                               WHERE p.tenant_id = p_tenant_id AND p.a_type = k.key_type
                                 AND p.a_value = k.key_value
                              OFFSET 0) p
          JOIN pg_temp.oi_eu_key o
            ON o.cluster_id = k.cluster_id AND o.key_type = p.b_type AND o.key_value = p.b_value
         WHERE o.node <> k.node;
    ELSE
        INSERT INTO pg_temp.oi_cl_edge (a, b)
        SELECT DISTINCT greatest(k.node, o.node), least(k.node, o.node)
          FROM pg_temp.oi_eu_key k
          JOIN pg_temp.oi_eu_kp p ON p.a_type = k.key_type AND p.a_value = k.key_value
          JOIN pg_temp.oi_eu_key o
            ON o.cluster_id = k.cluster_id AND o.key_type = p.b_type AND o.key_value = p.b_value
         WHERE o.node <> k.node;
    END IF;
    ANALYZE pg_temp.oi_cl_edge;
    PERFORM omni_identity.pipeline_components();

    -- Every component root but the cluster's oldest key: a pair with that key. The new
    -- pairs reach the session's table through variables: Citus cannot feed the RETURNING
    -- of a distributed insert to an INSERT into a temporary table (a batch holds a few
    -- pairs per cluster, so one node loses nothing by it).
    WITH links AS (
        SELECT r.key_type AS r_type, r.key_value AS r_value, m.key_type AS m_type,
               m.key_value AS m_value, greatest(r.created_at, m.created_at) AS at
          FROM pg_temp.oi_cl_comp c
          JOIN pg_temp.oi_eu_key r ON r.node = c.node
          JOIN (SELECT DISTINCT ON (k.cluster_id) k.cluster_id, k.node, k.key_type, k.key_value, k.created_at
                  FROM pg_temp.oi_eu_key k ORDER BY k.cluster_id, k.node) m
            ON m.cluster_id = r.cluster_id
         WHERE c.root = c.node AND c.node <> m.node
    ), ins AS (
        INSERT INTO omni_identity.key_pairs
               (tenant_id, a_type, a_value, b_type, b_value, seen_count, first_seen_at, last_seen_at, sale_id)
        SELECT p_tenant_id, o.a_type, o.a_value, o.b_type, o.b_value, 1, l.at, l.at, NULL
          FROM links l
          CROSS JOIN LATERAL (
                SELECT CASE WHEN (l.r_type, l.r_value COLLATE "C") < (l.m_type, l.m_value COLLATE "C")
                            THEN l.r_type ELSE l.m_type END AS a_type,
                       CASE WHEN (l.r_type, l.r_value COLLATE "C") < (l.m_type, l.m_value COLLATE "C")
                            THEN l.r_value ELSE l.m_value END AS a_value,
                       CASE WHEN (l.r_type, l.r_value COLLATE "C") < (l.m_type, l.m_value COLLATE "C")
                            THEN l.m_type ELSE l.r_type END AS b_type,
                       CASE WHEN (l.r_type, l.r_value COLLATE "C") < (l.m_type, l.m_value COLLATE "C")
                            THEN l.m_value ELSE l.r_value END AS b_value) o
         ORDER BY o.a_type, o.a_value, o.b_type, o.b_value
            ON CONFLICT (tenant_id, a_type, a_value, b_type, b_value) DO NOTHING
        RETURNING a_type, a_value, b_type, b_value
    )
    SELECT coalesce(array_agg(i.a_type), '{}'), coalesce(array_agg(i.a_value), '{}'),
           coalesce(array_agg(i.b_type), '{}'), coalesce(array_agg(i.b_value), '{}')
      INTO v_a_type, v_a_val, v_b_type, v_b_val
      FROM ins i;
    INSERT INTO pg_temp.oi_eu_pair (a_type, a_value, b_type, b_value)
    SELECT u.a_type, u.a_value, u.b_type, u.b_value
      FROM unnest(v_a_type, v_a_val, v_b_type, v_b_val) AS u(a_type, a_value, b_type, b_value);

    -- The neighbour counters of both ends of every new pair (key_evidence's linked_*).
    UPDATE omni_identity.key_evidence e
       SET linked_emails    = e.linked_emails + d.emails,
           linked_phones    = e.linked_phones + d.phones,
           linked_documents = e.linked_documents + d.documents
      FROM (SELECT x.key_type, x.key_value,
                   count(*) FILTER (WHERE x.other = 'email')    AS emails,
                   count(*) FILTER (WHERE x.other = 'phone')    AS phones,
                   count(*) FILTER (WHERE x.other = 'document') AS documents
              FROM (SELECT p.a_type AS key_type, p.a_value AS key_value, p.b_type AS other FROM pg_temp.oi_eu_pair p
                    UNION ALL
                    SELECT p.b_type, p.b_value, p.a_type FROM pg_temp.oi_eu_pair p) x
             GROUP BY x.key_type, x.key_value) d
     WHERE e.tenant_id = p_tenant_id AND e.key_type = d.key_type AND e.key_value = d.key_value;
    RETURN v_n;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.evidence_upgrade_keys(text, uuid, integer, boolean)
    IS 'Evidence upgrade, key phase: evidence keeping today''s partition and golden record for the keys of a batch of clusters (star rule); returns clusters examined.';
