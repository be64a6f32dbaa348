-- Health (SPEC §13): the tenant's live clusters bucketed by their number of sales (1,
-- 2–4, 5–9, 10–19, 20–49, 50–99, 100–999, 1000+; size_to NULL = no upper bound), with
-- the sales they hold; every bucket is returned, empty ones with 0. A sale counts for the
-- live cluster of its customer_hash (a merged-away alias counts for the cluster it was
-- merged into; merge chains are one hop); live clusters without sales are left out.
-- One pass over the tenant's sales by (tenant_id, customer_hash): a tenant-wide figure.
CREATE OR REPLACE FUNCTION omni_identity.cluster_size_histogram(p_tenant_id text)
RETURNS TABLE (size_from bigint, size_to bigint, clusters bigint, sales bigint)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    PERFORM omni_identity.require_tenant(p_tenant_id);
    RETURN QUERY
    WITH per_hash AS (
        SELECT s.customer_hash AS hash, count(*) AS n
          FROM public.omni_sales s
         WHERE s.tenant_id = p_tenant_id AND s.customer_hash IS NOT NULL
         GROUP BY s.customer_hash
    ), per_live AS (
        SELECT coalesce(c.merged_into, c.cluster_id) AS live, sum(h.n)::bigint AS n
          FROM per_hash h
          JOIN omni_identity.customer_cluster c ON c.tenant_id = p_tenant_id AND c.cluster_id = h.hash
         GROUP BY coalesce(c.merged_into, c.cluster_id)
    )
    SELECT b.lo, b.hi, count(l.live)::bigint, coalesce(sum(l.n), 0)::bigint
      FROM (VALUES (1::bigint, 1::bigint), (2, 4), (5, 9), (10, 19), (20, 49), (50, 99), (100, 999),
                   (1000, NULL)) AS b(lo, hi)
      LEFT JOIN per_live l ON l.n >= b.lo AND (b.hi IS NULL OR l.n <= b.hi)
     GROUP BY b.lo, b.hi
     ORDER BY b.lo;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.cluster_size_histogram(text)
    IS 'The tenant''s live clusters by number of sales, in 8 buckets (1, 2-4, 5-9, 10-19, 20-49, 50-99, 100-999, 1000+), with their sales.';
