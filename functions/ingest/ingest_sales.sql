-- Upload v2: upsert a batch of sales of one tenant and cluster them set-based.
-- p_rows is a jsonb array of objects named like the columns of public.omni_sales
-- (shop_id, gateway, external_id, buyer_email, buyer_phone, buyer_name, buyer_document,
-- product_id, status, amount, currency, created_at). Values are JSON strings or numbers
-- (null = absent); a row that is not an object, names another key (tenant_id is
-- accepted only when it equals p_tenant_id; id and customer_hash never), or gives an
-- object, array or boolean as a value is rejected with its 1-based position as row_no.
-- Everything else is ingest_staged_sales: validation, rejects, upsert, clustering,
-- batch_metrics (job 'ingest'). Returns one row of counts; a resend of the same rows
-- reports 0 inserted and 0 updated.
CREATE OR REPLACE FUNCTION omni_identity.ingest_sales(
      p_tenant_id text
    , p_rows      jsonb
) RETURNS TABLE(inserted integer, updated integer, rejected integer, clustered integer, merges integer)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    c_columns CONSTANT text[] := ARRAY['shop_id', 'gateway', 'external_id', 'buyer_email',
        'buyer_phone', 'buyer_name', 'buyer_document', 'product_id', 'status', 'amount',
        'currency', 'created_at'];
BEGIN
    PERFORM omni_identity.require_tenant(p_tenant_id);
    IF p_rows IS NULL OR jsonb_typeof(p_rows) <> 'array' THEN
        RAISE EXCEPTION 'p_rows must be a jsonb array of sale objects, got %',
                coalesce(jsonb_typeof(p_rows), 'NULL')
            USING ERRCODE = 'OI030',
                  HINT = 'Pass ''[{"shop_id": ..., "external_id": ..., "created_at": ...}, ...]''::jsonb.';
    END IF;
    IF jsonb_array_length(p_rows) > 100000 THEN
        RAISE EXCEPTION 'p_rows has % rows; one batch takes at most 100000', jsonb_array_length(p_rows)
            USING ERRCODE = 'OI031', HINT = 'Split the rows into batches of at most 100000 (10000 is a good size).';
    END IF;
    PERFORM omni_identity.pipeline_temp_tables();
    TRUNCATE pg_temp.oi_ingest_stage;

    INSERT INTO pg_temp.oi_ingest_stage
           (row_no, raw, type_error, shop_id, gateway, external_id, buyer_email, buyer_phone,
            buyer_name, buyer_document, product_id, status, amount, currency, created_at)
    SELECT e.ord::integer,
           e.elem,
           CASE
             WHEN jsonb_typeof(e.elem) <> 'object' THEN 'row is not a JSON object'
             ELSE (SELECT string_agg(
                            CASE WHEN kv.key = 'tenant_id' AND kv.value = to_jsonb(p_tenant_id) THEN NULL
                                 WHEN kv.key IN ('tenant_id', 'id', 'customer_hash')
                                      THEN 'column ' || kv.key || ' is not accepted'
                                 WHEN NOT kv.key = ANY (c_columns)
                                      THEN 'unknown column ' || left(kv.key, 60)
                                 WHEN jsonb_typeof(kv.value) NOT IN ('string', 'number', 'null')
                                      THEN 'column ' || kv.key || ' must be a string or a number, not '
                                           || jsonb_typeof(kv.value)
                            END, '; ' ORDER BY kv.key)
                     FROM jsonb_each(e.elem) kv)
           END,
           f.shop_id, f.gateway, f.external_id, f.buyer_email, f.buyer_phone, f.buyer_name,
           f.buyer_document, f.product_id, f.status, f.amount, f.currency, f.created_at
      FROM jsonb_array_elements(p_rows) WITH ORDINALITY AS e(elem, ord)
      LEFT JOIN LATERAL (
            SELECT e.elem->>'shop_id' AS shop_id, e.elem->>'gateway' AS gateway,
                   e.elem->>'external_id' AS external_id, e.elem->>'buyer_email' AS buyer_email,
                   e.elem->>'buyer_phone' AS buyer_phone, e.elem->>'buyer_name' AS buyer_name,
                   e.elem->>'buyer_document' AS buyer_document, e.elem->>'product_id' AS product_id,
                   e.elem->>'status' AS status, e.elem->>'amount' AS amount,
                   e.elem->>'currency' AS currency, e.elem->>'created_at' AS created_at
             WHERE jsonb_typeof(e.elem) = 'object') f ON true;

    RETURN QUERY
    SELECT * FROM omni_identity.ingest_staged_sales(
        p_tenant_id, 'ingest', nextval('omni_identity.batch_id_seq'));
END;
$fn$;
COMMENT ON FUNCTION omni_identity.ingest_sales(text, jsonb)
    IS 'Upsert a jsonb array of sales on the idempotency key and cluster them set-based; bad rows go to sales_rejects.';
