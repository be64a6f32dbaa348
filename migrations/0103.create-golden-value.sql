-- depends: 0100.create-customer-report-row
-- The golden-record order (design §4) as a type: a candidate value with its seen_at,
-- compared as a row — seen_at first, then the value by code point (COLLATE "C" on the
-- column, so the order is the same in every database whatever its default collation).
-- golden_rank (functions/cluster/golden_rank.sql) builds it; every caller that orders,
-- picks or compares golden values goes through that one function.
CREATE TYPE omni_identity.golden_value AS (
    seen_at timestamptz,
    value   text COLLATE "C"
);
