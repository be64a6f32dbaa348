-- depends: 0013.index-omni-sales-idempotency
-- Turn the two unique indexes into the primary key and the idempotency constraint.
-- USING INDEX needs no scan: the lock is held only for the catalog change. An older
-- table's PRIMARY KEY (id) gives way to PRIMARY KEY (tenant_id, id).
SET LOCAL lock_timeout = '10s';
DO $$
DECLARE
    v_pk name;
BEGIN
    SELECT conname INTO v_pk FROM pg_catalog.pg_constraint
     WHERE conrelid = 'public.omni_sales'::regclass AND contype = 'p';
    IF v_pk IS NOT NULL AND v_pk <> 'omni_sales_pkey' OR v_pk = 'omni_sales_pkey' AND
       (SELECT array_agg(a.attname ORDER BY k.ord)
          FROM pg_catalog.pg_constraint c
          CROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k(attnum, ord)
          JOIN pg_catalog.pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
         WHERE c.conrelid = 'public.omni_sales'::regclass AND c.conname = v_pk) <> ARRAY['tenant_id', 'id']::name[] THEN
        EXECUTE format('ALTER TABLE public.omni_sales DROP CONSTRAINT %I', v_pk);
        v_pk := NULL;
    END IF;
    IF v_pk IS NULL THEN
        ALTER TABLE public.omni_sales
            ADD CONSTRAINT omni_sales_pkey PRIMARY KEY USING INDEX omni_sales_tenant_id_id_key;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint
                    WHERE conrelid = 'public.omni_sales'::regclass AND conname = 'omni_sales_idempotency_key') THEN
        ALTER TABLE public.omni_sales
            ADD CONSTRAINT omni_sales_idempotency_key UNIQUE USING INDEX omni_sales_idempotency_idx;
    END IF;
END;
$$;
