-- The staging table of the CSV path (ingest_copied_sales), made in the caller's
-- transaction and dropped at its commit: the one definition of its shape. Call it, COPY
-- the rows into pg_temp.oi_copied_sales, then call ingest_copied_sales, all in one
-- transaction (nothing outlives it, so the path is safe behind a transaction pooler).
--   row_no        the caller's line number, unique (sales_rejects.row_no);
--   reject_reason not NULL: the caller found the row bad, it is kept as this reject;
--   the sale columns of public.omni_sales an upload may name, as text.
CREATE OR REPLACE FUNCTION omni_identity.copied_sales_table()
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    CREATE TEMP TABLE oi_copied_sales (
        row_no integer NOT NULL, reject_reason text,
        shop_id text, gateway text, external_id text, buyer_email text, buyer_phone text,
        buyer_name text, buyer_document text, product_id text, status text, amount text,
        currency text, created_at text) ON COMMIT DROP;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.copied_sales_table()
    IS 'Create pg_temp.oi_copied_sales (dropped at commit), the staging table ingest_copied_sales reads.';
