-- Batch core, stage 1a (design §9.1): a later input carrying a forgotten value stores NULL
-- in that buyer column (SPEC §12), so no replay of old sales brings the plaintext back.
--   Input   pg_temp.oi_cl_removed (pipeline_keys: forgotten = a tombstone exists),
--           pg_temp.oi_cl_sale.
--   Output  (in the database) public.omni_sales.buyer_email / buyer_phone /
--           buyer_document set to NULL on the batch's sales whose normalized value is
--           forgotten (one primary-key probe per such sale); the same fields of
--           pg_temp.oi_cl_sale cleared, and its row_ctid moved to the new row version
--           (so stage 5 still writes customer_hash by TID).
-- Ingest and the upload clear these columns before their upsert already
-- (ingest_redact_forgotten), so a resend compares equal; this stage covers the rows the
-- batch reads from the table (automatic mode, the backfill). Only sales carrying a
-- forgotten value are written: nothing at all when the batch has none.
-- Returns the sales redacted.
CREATE OR REPLACE FUNCTION omni_identity.pipeline_redact_forgotten()
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET jit = off
-- The UPDATE probes omni_sales by primary key per redacted sale, whatever the estimates.
SET enable_seqscan = off
SET enable_bitmapscan = off
SET enable_hashjoin = off
SET enable_mergejoin = off
AS $fn$
DECLARE
    v_n      integer := 0;
    v_step   integer;
    v_tenant text;
BEGIN
    -- One statement per tenant with a forgotten value in the batch, filtered on it: on
    -- Citus the UPDATE is then routed to the tenant's shard (unfiltered it runs on every
    -- shard, which the automatic-mode trigger, itself on a shard, may not: Citus allows a
    -- trigger on a shard local tasks only).
    FOR v_tenant IN SELECT DISTINCT r.tenant_id FROM pg_temp.oi_cl_removed r WHERE r.forgotten ORDER BY 1 LOOP
        WITH hit AS (
            SELECT s.node, s.tenant_id, s.sale_id
                 , EXISTS (SELECT 1 FROM pg_temp.oi_cl_removed r
                            WHERE r.forgotten AND r.tenant_id = s.tenant_id
                              AND r.key_type = 'email' AND r.key_value = s.email) AS e
                 , EXISTS (SELECT 1 FROM pg_temp.oi_cl_removed r
                            WHERE r.forgotten AND r.tenant_id = s.tenant_id
                              AND r.key_type = 'phone' AND r.key_value = s.phone) AS p
                 , EXISTS (SELECT 1 FROM pg_temp.oi_cl_removed r
                            WHERE r.forgotten AND r.tenant_id = s.tenant_id
                              AND r.key_type = 'document' AND r.key_value = s.document) AS d
              FROM pg_temp.oi_cl_sale s
             WHERE s.tenant_id = v_tenant
        ), upd AS (
            UPDATE public.omni_sales o
               SET buyer_email = CASE WHEN h.e THEN NULL ELSE o.buyer_email END
                 , buyer_phone = CASE WHEN h.p THEN NULL ELSE o.buyer_phone END
                 , buyer_document = CASE WHEN h.d THEN NULL ELSE o.buyer_document END
              FROM hit h
             WHERE (h.e OR h.p OR h.d)
               AND o.tenant_id = v_tenant AND o.tenant_id = h.tenant_id AND o.id = h.sale_id
            RETURNING h.node, h.e, h.p, h.d, o.ctid AS row_ctid
        )
        UPDATE pg_temp.oi_cl_sale s
           SET email = CASE WHEN u.e THEN NULL ELSE s.email END
             , phone = CASE WHEN u.p THEN NULL ELSE s.phone END
             , document = CASE WHEN u.d THEN NULL ELSE s.document END
             , row_ctid = u.row_ctid
          FROM upd u
         WHERE s.node = u.node;
        GET DIAGNOSTICS v_step = ROW_COUNT;
        v_n := v_n + v_step;
    END LOOP;
    RETURN v_n;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.pipeline_redact_forgotten()
    IS 'Batch core stage 1a: NULL the omni_sales buyer columns whose normalized value is forgotten (oi_cl_removed), for the batch''s sales.';
