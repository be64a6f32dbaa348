-- transactional: false
DROP INDEX CONCURRENTLY IF EXISTS omni_identity.key_evidence_linked_idx;
