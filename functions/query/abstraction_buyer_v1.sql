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
       AND (v_f.email IS NULL OR omni_identity.normalize_email(s.buyer_email) = v_f.email)
       AND (v_f.phone IS NULL OR omni_identity.normalize_phone(s.buyer_phone) = v_f.phone)
       AND (v_f.document IS NULL OR omni_identity.normalize_document(s.buyer_document) = v_f.document)
       AND (v_f.name IS NULL OR strpos(omni_identity.normalize_name(s.buyer_name), v_f.name) > 0)
       AND (v_f.shop_id IS NULL OR s.shop_id = v_f.shop_id)
       AND (v_f.product_id IS NULL OR s.product_id = v_f.product_id)
       AND (v_f.status IS NULL OR s.status = v_f.status)
       AND (v_f.created_from IS NULL OR s.created_at >= v_f.created_from)
       AND (v_f.created_to IS NULL OR s.created_at < v_f.created_to)
     ORDER BY s.created_at DESC, s.id DESC
     LIMIT p_limit;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.abstraction_buyer_v1(text, jsonb, integer, jsonb)
    IS 'Legacy buyer query: filters over the sale''s own normalized columns; keyset pages.';
