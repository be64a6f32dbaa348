-- depends: 0041.index-omni-sales-unhashed
-- Automatic mode: after every INSERT statement on public.omni_sales, the rows of tenants
-- whose setting auto_resolve is true are clustered set-based (one call per statement,
-- the inserted rows come from the transition table). The function body lives in
-- functions/auto/auto_resolve_sales.sql and replaces this placeholder on every migrate;
-- the placeholder only lets the trigger exist before the functions are applied.
SET LOCAL lock_timeout = '10s';

CREATE OR REPLACE FUNCTION omni_identity.auto_resolve_sales()
RETURNS trigger
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    RETURN NULL;
END;
$fn$;

CREATE TRIGGER omni_sales_auto_resolve
    AFTER INSERT ON public.omni_sales
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION omni_identity.auto_resolve_sales();
