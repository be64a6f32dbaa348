-- Audit the switch from customer_report_v1 to _v2 for the same filters: one
-- report_divergences row (same run_id, from batch_id_seq) per
--   v1_customer_split  v1 customer (e-mail) whose sales lie in several v2 clusters,
--   v2_cluster_joins   v2 cluster whose sales carry several v1 customers (e-mails),
--   sale_only_in_v1    sale counted by v1 and not by v2 (buyer filters differ in meaning),
--   sale_only_in_v2    sale counted by v2 and not by v1.
-- The unidentified rows (no e-mail, no cluster) are not customers: they do not count as
-- a cluster or an e-mail in the first two kinds. Returns the number of rows written.
CREATE OR REPLACE FUNCTION omni_identity.compare_customer_reports(
      p_tenant_id text
    , p_filters   jsonb DEFAULT '{}'
) RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_run_id bigint;
    v_count  integer := 0;
    v_d      record;
BEGIN
    PERFORM omni_identity.require_tenant(p_tenant_id);
    -- The filters are validated (OI041, OI042) before a run id is taken.
    PERFORM omni_identity.query_filters(p_filters);
    v_run_id := nextval('omni_identity.batch_id_seq');
    -- Each side is the sales its report counts, under the customer it counts them for,
    -- from the report's own first stage: a report cannot change either unseen.
    FOR v_d IN
    WITH v1 AS (
        SELECT r.id, r.email AS v1_email
          FROM omni_identity.customer_report_sales(p_tenant_id, p_filters, false) AS r
    ), v2 AS (
        SELECT r.id, r.cluster_id AS live
          FROM omni_identity.customer_report_sales(p_tenant_id, p_filters, true) AS r
    ), paired AS (
        SELECT coalesce(v1.id, v2.id) AS id, v1.id IS NOT NULL AS in_v1, v2.id IS NOT NULL AS in_v2,
               v1.v1_email, v2.live
          FROM v1 FULL JOIN v2 ON v2.id = v1.id
    ), divergences AS (
        SELECT 'v1_customer_split' AS kind, p.v1_email, NULL::uuid AS cluster_id, NULL::bigint AS sale_id,
               jsonb_build_object('clusters', jsonb_agg(DISTINCT p.live), 'orders', count(*)) AS detail
          FROM paired p
         WHERE p.in_v1 AND p.in_v2 AND p.v1_email IS NOT NULL AND p.live IS NOT NULL
         GROUP BY p.v1_email
        HAVING count(DISTINCT p.live) > 1
        UNION ALL
        SELECT 'v2_cluster_joins', NULL, p.live, NULL,
               jsonb_build_object('emails', jsonb_agg(DISTINCT p.v1_email), 'orders', count(*))
          FROM paired p
         WHERE p.in_v1 AND p.in_v2 AND p.v1_email IS NOT NULL AND p.live IS NOT NULL
         GROUP BY p.live
        HAVING count(DISTINCT p.v1_email) > 1
        UNION ALL
        SELECT CASE WHEN p.in_v1 THEN 'sale_only_in_v1' ELSE 'sale_only_in_v2' END,
               p.v1_email, p.live, p.id, '{}'::jsonb
          FROM paired p
         WHERE p.in_v1 <> p.in_v2
    )
    SELECT d.kind, d.v1_email, d.cluster_id, d.sale_id, d.detail
      FROM divergences d
    LOOP
        -- One INSERT ... VALUES per divergence: Citus runs an INSERT ... SELECT into a
        -- table with an identity column through the coordinator, with COPY, which
        -- row-level security refuses to the application's role.
        INSERT INTO omni_identity.report_divergences (tenant_id, run_id, kind, v1_email, cluster_id, sale_id, detail)
        VALUES (p_tenant_id, v_run_id, v_d.kind, v_d.v1_email, v_d.cluster_id, v_d.sale_id, v_d.detail);
        v_count := v_count + 1;
    END LOOP;
    RETURN v_count;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.compare_customer_reports(text, jsonb)
    IS 'Write one report_divergences row per difference between customer_report_v1 and _v2; returns the count.';
