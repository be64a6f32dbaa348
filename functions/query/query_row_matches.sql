-- The row filter of the query API (SPEC §7): whether a sale passes the filters that test
-- its own columns. Arguments are query_filters' normalized values; a NULL one is no filter.
-- email, phone and document are row filters only in the v1 meaning (the sale's own
-- normalized column equals the value); v2 callers pass NULL for them, their buyer filters
-- select the cluster instead. created_from is inclusive, created_to exclusive.
-- Plain SQL, no SET clause: the planner inlines it, so each test stays a qual of its own
-- that a custom plan folds to `col = value` (an index condition) or drops when NULL.
-- Written with IS NULL OR, never coalesce: under row-level security only leakproof quals
-- may become index conditions, and the planner treats coalesce as leaky.
CREATE OR REPLACE FUNCTION omni_identity.query_row_matches(
      p_sale         public.omni_sales
    , p_email        text
    , p_phone        text
    , p_document     text
    , p_name         text
    , p_shop_id      text
    , p_product_id   text
    , p_status       text
    , p_created_from timestamptz
    , p_created_to   timestamptz
) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$
    SELECT (p_email IS NULL OR omni_identity.normalize_email((p_sale).buyer_email) = p_email)
       AND (p_phone IS NULL OR omni_identity.normalize_phone((p_sale).buyer_phone) = p_phone)
       AND (p_document IS NULL OR omni_identity.normalize_document((p_sale).buyer_document) = p_document)
       AND (p_name IS NULL OR strpos(omni_identity.normalize_name((p_sale).buyer_name), p_name) > 0)
       AND (p_shop_id IS NULL OR (p_sale).shop_id = p_shop_id)
       AND (p_product_id IS NULL OR (p_sale).product_id = p_product_id)
       AND (p_status IS NULL OR (p_sale).status = p_status)
       AND (p_created_from IS NULL OR (p_sale).created_at >= p_created_from)
       AND (p_created_to IS NULL OR (p_sale).created_at < p_created_to)
$fn$;
COMMENT ON FUNCTION omni_identity.query_row_matches(public.omni_sales, text, text, text, text, text, text, text,
                                                    timestamptz, timestamptz)
    IS 'Row filter of the query API: the sale passes every non-NULL filter on its own columns (inlined).';
