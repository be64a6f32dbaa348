-- The state of the blocklist rows that apply to one tenant (design §2, §9): a digest of
-- the global rows' (key_type, is_regex, value_pattern), then of the tenant's, in one
-- fixed order (p_tenant_id NULL: the global rows alone). blocklist_sweep stores the state
-- each tenant was last swept against; a different state means rows were added, changed
-- or removed since (only added or changed rows need a sweep, but a digest cannot tell,
-- and a sweep that finds nothing changes nothing). blocklist_sweep_next computes the same
-- digest for every tenant at once from blocklist_rows_text.
CREATE OR REPLACE FUNCTION omni_identity.blocklist_state(p_tenant_id text)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_global text;
    v_tenant text;
BEGIN
    SELECT string_agg(pg_catalog.format('%s|%s|%L', b.key_type, b.is_regex, b.value_pattern), ','
                      ORDER BY b.key_type, b.is_regex, b.value_pattern COLLATE "C")
      INTO v_global
      FROM omni_identity.key_blocklist b
     WHERE b.tenant_id IS NULL;
    IF p_tenant_id IS NOT NULL THEN
        SELECT string_agg(pg_catalog.format('%s|%s|%L', b.key_type, b.is_regex, b.value_pattern), ','
                          ORDER BY b.key_type, b.is_regex, b.value_pattern COLLATE "C")
          INTO v_tenant
          FROM omni_identity.key_blocklist b
         WHERE b.tenant_id = p_tenant_id;
    END IF;
    RETURN pg_catalog.md5(coalesce(v_global, '') || '/' || coalesce(v_tenant, ''));
END;
$fn$;
COMMENT ON FUNCTION omni_identity.blocklist_state(text)
    IS 'Digest of the blocklist rows that apply to a tenant (NULL: the global rows): what blocklist_sweep compares.';
