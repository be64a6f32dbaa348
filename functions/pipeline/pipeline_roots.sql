-- Batch core, stage 4a (design §6): per component, its survivor and its golden values.
--   Input   pg_temp.oi_cl_comp (stage 3), pg_temp.oi_cl_exist, pg_temp.oi_cl_sale,
--           pg_temp.oi_cl_occ.
--   Output  pg_temp.oi_cl_root  one row per component (root): its tenant; survivor = the
--                               oldest (created_at, cluster_id) of its existing clusters,
--                               else a new cluster id (is_new); per field, the batch's
--                               value of greatest golden_rank among the component's
--                               keyed sales (surviving keys; names of keyed sales) and
--                               its seen_at;
--           pg_temp.oi_cl_sale.survivor  the survivor of every keyed sale (NULL: no key).
CREATE OR REPLACE FUNCTION omni_identity.pipeline_roots()
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $fn$
BEGIN
    TRUNCATE pg_temp.oi_cl_root;
    -- One statement. Survivor and golden values are each one DISTINCT ON, i.e. one sort
    -- of the whole set, not a sorted aggregate per component and field.
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
         ORDER BY c.root, v.field, omni_identity.golden_rank(s.seen_at, v.value) DESC
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
END;
$fn$;
COMMENT ON FUNCTION omni_identity.pipeline_roots()
    IS 'Batch core stage 4a: per component the survivor and the batch''s golden values (oi_cl_root); each keyed sale''s survivor.';
