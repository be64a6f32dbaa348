-- Drop the table only when this package created it; an older system's table keeps its
-- rows and loses only the columns this package added. CASCADE takes the package's own
-- functions that return its row type (migrate re-creates them).
DO $$
BEGIN
    IF obj_description('public.omni_sales'::regclass, 'pg_class') LIKE 'omni-identity:%' THEN
        DROP TABLE public.omni_sales CASCADE;
    ELSE
        ALTER TABLE public.omni_sales DROP CONSTRAINT IF EXISTS omni_sales_tenant_id_check;
        ALTER TABLE public.omni_sales DROP COLUMN IF EXISTS customer_hash;
        ALTER TABLE public.omni_sales DROP COLUMN IF EXISTS tenant_id;
    END IF;
END;
$$;
