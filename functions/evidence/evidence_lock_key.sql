-- The advisory-lock key of a tenant's evidence lock (level L0, design §5). Shared: every
-- resolve_customer_cluster call from before its removed-keys check to the end of its
-- transaction (the fast path holds nothing else: it appends to resolve_evidence_log).
-- Exclusive: evidence_fold (evidence_lock_exclusive), so a fold sees every log row whose
-- call checked removed keys before it, and no call checks removed keys between a
-- block/forget/split and its commit. Batches never take it.
CREATE OR REPLACE FUNCTION omni_identity.evidence_lock_key(p_tenant_id text)
RETURNS bigint
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $fn$
    SELECT pg_catalog.hashtextextended('omni_identity.evidence:' || p_tenant_id, 0)
$fn$;
COMMENT ON FUNCTION omni_identity.evidence_lock_key(text)
    IS 'Advisory-lock key of a tenant''s evidence lock (L0): shared by resolve_customer_cluster, exclusive for evidence_fold.';
