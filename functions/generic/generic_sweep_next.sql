-- The next tenant whose keys reconcile must re-evaluate under the generic-value rule
-- (SPEC §12: a new generic_threshold takes effect at the next reconcile), or NULL: a
-- tenant whose generic_threshold was set (set_setting) since reconcile last applied one
-- (generic_applied: no row, an older applied_at, another value — writers between the
-- two may have detached keys under any value set meanwhile), or whose row was reset to
-- NULL (remove_keys lowered counters of keys without a key row). A tenant that never set
-- the threshold and removed nothing has no row of either: never picked. Reads the
-- settings rows of that one key and generic_applied: cheap when nothing changed.
-- Tenants whose evidence upgrade is unfinished wait (their evidence is incomplete).
CREATE OR REPLACE FUNCTION omni_identity.generic_sweep_next()
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_tenant text;
BEGIN
    SELECT c.tenant_id INTO v_tenant
      FROM (SELECT s.tenant_id, s.updated_at FROM omni_identity.settings s WHERE s.key = 'generic_threshold'
            UNION ALL
            SELECT a.tenant_id, NULL FROM omni_identity.generic_applied a) c
      LEFT JOIN omni_identity.generic_applied a ON a.tenant_id = c.tenant_id
     WHERE (a.tenant_id IS NULL OR a.threshold IS NULL OR c.updated_at > a.applied_at
            OR a.threshold <> omni_identity.generic_threshold(c.tenant_id))
       AND NOT EXISTS (SELECT FROM omni_identity.evidence_upgrade u
                        WHERE u.tenant_id = c.tenant_id AND u.completed_at IS NULL)
     ORDER BY c.tenant_id
     LIMIT 1;
    RETURN v_tenant;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.generic_sweep_next()
    IS 'Next tenant whose keys must be re-evaluated under a changed generic_threshold, or NULL.';
