-- depends: 0160.create-resolve-evidence-log
-- transactional: false
-- top_identifiers (SPEC §13): a tenant's keys with the most distinct neighbours of one
-- other type first, as a walk of this index stopped at the limit, never a scan of the
-- evidence. Built without blocking the writers of evidence meanwhile.
CREATE INDEX CONCURRENTLY IF NOT EXISTS key_evidence_linked_idx
    ON omni_identity.key_evidence (tenant_id, (GREATEST(linked_emails, linked_phones, linked_documents)) DESC);
