-- Batch core, stage 1b (design §9.1): record the evidence of the batch's inputs.
--   Input   only the outputs of pipeline_keys, so a job can run pipeline_keys then this
--           over sales it does not cluster (the evidence upgrade), and evidence_fold
--           feeds it the rows of resolve_evidence_log (sale_id NULL):
--           pg_temp.oi_cl_sale  the sales (tenant, sale id, seen_at, golden_name, and
--                               evidence: false = not a new input, left out);
--           pg_temp.oi_cl_occ   (sale, key) of the keys that survived (removed keys are
--                               never recorded);
--           pg_temp.oi_cl_key   the batch's surviving keys (their tenant).
--   Output  per tenant, evidence_record over the tenant's inputs (the one home of the
--           aggregation and upsert rule: key_pairs and key_evidence), and in the session
--           pg_temp.oi_cl_counted: every key written, with its counters after the write
--           (linked_*), so that pipeline_generic reads the batch's counters from here
--           instead of probing key_evidence again.
-- The caller holds the exclusive lock of every tenant of the batch (L1, design §5; the
-- fold also L0), so no other writer of these rows runs meanwhile.
-- Returns the number of key rows written.
CREATE OR REPLACE FUNCTION omni_identity.pipeline_evidence()
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $fn$
DECLARE
    v_tenant    text;
    v_keys      integer := 0;
    v_n         integer;
    v_sale_ids  bigint[];
    v_seen_at   timestamptz[];
    v_names     text[];
    v_e         text[];
    v_p         text[];
    v_d         text[];
BEGIN
    TRUNCATE pg_temp.oi_cl_counted;
    FOR v_tenant IN SELECT DISTINCT k.tenant_id FROM pg_temp.oi_cl_key k ORDER BY 1 LOOP
        -- One element per input (a sale, or a log row): its surviving keys by type.
        -- (The aggregates of one query read the rows in one order: the arrays align.)
        SELECT array_agg(s.sale_id), array_agg(s.seen_at), array_agg(s.name),
               array_agg(o.e), array_agg(o.p), array_agg(o.d)
          INTO v_sale_ids, v_seen_at, v_names, v_e, v_p, v_d
          FROM pg_temp.oi_cl_sale s
          JOIN (SELECT o.node
                     , max(o.key_value) FILTER (WHERE o.key_type = 'email') AS e
                     , max(o.key_value) FILTER (WHERE o.key_type = 'phone') AS p
                     , max(o.key_value) FILTER (WHERE o.key_type = 'document') AS d
                  FROM pg_temp.oi_cl_occ o
                 GROUP BY o.node) o ON o.node = s.node
         WHERE s.tenant_id = v_tenant AND s.evidence;
        CONTINUE WHEN v_sale_ids IS NULL;
        INSERT INTO pg_temp.oi_cl_counted
               (tenant_id, key_type, key_value, linked_emails, linked_phones, linked_documents)
        SELECT v_tenant, r.key_type, r.key_value, r.linked_emails, r.linked_phones, r.linked_documents
          FROM omni_identity.evidence_record(v_tenant, v_sale_ids, v_seen_at, v_names, v_e, v_p, v_d) r;
        GET DIAGNOSTICS v_n = ROW_COUNT;
        v_keys := v_keys + v_n;
    END LOOP;
    RETURN v_keys;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.pipeline_evidence()
    IS 'Batch core stage 1b: evidence_record of the batch''s inputs (oi_cl_sale, oi_cl_occ), per tenant; their counters into oi_cl_counted.';
