-- The generic-value rule applied to some keys of one tenant (SPEC §12, design §9): of the
-- keys (p_types[i], p_values[i]), those whose key_evidence counters make them generic
-- under the tenant's generic_threshold (key_is_generic, the one rule function) are
-- returned; the ones still on a cluster lose their customer_cluster_keys row (a generic
-- key is no key of any cluster) and that cluster is queued for a split (reason 'generic').
-- Their evidence stays: they keep collecting it. Callers: the batch core after its
-- evidence stage (pipeline_generic) and evidence_fold, with the keys whose counters the
-- batch or fold just wrote (counters only grow there, so only those keys can cross the
-- threshold), and the split (split_clusters) for keys of its clusters made generic by a
-- threshold change. Precondition (the caller's): the tenant's lock held exclusive, so no
-- resolve or batch writes the keys meanwhile.
-- One probe of key_evidence's primary key per key (LATERAL, OFFSET 0), never a join the
-- planner could turn into a scan of the tenant's evidence.
CREATE OR REPLACE FUNCTION omni_identity.generic_detach(
      p_tenant_id text
    , p_types     text[]
    , p_values    text[]
) RETURNS TABLE (key_type text, key_value text)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_threshold integer := omni_identity.generic_threshold(p_tenant_id);
    v_types     text[];
    v_values    text[];
BEGIN
    IF v_threshold = 0 OR coalesce(cardinality(p_types), 0) = 0 THEN
        RETURN;     -- the guard is off
    END IF;
    IF NOT omni_identity.citus_active() THEN
        SELECT coalesce(array_agg(g.t), '{}'), coalesce(array_agg(g.v), '{}') INTO v_types, v_values
          FROM (SELECT DISTINCT u.t, u.v
                  FROM unnest(p_types, p_values) AS u(t, v)
                  CROSS JOIN LATERAL (SELECT e.linked_emails, e.linked_phones, e.linked_documents
                                        FROM omni_identity.key_evidence e
                                       WHERE e.tenant_id = p_tenant_id AND e.key_type = u.t AND e.key_value = u.v
                                      OFFSET 0) e
                 WHERE omni_identity.key_is_generic(e.linked_emails, e.linked_phones, e.linked_documents, v_threshold)) g;
    ELSE
        -- On Citus the statement is planned on the worker, against the shard's statistics,
        -- which lag its growth during a backfill: planned for a near-empty shard, the
        -- per-key probe became a scan of the shard per key (minutes per batch on the
        -- lab, BENCHMARKS.md "Citus"). A semi-join reads the tenant's rows at most once.
        SELECT coalesce(array_agg(e.key_type), '{}'), coalesce(array_agg(e.key_value), '{}')
          INTO v_types, v_values
          FROM omni_identity.key_evidence e
         WHERE e.tenant_id = p_tenant_id
           AND (e.key_type, e.key_value) IN (SELECT u.t, u.v FROM unnest(p_types, p_values) AS u(t, v))
           AND omni_identity.key_is_generic(e.linked_emails, e.linked_phones, e.linked_documents, v_threshold);
    END IF;
    IF cardinality(v_types) = 0 THEN
        RETURN;
    END IF;

    WITH d AS (
        DELETE FROM omni_identity.customer_cluster_keys k
         USING unnest(v_types, v_values) AS r(key_type, key_value)
         WHERE k.tenant_id = p_tenant_id
           AND k.key_type = r.key_type AND k.key_value = r.key_value
        RETURNING k.cluster_id
    )
    INSERT INTO omni_identity.cluster_split_queue (tenant_id, cluster_id, reason)
    SELECT DISTINCT p_tenant_id, d.cluster_id, 'generic' FROM d
    ON CONFLICT (tenant_id, cluster_id) DO NOTHING;

    RETURN QUERY SELECT u.t, u.v FROM unnest(v_types, v_values) AS u(t, v);
END;
$fn$;
COMMENT ON FUNCTION omni_identity.generic_detach(text, text[], text[])
    IS 'Of the given keys, the generic ones (key_is_generic over their counters): drop their key rows, queue their clusters for a split (reason generic).';
