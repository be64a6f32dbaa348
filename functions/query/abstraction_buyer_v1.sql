-- Legacy "all purchases of this buyer" (abstractionBuyer v1): every filter is a filter
-- over the rows. email/phone/document match the sale's own columns after normalization,
-- name is a substring of the normalized buyer name. One keyset page in
-- (created_at DESC, id DESC) order; p_after is the last row of the previous page.
CREATE OR REPLACE FUNCTION omni_identity.abstraction_buyer_v1(
      p_tenant_id text
    , p_filters   jsonb
    , p_limit     integer DEFAULT 50
    , p_after     jsonb   DEFAULT NULL
) RETURNS SETOF public.omni_sales
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_f    record;
    v_page record;
BEGIN
    PERFORM omni_identity.require_tenant(p_tenant_id);
    SELECT * INTO v_f FROM omni_identity.query_filters(p_filters);
    SELECT * INTO v_page FROM omni_identity.query_page(p_limit, p_after);
    IF v_f.matches_none THEN
        RETURN;
    END IF;
    RETURN QUERY
    SELECT s.*
      FROM public.omni_sales s
     WHERE s.tenant_id = p_tenant_id
       AND (s.created_at, s.id) < (v_page.after_at, v_page.after_id)
       AND omni_identity.query_row_matches(s.buyer_email, s.buyer_phone, s.buyer_document, s.buyer_name, s.shop_id,
                                           s.product_id, s.status, s.created_at, v_f.email, v_f.phone, v_f.document, v_f.name, v_f.shop_id,
                                           v_f.product_id, v_f.status, v_f.created_from, v_f.created_to)
     ORDER BY s.created_at DESC, s.id DESC
     LIMIT p_limit;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.abstraction_buyer_v1(text, jsonb, integer, jsonb)
    IS 'Legacy buyer query: filters over the sale''s own normalized columns; keyset pages.';
