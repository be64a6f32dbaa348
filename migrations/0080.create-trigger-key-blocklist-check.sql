-- depends: 0074.alter-omni-sales-legacy-tenant-default
-- Blocklist patterns are validated when written: a regex row whose pattern does not
-- compile (e.g. '(') is refused with OI036, so it can no longer make every batch that
-- reads the blocklist fail with 2201B. The function body lives in
-- functions/cluster/key_blocklist_check.sql and replaces this placeholder on every
-- migrate; the placeholder only lets the trigger exist before the functions are applied.
--
-- Rows written before this migration are not rewritten or deleted (a blocklist row is
-- what a tenant asked for; dropping it silently would link what the tenant meant to
-- block). A bad pre-existing row fails only its own tenant's batches: the cross-tenant
-- backfill isolates that tenant and names it on every run (README, "Error codes", OI036,
-- gives the query that lists such rows); updating or re-inserting the row is validated.
SET LOCAL lock_timeout = '10s';

CREATE OR REPLACE FUNCTION omni_identity.key_blocklist_check()
RETURNS trigger
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    RETURN NEW;
END;
$fn$;

CREATE TRIGGER key_blocklist_check
    BEFORE INSERT OR UPDATE OF value_pattern, is_regex ON omni_identity.key_blocklist
    FOR EACH ROW EXECUTE FUNCTION omni_identity.key_blocklist_check();
