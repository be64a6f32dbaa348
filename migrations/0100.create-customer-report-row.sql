-- depends: 0086.index-sales-rejects-raw-sha256
-- The row of the customer report (SPEC §7), defined once: customer_report, _v1 and _v2
-- return SETOF it (functions/query/) instead of each spelling the same RETURNS TABLE.
-- A function's result type cannot be replaced, so the three are dropped here; the
-- migrate that applies this migration re-creates them from functions/ right after, in
-- the transaction that also grants them.
-- squawk-ignore-file ban-drop-function
CREATE TYPE omni_identity.customer_report_row AS (
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
);
COMMENT ON TYPE omni_identity.customer_report_row
    IS 'One row of customer_report_v1/_v2: a customer (v1 e-mail, v2 live cluster) and its sales totals.';
DROP FUNCTION IF EXISTS omni_identity.customer_report(text, jsonb);
DROP FUNCTION IF EXISTS omni_identity.customer_report_v1(text, jsonb);
DROP FUNCTION IF EXISTS omni_identity.customer_report_v2(text, jsonb);
