-- Customer report by cluster: one row per live cluster (a sale still carrying a
-- merged-away cluster counts for its survivor) with the cluster's golden record, over the
-- sales customer_report_sales selects in the v2 meaning, plus one row for the sales
-- without a cluster (cluster_id NULL), so the rows add up to every selected sale.
-- total_amount sums amount over every currency.
CREATE OR REPLACE FUNCTION omni_identity.customer_report_v2(
      p_tenant_id text
    , p_filters   jsonb DEFAULT '{}'
) RETURNS SETOF omni_identity.customer_report_row
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    PERFORM omni_identity.require_tenant(p_tenant_id);
    -- Every sale comes with its live cluster's golden record (customer_report_sales);
    -- this statement reads no table itself (see there).
    RETURN QUERY
    SELECT s.cluster_id,
           -- Every row of a group carries the same live cluster's record: max() picks it.
           max(s.email), max(s.phone), max(s.document), max(s.name),
           count(*),
           coalesce(sum(s.amount), 0),
           min(s.created_at),
           max(s.created_at),
           count(DISTINCT s.shop_id)
      FROM omni_identity.customer_report_sales(p_tenant_id, p_filters, true) AS s
     GROUP BY s.cluster_id
     ORDER BY s.cluster_id IS NULL, coalesce(sum(s.amount), 0) DESC, count(*) DESC, s.cluster_id;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.customer_report_v2(text, jsonb)
    IS 'Customer report by live cluster with its golden record, plus the sales without a cluster.';
