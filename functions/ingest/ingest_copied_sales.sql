-- The CSV path of ingestion: ingest the rows the caller COPYed, in this transaction, into
-- the temporary table pg_temp.oi_copied_sales that copied_sales_table() made (its shape
-- is defined there; docs/pipeline.md).
--
-- Created, filled and consumed inside one transaction, it never depends on session state,
-- so the path works behind a transaction-pooling connection pooler. The rest is
-- ingest_staged_sales (job 'upload', a new batch id): validation, rejects, upsert,
-- clustering, batch_metrics. Returns the counts and the batch id (rejects are the
-- sales_rejects rows of that batch). The caller's table is left as it is.
CREATE OR REPLACE FUNCTION omni_identity.ingest_copied_sales(
      p_tenant_id text
) RETURNS TABLE(inserted integer, updated integer, rejected integer, clustered integer,
                merges integer, batch_id bigint)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    -- The staging table's columns: its own two, then the sale columns (sale_columns).
    c_columns CONSTANT text[] := ARRAY['row_no', 'reject_reason']
        || ARRAY(SELECT c.column_name FROM omni_identity.sale_columns() c);
    v_table   regclass := pg_catalog.to_regclass('pg_temp.oi_copied_sales');
    v_missing text;
    v_rows    bigint;
BEGIN
    PERFORM omni_identity.require_tenant(p_tenant_id);
    IF v_table IS NOT NULL THEN
        SELECT pg_catalog.string_agg(c.name, ', ' ORDER BY c.ord) INTO v_missing
          FROM pg_catalog.unnest(c_columns) WITH ORDINALITY AS c(name, ord)
         WHERE NOT EXISTS (
               SELECT 1 FROM pg_catalog.pg_attribute a
                WHERE a.attrelid = v_table AND a.attname = c.name AND a.attnum > 0
                  AND NOT a.attisdropped
                  AND a.atttypid = CASE c.name WHEN 'row_no' THEN 'pg_catalog.int4'::pg_catalog.regtype
                                               ELSE 'pg_catalog.text'::pg_catalog.regtype END);
    END IF;
    IF v_table IS NULL OR v_missing IS NOT NULL THEN
        RAISE EXCEPTION 'pg_temp.oi_copied_sales %',
                CASE WHEN v_table IS NULL THEN 'does not exist'
                     ELSE 'lacks the column(s) ' || v_missing || ' (row_no integer, the others text)' END
            USING ERRCODE = 'OI070',
                  HINT = 'In the same transaction: SELECT omni_identity.copied_sales_table(), COPY the '
                         'rows into oi_copied_sales, then call ingest_copied_sales (docs/pipeline.md).';
    END IF;
    SELECT count(*) INTO v_rows FROM pg_temp.oi_copied_sales;
    IF v_rows > 100000 THEN
        RAISE EXCEPTION 'pg_temp.oi_copied_sales has % rows; one batch takes at most 100000', v_rows
            USING ERRCODE = 'OI071', HINT = 'COPY and ingest at most 100000 rows per transaction (10000 is a good size).';
    END IF;

    PERFORM omni_identity.pipeline_temp_tables();
    TRUNCATE pg_temp.oi_ingest_stage;
    INSERT INTO pg_temp.oi_ingest_stage
           (row_no, raw, type_error, shop_id, gateway, external_id, buyer_email, buyer_phone,
            buyer_name, buyer_document, product_id, status, amount, currency, created_at)
    SELECT c.row_no,
           pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
               'shop_id', c.shop_id, 'gateway', c.gateway, 'external_id', c.external_id,
               'buyer_email', c.buyer_email, 'buyer_phone', c.buyer_phone,
               'buyer_name', c.buyer_name, 'buyer_document', c.buyer_document,
               'product_id', c.product_id, 'status', c.status, 'amount', c.amount,
               'currency', c.currency, 'created_at', c.created_at)),
           c.reject_reason, c.shop_id, c.gateway, c.external_id, c.buyer_email, c.buyer_phone,
           c.buyer_name, c.buyer_document, c.product_id, c.status, c.amount, c.currency,
           c.created_at
      FROM pg_temp.oi_copied_sales c;

    batch_id := pg_catalog.nextval('omni_identity.batch_id_seq');
    SELECT s.inserted, s.updated, s.rejected, s.clustered, s.merges
      INTO inserted, updated, rejected, clustered, merges
      FROM omni_identity.ingest_staged_sales(p_tenant_id, 'upload', batch_id) s;
    RETURN NEXT;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.ingest_copied_sales(text)
    IS 'Ingest the rows COPYed into pg_temp.oi_copied_sales in this transaction (the CSV path); returns counts and the batch id.';
