-- Legacy customer report: one row per normalized buyer e-mail (cluster_id NULL) over the
-- sales customer_report_sales selects in the v1 meaning, plus one row for the sales
-- without a valid e-mail (email NULL), so the rows add up to every selected sale. phone,
-- document and name are those of the customer's latest sale that has one (phone and
-- document normalized, name as given). total_amount sums amount over every currency
-- (NULL = 0).
CREATE OR REPLACE FUNCTION omni_identity.customer_report_v1(
      p_tenant_id text
    , p_filters   jsonb DEFAULT '{}'
) RETURNS SETOF omni_identity.customer_report_row
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    PERFORM omni_identity.require_tenant(p_tenant_id);
    RETURN QUERY
    SELECT NULL::uuid,
           s.email,
           CASE WHEN s.email IS NOT NULL THEN
               (array_agg(s.phone ORDER BY s.created_at DESC, s.id DESC)
                    FILTER (WHERE s.phone IS NOT NULL))[1] END,
           CASE WHEN s.email IS NOT NULL THEN
               (array_agg(s.document ORDER BY s.created_at DESC, s.id DESC)
                    FILTER (WHERE s.document IS NOT NULL))[1] END,
           CASE WHEN s.email IS NOT NULL THEN
               (array_agg(btrim(s.name) ORDER BY s.created_at DESC, s.id DESC)
                    FILTER (WHERE btrim(s.name) <> ''))[1] END,
           count(*),
           coalesce(sum(s.amount), 0),
           min(s.created_at),
           max(s.created_at),
           count(DISTINCT s.shop_id)
      FROM omni_identity.customer_report_sales(p_tenant_id, p_filters, false) AS s
     GROUP BY s.email
     ORDER BY s.email IS NULL, coalesce(sum(s.amount), 0) DESC, count(*) DESC, s.email;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.customer_report_v1(text, jsonb)
    IS 'Legacy customer report: one row per normalized buyer e-mail, plus the sales without one.';
