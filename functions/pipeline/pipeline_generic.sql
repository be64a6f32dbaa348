-- Batch core, stage 1c (SPEC §12, design §9): generic keys stop linking. Runs after
-- pipeline_evidence wrote the batch's counters (only the batch's keys' counters changed,
-- so only they can have crossed the threshold), before the graph is built:
--   Input   pg_temp.oi_cl_key (the batch's surviving keys, per tenant) and
--           pg_temp.oi_cl_counted (the counters pipeline_evidence just wrote).
--   Output  per tenant, generic_detach over the candidates: the generic ones lose their
--           key row and their cluster is queued for a split (reason 'generic'); they leave
--           pg_temp.oi_cl_key and pg_temp.oi_cl_occ, so no sale links through them (a
--           sale whose only keys are generic gets no cluster). Their evidence was recorded
--           by stage 1b: a generic key keeps collecting it.
-- Candidates: a key whose written counters are generic (key_is_generic, the one rule),
-- and a key the evidence stage did not write (only on sales that are not new inputs),
-- whose counters are not known here. generic_detach probes key_evidence once per
-- candidate, so a batch probes a handful of keys rather than all of them: the counters
-- are already in hand, and the probe is planned over key_evidence's statistics, which
-- for a tenant the last ANALYZE did not see pick the tenant's linked index and read the
-- tenant's evidence per key (BENCHMARKS.md, pipeline, issue 13 evidence-perf).
-- The caller holds the exclusive lock of every tenant of the batch (L1).
-- Returns the occurrences (sale, key) dropped.
CREATE OR REPLACE FUNCTION omni_identity.pipeline_generic()
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $fn$
DECLARE
    v_tenant    text;
    v_threshold integer;
    v_types     text[];
    v_values    text[];
    v_n         integer;
    v_all       integer := 0;
BEGIN
    FOR v_tenant IN SELECT DISTINCT k.tenant_id FROM pg_temp.oi_cl_key k ORDER BY 1 LOOP
        v_threshold := omni_identity.generic_threshold(v_tenant);
        CONTINUE WHEN v_threshold = 0;     -- the guard is off
        SELECT coalesce(array_agg(k.key_type), '{}'), coalesce(array_agg(k.key_value), '{}')
          INTO v_types, v_values
          FROM pg_temp.oi_cl_key k
          LEFT JOIN pg_temp.oi_cl_counted c
            ON c.tenant_id = v_tenant AND c.key_type = k.key_type AND c.key_value = k.key_value
         WHERE k.tenant_id = v_tenant
           AND (c.key_type IS NULL
                OR omni_identity.key_is_generic(c.linked_emails, c.linked_phones, c.linked_documents, v_threshold));
        CONTINUE WHEN cardinality(v_types) = 0;
        WITH g AS (
            SELECT d.key_type, d.key_value
              FROM omni_identity.generic_detach(v_tenant, v_types, v_values) d
        ), gone AS (
            DELETE FROM pg_temp.oi_cl_key k
             USING g
             WHERE k.tenant_id = v_tenant AND k.key_type = g.key_type AND k.key_value = g.key_value
            RETURNING k.key_type, k.key_value, k.min_node
        )
        DELETE FROM pg_temp.oi_cl_occ o
         USING gone, pg_temp.oi_cl_sale s
         WHERE o.key_type = gone.key_type AND o.key_value = gone.key_value
           AND s.node = o.node AND s.tenant_id = v_tenant;
        GET DIAGNOSTICS v_n = ROW_COUNT;
        v_all := v_all + v_n;
    END LOOP;
    RETURN v_all;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.pipeline_generic()
    IS 'Batch core stage 1c: the batch''s keys now generic (generic_detach over the candidates) leave the graph; their clusters are queued for a split.';
