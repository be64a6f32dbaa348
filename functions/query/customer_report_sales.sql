-- The sales a customer report counts, one row per sale with the customer it counts it
-- for: the first stage of customer_report_v1 (p_by_cluster false) and _v2 (true), which
-- aggregate these rows, and the two sides compare_customer_reports pairs, so a report
-- and its audit cannot disagree on a sale or its customer.
--   v1: the filters in the v1 meaning (every filter is a row filter; buyer filters match
--       the sale's own normalized columns). The customer is the normalized e-mail (NULL:
--       no valid e-mail); phone and document come normalized from the sale, name as typed;
--       cluster_id is NULL, is_live false.
--   v2: the filters in the v2 meaning (email, phone and document select the live cluster
--       owning them and every cluster merged into it, buyer_cluster_aliases; the others
--       are row filters). The customer is cluster_id, the live cluster of the sale's
--       customer_hash (a sale still carrying a merged-away cluster counts for its
--       survivor; NULL: no cluster). is_live says the stored cluster is that live one.
--       email, phone, document and name are the live cluster's golden record (read
--       here, one probe per stored cluster and one per merged-away one, so that
--       customer_report_v2 reads no table itself: on Citus a statement reading this
--       function's rows and a distributed table would nest distributed queries).
CREATE OR REPLACE FUNCTION omni_identity.customer_report_sales(
      p_tenant_id  text
    , p_filters    jsonb
    , p_by_cluster boolean
) RETURNS TABLE (
      id         bigint
    , created_at timestamptz
    , amount     numeric
    , shop_id    text
    , cluster_id uuid
    , is_live    boolean
    , email      text
    , phone      text
    , document   text
    , name       text
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
    IF NOT p_by_cluster THEN
        RETURN QUERY
        SELECT s.id, s.created_at, s.amount, s.shop_id, NULL::uuid, false,
               omni_identity.normalize_email(s.buyer_email),
               omni_identity.normalize_phone(s.buyer_phone),
               omni_identity.normalize_document(s.buyer_document),
               s.buyer_name
          FROM public.omni_sales s
         WHERE s.tenant_id = p_tenant_id
           AND omni_identity.query_row_matches(s.buyer_email, s.buyer_phone, s.buyer_document, s.buyer_name, s.shop_id,
                                           s.product_id, s.status, s.created_at, v_f.email, v_f.phone, v_f.document, v_f.name, v_f.shop_id,
                                               v_f.product_id, v_f.status, v_f.created_from, v_f.created_to);
        RETURN;
    END IF;
    IF v_f.by_buyer THEN
        v_aliases := omni_identity.buyer_cluster_aliases(p_tenant_id, v_f.email, v_f.phone, v_f.document);
        IF cardinality(v_aliases) = 0 THEN
            RETURN;
        END IF;
    END IF;
    -- One primary-key probe per stored cluster, not per sale: a LATERAL with LIMIT stays
    -- a probe, where a join lets the planner hash the tenant's clusters.
    RETURN QUERY
    WITH sel AS (
        SELECT s.id, s.created_at, s.amount, s.shop_id, s.customer_hash
          FROM public.omni_sales s
         WHERE s.tenant_id = p_tenant_id
           AND (v_aliases IS NULL OR s.customer_hash = ANY (v_aliases))
           AND omni_identity.query_row_matches(s.buyer_email, s.buyer_phone, s.buyer_document, s.buyer_name, s.shop_id,
                                           s.product_id, s.status, s.created_at, NULL, NULL, NULL, v_f.name, v_f.shop_id, v_f.product_id,
                                               v_f.status, v_f.created_from, v_f.created_to)
    ), stored AS (
        SELECT h.customer_hash, m.merged_into, m.is_live,
               CASE WHEN m.is_live THEN m.last_buyer_email ELSE l.last_buyer_email END AS email,
               CASE WHEN m.is_live THEN m.last_buyer_phone ELSE l.last_buyer_phone END AS phone,
               CASE WHEN m.is_live THEN m.last_buyer_document ELSE l.last_buyer_document END AS document,
               CASE WHEN m.is_live THEN m.last_buyer_name ELSE l.last_buyer_name END AS name
          FROM (SELECT DISTINCT sel.customer_hash FROM sel WHERE sel.customer_hash IS NOT NULL) AS h
          LEFT JOIN LATERAL (
                SELECT c.merged_into, c.merged_into IS NULL AS is_live, c.last_buyer_email,
                       c.last_buyer_phone, c.last_buyer_document, c.last_buyer_name
                  FROM omni_identity.customer_cluster c
                 WHERE c.tenant_id = p_tenant_id AND c.cluster_id = h.customer_hash
                 LIMIT 1) AS m ON true
          LEFT JOIN LATERAL (
                SELECT c.last_buyer_email, c.last_buyer_phone, c.last_buyer_document, c.last_buyer_name
                  FROM omni_identity.customer_cluster c
                 WHERE NOT m.is_live AND c.tenant_id = p_tenant_id AND c.cluster_id = m.merged_into
                 LIMIT 1) AS l ON true
    )
    SELECT sel.id, sel.created_at, sel.amount, sel.shop_id,
           coalesce(st.merged_into, sel.customer_hash), coalesce(st.is_live, false),
           st.email, st.phone, st.document, st.name
      FROM sel
      LEFT JOIN stored st ON st.customer_hash = sel.customer_hash;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.customer_report_sales(text, jsonb, boolean)
    IS 'The sales customer_report_v1 (p_by_cluster false) or _v2 (true) counts, each with the customer it counts it for.';
