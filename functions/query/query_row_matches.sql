-- The row filter of the query API (SPEC §7): whether a sale passes the filters that test
-- its own columns. Arguments are query_filters' normalized values; a NULL one is no filter.
-- email, phone and document are row filters only in the v1 meaning (the sale's own
-- normalized column equals the value); v2 callers pass NULL for them, their buyer filters
-- select the cluster instead. created_from is inclusive, created_to exclusive.
-- Plain SQL, no SET clause: the planner inlines it, so each test stays a qual of its own
-- that a custom plan folds to `col = value` (an index condition) or drops when NULL.
-- Written with IS NULL OR, never coalesce: under row-level security only leakproof quals
-- may become index conditions, and the planner treats coalesce as leaky.
-- The sale's columns are passed one by one, not as a whole omni_sales row: Citus sends a
-- query to a shard before the planner inlines, and on the shard the row type is the
-- shard's (omni_sales_102074), for which no such function exists.
CREATE OR REPLACE FUNCTION omni_identity.query_row_matches(
      p_buyer_email    text
    , p_buyer_phone    text
    , p_buyer_document text
    , p_buyer_name     text
    , p_sale_shop_id   text
    , p_sale_product   text
    , p_sale_status    text
    , p_sale_created   timestamptz
    , p_email          text
    , p_phone          text
    , p_document       text
    , p_name           text
    , p_shop_id        text
    , p_product_id     text
    , p_status         text
    , p_created_from   timestamptz
    , p_created_to     timestamptz
) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$
    SELECT (p_email IS NULL OR omni_identity.normalize_email(p_buyer_email) = p_email)
       AND (p_phone IS NULL OR omni_identity.normalize_phone(p_buyer_phone) = p_phone)
       AND (p_document IS NULL OR omni_identity.normalize_document(p_buyer_document) = p_document)
       AND (p_name IS NULL OR strpos(omni_identity.normalize_name(p_buyer_name), p_name) > 0)
       AND (p_shop_id IS NULL OR p_sale_shop_id = p_shop_id)
       AND (p_product_id IS NULL OR p_sale_product = p_product_id)
       AND (p_status IS NULL OR p_sale_status = p_status)
       AND (p_created_from IS NULL OR p_sale_created >= p_created_from)
       AND (p_created_to IS NULL OR p_sale_created < p_created_to)
$fn$;
COMMENT ON FUNCTION omni_identity.query_row_matches(text, text, text, text, text, text, text, timestamptz,
                                                    text, text, text, text, text, text, text,
                                                    timestamptz, timestamptz)
    IS 'Row filter of the query API: the sale (its columns) passes every non-NULL filter on its own columns (inlined).';
