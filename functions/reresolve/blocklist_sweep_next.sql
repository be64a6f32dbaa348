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
    v_own    jsonb;    -- tenant -> state, of the tenants with blocklist rows of their own
    v_stored jsonb;    -- tenant -> state stored by its last sweep ('*': the global rows)
    v_upgrading text[];
    v_next   text;
BEGIN
    SELECT coalesce(string_agg(pg_catalog.format('%s|%s|%L', b.key_type, b.is_regex, b.value_pattern), ','
                               ORDER BY b.key_type, b.is_regex, b.value_pattern COLLATE "C"), '')
      INTO v_global
      FROM omni_identity.key_blocklist b
     WHERE b.tenant_id IS NULL;

    -- Each table read by a statement of its own, the sets compared here: Citus cannot
    -- plan these tables (blocklist_sweep and evidence_upgrade distributed, key_blocklist a
    -- reference table) joined in one statement over every shard.
    SELECT coalesce(jsonb_object_agg(t.tenant_id, pg_catalog.md5(v_global || '/' || t.rows_text)), '{}')
      INTO v_own
      FROM (SELECT b.tenant_id
                 , string_agg(pg_catalog.format('%s|%s|%L', b.key_type, b.is_regex, b.value_pattern), ','
                              ORDER BY b.key_type, b.is_regex, b.value_pattern COLLATE "C") AS rows_text
              FROM omni_identity.key_blocklist b
             WHERE b.tenant_id IS NOT NULL
             GROUP BY b.tenant_id) t;
    SELECT coalesce(jsonb_object_agg(s.tenant_id, s.state), '{}') INTO v_stored
      FROM omni_identity.blocklist_sweep s;
    SELECT coalesce(array_agg(u.tenant_id), '{}') INTO v_upgrading
      FROM omni_identity.evidence_upgrade u
     WHERE u.completed_at IS NULL;

    SELECT c.tenant_id INTO v_tenant
      FROM (SELECT o.key AS tenant_id, o.value #>> '{}' AS state
              FROM jsonb_each(v_own) o
            UNION ALL
            SELECT s.key, pg_catalog.md5(v_global || '/')
              FROM jsonb_each(v_stored) s
             WHERE s.key <> '*' AND NOT v_own ? s.key) c
     WHERE (v_stored ->> c.tenant_id) IS DISTINCT FROM c.state
       AND c.tenant_id <> ALL (v_upgrading)
     ORDER BY c.tenant_id
     LIMIT 1;
    IF v_tenant IS NOT NULL THEN
        RETURN v_tenant;
    END IF;

    IF (v_stored ->> '*') IS NOT DISTINCT FROM pg_catalog.md5(v_global || '/') THEN
        RETURN NULL;
    END IF;
    -- The global rows changed: every tenant with keys (and no tenant rows: those were
    -- compared above) must have been swept against them. The tenants with keys, in
    -- order, one index probe each (a skip scan of the keys' primary key).
    SELECT min(k.tenant_id) INTO v_next FROM omni_identity.customer_cluster_keys k;
    WHILE v_next IS NOT NULL LOOP
        IF (v_stored ->> v_next) IS DISTINCT FROM pg_catalog.md5(v_global || '/')
           AND NOT v_own ? v_next
           AND v_next <> ALL (v_upgrading) THEN
            v_tenant := v_next;
            EXIT;
        END IF;
        SELECT min(k.tenant_id) INTO v_next FROM omni_identity.customer_cluster_keys k WHERE k.tenant_id > v_next;
    END LOOP;
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
