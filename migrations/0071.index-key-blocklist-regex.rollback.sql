-- transactional: false
DROP INDEX CONCURRENTLY IF EXISTS omni_identity.key_blocklist_regex_idx;
