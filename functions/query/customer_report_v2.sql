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
    -- The golden record comes with the sales stored on the live cluster; only customers
    -- whose every sale still carries an alias need a probe of their own.
    RETURN QUERY
    WITH g AS (
        SELECT s.cluster_id AS live,
               count(*) AS orders,
               coalesce(sum(s.amount), 0) AS total_amount,
               min(s.created_at) AS first_purchase_at,
               max(s.created_at) AS last_purchase_at,
               count(DISTINCT s.shop_id) AS shops,
               bool_or(s.is_live) AS have_golden,
               -- Every is_live row of a group carries the same cluster row: max() picks its value.
               max(s.email) FILTER (WHERE s.is_live) AS email,
               max(s.phone) FILTER (WHERE s.is_live) AS phone,
               max(s.document) FILTER (WHERE s.is_live) AS document,
               max(s.name) FILTER (WHERE s.is_live) AS name
          FROM omni_identity.customer_report_sales(p_tenant_id, p_filters, true) AS s
         GROUP BY s.cluster_id
    )
    SELECT g.live,
           CASE WHEN g.have_golden THEN g.email ELSE lc.last_buyer_email END,
           CASE WHEN g.have_golden THEN g.phone ELSE lc.last_buyer_phone END,
           CASE WHEN g.have_golden THEN g.document ELSE lc.last_buyer_document END,
           CASE WHEN g.have_golden THEN g.name ELSE lc.last_buyer_name END,
           g.orders, g.total_amount, g.first_purchase_at, g.last_purchase_at, g.shops
      FROM g
      LEFT JOIN LATERAL (
            SELECT c.last_buyer_email, c.last_buyer_phone, c.last_buyer_document, c.last_buyer_name
              FROM omni_identity.customer_cluster c
             WHERE NOT g.have_golden AND c.tenant_id = p_tenant_id AND c.cluster_id = g.live
             LIMIT 1) AS lc ON true
     ORDER BY g.live IS NULL, g.total_amount DESC, g.orders DESC, g.live;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.customer_report_v2(text, jsonb)
    IS 'Customer report by live cluster with its golden record, plus the sales without a cluster.';
