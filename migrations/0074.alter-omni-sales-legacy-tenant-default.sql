-- depends: 0073.drop-key-blocks
-- An older system's public.omni_sales keeps its application working: that application
-- inserts without tenant_id, and its rows belong to the tenant 'default' like the rows
-- it wrote before the install (0011 dropped that default, so every legacy INSERT failed
-- with 23502). A table this package created keeps no default: package rows name their
-- tenant. Catalog only; harness/migrate.py takes the table lock beforehand without
-- queueing, and applies this same text inside 0011's transaction on a legacy table, so
-- no legacy INSERT ever meets the column without its default.
SET LOCAL lock_timeout = '10s';
DO $$
BEGIN
    IF pg_catalog.obj_description('public.omni_sales'::pg_catalog.regclass, 'pg_class') IS DISTINCT FROM
       'omni-identity: e-commerce sales, clustered by customer_hash' THEN
        ALTER TABLE public.omni_sales ALTER COLUMN tenant_id SET DEFAULT 'default';
    END IF;
END;
$$;
