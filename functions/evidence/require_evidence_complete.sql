-- Block, forget and split recompute clusters from evidence (design §9); on a tenant whose
-- clusters predate evidence and whose upgrade job has not finished, evidence is missing
-- and a recomputation would split wrongly, so they refuse with OI050 instead.
CREATE OR REPLACE FUNCTION omni_identity.require_evidence_complete(p_tenant_id text)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    IF EXISTS (SELECT FROM omni_identity.evidence_upgrade u
                WHERE u.tenant_id = p_tenant_id AND u.completed_at IS NULL) THEN
        RAISE EXCEPTION 'the evidence of tenant % is incomplete: its clusters predate evidence and the upgrade has not finished', p_tenant_id
            USING ERRCODE = 'OI050',
                  HINT = 'Run omni-identity evidence-upgrade (docs/reresolution.md, "Upgrading"), then retry.';
    END IF;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.require_evidence_complete(text)
    IS 'OI050 unless the tenant''s evidence is complete (no unfinished evidence upgrade).';
