-- The next tenant whose keys the blocklist must be swept against (design §9), or NULL: a
-- tenant whose stored blocklist_sweep state differs from blocklist_state(tenant). Cheap
-- when nothing changed: one read of the blocklist and of blocklist_sweep. Candidates are
-- the tenants with blocklist rows of their own or a stored state; and, while the global
-- rows differ from the state stored under '*', every tenant that has keys (found by a
-- skip scan of the keys' primary key, one probe per tenant). When those are all swept,
-- '*' takes the global state, and until the global rows change again only the first
-- kind are looked at. A tenant whose evidence upgrade has not finished is never swept (a
-- split would read incomplete evidence); completing the upgrade stores a state no
-- blocklist has, so the next reconcile sweeps it (evidence_upgrade_batch).
CREATE OR REPLACE FUNCTION omni_identity.blocklist_sweep_next()
RETURNS text
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $fn$
DECLARE
    v_global text;
    v_tenant text;
BEGIN
    SELECT coalesce(string_agg(pg_catalog.format('%s|%s|%L', b.key_type, b.is_regex, b.value_pattern), ','
                               ORDER BY b.key_type, b.is_regex, b.value_pattern COLLATE "C"), '')
      INTO v_global
      FROM omni_identity.key_blocklist b
     WHERE b.tenant_id IS NULL;

    SELECT c.tenant_id INTO v_tenant
      FROM (SELECT t.tenant_id, pg_catalog.md5(v_global || '/' || t.rows_text) AS state
              FROM (SELECT b.tenant_id
                         , string_agg(pg_catalog.format('%s|%s|%L', b.key_type, b.is_regex, b.value_pattern), ','
                                      ORDER BY b.key_type, b.is_regex, b.value_pattern COLLATE "C") AS rows_text
                      FROM omni_identity.key_blocklist b
                     WHERE b.tenant_id IS NOT NULL
                     GROUP BY b.tenant_id) t
            UNION ALL
            SELECT s.tenant_id, pg_catalog.md5(v_global || '/')
              FROM omni_identity.blocklist_sweep s
             WHERE s.tenant_id <> '*'
               AND NOT EXISTS (SELECT FROM omni_identity.key_blocklist b WHERE b.tenant_id = s.tenant_id)) c
      LEFT JOIN omni_identity.blocklist_sweep s ON s.tenant_id = c.tenant_id
     WHERE s.state IS DISTINCT FROM c.state
       AND NOT EXISTS (SELECT FROM omni_identity.evidence_upgrade u
                        WHERE u.tenant_id = c.tenant_id AND u.completed_at IS NULL)
     ORDER BY c.tenant_id
     LIMIT 1;
    IF v_tenant IS NOT NULL THEN
        RETURN v_tenant;
    END IF;

    IF EXISTS (SELECT FROM omni_identity.blocklist_sweep s
                WHERE s.tenant_id = '*' AND s.state = pg_catalog.md5(v_global || '/')) THEN
        RETURN NULL;
    END IF;
    -- The global rows changed: every tenant with keys (and no tenant rows: those were
    -- compared above) must have been swept against them.
    WITH RECURSIVE t(tenant_id) AS (
        SELECT (SELECT min(k.tenant_id) FROM omni_identity.customer_cluster_keys k)
        UNION ALL
        SELECT (SELECT min(k.tenant_id) FROM omni_identity.customer_cluster_keys k WHERE k.tenant_id > t.tenant_id)
          FROM t WHERE t.tenant_id IS NOT NULL
    )
    SELECT t.tenant_id INTO v_tenant
      FROM t
      LEFT JOIN omni_identity.blocklist_sweep s ON s.tenant_id = t.tenant_id
     WHERE t.tenant_id IS NOT NULL
       AND s.state IS DISTINCT FROM pg_catalog.md5(v_global || '/')
       AND NOT EXISTS (SELECT FROM omni_identity.key_blocklist b WHERE b.tenant_id = t.tenant_id)
       AND NOT EXISTS (SELECT FROM omni_identity.evidence_upgrade u
                        WHERE u.tenant_id = t.tenant_id AND u.completed_at IS NULL)
     ORDER BY t.tenant_id
     LIMIT 1;
    IF v_tenant IS NULL THEN
        INSERT INTO omni_identity.blocklist_sweep (tenant_id, state, swept_at)
        VALUES ('*', pg_catalog.md5(v_global || '/'), now())
        ON CONFLICT (tenant_id) DO UPDATE SET state = EXCLUDED.state, swept_at = EXCLUDED.swept_at;
    END IF;
    RETURN v_tenant;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.blocklist_sweep_next()
    IS 'Next tenant whose keys must be swept against a changed blocklist, or NULL (records the global state once every tenant is swept).';
