-- "All purchases of this customer" (abstractionBuyer v2): email/phone/document select the
-- live cluster owning all of them (buyer_cluster_aliases) and every sale of it, including
-- sales still carrying a merged-away alias; name and the other filters stay row filters.
-- Without a buyer filter it is v1. Each alias is one probe of the (tenant_id,
-- customer_hash) index with the keyset predicate and the row filters pushed in and at
-- most p_limit rows kept; the page merges those. A page costs the same at any depth:
-- it reads the cluster's rows once, never the rows of earlier pages of the tenant.
CREATE OR REPLACE FUNCTION omni_identity.abstraction_buyer_v2(
      p_tenant_id text
    , p_filters   jsonb
    , p_limit     integer DEFAULT 50
    , p_after     jsonb   DEFAULT NULL
) RETURNS SETOF public.omni_sales
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
-- The page is one index probe per alias whatever the values, so the generic plan is the
-- right one (tests_py/test_query_plans.py checks it, analyzed or not); planning a custom
-- plan on every call cost more than running the statement (BENCHMARKS.md, figures from comments).
SET plan_cache_mode = force_generic_plan
AS $fn$
DECLARE
    v_f       record;
    v_page    record;
    v_aliases uuid[];
BEGIN
    PERFORM omni_identity.require_tenant(p_tenant_id);
    SELECT * INTO v_f FROM omni_identity.query_filters(p_filters);
    SELECT * INTO v_page FROM omni_identity.query_page(p_limit, p_after);
    IF v_f.matches_none THEN
        RETURN;
    END IF;
    IF NOT v_f.by_buyer THEN
        RETURN QUERY SELECT * FROM omni_identity.abstraction_buyer_v1(p_tenant_id, p_filters, p_limit, p_after);
        RETURN;
    END IF;
    v_aliases := omni_identity.buyer_cluster_aliases(p_tenant_id, v_f.email, v_f.phone, v_f.document);
    IF cardinality(v_aliases) = 0 THEN
        RETURN;
    END IF;
    IF pg_catalog.current_setting('citus.version', true) IS NOT NULL THEN
        -- Under Citus (its library loaded): the same statement planned with the call's
        -- values (EXECUTE), as Citus cannot plan it generically ("could not create
        -- distributed plan"); one node keeps the generic plan above.
        RETURN QUERY EXECUTE $q$
        SELECT p.*
          FROM unnest($2) AS a(cluster_id)
         CROSS JOIN LATERAL (
                SELECT s.*
                  FROM public.omni_sales s
                 WHERE s.tenant_id = $1
                   AND s.customer_hash = a.cluster_id
                   AND (s.created_at, s.id) < ($3, $4)
                   AND omni_identity.query_row_matches(s.buyer_email, s.buyer_phone, s.buyer_document, s.buyer_name,
                                                       s.shop_id, s.product_id, s.status, s.created_at, NULL, NULL,
                                                       NULL, $5, $6, $7, $8, $9, $10)
                 ORDER BY s.created_at DESC, s.id DESC
                 LIMIT $11) AS p
         ORDER BY p.created_at DESC, p.id DESC
         LIMIT $11 $q$
        USING p_tenant_id, v_aliases, v_page.after_at, v_page.after_id, v_f.name, v_f.shop_id, v_f.product_id,
              v_f.status, v_f.created_from, v_f.created_to, p_limit;
        RETURN;
    END IF;
    RETURN QUERY
    SELECT p.*
      FROM unnest(v_aliases) AS a(cluster_id)
     CROSS JOIN LATERAL (
            SELECT s.*
              FROM public.omni_sales s
             WHERE s.tenant_id = p_tenant_id
               AND s.customer_hash = a.cluster_id
               AND (s.created_at, s.id) < (v_page.after_at, v_page.after_id)
               AND omni_identity.query_row_matches(s.buyer_email, s.buyer_phone, s.buyer_document, s.buyer_name, s.shop_id,
                                           s.product_id, s.status, s.created_at, NULL, NULL, NULL, v_f.name, v_f.shop_id, v_f.product_id,
                                                   v_f.status, v_f.created_from, v_f.created_to)
             ORDER BY s.created_at DESC, s.id DESC
             LIMIT p_limit) AS p
     ORDER BY p.created_at DESC, p.id DESC
     LIMIT p_limit;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.abstraction_buyer_v2(text, jsonb, integer, jsonb)
    IS 'Buyer query by customer cluster (and unreconciled aliases) via the customer_hash index; keyset pages.';
