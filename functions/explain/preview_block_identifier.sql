-- What block_identifier(p_tenant_id, p_key_type, p_value) followed by reconcile would do
-- (SPEC §13, design §9), computed without writing any package table:
--   clusters_split  live clusters that would split (0 or 1: a key is on one cluster);
--   clusters_after  the clusters the affected cluster's sales would then form;
--   sales_moved     the sales whose live cluster would change (to another one or to none).
-- Same errors as block_identifier for the value (OI055, OI056) and the evidence (OI050).
-- The split's own steps, read-only: the live cluster holding the key; its keys minus the
-- blocked one, generic keys left out (key_is_generic: clusters are components of active
-- keys), as nodes; the evidence pairs between them as edges; components by the batch
-- core's pipeline_components (the session's temp tables, like split_clusters); the
-- component holding the oldest key keeps the cluster. Then, like split_repoint, each sale
-- of the cluster and of its merged-away aliases goes to the component of its e-mail, else
-- its phone, else its document, else to none. Evidence of direct resolve calls is seen
-- after the next fold of the evidence log (reconcile, design §9), as the split sees it.
CREATE OR REPLACE FUNCTION omni_identity.preview_block_identifier(
      p_tenant_id text
    , p_key_type  text
    , p_value     text
) RETURNS TABLE (clusters_split integer, clusters_after integer, sales_moved bigint)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $fn$
DECLARE
    v_key       text;
    v_live      uuid;
    v_threshold integer;
    v_keep      integer;
    v_comps     integer;
    v_emails    text[];
    v_phones    text[];
    v_documents text[];
BEGIN
    PERFORM omni_identity.require_tenant(p_tenant_id);
    v_key := omni_identity.identifier_key(p_key_type, p_value);
    PERFORM omni_identity.require_evidence_complete(p_tenant_id);
    v_threshold := omni_identity.generic_threshold(p_tenant_id);

    SELECT coalesce(c.merged_into, c.cluster_id) INTO v_live
      FROM omni_identity.customer_cluster_keys k
      JOIN omni_identity.customer_cluster c ON c.tenant_id = k.tenant_id AND c.cluster_id = k.cluster_id
     WHERE k.tenant_id = p_tenant_id AND c.tenant_id = p_tenant_id
       AND k.key_type = p_key_type AND k.key_value = v_key;
    IF v_live IS NULL THEN
        -- Not a key of any cluster: blocking it changes no cluster.
        clusters_split := 0;
        clusters_after := 0;
        sales_moved := 0;
        RETURN NEXT;
        RETURN;
    END IF;

    PERFORM omni_identity.pipeline_temp_tables();
    TRUNCATE pg_temp.oi_sp_key, pg_temp.oi_cl_edge, pg_temp.oi_cl_edge2, pg_temp.oi_cl_comp;
    INSERT INTO pg_temp.oi_sp_key (node, cluster_id, key_type, key_value, created_at)
    SELECT row_number() OVER (ORDER BY k.key_type, k.key_value COLLATE "C")::integer,
           v_live, k.key_type, k.key_value, k.created_at
      FROM omni_identity.customer_cluster_keys k
      LEFT JOIN LATERAL (SELECT e.linked_emails, e.linked_phones, e.linked_documents
                           FROM omni_identity.key_evidence e
                          WHERE e.tenant_id = p_tenant_id
                            AND e.key_type = k.key_type AND e.key_value = k.key_value
                         OFFSET 0) e ON true
     WHERE k.tenant_id = p_tenant_id AND k.cluster_id = v_live
       AND NOT (k.key_type = p_key_type AND k.key_value = v_key)
       AND NOT coalesce(omni_identity.key_is_generic(e.linked_emails, e.linked_phones, e.linked_documents, v_threshold), false);
    ANALYZE pg_temp.oi_sp_key;
    INSERT INTO pg_temp.oi_cl_comp (node, root) SELECT k.node, k.node FROM pg_temp.oi_sp_key k;
    -- (A temp table that a statement joins with a package table is read in a MATERIALIZED
    -- CTE: Citus can plan a join of a distributed table with such an intermediate
    -- result, not with a local table.)
    WITH sk AS MATERIALIZED (SELECT k.node, k.key_type, k.key_value FROM pg_temp.oi_sp_key k)
    INSERT INTO pg_temp.oi_cl_edge (a, b)
    SELECT DISTINCT GREATEST(ka.node, kb.node), LEAST(ka.node, kb.node)
      FROM sk ka
      CROSS JOIN LATERAL (SELECT p.b_type, p.b_value
                            FROM omni_identity.key_pairs p
                           WHERE p.tenant_id = p_tenant_id
                             AND p.a_type = ka.key_type AND p.a_value = ka.key_value
                          OFFSET 0) p
      JOIN sk kb ON kb.key_type = p.b_type AND kb.key_value = p.b_value;
    ANALYZE pg_temp.oi_cl_edge;
    PERFORM omni_identity.pipeline_components();

    -- The component that keeps the cluster id: the one holding its oldest key.
    SELECT c.root INTO v_keep
      FROM pg_temp.oi_sp_key k JOIN pg_temp.oi_cl_comp c ON c.node = k.node
     ORDER BY k.created_at, k.key_type, k.key_value COLLATE "C"
     LIMIT 1;
    SELECT count(DISTINCT c.root)::integer INTO v_comps FROM pg_temp.oi_cl_comp c;

    -- The sales of the cluster and of its aliases with their normalized keys, read by a
    -- statement of its own; then each sale's component, from the temp tables alone.
    SELECT coalesce(array_agg(s.email), '{}'), coalesce(array_agg(s.phone), '{}'), coalesce(array_agg(s.document), '{}')
      INTO v_emails, v_phones, v_documents
      FROM (SELECT v_live AS id
            UNION ALL
            SELECT a.cluster_id FROM omni_identity.customer_cluster a
             WHERE a.tenant_id = p_tenant_id AND a.merged_into = v_live) h
     CROSS JOIN LATERAL (SELECT omni_identity.normalize_email(x.buyer_email) AS email
                              , omni_identity.normalize_phone(x.buyer_phone) AS phone
                              , omni_identity.normalize_document(x.buyer_document) AS document
                           FROM public.omni_sales x
                          WHERE x.tenant_id = p_tenant_id AND x.customer_hash = h.id
                         OFFSET 0) s;

    RETURN QUERY
    WITH sale AS (
        SELECT coalesce((SELECT c.root FROM pg_temp.oi_sp_key k JOIN pg_temp.oi_cl_comp c ON c.node = k.node
                          WHERE k.key_type = 'email' AND k.key_value = s.email),
                        (SELECT c.root FROM pg_temp.oi_sp_key k JOIN pg_temp.oi_cl_comp c ON c.node = k.node
                          WHERE k.key_type = 'phone' AND k.key_value = s.phone),
                        (SELECT c.root FROM pg_temp.oi_sp_key k JOIN pg_temp.oi_cl_comp c ON c.node = k.node
                          WHERE k.key_type = 'document' AND k.key_value = s.document)) AS root
          FROM unnest(v_emails, v_phones, v_documents) AS s(email, phone, document)
    )
    SELECT (v_comps > 1)::integer
         , (count(DISTINCT s.root))::integer
         , count(*) FILTER (WHERE s.root IS NULL OR s.root <> v_keep)
      FROM sale s;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.preview_block_identifier(text, text, text)
    IS 'Read-only preview of block_identifier + reconcile: clusters that would split, clusters their sales would form, sales that would change cluster.';
