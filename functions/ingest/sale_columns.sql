-- The sale columns a caller may fill (an upload file's header, the CSV staging table):
-- the columns of public.omni_sales, read from the catalog, minus the ones the package
-- sets itself (tenant_id from the call, id, customer_hash). required: NOT NULL without a
-- default, so a sale cannot be stored without it. In table order. Reads only the catalog,
-- nothing of a tenant, so a client may ask before its first batch.
CREATE OR REPLACE FUNCTION omni_identity.sale_columns()
RETURNS TABLE(column_name text, required boolean)
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT a.attname::text, a.attnotnull AND NOT a.atthasdef AND a.attidentity = ''
      FROM pg_catalog.pg_attribute a
     WHERE a.attrelid = 'public.omni_sales'::pg_catalog.regclass
       AND a.attnum > 0 AND NOT a.attisdropped
       AND a.attname NOT IN ('tenant_id', 'id', 'customer_hash')
     ORDER BY a.attnum;
$fn$;
COMMENT ON FUNCTION omni_identity.sale_columns()
    IS 'The columns of public.omni_sales a caller may fill (not tenant_id, id, customer_hash), and whether each is required.';
