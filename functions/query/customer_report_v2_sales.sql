-- The sales customer_report_v2 counts, each with the customer_hash it carries: the
-- filters in the v2 meaning (email, phone and document select the live cluster owning
-- them and every cluster merged into it, buyer_cluster_aliases; the others are row
-- filters). A sale counts for the live cluster of its customer_hash (NULL: no cluster),
-- which the callers look up: customer_report_v2 once per group of sales.
-- customer_report_v2 aggregates these rows and compare_customer_reports pairs them with
-- customer_report_v1_sales, so the report and its audit cannot disagree on a sale.
CREATE OR REPLACE FUNCTION omni_identity.customer_report_v2_sales(
      p_tenant_id text
    , p_filters   jsonb
) RETURNS TABLE (
      id            bigint
    , created_at    timestamptz
    , amount        numeric
    , shop_id       text
    , customer_hash uuid
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
    RETURN QUERY
    SELECT s.id, s.created_at, s.amount, s.shop_id, s.customer_hash
      FROM public.omni_sales s
     WHERE s.tenant_id = p_tenant_id
       AND (v_aliases IS NULL OR s.customer_hash = ANY (v_aliases))
       AND omni_identity.query_row_matches(s, NULL, NULL, NULL, v_f.name, v_f.shop_id, v_f.product_id,
                                           v_f.status, v_f.created_from, v_f.created_to);
END;
$fn$;
COMMENT ON FUNCTION omni_identity.customer_report_v2_sales(text, jsonb)
    IS 'The sales customer_report_v2 counts (v2 filter meaning), each with its stored customer_hash.';
