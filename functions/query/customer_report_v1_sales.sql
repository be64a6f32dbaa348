-- The sales customer_report_v1 counts, each with the customer it counts it under: the
-- filters in the v1 meaning (every filter is a row filter, buyer filters match the sale's
-- own normalized columns), and the customer is the normalized buyer e-mail (NULL: no
-- valid e-mail). phone and document come normalized, buyer_name as given.
-- customer_report_v1 aggregates these rows and compare_customer_reports pairs them with
-- customer_report_v2_sales, so the report and its audit cannot disagree on a sale.
CREATE OR REPLACE FUNCTION omni_identity.customer_report_v1_sales(
      p_tenant_id text
    , p_filters   jsonb
) RETURNS TABLE (
      id         bigint
    , created_at timestamptz
    , amount     numeric
    , shop_id    text
    , buyer_name text
    , email      text
    , phone      text
    , document   text
)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
#variable_conflict use_column
DECLARE
    v_f record;
BEGIN
    PERFORM omni_identity.require_tenant(p_tenant_id);
    SELECT * INTO v_f FROM omni_identity.query_filters(p_filters);
    IF v_f.matches_none THEN
        RETURN;
    END IF;
    RETURN QUERY
    SELECT s.id, s.created_at, s.amount, s.shop_id, s.buyer_name,
           omni_identity.normalize_email(s.buyer_email),
           omni_identity.normalize_phone(s.buyer_phone),
           omni_identity.normalize_document(s.buyer_document)
      FROM public.omni_sales s
     WHERE s.tenant_id = p_tenant_id
       AND omni_identity.query_row_matches(s, v_f.email, v_f.phone, v_f.document, v_f.name, v_f.shop_id,
                                           v_f.product_id, v_f.status, v_f.created_from, v_f.created_to);
END;
$fn$;
COMMENT ON FUNCTION omni_identity.customer_report_v1_sales(text, jsonb)
    IS 'The sales customer_report_v1 counts (v1 filter meaning), each with its normalized e-mail, phone and document.';
