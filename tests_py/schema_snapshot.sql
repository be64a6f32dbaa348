CREATE SCHEMA omni_identity;

COMMENT ON SCHEMA omni_identity IS 'omni-identity: customer clusters of e-commerce buyers';

CREATE FUNCTION omni_identity.require_tenant(p_tenant_id text) RETURNS text
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS <body>;
    END IF;
    IF v_session IS NOT NULL THEN
        IF v_session <> p_tenant_id THEN
            RAISE EXCEPTION 'tenant % does not match the session tenant %', p_tenant_id, v_session
                USING ERRCODE = 'OI002', HINT = 'SET LOCAL app.current_tenant_id to the tenant of the call.';
        END IF;
    ELSIF NOT (current_setting('is_superuser') = 'on'
               OR pg_has_role(current_user, 'omni_identity_admin', 'MEMBER')) THEN
        RAISE EXCEPTION 'no session tenant is set'
            USING ERRCODE = 'OI002', HINT = 'SET LOCAL app.current_tenant_id before calling.';
    END IF;
    RETURN p_tenant_id;
END;
$$;

COMMENT ON FUNCTION omni_identity.require_tenant(p_tenant_id text) IS 'Validate p_tenant_id against the session tenant (OI001 empty, OI002 mismatch); returns it.';

CREATE SEQUENCE omni_identity.batch_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

CREATE TABLE omni_identity.batch_metrics (
    tenant_id text NOT NULL,
    batch_id bigint NOT NULL,
    job text NOT NULL,
    rows_in integer DEFAULT 0 NOT NULL,
    rows_written integer DEFAULT 0 NOT NULL,
    rows_rejected integer DEFAULT 0 NOT NULL,
    clusters_created integer DEFAULT 0 NOT NULL,
    merges integer DEFAULT 0 NOT NULL,
    started_at timestamp with time zone NOT NULL,
    duration interval NOT NULL,
    CONSTRAINT batch_metrics_job_check CHECK ((job = ANY (ARRAY['ingest'::text, 'upload'::text, 'backfill'::text, 'reconcile'::text]))),
    CONSTRAINT batch_metrics_tenant_id_check CHECK ((tenant_id <> ''::text))
);

COMMENT ON TABLE omni_identity.batch_metrics IS 'One row per batch: rows in/written/rejected, clusters created, merges, duration.';

CREATE TABLE omni_identity.customer_cluster (
    tenant_id text NOT NULL,
    cluster_id uuid DEFAULT gen_random_uuid() NOT NULL,
    last_buyer_email text,
    last_buyer_email_at timestamp with time zone,
    last_buyer_phone text,
    last_buyer_phone_at timestamp with time zone,
    last_buyer_name text,
    last_buyer_name_at timestamp with time zone,
    last_buyer_document text,
    last_buyer_document_at timestamp with time zone,
    merged_into uuid,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT customer_cluster_not_merged_into_self CHECK ((merged_into IS DISTINCT FROM cluster_id)),
    CONSTRAINT customer_cluster_tenant_id_check CHECK ((tenant_id <> ''::text))
);

COMMENT ON TABLE omni_identity.customer_cluster IS 'Customer clusters with their golden record (last_buyer_*); live when merged_into IS NULL.';

CREATE TABLE omni_identity.customer_cluster_keys (
    tenant_id text NOT NULL,
    key_type text NOT NULL,
    key_value text NOT NULL,
    cluster_id uuid NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT customer_cluster_keys_key_type_check CHECK ((key_type = ANY (ARRAY['email'::text, 'phone'::text, 'document'::text]))),
    CONSTRAINT customer_cluster_keys_key_value_check CHECK ((key_value <> ''::text)),
    CONSTRAINT customer_cluster_keys_tenant_id_check CHECK ((tenant_id <> ''::text))
);

COMMENT ON TABLE omni_identity.customer_cluster_keys IS 'Normalized identifiers (email, phone, document) and the live cluster owning each.';

CREATE TABLE omni_identity.customer_cluster_merges (
    tenant_id text NOT NULL,
    merge_id bigint NOT NULL,
    from_cluster uuid NOT NULL,
    into_cluster uuid NOT NULL,
    merged_at timestamp with time zone DEFAULT now() NOT NULL,
    reconciled_at timestamp with time zone,
    CONSTRAINT customer_cluster_merges_distinct CHECK ((from_cluster <> into_cluster)),
    CONSTRAINT customer_cluster_merges_tenant_id_check CHECK ((tenant_id <> ''::text))
);

COMMENT ON TABLE omni_identity.customer_cluster_merges IS 'Lineage of every merge: from_cluster was merged into into_cluster.';

ALTER TABLE omni_identity.customer_cluster_merges ALTER COLUMN merge_id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME omni_identity.customer_cluster_merges_merge_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE omni_identity.key_blocklist (
    tenant_id text,
    key_type text NOT NULL,
    value_pattern text NOT NULL,
    is_regex boolean DEFAULT false NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT key_blocklist_key_type_check CHECK ((key_type = ANY (ARRAY['email'::text, 'phone'::text, 'document'::text]))),
    CONSTRAINT key_blocklist_tenant_id_check CHECK ((tenant_id <> ''::text)),
    CONSTRAINT key_blocklist_value_pattern_check CHECK ((value_pattern <> ''::text))
);

COMMENT ON TABLE omni_identity.key_blocklist IS 'Identifier values that never link (tenant_id NULL = every tenant); exact or regex on the normalized value.';

CREATE TABLE omni_identity.report_divergences (
    tenant_id text NOT NULL,
    divergence_id bigint NOT NULL,
    run_id bigint NOT NULL,
    kind text NOT NULL,
    v1_email text,
    cluster_id uuid,
    sale_id bigint,
    detail jsonb DEFAULT '{}'::jsonb NOT NULL,
    compared_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT report_divergences_kind_check CHECK ((kind = ANY (ARRAY['v1_customer_split'::text, 'v2_cluster_joins'::text, 'sale_only_in_v1'::text, 'sale_only_in_v2'::text]))),
    CONSTRAINT report_divergences_tenant_id_check CHECK ((tenant_id <> ''::text))
);

COMMENT ON TABLE omni_identity.report_divergences IS 'Divergences between customer_report_v1 and _v2, one run_id per comparison.';

ALTER TABLE omni_identity.report_divergences ALTER COLUMN divergence_id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME omni_identity.report_divergences_divergence_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE omni_identity.sales_rejects (
    tenant_id text NOT NULL,
    batch_id bigint NOT NULL,
    row_no integer NOT NULL,
    raw jsonb NOT NULL,
    reason text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT sales_rejects_tenant_id_check CHECK ((tenant_id <> ''::text))
);

COMMENT ON TABLE omni_identity.sales_rejects IS 'Rejected rows of ingest/upload batches, with line number and reason.';

CREATE TABLE omni_identity.settings (
    tenant_id text NOT NULL,
    key text NOT NULL,
    value jsonb NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT settings_key_check CHECK ((key <> ''::text)),
    CONSTRAINT settings_tenant_id_check CHECK ((tenant_id <> ''::text))
);

COMMENT ON TABLE omni_identity.settings IS 'Per-tenant feature flags and options; absent = default.';

ALTER TABLE ONLY omni_identity.batch_metrics
    ADD CONSTRAINT batch_metrics_pkey PRIMARY KEY (tenant_id, batch_id);

ALTER TABLE ONLY omni_identity.customer_cluster_keys
    ADD CONSTRAINT customer_cluster_keys_pkey PRIMARY KEY (tenant_id, key_type, key_value);

ALTER TABLE ONLY omni_identity.customer_cluster_merges
    ADD CONSTRAINT customer_cluster_merges_pkey PRIMARY KEY (tenant_id, merge_id);

ALTER TABLE ONLY omni_identity.customer_cluster
    ADD CONSTRAINT customer_cluster_pkey PRIMARY KEY (tenant_id, cluster_id);

ALTER TABLE ONLY omni_identity.key_blocklist
    ADD CONSTRAINT key_blocklist_tenant_pattern_key UNIQUE NULLS NOT DISTINCT (tenant_id, key_type, value_pattern, is_regex);

ALTER TABLE ONLY omni_identity.report_divergences
    ADD CONSTRAINT report_divergences_pkey PRIMARY KEY (tenant_id, divergence_id);

ALTER TABLE ONLY omni_identity.sales_rejects
    ADD CONSTRAINT sales_rejects_pkey PRIMARY KEY (tenant_id, batch_id, row_no);

ALTER TABLE ONLY omni_identity.settings
    ADD CONSTRAINT settings_pkey PRIMARY KEY (tenant_id, key);

CREATE INDEX batch_metrics_started_idx ON omni_identity.batch_metrics USING btree (tenant_id, started_at DESC);

CREATE INDEX customer_cluster_keys_cluster_idx ON omni_identity.customer_cluster_keys USING btree (tenant_id, cluster_id);

CREATE INDEX customer_cluster_merged_into_idx ON omni_identity.customer_cluster USING btree (tenant_id, merged_into) WHERE (merged_into IS NOT NULL);

CREATE INDEX customer_cluster_merges_from_idx ON omni_identity.customer_cluster_merges USING btree (tenant_id, from_cluster);

CREATE INDEX customer_cluster_merges_into_idx ON omni_identity.customer_cluster_merges USING btree (tenant_id, into_cluster);

CREATE INDEX customer_cluster_merges_pending_idx ON omni_identity.customer_cluster_merges USING btree (merge_id) WHERE (reconciled_at IS NULL);

CREATE INDEX report_divergences_run_idx ON omni_identity.report_divergences USING btree (tenant_id, run_id);

ALTER TABLE ONLY omni_identity.customer_cluster_keys
    ADD CONSTRAINT customer_cluster_keys_cluster_fkey FOREIGN KEY (tenant_id, cluster_id) REFERENCES omni_identity.customer_cluster(tenant_id, cluster_id);

ALTER TABLE ONLY omni_identity.customer_cluster
    ADD CONSTRAINT customer_cluster_merged_into_fkey FOREIGN KEY (tenant_id, merged_into) REFERENCES omni_identity.customer_cluster(tenant_id, cluster_id);

ALTER TABLE ONLY omni_identity.customer_cluster_merges
    ADD CONSTRAINT customer_cluster_merges_from_fkey FOREIGN KEY (tenant_id, from_cluster) REFERENCES omni_identity.customer_cluster(tenant_id, cluster_id);

ALTER TABLE ONLY omni_identity.customer_cluster_merges
    ADD CONSTRAINT customer_cluster_merges_into_fkey FOREIGN KEY (tenant_id, into_cluster) REFERENCES omni_identity.customer_cluster(tenant_id, cluster_id);

GRANT USAGE ON SCHEMA omni_identity TO omni_identity_app;
GRANT USAGE ON SCHEMA omni_identity TO omni_identity_admin;

CREATE TABLE public.omni_sales (
    tenant_id text NOT NULL,
    id bigint NOT NULL,
    shop_id text NOT NULL,
    gateway text DEFAULT ''::text NOT NULL,
    external_id text NOT NULL,
    buyer_email text,
    buyer_phone text,
    buyer_name text,
    buyer_document text,
    product_id text,
    status text,
    amount numeric(14,2),
    currency character(3),
    created_at timestamp with time zone NOT NULL,
    customer_hash uuid,
    CONSTRAINT omni_sales_tenant_id_check CHECK ((tenant_id <> ''::text))
);

COMMENT ON TABLE public.omni_sales IS 'omni-identity: e-commerce sales, clustered by customer_hash';

ALTER TABLE public.omni_sales ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.omni_sales_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

ALTER TABLE ONLY public.omni_sales
    ADD CONSTRAINT omni_sales_idempotency_key UNIQUE (tenant_id, shop_id, gateway, external_id);

ALTER TABLE ONLY public.omni_sales
    ADD CONSTRAINT omni_sales_pkey PRIMARY KEY (tenant_id, id);

CREATE INDEX omni_sales_created_at_idx ON public.omni_sales USING btree (tenant_id, created_at DESC, id DESC);

CREATE INDEX omni_sales_customer_hash_idx ON public.omni_sales USING btree (tenant_id, customer_hash);

CREATE INDEX omni_sales_product_id_idx ON public.omni_sales USING btree (tenant_id, product_id);

CREATE INDEX omni_sales_shop_created_at_idx ON public.omni_sales USING btree (tenant_id, shop_id, created_at DESC);

CREATE INDEX omni_sales_status_idx ON public.omni_sales USING btree (tenant_id, status);
