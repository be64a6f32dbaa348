-- depends: 0070.index-key-blocklist-lookup
-- transactional: false
-- The regex rows of the blocklist, apart from the exact ones (see 0070): blocked_keys
-- tests every regex row of the three key types against the buyer's values.
CREATE INDEX CONCURRENTLY IF NOT EXISTS key_blocklist_regex_idx
    ON omni_identity.key_blocklist (key_type) WHERE is_regex;
