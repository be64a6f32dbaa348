-- The clusters whose sales belong to the buyer named by normalized keys: the live cluster
-- owning every given key first, then every cluster merged into it (its sales may still
-- carry the old id until reconcile_merges repoints them). Empty when a key is unknown
-- (or blocked: blocked values are never keys) or the keys belong to different clusters.
-- One primary-key probe per given key, one per cluster found, one per alias list.
CREATE OR REPLACE FUNCTION omni_identity.buyer_cluster_aliases(
      p_tenant_id text
    , p_email     text
    , p_phone     text
    , p_document  text
) RETURNS uuid[]
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_owner   uuid;
    v_live    uuid;
    v_current uuid;
    v_type    text;
    v_value   text;
    v_aliases uuid[];
    v_merged  uuid[];
    v_from    uuid[];
BEGIN
    FOR i IN 1 .. 3 LOOP
        v_type := (ARRAY['email', 'phone', 'document'])[i];
        v_value := CASE i WHEN 1 THEN p_email WHEN 2 THEN p_phone ELSE p_document END;
        CONTINUE WHEN v_value IS NULL;
        SELECT k.cluster_id INTO v_owner
          FROM omni_identity.customer_cluster_keys k
         WHERE k.tenant_id = p_tenant_id AND k.key_type = v_type AND k.key_value = v_value;
        IF NOT FOUND THEN
            RETURN '{}'::uuid[];
        END IF;
        -- Keys point at live clusters; follow merged_into in case a merge moved it since.
        SELECT coalesce(c.merged_into, c.cluster_id) INTO v_current
          FROM omni_identity.customer_cluster c
         WHERE c.tenant_id = p_tenant_id AND c.cluster_id = v_owner;
        IF v_live IS NULL THEN
            v_live := v_current;
        ELSIF v_live IS DISTINCT FROM v_current THEN
            RETURN '{}'::uuid[];
        END IF;
    END LOOP;
    IF v_live IS NULL THEN
        RETURN '{}'::uuid[];
    END IF;
    -- Two statements, not one UNION: under the generic plans of abstraction_buyer_v2
    -- Citus cannot plan a UNION of two distributed tables' reads.
    SELECT array_agg(c.cluster_id) INTO v_merged
      FROM omni_identity.customer_cluster c
     WHERE c.tenant_id = p_tenant_id AND c.merged_into = v_live;
    SELECT array_agg(m.from_cluster) INTO v_from
      FROM omni_identity.customer_cluster_merges m
     WHERE m.tenant_id = p_tenant_id AND m.into_cluster = v_live;
    SELECT array_agg(DISTINCT a.cluster_id) INTO v_aliases
      FROM unnest(coalesce(v_merged, '{}') || coalesce(v_from, '{}')) AS a(cluster_id)
     WHERE a.cluster_id <> v_live;
    RETURN ARRAY[v_live] || coalesce(v_aliases, '{}');
END;
$fn$;
COMMENT ON FUNCTION omni_identity.buyer_cluster_aliases(text, text, text, text)
    IS 'Live cluster owning all the given normalized keys, then its merged-away aliases; empty if none.';
