-- Customer report by cluster: one row per live cluster (a sale still carrying a
-- merged-away cluster counts for its survivor) with the cluster's golden record, over the
-- sales the filters select with v2 meaning (buyer filters select the cluster, the others
-- filter rows), plus one row for the sales without a cluster (cluster_id NULL), so the
-- rows add up to every selected sale. total_amount sums amount over every currency.
CREATE OR REPLACE FUNCTION omni_identity.customer_report_v2(
      p_tenant_id text
    , p_filters   jsonb DEFAULT '{}'
) RETURNS TABLE (
      cluster_id        uuid
    , email             text
    , phone             text
    , document          text
    , name              text
    , orders            bigint
    , total_amount      numeric
    , first_purchase_at timestamptz
    , last_purchase_at  timestamptz
    , shops             bigint
)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
#variable_conflict use_column
DECLARE
    v_f       record;
    v_aliases uuid[];
BEGIN
    PERFORM omni_identity.require_tenant(p_tenant_id);
    SELECT * INTO v_f FROM omni_identity.query_filters(p_filters);
    IF v_f.matches_none THEN
        RETURN;
    END IF;
    IF v_f.by_buyer THEN
        v_aliases := omni_identity.buyer_cluster_aliases(p_tenant_id, v_f.email, v_f.phone, v_f.document);
        IF cardinality(v_aliases) = 0 THEN
            RETURN;
        END IF;
    END IF;
    -- Aggregate per stored customer_hash (and shop, for the distinct count) first, then
    -- map each group to its live cluster with one primary-key probe: a LATERAL with LIMIT
    -- stays a per-group probe, where a join lets the planner hash the tenant's clusters.
    -- The probe also brings the golden record when the group's cluster is the live one;
    -- only customers whose every sale still carries an alias need a second probe.
    RETURN QUERY
    WITH by_hash AS (
        SELECT s.customer_hash, s.shop_id,
               count(*) AS orders,
               coalesce(sum(s.amount), 0) AS total_amount,
               min(s.created_at) AS first_purchase_at,
               max(s.created_at) AS last_purchase_at
          FROM public.omni_sales s
         WHERE s.tenant_id = p_tenant_id
           AND (v_aliases IS NULL OR s.customer_hash = ANY (v_aliases))
           AND (v_f.name IS NULL OR strpos(omni_identity.normalize_name(s.buyer_name), v_f.name) > 0)
           AND (v_f.shop_id IS NULL OR s.shop_id = v_f.shop_id)
           AND (v_f.product_id IS NULL OR s.product_id = v_f.product_id)
           AND (v_f.status IS NULL OR s.status = v_f.status)
           AND (v_f.created_from IS NULL OR s.created_at >= v_f.created_from)
           AND (v_f.created_to IS NULL OR s.created_at < v_f.created_to)
         GROUP BY s.customer_hash, s.shop_id
    ), mapped AS (
        SELECT h.*, m.merged_into, m.last_buyer_email, m.last_buyer_phone, m.last_buyer_document,
               m.last_buyer_name, coalesce(m.is_live, false) AS is_live
          FROM by_hash h
          LEFT JOIN LATERAL (
                SELECT c.merged_into, c.last_buyer_email, c.last_buyer_phone, c.last_buyer_document,
                       c.last_buyer_name, c.merged_into IS NULL AS is_live
                  FROM omni_identity.customer_cluster c
                 WHERE c.tenant_id = p_tenant_id AND c.cluster_id = h.customer_hash
                 LIMIT 1) AS m ON true
    ), g AS (
        SELECT coalesce(x.merged_into, x.customer_hash) AS live,
               sum(x.orders)::bigint AS orders,
               sum(x.total_amount) AS total_amount,
               min(x.first_purchase_at) AS first_purchase_at,
               max(x.last_purchase_at) AS last_purchase_at,
               count(DISTINCT x.shop_id) AS shops,
               bool_or(x.is_live) AS have_golden,
               -- Every is_live row of a group is the same cluster row: max() picks its value.
               max(x.last_buyer_email) FILTER (WHERE x.is_live) AS email,
               max(x.last_buyer_phone) FILTER (WHERE x.is_live) AS phone,
               max(x.last_buyer_document) FILTER (WHERE x.is_live) AS document,
               max(x.last_buyer_name) FILTER (WHERE x.is_live) AS name
          FROM mapped x
         GROUP BY 1
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
