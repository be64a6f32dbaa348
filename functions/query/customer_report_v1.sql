-- Legacy customer report: one row per normalized buyer e-mail (cluster_id NULL) over the
-- sales the filters select with v1 meaning, plus one row for the sales without a valid
-- e-mail (email NULL), so the rows add up to every selected sale. phone, document and
-- name are those of the customer's latest sale that has one (phone and document
-- normalized, name as given). total_amount sums amount over every currency (NULL = 0).
CREATE OR REPLACE FUNCTION omni_identity.customer_report_v1(
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
    v_f record;
BEGIN
    PERFORM omni_identity.require_tenant(p_tenant_id);
    SELECT * INTO v_f FROM omni_identity.query_filters(p_filters);
    IF v_f.matches_none THEN
        RETURN;
    END IF;
    RETURN QUERY
    WITH sel AS (
        SELECT s.id, s.created_at, s.amount, s.shop_id, s.buyer_name,
               omni_identity.normalize_email(s.buyer_email) AS n_email,
               omni_identity.normalize_phone(s.buyer_phone) AS n_phone,
               omni_identity.normalize_document(s.buyer_document) AS n_document
          FROM public.omni_sales s
         WHERE s.tenant_id = p_tenant_id
           AND (v_f.email IS NULL OR omni_identity.normalize_email(s.buyer_email) = v_f.email)
           AND (v_f.phone IS NULL OR omni_identity.normalize_phone(s.buyer_phone) = v_f.phone)
           AND (v_f.document IS NULL OR omni_identity.normalize_document(s.buyer_document) = v_f.document)
           AND (v_f.name IS NULL OR strpos(omni_identity.normalize_name(s.buyer_name), v_f.name) > 0)
           AND (v_f.shop_id IS NULL OR s.shop_id = v_f.shop_id)
           AND (v_f.product_id IS NULL OR s.product_id = v_f.product_id)
           AND (v_f.status IS NULL OR s.status = v_f.status)
           AND (v_f.created_from IS NULL OR s.created_at >= v_f.created_from)
           AND (v_f.created_to IS NULL OR s.created_at < v_f.created_to)
    )
    SELECT NULL::uuid,
           sel.n_email,
           CASE WHEN sel.n_email IS NOT NULL THEN
               (array_agg(sel.n_phone ORDER BY sel.created_at DESC, sel.id DESC)
                    FILTER (WHERE sel.n_phone IS NOT NULL))[1] END,
           CASE WHEN sel.n_email IS NOT NULL THEN
               (array_agg(sel.n_document ORDER BY sel.created_at DESC, sel.id DESC)
                    FILTER (WHERE sel.n_document IS NOT NULL))[1] END,
           CASE WHEN sel.n_email IS NOT NULL THEN
               (array_agg(btrim(sel.buyer_name) ORDER BY sel.created_at DESC, sel.id DESC)
                    FILTER (WHERE btrim(sel.buyer_name) <> ''))[1] END,
           count(*),
           coalesce(sum(sel.amount), 0),
           min(sel.created_at),
           max(sel.created_at),
           count(DISTINCT sel.shop_id)
      FROM sel
     GROUP BY sel.n_email
     ORDER BY sel.n_email IS NULL, coalesce(sum(sel.amount), 0) DESC, count(*) DESC, sel.n_email;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.customer_report_v1(text, jsonb)
    IS 'Legacy customer report: one row per normalized buyer e-mail, plus the sales without one.';
