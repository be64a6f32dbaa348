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
    v_set_tenants    text[];
    v_set_at         timestamptz[];
    v_set_values     jsonb[];
    v_app_tenants    text[];
    v_app_at         timestamptz[];
    v_app_thresholds integer[];
    v_upgrading      text[];
BEGIN
    -- Each table read by a statement of its own, compared here: Citus cannot plan these
    -- distributed tables joined in one statement over every shard.
    SELECT coalesce(array_agg(s.tenant_id), '{}'), coalesce(array_agg(s.updated_at), '{}'),
           coalesce(array_agg(s.value), '{}')
      INTO v_set_tenants, v_set_at, v_set_values
      FROM omni_identity.settings s
     WHERE s.key = 'generic_threshold';
    SELECT coalesce(array_agg(a.tenant_id), '{}'), coalesce(array_agg(a.applied_at), '{}'),
           coalesce(array_agg(a.threshold), '{}')
      INTO v_app_tenants, v_app_at, v_app_thresholds
      FROM omni_identity.generic_applied a;
    SELECT coalesce(array_agg(u.tenant_id), '{}') INTO v_upgrading
      FROM omni_identity.evidence_upgrade u
     WHERE u.completed_at IS NULL;

    -- The current threshold as generic_threshold reads it: a whole number, else 20.
    SELECT c.tenant_id INTO v_tenant
      FROM (SELECT s.tenant_id, s.updated_at FROM unnest(v_set_tenants, v_set_at) s(tenant_id, updated_at)
            UNION ALL
            SELECT a.tenant_id, NULL FROM unnest(v_app_tenants) a(tenant_id)) c
      LEFT JOIN unnest(v_app_tenants, v_app_at, v_app_thresholds) a(tenant_id, applied_at, threshold)
             ON a.tenant_id = c.tenant_id
      LEFT JOIN unnest(v_set_tenants, v_set_values) v(tenant_id, value) ON v.tenant_id = c.tenant_id
     WHERE (a.tenant_id IS NULL OR a.threshold IS NULL OR c.updated_at > a.applied_at
            OR a.threshold <> CASE WHEN jsonb_typeof(v.value) = 'number' AND (v.value #>> '{}') ~ '^[0-9]{1,9}$'
                                   THEN (v.value #>> '{}')::integer ELSE 20 END)
       AND c.tenant_id <> ALL (v_upgrading)
     ORDER BY c.tenant_id
     LIMIT 1;
    RETURN v_tenant;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.generic_sweep_next()
    IS 'Next tenant whose keys must be re-evaluated under a changed generic_threshold, or NULL.';
