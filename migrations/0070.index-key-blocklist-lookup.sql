-- depends: 0042.create-trigger-omni-sales-auto-resolve
-- transactional: false
-- resolve_customer_cluster checks a buyer's values against the blocklist in two index
-- scans (blocked_keys): the exact rows by value, whatever their tenant and key type (one
-- probe per value), and the regex rows, which this partial index keeps apart from the
-- exact ones however many of those a tenant adds. CONCURRENTLY: the table is read by
-- every resolve call.
CREATE INDEX CONCURRENTLY IF NOT EXISTS key_blocklist_exact_value_idx
    ON omni_identity.key_blocklist (value_pattern) WHERE NOT is_regex;
