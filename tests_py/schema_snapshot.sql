CREATE SCHEMA omni_identity;

COMMENT ON SCHEMA omni_identity IS 'omni-identity: customer clusters of e-commerce buyers';

CREATE FUNCTION omni_identity.abstraction_buyer(p_tenant_id text, p_filters jsonb, p_limit integer DEFAULT 50, p_after jsonb DEFAULT NULL::jsonb) RETURNS SETOF public.omni_sales
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS <body>;

COMMENT ON FUNCTION omni_identity.abstraction_buyer(p_tenant_id text, p_filters jsonb, p_limit integer, p_after jsonb) IS 'Buyer query routed by the tenant flag abstraction_v2_enabled (v2 when on, else v1).';

CREATE FUNCTION omni_identity.abstraction_buyer_v1(p_tenant_id text, p_filters jsonb, p_limit integer DEFAULT 50, p_after jsonb DEFAULT NULL::jsonb) RETURNS SETOF public.omni_sales
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS <body>;

COMMENT ON FUNCTION omni_identity.abstraction_buyer_v1(p_tenant_id text, p_filters jsonb, p_limit integer, p_after jsonb) IS 'Legacy buyer query: filters over the sale''s own normalized columns; keyset pages.';

CREATE FUNCTION omni_identity.abstraction_buyer_v2(p_tenant_id text, p_filters jsonb, p_limit integer DEFAULT 50, p_after jsonb DEFAULT NULL::jsonb) RETURNS SETOF public.omni_sales
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET plan_cache_mode TO 'force_generic_plan'
    AS <body>;

COMMENT ON FUNCTION omni_identity.abstraction_buyer_v2(p_tenant_id text, p_filters jsonb, p_limit integer, p_after jsonb) IS 'Buyer query by customer cluster (and unreconciled aliases) via the customer_hash index; keyset pages.';

CREATE FUNCTION omni_identity.auto_resolve_sales() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS <body>;

COMMENT ON FUNCTION omni_identity.auto_resolve_sales() IS 'Trigger of automatic mode: clusters the rows an INSERT wrote for tenants with auto_resolve on.';

CREATE FUNCTION omni_identity.backfill_customer_hash(p_tenant_id text DEFAULT NULL::text, p_batch_size integer DEFAULT 10000) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET jit TO 'off'
    AS <body>;
    END IF;
    IF p_batch_size IS NULL OR p_batch_size < 1 OR p_batch_size > 100000 THEN
        RAISE EXCEPTION 'p_batch_size must be between 1 and 100000, got %', p_batch_size
            USING ERRCODE = 'OI032', HINT = 'Use a batch size such as 10000.';
    END IF;
    PERFORM omni_identity.pipeline_temp_tables();
    v_scope := coalesce(p_tenant_id, '*');

    INSERT INTO omni_identity.backfill_checkpoint (tenant_id) VALUES (v_scope)
        ON CONFLICT (tenant_id) DO NOTHING;
    SELECT c.after_tenant_id, c.after_id INTO v_after_t, v_after_id
      FROM omni_identity.backfill_checkpoint c
     WHERE c.tenant_id = v_scope
       FOR UPDATE;

    TRUNCATE pg_temp.oi_bf_pick;

    -- Main pass: after the cursor, in (tenant_id, id) order (backfill_pick: an ordered
    -- walk of omni_sales_unhashed_idx whatever the table's statistics).
    v_picked := omni_identity.backfill_pick(p_tenant_id, v_after_t, v_after_id, false, p_batch_size);

    -- Sweep: sales that committed behind the cursor.
    IF v_picked = 0 THEN
        v_sweep := true;
        v_picked := omni_identity.backfill_pick(p_tenant_id, NULL, NULL, true, p_batch_size);
        IF v_picked = 0 THEN
            RETURN 0;
        END IF;
    END IF;

    -- At most c_max_tenants tenants per batch (few locks whatever the tenants' sizes).
    DELETE FROM pg_temp.oi_bf_pick p
     WHERE p.tenant_id > (SELECT t.tenant_id
                            FROM (SELECT DISTINCT q.tenant_id FROM pg_temp.oi_bf_pick q) t
                           ORDER BY t.tenant_id OFFSET c_max_tenants - 1 LIMIT 1);
    SELECT count(*) INTO v_picked FROM pg_temp.oi_bf_pick;

    -- L1: exclusive tenant locks in sorted order, before the rows are read again.
    FOR v_tenant IN SELECT DISTINCT p.tenant_id FROM pg_temp.oi_bf_pick p ORDER BY 1 LOOP
        PERFORM pg_catalog.pg_advisory_xact_lock(omni_identity.tenant_lock_key(v_tenant));
    END LOOP;

    -- Read again under the locks: one primary-key probe per picked sale (LATERAL, an
    -- optimization fence), still without a customer_hash.
    TRUNCATE pg_temp.oi_cluster_in;
    INSERT INTO pg_temp.oi_cluster_in
           (tenant_id, sale_id, seen_at, buyer_email, buyer_phone, buyer_document, buyer_name)
    SELECT s.tenant_id, s.id, s.created_at, s.buyer_email, s.buyer_phone, s.buyer_document,
           s.buyer_name
      FROM pg_temp.oi_bf_pick p
      CROSS JOIN LATERAL (
            SELECT o.tenant_id, o.id, o.created_at, o.buyer_email, o.buyer_phone,
                   o.buyer_document, o.buyer_name, o.customer_hash
              FROM public.omni_sales o
             WHERE o.tenant_id = p.tenant_id AND o.id = p.id
             OFFSET 0) s
     WHERE s.customer_hash IS NULL;
    -- No ANALYZE: cluster_sales_batch reads oi_cluster_in once, by a single scan.

    SELECT * INTO v_result FROM omni_identity.cluster_sales_batch();

    -- Examined sales without a usable key are processed: the sweep skips them.
    INSERT INTO omni_identity.backfill_keyless (tenant_id, sale_id)
    SELECT s.tenant_id, s.sale_id FROM pg_temp.oi_cl_sale s
     WHERE s.survivor IS NULL
     ORDER BY s.tenant_id, s.sale_id
        ON CONFLICT (tenant_id, sale_id) DO NOTHING;

    IF NOT v_sweep THEN
        SELECT p.tenant_id, p.id INTO v_last FROM pg_temp.oi_bf_pick p
         ORDER BY p.tenant_id DESC, p.id DESC LIMIT 1;
        UPDATE omni_identity.backfill_checkpoint c
           SET after_tenant_id = v_last.tenant_id, after_id = v_last.id, updated_at = now()
         WHERE c.tenant_id = v_scope;
    END IF;

    INSERT INTO omni_identity.batch_metrics
           (tenant_id, batch_id, job, rows_in, rows_written, rows_rejected, clusters_created,
            merges, started_at, duration)
    VALUES (v_scope, nextval('omni_identity.batch_id_seq'), 'backfill', v_picked,
            v_result.clustered, 0, v_result.clusters_created, v_result.merges, v_started,
            clock_timestamp() - v_started);
    RETURN v_picked;
END;
$$;

COMMENT ON FUNCTION omni_identity.backfill_customer_hash(p_tenant_id text, p_batch_size integer) IS 'One set-based, resumable backfill batch of sales without customer_hash (NULL tenant = all tenants); returns rows processed, 0 = done.';

CREATE FUNCTION omni_identity.backfill_pick(p_tenant_id text, p_after_tenant_id text, p_after_id bigint, p_sweep boolean, p_batch_size integer) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET enable_seqscan TO 'off'
    SET enable_bitmapscan TO 'off'
    SET enable_sort TO 'off'
    SET jit TO 'off'
    AS <body>;

COMMENT ON FUNCTION omni_identity.backfill_pick(p_tenant_id text, p_after_tenant_id text, p_after_id bigint, p_sweep boolean, p_batch_size integer) IS 'Pick the next backfill batch (main pass after the cursor, or the sweep) into pg_temp.oi_bf_pick by an ordered index walk; returns rows picked.';

CREATE FUNCTION omni_identity.buyer_cluster_aliases(p_tenant_id text, p_email text, p_phone text, p_document text) RETURNS uuid[]
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS <body>;
        END IF;
        -- Keys point at live clusters; follow merged_into in case a merge moved it since.
        SELECT coalesce(c.merged_into, c.cluster_id) INTO v_current
          FROM omni_identity.customer_cluster c
         WHERE c.tenant_id = p_tenant_id AND c.cluster_id = v_owner;
        IF v_live IS NULL THEN
            v_live := v_current;
        ELSIF v_live IS DISTINCT FROM v_current THEN
            RETURN '{}';
        END IF;
    END LOOP;
    IF v_live IS NULL THEN
        RETURN '{}';
    END IF;
    SELECT array_agg(a.cluster_id) INTO v_aliases
      FROM (SELECT c.cluster_id
              FROM omni_identity.customer_cluster c
             WHERE c.tenant_id = p_tenant_id AND c.merged_into = v_live
             UNION
            SELECT m.from_cluster
              FROM omni_identity.customer_cluster_merges m
             WHERE m.tenant_id = p_tenant_id AND m.into_cluster = v_live) AS a
     WHERE a.cluster_id <> v_live;
    RETURN ARRAY[v_live] || coalesce(v_aliases, '{}');
END;
$$;

COMMENT ON FUNCTION omni_identity.buyer_cluster_aliases(p_tenant_id text, p_email text, p_phone text, p_document text) IS 'Live cluster owning all the given normalized keys, then its merged-away aliases; empty if none.';

CREATE FUNCTION omni_identity.cluster_sales_batch() RETURNS TABLE(clustered integer, clusters_created integer, merges integer)
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET jit TO 'off'
    AS <body>;
        END IF;

        -- Large-star: every node links its larger neighbours to its smallest neighbour
        -- (itself included): edge (a, b) becomes (a, min(b, smaller neighbours of b)).
        INSERT INTO pg_temp.oi_cl_edge2 (a, b)
        SELECT DISTINCT e.a, coalesce(m.mb, e.b)
          FROM pg_temp.oi_cl_edge e
          LEFT JOIN (SELECT x.a, min(x.b) AS mb FROM pg_temp.oi_cl_edge x GROUP BY x.a) m
            ON m.a = e.b;
        TRUNCATE pg_temp.oi_cl_edge;
        INSERT INTO pg_temp.oi_cl_edge SELECT * FROM pg_temp.oi_cl_edge2;
        TRUNCATE pg_temp.oi_cl_edge2;
        ANALYZE pg_temp.oi_cl_edge;

        -- Small-star: every node and its smaller neighbours link to the smallest of them.
        INSERT INTO pg_temp.oi_cl_edge2 (a, b)
        SELECT DISTINCT z.a, z.b
          FROM (SELECT e.a, m.mb AS b
                  FROM pg_temp.oi_cl_edge e
                  JOIN (SELECT x.a, min(x.b) AS mb FROM pg_temp.oi_cl_edge x GROUP BY x.a) m
                    ON m.a = e.a
                UNION ALL
                SELECT e.b, m.mb
                  FROM pg_temp.oi_cl_edge e
                  JOIN (SELECT x.a, min(x.b) AS mb FROM pg_temp.oi_cl_edge x GROUP BY x.a) m
                    ON m.a = e.a
                 WHERE e.b <> m.mb) z;
        TRUNCATE pg_temp.oi_cl_edge;
        INSERT INTO pg_temp.oi_cl_edge SELECT * FROM pg_temp.oi_cl_edge2;
        TRUNCATE pg_temp.oi_cl_edge2;
        ANALYZE pg_temp.oi_cl_edge;
    END LOOP;

    -- Component of every keyed node (root = smallest node of the component).
    INSERT INTO pg_temp.oi_cl_comp (node, root)
    SELECT n.node, coalesce(e.b, n.node)
      FROM (SELECT DISTINCT o.node FROM pg_temp.oi_cl_occ o
            UNION ALL
            SELECT x.cnode FROM pg_temp.oi_cl_exist x) n
      LEFT JOIN pg_temp.oi_cl_edge e ON e.a = n.node;
    ANALYZE pg_temp.oi_cl_comp;

    -- 4. Survivor per component, and the batch's golden values per field.
    INSERT INTO pg_temp.oi_cl_root (root, tenant_id, survivor, is_new)
    SELECT c.root, min(s.tenant_id),
           (array_agg(x.cluster_id ORDER BY x.created_at, x.cluster_id)
                FILTER (WHERE x.cluster_id IS NOT NULL))[1],
           bool_and(x.cluster_id IS NULL)
      FROM pg_temp.oi_cl_comp c
      LEFT JOIN pg_temp.oi_cl_sale s ON s.node = c.node
      LEFT JOIN pg_temp.oi_cl_exist x ON x.cnode = c.node
     GROUP BY c.root;
    UPDATE pg_temp.oi_cl_root r SET survivor = gen_random_uuid() WHERE r.survivor IS NULL;

    UPDATE pg_temp.oi_cl_root r
       SET email = g.email, email_at = g.email_at, phone = g.phone, phone_at = g.phone_at,
           document = g.document, document_at = g.document_at, name = g.name, name_at = g.name_at
      FROM (SELECT c.root
                 , (array_agg(v.value ORDER BY s.seen_at DESC, v.value COLLATE "C" DESC)
                        FILTER (WHERE v.field = 'email'))[1] AS email
                 , max(s.seen_at) FILTER (WHERE v.field = 'email') AS email_at
                 , (array_agg(v.value ORDER BY s.seen_at DESC, v.value COLLATE "C" DESC)
                        FILTER (WHERE v.field = 'phone'))[1] AS phone
                 , max(s.seen_at) FILTER (WHERE v.field = 'phone') AS phone_at
                 , (array_agg(v.value ORDER BY s.seen_at DESC, v.value COLLATE "C" DESC)
                        FILTER (WHERE v.field = 'document'))[1] AS document
                 , max(s.seen_at) FILTER (WHERE v.field = 'document') AS document_at
                 , (array_agg(v.value ORDER BY s.seen_at DESC, v.value COLLATE "C" DESC)
                        FILTER (WHERE v.field = 'name'))[1] AS name
                 , max(s.seen_at) FILTER (WHERE v.field = 'name') AS name_at
              FROM (SELECT o.node, o.key_type AS field, o.key_value AS value FROM pg_temp.oi_cl_occ o
                    UNION ALL
                    SELECT s2.node, 'name', s2.name FROM pg_temp.oi_cl_sale s2
                     WHERE s2.name IS NOT NULL
                       AND EXISTS (SELECT 1 FROM pg_temp.oi_cl_occ o2 WHERE o2.node = s2.node)) v
              JOIN pg_temp.oi_cl_sale s ON s.node = v.node
              JOIN pg_temp.oi_cl_comp c ON c.node = v.node
             GROUP BY c.root) g
     WHERE r.root = g.root;
    ANALYZE pg_temp.oi_cl_root;

    UPDATE pg_temp.oi_cl_sale s
       SET survivor = r.survivor
      FROM pg_temp.oi_cl_comp c
      JOIN pg_temp.oi_cl_root r ON r.root = c.root
     WHERE c.node = s.node;

    -- New clusters, with the batch's golden record.
    INSERT INTO omni_identity.customer_cluster
           (tenant_id, cluster_id, last_buyer_email, last_buyer_email_at, last_buyer_phone,
            last_buyer_phone_at, last_buyer_name, last_buyer_name_at, last_buyer_document,
            last_buyer_document_at)
    SELECT r.tenant_id, r.survivor, r.email, r.email_at, r.phone, r.phone_at, r.name, r.name_at,
           r.document, r.document_at
      FROM pg_temp.oi_cl_root r
     WHERE r.is_new
     ORDER BY r.tenant_id, r.survivor;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    clusters_created := v_n;

    FOR v_tenant IN SELECT DISTINCT r.tenant_id FROM pg_temp.oi_cl_root r ORDER BY 1 LOOP
        -- Merges: every other existing cluster of a component into its survivor.
        SELECT coalesce(array_agg(x.cluster_id ORDER BY x.cluster_id), '{}'),
               coalesce(array_agg(r.survivor ORDER BY x.cluster_id), '{}')
          INTO v_losers, v_survivors
          FROM pg_temp.oi_cl_exist x
          JOIN pg_temp.oi_cl_comp c ON c.node = x.cnode
          JOIN pg_temp.oi_cl_root r ON r.root = c.root
         WHERE x.tenant_id = v_tenant AND x.cluster_id <> r.survivor;
        IF cardinality(v_losers) > 0 THEN
            merges := merges + omni_identity.merge_clusters(v_tenant, v_losers, v_survivors);
        END IF;

        -- Existing survivors take the batch's values where they are greater.
        SELECT coalesce(array_agg(r.survivor), '{}') INTO v_survivors
          FROM pg_temp.oi_cl_root r WHERE r.tenant_id = v_tenant AND NOT r.is_new;
        IF cardinality(v_survivors) > 0 THEN
            UPDATE omni_identity.customer_cluster c
               SET last_buyer_email = CASE WHEN omni_identity.pipeline_value_wins(r.email_at, r.email, c.last_buyer_email_at, c.last_buyer_email)
                                           THEN r.email ELSE c.last_buyer_email END
                 , last_buyer_email_at = CASE WHEN omni_identity.pipeline_value_wins(r.email_at, r.email, c.last_buyer_email_at, c.last_buyer_email)
                                              THEN r.email_at ELSE c.last_buyer_email_at END
                 , last_buyer_phone = CASE WHEN omni_identity.pipeline_value_wins(r.phone_at, r.phone, c.last_buyer_phone_at, c.last_buyer_phone)
                                           THEN r.phone ELSE c.last_buyer_phone END
                 , last_buyer_phone_at = CASE WHEN omni_identity.pipeline_value_wins(r.phone_at, r.phone, c.last_buyer_phone_at, c.last_buyer_phone)
                                              THEN r.phone_at ELSE c.last_buyer_phone_at END
                 , last_buyer_document = CASE WHEN omni_identity.pipeline_value_wins(r.document_at, r.document, c.last_buyer_document_at, c.last_buyer_document)
                                              THEN r.document ELSE c.last_buyer_document END
                 , last_buyer_document_at = CASE WHEN omni_identity.pipeline_value_wins(r.document_at, r.document, c.last_buyer_document_at, c.last_buyer_document)
                                                 THEN r.document_at ELSE c.last_buyer_document_at END
                 , last_buyer_name = CASE WHEN omni_identity.pipeline_value_wins(r.name_at, r.name, c.last_buyer_name_at, c.last_buyer_name)
                                          THEN r.name ELSE c.last_buyer_name END
                 , last_buyer_name_at = CASE WHEN omni_identity.pipeline_value_wins(r.name_at, r.name, c.last_buyer_name_at, c.last_buyer_name)
                                             THEN r.name_at ELSE c.last_buyer_name_at END
                 , updated_at = now()
              FROM pg_temp.oi_cl_root r
             WHERE c.tenant_id = v_tenant
               AND c.cluster_id = ANY (v_survivors)
               AND r.tenant_id = v_tenant
               AND c.cluster_id = r.survivor
               AND (omni_identity.pipeline_value_wins(r.email_at, r.email, c.last_buyer_email_at, c.last_buyer_email)
                 OR omni_identity.pipeline_value_wins(r.phone_at, r.phone, c.last_buyer_phone_at, c.last_buyer_phone)
                 OR omni_identity.pipeline_value_wins(r.document_at, r.document, c.last_buyer_document_at, c.last_buyer_document)
                 OR omni_identity.pipeline_value_wins(r.name_at, r.name, c.last_buyer_name_at, c.last_buyer_name));
        END IF;

        -- Keys the tenant did not know yet belong to their component's survivor.
        INSERT INTO omni_identity.customer_cluster_keys (tenant_id, key_type, key_value, cluster_id)
        SELECT k.tenant_id, k.key_type, k.key_value, r.survivor
          FROM pg_temp.oi_cl_key k
          JOIN pg_temp.oi_cl_comp c ON c.node = k.min_node
          JOIN pg_temp.oi_cl_root r ON r.root = c.root
         WHERE k.tenant_id = v_tenant AND k.cluster_id IS NULL
         ORDER BY k.key_type, k.key_value;

        -- 5. The sales carry their survivor. Each sale is found by one primary-key probe
        -- (LATERAL, an optimization fence: never a scan of the tenant's sales), then one
        -- UPDATE by TID. No row locks first: a sale another transaction updated in between
        -- is skipped by the TID update (its new version has another ctid), and the loop
        -- probes again until every sale found was written.
        LOOP
            SELECT coalesce(array_agg(x.row_ctid), '{}'), coalesce(array_agg(s.survivor), '{}')
              INTO v_ctids, v_hashes
              FROM pg_temp.oi_cl_sale s
              CROSS JOIN LATERAL (
                    SELECT o.ctid AS row_ctid, o.customer_hash
                      FROM public.omni_sales o
                     WHERE o.tenant_id = s.tenant_id AND o.id = s.sale_id
                     OFFSET 0) x
             WHERE s.tenant_id = v_tenant AND s.survivor IS NOT NULL
               AND x.customer_hash IS DISTINCT FROM s.survivor;
            EXIT WHEN omni_identity.pipeline_set_customer_hash(v_tenant, v_ctids, v_hashes)
                      = cardinality(v_ctids);
        END LOOP;
        SELECT count(*) INTO v_n FROM pg_temp.oi_cl_sale s
         WHERE s.tenant_id = v_tenant AND s.survivor IS NOT NULL;
        clustered := clustered + v_n;
    END LOOP;

    RETURN NEXT;
END;
$$;

COMMENT ON FUNCTION omni_identity.cluster_sales_batch() IS 'Set-based clustering of the sales in pg_temp.oi_cluster_in: locks, keys, components, merges, golden records, customer_hash.';

CREATE FUNCTION omni_identity.compare_customer_reports(p_tenant_id text, p_filters jsonb DEFAULT '{}'::jsonb) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS <body>;

COMMENT ON FUNCTION omni_identity.compare_customer_reports(p_tenant_id text, p_filters jsonb) IS 'Write one report_divergences row per difference between customer_report_v1 and _v2; returns the count.';

CREATE FUNCTION omni_identity.current_cluster(p_tenant_id text, p_cluster_id uuid) RETURNS uuid
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS <body>;

COMMENT ON FUNCTION omni_identity.current_cluster(p_tenant_id text, p_cluster_id uuid) IS 'The live cluster for a cluster id: itself, or the survivor it was merged into; NULL if unknown.';

CREATE FUNCTION omni_identity.customer_report(p_tenant_id text, p_filters jsonb DEFAULT '{}'::jsonb) RETURNS TABLE(cluster_id uuid, email text, phone text, document text, name text, orders bigint, total_amount numeric, first_purchase_at timestamp with time zone, last_purchase_at timestamp with time zone, shops bigint)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS <body>;

COMMENT ON FUNCTION omni_identity.customer_report(p_tenant_id text, p_filters jsonb) IS 'Customer report routed by the tenant flag customer_report_v2_enabled (v2 when on, else v1).';

CREATE FUNCTION omni_identity.customer_report_v1(p_tenant_id text, p_filters jsonb DEFAULT '{}'::jsonb) RETURNS TABLE(cluster_id uuid, email text, phone text, document text, name text, orders bigint, total_amount numeric, first_purchase_at timestamp with time zone, last_purchase_at timestamp with time zone, shops bigint)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS <body>;

COMMENT ON FUNCTION omni_identity.customer_report_v1(p_tenant_id text, p_filters jsonb) IS 'Legacy customer report: one row per normalized buyer e-mail, plus the sales without one.';

CREATE FUNCTION omni_identity.customer_report_v2(p_tenant_id text, p_filters jsonb DEFAULT '{}'::jsonb) RETURNS TABLE(cluster_id uuid, email text, phone text, document text, name text, orders bigint, total_amount numeric, first_purchase_at timestamp with time zone, last_purchase_at timestamp with time zone, shops bigint)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS <body>;

COMMENT ON FUNCTION omni_identity.customer_report_v2(p_tenant_id text, p_filters jsonb) IS 'Customer report by live cluster with its golden record, plus the sales without a cluster.';

CREATE FUNCTION omni_identity.document_parse(p_raw text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    AS <body>;

COMMENT ON FUNCTION omni_identity.document_parse(p_raw text) IS 'normalize_document for any input (formatting removed, uppercase, check digits).';

CREATE FUNCTION omni_identity.email_ascii_re() RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN ('^[!#-\-/-?A-~]+(?:\.[!#-\-/-?A-~]+)*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+'::text || '(?:[A-Za-z0-9]*[A-Za-z][A-Za-z0-9]*|[A-Za-z0-9][A-Za-z0-9-]*-[A-Za-z0-9-]*[A-Za-z0-9])$'::text);

COMMENT ON FUNCTION omni_identity.email_ascii_re() IS 'Anchored regular expression of a valid e-mail written in printable ASCII (either case).';

CREATE FUNCTION omni_identity.email_canonical(p_email text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN regexp_replace(regexp_replace(regexp_replace(p_email, '^([^+@]+)\+[^@]*@'::text, '\1@'::text), '\.(?=[^@]*@(?:gmail|googlemail)\.com$)'::text, ''::text, 'g'::text), '@googlemail\.com$'::text, '@gmail.com'::text);

COMMENT ON FUNCTION omni_identity.email_canonical(p_email text) IS 'Canonical form of a normalized e-mail: +tag dropped; Gmail/Googlemail dots dropped, domain gmail.com.';

CREATE FUNCTION omni_identity.email_parse(p_raw text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    AS <body>;

COMMENT ON FUNCTION omni_identity.email_parse(p_raw text) IS 'normalize_email for any input: trim, NFC, Unicode lowercase, then the SPEC §3 grammar; NULL when invalid.';

CREATE FUNCTION omni_identity.flag_enabled(p_tenant_id text, p_key text) RETURNS boolean
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS <body>;

COMMENT ON FUNCTION omni_identity.flag_enabled(p_tenant_id text, p_key text) IS 'Is the tenant''s boolean flag p_key on? Absent = false.';

CREATE FUNCTION omni_identity.golden_name(p_raw text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS <body>;

COMMENT ON FUNCTION omni_identity.golden_name(p_raw text) IS 'Golden-record form of a name: trimmed, inner white space collapsed; NULL unless normalize_name accepts it.';

CREATE FUNCTION omni_identity.identifier_sha256(p_key_type text, p_value text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS <body>;

COMMENT ON FUNCTION omni_identity.identifier_sha256(p_key_type text, p_value text) IS 'Lowercase hex SHA-256 of an e-mail, phone (E.164 without +), name or document as ad platforms expect; NULL when invalid.';

CREATE FUNCTION omni_identity.ingest_sales(p_tenant_id text, p_rows jsonb) RETURNS TABLE(inserted integer, updated integer, rejected integer, clustered integer, merges integer)
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS <body>;
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
$$;

COMMENT ON FUNCTION omni_identity.ingest_sales(p_tenant_id text, p_rows jsonb) IS 'Upsert a jsonb array of sales on the idempotency key and cluster them set-based; bad rows go to sales_rejects.';

CREATE FUNCTION omni_identity.ingest_staged_sales(p_tenant_id text, p_job text, p_batch_id bigint) RETURNS TABLE(inserted integer, updated integer, rejected integer, clustered integer, merges integer)
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS <body>;
    END IF;
    PERFORM omni_identity.pipeline_temp_tables();
    PERFORM pg_catalog.pg_advisory_xact_lock(omni_identity.tenant_lock_key(p_tenant_id));

    SELECT count(*) INTO v_rows_in FROM pg_temp.oi_ingest_stage;
    ANALYZE pg_temp.oi_ingest_stage;

    -- Validate in one statement; reason NULL = good row.
    TRUNCATE pg_temp.oi_ingest_checked;
    INSERT INTO pg_temp.oi_ingest_checked
    SELECT v.row_no, v.raw,
           coalesce(v.reason, CASE
               WHEN v.last_row_no <> v.row_no
               THEN 'superseded by row ' || v.last_row_no || ' with the same shop_id, gateway and external_id'
           END),
           v.shop_id, v.gateway, v.external_id, v.buyer_email, v.buyer_phone, v.buyer_name,
           v.buyer_document, v.product_id, v.status, v.amount, v.currency, v.created_at
      FROM (
        SELECT r.*,
               max(r.row_no) FILTER (WHERE r.reason IS NULL)
                   OVER (PARTITION BY r.shop_id, r.gateway, r.external_id) AS last_row_no
          FROM (
            SELECT s.row_no, s.raw,
                   CASE
                     WHEN s.type_error IS NOT NULL THEN s.type_error
                     WHEN s.shop_id IS NULL OR btrim(s.shop_id) = '' THEN 'shop_id is missing'
                     WHEN s.external_id IS NULL OR btrim(s.external_id) = '' THEN 'external_id is missing'
                     WHEN s.created_at IS NULL OR btrim(s.created_at) = '' THEN 'created_at is missing'
                     WHEN p.created_at IS NULL
                          THEN 'created_at is not a valid date-time: ' || left(s.created_at, 60)
                     WHEN s.amount IS NOT NULL AND btrim(s.amount) <> '' AND p.amount IS NULL
                          THEN 'amount is not a number in range: ' || left(s.amount, 60)
                     WHEN length(s.currency) > 3 THEN 'currency is longer than 3 characters'
                   END AS reason,
                   s.shop_id, coalesce(s.gateway, '') AS gateway, s.external_id,
                   s.buyer_email, s.buyer_phone, s.buyer_name, s.buyer_document, s.product_id,
                   s.status, p.amount, nullif(s.currency, '') AS currency, p.created_at
              FROM pg_temp.oi_ingest_stage s
              CROSS JOIN LATERAL (
                    SELECT omni_identity.parse_sale_timestamp(s.created_at) AS created_at,
                           omni_identity.parse_sale_amount(s.amount) AS amount) p
          ) r
      ) v;
    ANALYZE pg_temp.oi_ingest_checked;

    INSERT INTO omni_identity.sales_rejects (tenant_id, batch_id, row_no, raw, reason)
    SELECT p_tenant_id, p_batch_id, c.row_no, c.raw, c.reason
      FROM pg_temp.oi_ingest_checked c
     WHERE c.reason IS NOT NULL
     ORDER BY c.row_no;
    GET DIAGNOSTICS rejected = ROW_COUNT;

    -- Upsert; rows written by this statement are clustered by the batch core, not by
    -- the automatic-mode trigger.
    PERFORM set_config('omni_identity.batch_writer', 'on', true);
    TRUNCATE pg_temp.oi_cluster_in;
    WITH written AS (
        INSERT INTO public.omni_sales AS o
               (tenant_id, shop_id, gateway, external_id, buyer_email, buyer_phone, buyer_name,
                buyer_document, product_id, status, amount, currency, created_at)
        SELECT p_tenant_id, c.shop_id, c.gateway, c.external_id, c.buyer_email, c.buyer_phone,
               c.buyer_name, c.buyer_document, c.product_id, c.status, c.amount, c.currency,
               c.created_at
          FROM pg_temp.oi_ingest_checked c
         WHERE c.reason IS NULL
         ORDER BY c.row_no
        ON CONFLICT (tenant_id, shop_id, gateway, external_id) DO UPDATE
           SET buyer_email = EXCLUDED.buyer_email, buyer_phone = EXCLUDED.buyer_phone,
               buyer_name = EXCLUDED.buyer_name, buyer_document = EXCLUDED.buyer_document,
               product_id = EXCLUDED.product_id, status = EXCLUDED.status,
               amount = EXCLUDED.amount, currency = EXCLUDED.currency,
               created_at = EXCLUDED.created_at,
               customer_hash = CASE
                   WHEN (o.buyer_email, o.buyer_phone, o.buyer_name, o.buyer_document, o.created_at)
                        IS DISTINCT FROM
                        (EXCLUDED.buyer_email, EXCLUDED.buyer_phone, EXCLUDED.buyer_name,
                         EXCLUDED.buyer_document, EXCLUDED.created_at)
                   THEN NULL ELSE o.customer_hash END
         WHERE (o.buyer_email, o.buyer_phone, o.buyer_name, o.buyer_document, o.product_id,
                o.status, o.amount, o.currency, o.created_at)
               IS DISTINCT FROM
               (EXCLUDED.buyer_email, EXCLUDED.buyer_phone, EXCLUDED.buyer_name,
                EXCLUDED.buyer_document, EXCLUDED.product_id, EXCLUDED.status, EXCLUDED.amount,
                EXCLUDED.currency, EXCLUDED.created_at)
        RETURNING o.id, o.created_at, o.buyer_email, o.buyer_phone, o.buyer_document,
                  o.buyer_name, o.customer_hash, (o.xmax = 0) AS is_insert
    ), counted AS (
        SELECT count(*) FILTER (WHERE w.is_insert) AS n_ins,
               count(*) FILTER (WHERE NOT w.is_insert) AS n_upd
          FROM written w
    ), staged AS (
        INSERT INTO pg_temp.oi_cluster_in
               (tenant_id, sale_id, seen_at, buyer_email, buyer_phone, buyer_document, buyer_name)
        SELECT p_tenant_id, w.id, w.created_at, w.buyer_email, w.buyer_phone, w.buyer_document,
               w.buyer_name
          FROM written w
         WHERE w.customer_hash IS NULL
    )
    SELECT n_ins, n_upd INTO inserted, updated FROM counted;
    PERFORM set_config('omni_identity.batch_writer', '', true);

    SELECT b.clustered, b.clusters_created, b.merges INTO clustered, v_created, merges
      FROM omni_identity.cluster_sales_batch() b;

    INSERT INTO omni_identity.batch_metrics
           (tenant_id, batch_id, job, rows_in, rows_written, rows_rejected, clusters_created,
            merges, started_at, duration)
    VALUES (p_tenant_id, p_batch_id, p_job, v_rows_in, inserted + updated, rejected, v_created,
            merges, v_started, clock_timestamp() - v_started);
    RETURN NEXT;
END;
$$;

COMMENT ON FUNCTION omni_identity.ingest_staged_sales(p_tenant_id text, p_job text, p_batch_id bigint) IS 'Validate, upsert and cluster the rows of pg_temp.oi_ingest_stage for one tenant (ingest_sales and upload).';

CREATE FUNCTION omni_identity.key_blocks(p_tenant_id text, p_key_type text, p_value text) RETURNS TABLE(blocked boolean)
    LANGUAGE sql STABLE PARALLEL SAFE
    AS <body>;

COMMENT ON FUNCTION omni_identity.key_blocks(p_tenant_id text, p_key_type text, p_value text) IS 'One row: whether a normalized identifier matches the blocklist (global or the tenant''s; exact or regex). Inlined.';

CREATE FUNCTION omni_identity.key_is_blocked(p_tenant_id text, p_key_type text, p_value text) RETURNS boolean
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS <body>;

COMMENT ON FUNCTION omni_identity.key_is_blocked(p_tenant_id text, p_key_type text, p_value text) IS 'True when a normalized identifier matches the blocklist (global or the tenant''s; exact or regex).';

CREATE FUNCTION omni_identity.key_lock_key(p_tenant_id text, p_key_type text, p_key_value text) RETURNS bigint
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS <body>;

COMMENT ON FUNCTION omni_identity.key_lock_key(p_tenant_id text, p_key_type text, p_key_value text) IS 'Advisory-lock key of one identifier (tenant, key_type, key_value) for resolve_customer_cluster.';

CREATE FUNCTION omni_identity.merge_clusters(p_tenant_id text, p_losers uuid[], p_survivors uuid[]) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS <body>;
    END IF;

    -- 1. Losers point at their survivor.
    UPDATE omni_identity.customer_cluster c
       SET merged_into = p.survivor, updated_at = now()
      FROM unnest(p_losers, p_survivors) AS p(loser, survivor)
     WHERE c.tenant_id = p_tenant_id
       AND c.cluster_id = ANY (p_losers)
       AND c.cluster_id = p.loser;
    GET DIAGNOSTICS v_merged = ROW_COUNT;

    -- 2. Clusters merged earlier into a loser now point at the survivor.
    UPDATE omni_identity.customer_cluster c
       SET merged_into = p.survivor, updated_at = now()
      FROM unnest(p_losers, p_survivors) AS p(loser, survivor)
     WHERE c.tenant_id = p_tenant_id
       AND c.merged_into IS NOT NULL
       AND c.merged_into = ANY (p_losers)
       AND c.merged_into = p.loser;

    -- 3. The losers' keys move to the survivor.
    UPDATE omni_identity.customer_cluster_keys k
       SET cluster_id = p.survivor
      FROM unnest(p_losers, p_survivors) AS p(loser, survivor)
     WHERE k.tenant_id = p_tenant_id
       AND k.cluster_id = ANY (p_losers)
       AND k.cluster_id = p.loser;

    -- 4. Lineage.
    INSERT INTO omni_identity.customer_cluster_merges (tenant_id, from_cluster, into_cluster)
    SELECT p_tenant_id, p.loser, p.survivor
      FROM unnest(p_losers, p_survivors) AS p(loser, survivor);

    -- 5. Golden records: per survivor and field, the greatest (at, value) of its group.
    UPDATE omni_identity.customer_cluster c
       SET last_buyer_email = g.email, last_buyer_email_at = g.email_at
         , last_buyer_phone = g.phone, last_buyer_phone_at = g.phone_at
         , last_buyer_document = g.document, last_buyer_document_at = g.document_at
         , last_buyer_name = g.name, last_buyer_name_at = g.name_at
         , updated_at = now()
      FROM (
        SELECT m.survivor
             , (array_agg(x.last_buyer_email ORDER BY x.last_buyer_email_at DESC, x.last_buyer_email COLLATE "C" DESC)
                    FILTER (WHERE x.last_buyer_email IS NOT NULL))[1] AS email
             , max(x.last_buyer_email_at) AS email_at
             , (array_agg(x.last_buyer_phone ORDER BY x.last_buyer_phone_at DESC, x.last_buyer_phone COLLATE "C" DESC)
                    FILTER (WHERE x.last_buyer_phone IS NOT NULL))[1] AS phone
             , max(x.last_buyer_phone_at) AS phone_at
             , (array_agg(x.last_buyer_document ORDER BY x.last_buyer_document_at DESC, x.last_buyer_document COLLATE "C" DESC)
                    FILTER (WHERE x.last_buyer_document IS NOT NULL))[1] AS document
             , max(x.last_buyer_document_at) AS document_at
             , (array_agg(x.last_buyer_name ORDER BY x.last_buyer_name_at DESC, x.last_buyer_name COLLATE "C" DESC)
                    FILTER (WHERE x.last_buyer_name IS NOT NULL))[1] AS name
             , max(x.last_buyer_name_at) AS name_at
          FROM (SELECT p.loser AS member, p.survivor FROM unnest(p_losers, p_survivors) AS p(loser, survivor)
                UNION
                SELECT s.survivor, s.survivor FROM unnest(p_survivors) AS s(survivor)) m
          JOIN omni_identity.customer_cluster x
            ON x.tenant_id = p_tenant_id
           AND x.cluster_id = ANY (p_losers || p_survivors)
           AND x.cluster_id = m.member
         GROUP BY m.survivor
      ) g
     WHERE c.tenant_id = p_tenant_id
       AND c.cluster_id = ANY (p_survivors)
       AND c.cluster_id = g.survivor;

    RETURN v_merged;
END;
$$;

COMMENT ON FUNCTION omni_identity.merge_clusters(p_tenant_id text, p_losers uuid[], p_survivors uuid[]) IS 'Merge p_losers[i] into p_survivors[i] set-based: merged_into, chains repointed, keys moved, lineage, golden records.';

CREATE FUNCTION omni_identity.normalize_document(p_raw text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS <body>;

COMMENT ON FUNCTION omni_identity.normalize_document(p_raw text) IS 'Normalized CPF/CNPJ (formatting removed, uppercase, numeric or alphanumeric CNPJ) when the check digits hold, else NULL.';

CREATE FUNCTION omni_identity.normalize_email(p_raw text, p_canonical boolean DEFAULT false) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS <body>;

COMMENT ON FUNCTION omni_identity.normalize_email(p_raw text, p_canonical boolean) IS 'Normalized e-mail (trimmed, NFC, lowercase) when valid, else NULL; p_canonical drops +tags and Gmail dots.';

CREATE FUNCTION omni_identity.normalize_name(p_raw text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS <body>;

COMMENT ON FUNCTION omni_identity.normalize_name(p_raw text) IS 'Name for display and search: NFD, marks dropped, lowercase, non-alphanumeric runs → one space; empty → NULL.';

CREATE FUNCTION omni_identity.normalize_phone(p_raw text, p_default_region text DEFAULT 'BR'::text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS <body>;

COMMENT ON FUNCTION omni_identity.normalize_phone(p_raw text, p_default_region text) IS 'Phone in E.164 (+ and digits): Brazilian fixed/mobile numbers as phonenumbers reads them, other countries written with + or 00; else NULL.';

CREATE FUNCTION omni_identity.parse_sale_amount(p_raw text) RETURNS numeric
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS <body>;

COMMENT ON FUNCTION omni_identity.parse_sale_amount(p_raw text) IS 'Decimal text to numeric(14,2) range, NULL when unparsable or out of range.';

CREATE FUNCTION omni_identity.parse_sale_timestamp(p_raw text) RETURNS timestamp with time zone
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS <body>;

COMMENT ON FUNCTION omni_identity.parse_sale_timestamp(p_raw text) IS 'ISO 8601 text to timestamptz, NULL when it is not a valid date-time.';

CREATE FUNCTION omni_identity.phone_br_fast_international_re() RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN '^[ ().-]*(?:\+[ ().-]*)?5[ ().-]*5[ ().-]*(?:(?:1[ ().-]*[123456789]|2[ ().-]*[12478]|3[ ().-]*[1234578]|4[ ().-]*[123456789]|5[ ().-]*[1345]|6[ ().-]*[123456789]|7[ ().-]*[134579]|8[ ().-]*[123456789]|9[ ().-]*[123456789])[ ().-]*(?:[23457][ ().-]*[0-9][ ().-]*[0-9][ ().-]*[0-9][ ().-]*[0-9][ ().-]*[0-9][ ().-]*[0-9][ ().-]*[0-9][ ().-]*|[9][ ().-]*[0-9][ ().-]*[0-9][ ().-]*[0-9][ ().-]*[0-9][ ().-]*[0-9][ ().-]*[0-9][ ().-]*[0-9][ ().-]*[0-9][ ().-]*))$'::text;

COMMENT ON FUNCTION omni_identity.phone_br_fast_international_re() IS 'Fast path: 55 (or +55) then a linkable Brazilian national number, digits and the separators space ( ) . - only; its digits are the E.164 number.';

CREATE FUNCTION omni_identity.phone_br_fast_national_re() RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN '^[ ().-]*(?:(?:1[ ().-]*[123456789]|2[ ().-]*[12478]|3[ ().-]*[1234578]|4[ ().-]*[123456789]|5[ ().-]*[1345]|6[ ().-]*[123456789]|7[ ().-]*[134579]|8[ ().-]*[123456789]|9[ ().-]*[123456789])[ ().-]*(?:[23457][ ().-]*[0-9][ ().-]*[0-9][ ().-]*[0-9][ ().-]*[0-9][ ().-]*[0-9][ ().-]*[0-9][ ().-]*[0-9][ ().-]*|[9][ ().-]*[0-9][ ().-]*[0-9][ ().-]*[0-9][ ().-]*[0-9][ ().-]*[0-9][ ().-]*[0-9][ ().-]*[0-9][ ().-]*[0-9][ ().-]*))$'::text;

COMMENT ON FUNCTION omni_identity.phone_br_fast_national_re() IS 'Fast path: a linkable Brazilian national number written with digits and the separators space ( ) . - only; its digits are the national significant number.';

CREATE FUNCTION omni_identity.phone_br_fast_trunk_re() RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN '^[ ().-]*0[ ().-]*(?:[xX][ ().-]*[xX][ ().-]*|(?:1[ ().-]*[245]|2[ ().-]*[1-35]|3[ ().-]*1|4[ ().-]*[13]|[56][ ().-]*5|9[ ().-]*9)[ ().-]*)?(?:(?:1[ ().-]*[123456789]|2[ ().-]*[12478]|3[ ().-]*[1234578]|4[ ().-]*[123456789]|5[ ().-]*[1345]|6[ ().-]*[123456789]|7[ ().-]*[134579]|8[ ().-]*[123456789]|9[ ().-]*[123456789])[ ().-]*(?:[23457][ ().-]*[0-9][ ().-]*[0-9][ ().-]*[0-9][ ().-]*[0-9][ ().-]*[0-9][ ().-]*[0-9][ ().-]*[0-9][ ().-]*|[9][ ().-]*[0-9][ ().-]*[0-9][ ().-]*[0-9][ ().-]*[0-9][ ().-]*[0-9][ ().-]*[0-9][ ().-]*[0-9][ ().-]*[0-9][ ().-]*))$'::text;

COMMENT ON FUNCTION omni_identity.phone_br_fast_trunk_re() IS 'Fast path: trunk 0 (0xx, or 0 and a carrier code) then a linkable Brazilian national number, digits and the separators space ( ) . - only.';

CREATE FUNCTION omni_identity.phone_br_general_re() RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN '^(?:[1-467]\d{9,10}|55[0-46-9]\d{8}|[34]\d{7}|55\d{7,8}|(?:5[0-46-9]|[89]\d)\d{7,9})$'::text;

COMMENT ON FUNCTION omni_identity.phone_br_general_re() IS 'Brazilian general national-number pattern (any type), anchored; from phonenumbers.';

CREATE FUNCTION omni_identity.phone_br_international_prefix_re() RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN '^(?:00(?:1[245]|2[1-35]|31|4[13]|[56]5|99))'::text;

COMMENT ON FUNCTION omni_identity.phone_br_international_prefix_re() IS 'Brazilian international prefix (00 + carrier code), anchored; from phonenumbers.';

CREATE FUNCTION omni_identity.phone_br_is_linkable(p_nsn text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN (p_nsn ~ '^(?:(?:1[123456789]|2[12478]|3[1234578]|4[123456789]|5[1345]|6[123456789]|7[134579]|8[123456789]|9[123456789])(?:[23457][0-9][0-9][0-9][0-9][0-9][0-9][0-9]|[9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]))$'::text);

COMMENT ON FUNCTION omni_identity.phone_br_is_linkable(p_nsn text) IS 'True when a Brazilian national significant number is a valid FIXED_LINE or MOBILE number for phonenumbers (not premium rate, toll free, shared cost, ...).';

CREATE FUNCTION omni_identity.phone_br_national_prefix_re() RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN '^(?:(?:0|90)(?:(1[245]|2[1-35]|31|4[13]|[56]5|99)(\d{10,11}))?)'::text;

COMMENT ON FUNCTION omni_identity.phone_br_national_prefix_re() IS 'Brazilian national prefix for parsing (trunk 0 or 90, optional carrier code and number as groups 1 and 2), anchored; from phonenumbers.';

CREATE FUNCTION omni_identity.phone_br_plain_re() RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN '^[ ().-]*(?:[1-46-8]|5[ ().-]*[0-46-9]|9[ ().-]*[1-9])[0-9 ().-]*$'::text;

COMMENT ON FUNCTION omni_identity.phone_br_plain_re() IS 'Digits and the separators space ( ) . - only, not starting with 0, 55 or 90 (no trunk prefix, country code or international prefix): the digits are the national number as they stand, so linkable exactly when phone_br_fast_national_re() matches.';

CREATE FUNCTION omni_identity.phone_br_strip_national_prefix(p_digits text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    AS <body>;

COMMENT ON FUNCTION omni_identity.phone_br_strip_national_prefix(p_digits text) IS 'Brazilian national number without trunk prefix and carrier code, as phonenumbers strips them.';

CREATE FUNCTION omni_identity.phone_country_code_re() RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN '^(?:1|7|20|27|30|31|32|33|34|36|39|40|41|43|44|45|46|47|48|49|51|52|53|54|55|56|57|58|60|61|62|63|64|65|66|81|82|84|86|90|91|92|93|94|95|98|211|212|213|216|218|220|221|222|223|224|225|226|227|228|229|230|231|232|233|234|235|236|237|238|239|240|241|242|243|244|245|246|247|248|249|250|251|252|253|254|255|256|257|258|260|261|262|263|264|265|266|267|268|269|290|291|297|298|299|350|351|352|353|354|355|356|357|358|359|370|371|372|373|374|375|376|377|378|380|381|382|383|385|386|387|389|420|421|423|500|501|502|503|504|505|506|507|508|509|590|591|592|593|594|595|596|597|598|599|670|672|673|674|675|676|677|678|679|680|681|682|683|685|686|687|688|689|690|691|692|800|808|850|852|853|855|856|870|878|880|881|882|883|886|888|960|961|962|963|964|965|966|967|968|970|971|972|973|974|975|976|977|979|992|993|994|995|996|998)'::text;

COMMENT ON FUNCTION omni_identity.phone_country_code_re() IS 'Every country calling code phonenumbers knows, as an anchored alternation.';

CREATE FUNCTION omni_identity.phone_digits(p_number text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS <body>;

COMMENT ON FUNCTION omni_identity.phone_digits(p_number text) IS 'Digits of a phone number as phonenumbers normalizes them (vanity letters on the keypad).';

CREATE FUNCTION omni_identity.phone_extension_ascii_re() RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS <body>;

COMMENT ON FUNCTION omni_identity.phone_extension_ascii_re() IS 'phone_extension_re() for ASCII text (non-ASCII characters and alternatives left out).';

CREATE FUNCTION omni_identity.phone_extension_re() RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS <body>;

COMMENT ON FUNCTION omni_identity.phone_extension_re() IS 'Regular expression of a phone extension as phonenumbers parses it (unanchored).';

CREATE FUNCTION omni_identity.phone_parse(p_raw text, p_default_region text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    AS <body>;
                    v_national := v_stripped;
                END IF;
            END IF;
            IF v_cc IS NULL THEN
                IF v_fallback THEN
                    RETURN NULL;
                END IF;
                v_cc := '55';
                v_national := v_digits;
            END IF;
        END IF;
    END IF;
    IF v_cc <> '55' THEN
        RETURN CASE WHEN length(v_cc || v_national) BETWEEN 8 AND 15 THEN '+' || v_cc || v_national END;
    END IF;
    IF length(v_national) < 2 THEN
        RETURN NULL;
    END IF;
    v_stripped := omni_identity.phone_br_strip_national_prefix(v_national);
    IF length(v_stripped) >= 8 THEN
        v_national := v_stripped;
    END IF;
    IF omni_identity.phone_br_is_linkable(v_national) THEN
        RETURN '+55' || v_national;
    END IF;
    RETURN NULL;
END;
$_$;

COMMENT ON FUNCTION omni_identity.phone_parse(p_raw text, p_default_region text) IS 'normalize_phone for any input: the phonenumbers parser restated step by step.';

CREATE FUNCTION omni_identity.phone_punctuation_class() RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS <body>;

COMMENT ON FUNCTION omni_identity.phone_punctuation_class() IS 'Regex bracket contents: punctuation phonenumbers accepts inside a phone number.';

CREATE FUNCTION omni_identity.phone_viable_ascii_re() RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS <body>;

COMMENT ON FUNCTION omni_identity.phone_viable_ascii_re() IS 'phone_viable_re() for ASCII text (non-ASCII characters and alternatives left out).';

CREATE FUNCTION omni_identity.phone_viable_re() RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS <body>;

COMMENT ON FUNCTION omni_identity.phone_viable_re() IS 'Anchored regular expression of a viable phone number (phonenumbers _VALID_PHONE_NUMBER_PATTERN).';

CREATE FUNCTION omni_identity.pipeline_set_customer_hash(p_tenant_id text, p_ctids tid[], p_hashes uuid[]) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET enable_seqscan TO 'off'
    SET enable_bitmapscan TO 'off'
    SET enable_indexscan TO 'off'
    SET jit TO 'off'
    AS <body>;

COMMENT ON FUNCTION omni_identity.pipeline_set_customer_hash(p_tenant_id text, p_ctids tid[], p_hashes uuid[]) IS 'Set customer_hash of the (locked) sales at the given ctids, by TID scan; returns rows updated.';

CREATE FUNCTION omni_identity.pipeline_temp_tables() RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET client_min_messages TO 'warning'
    AS <body>;

COMMENT ON FUNCTION omni_identity.pipeline_temp_tables() IS 'Create the pipeline''s temporary work tables of this session (idempotent).';

CREATE FUNCTION omni_identity.pipeline_value_wins(p_new_at timestamp with time zone, p_new text, p_old_at timestamp with time zone, p_old text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS <body>;

COMMENT ON FUNCTION omni_identity.pipeline_value_wins(p_new_at timestamp with time zone, p_new text, p_old_at timestamp with time zone, p_old text) IS 'True when (p_new_at, p_new) is greater than (p_old_at, p_old) for the golden record (NULL candidate never wins).';

CREATE FUNCTION omni_identity.query_filters(p_filters jsonb, OUT email text, OUT phone text, OUT document text, OUT name text, OUT shop_id text, OUT product_id text, OUT status text, OUT created_from timestamp with time zone, OUT created_to timestamp with time zone, OUT by_buyer boolean, OUT matches_none boolean) RETURNS record
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS <body>;
    END IF;
    FOR v_key, v_value IN SELECT e.key, e.value FROM jsonb_each(p_filters) AS e ORDER BY e.key LOOP
        IF v_key NOT IN ('email', 'phone', 'document', 'name', 'shop_id', 'product_id',
                         'status', 'created_from', 'created_to') THEN
            RAISE EXCEPTION 'unknown filter key %', quote_literal(v_key)
                USING ERRCODE = 'OI041',
                      HINT = 'Filter keys: email, phone, document, name, shop_id, product_id, status, created_from, created_to.';
        END IF;
        CONTINUE WHEN jsonb_typeof(v_value) = 'null';
        IF jsonb_typeof(v_value) NOT IN ('string', 'number') THEN
            RAISE EXCEPTION 'filter % must be a string, not a JSON %', v_key, jsonb_typeof(v_value)
                USING ERRCODE = 'OI042', HINT = 'Pass one value per filter key, as a JSON string.';
        END IF;
        v_text := v_value #>> '{}';
        CASE v_key
            WHEN 'email' THEN
                email := omni_identity.normalize_email(v_text);
                by_buyer := true;
                matches_none := matches_none OR email IS NULL;
            WHEN 'phone' THEN
                phone := omni_identity.normalize_phone(v_text);
                by_buyer := true;
                matches_none := matches_none OR phone IS NULL;
            WHEN 'document' THEN
                document := omni_identity.normalize_document(v_text);
                by_buyer := true;
                matches_none := matches_none OR document IS NULL;
            WHEN 'name' THEN
                name := omni_identity.normalize_name(v_text);
                matches_none := matches_none OR name IS NULL;
            WHEN 'shop_id' THEN
                shop_id := v_text;
            WHEN 'product_id' THEN
                product_id := v_text;
            WHEN 'status' THEN
                status := v_text;
            ELSE
                BEGIN
                    IF v_key = 'created_from' THEN
                        created_from := v_text::timestamptz;
                    ELSE
                        created_to := v_text::timestamptz;
                    END IF;
                EXCEPTION WHEN invalid_datetime_format OR datetime_field_overflow
                                OR invalid_time_zone_displacement_value OR invalid_parameter_value THEN
                    RAISE EXCEPTION 'filter % is not a timestamp: %', v_key, quote_literal(v_text)
                        USING ERRCODE = 'OI042',
                              HINT = 'Use ISO 8601 with a time zone, e.g. "2026-01-31T00:00:00Z".';
                END;
        END CASE;
    END LOOP;
END;
$$;

COMMENT ON FUNCTION omni_identity.query_filters(p_filters jsonb, OUT email text, OUT phone text, OUT document text, OUT name text, OUT shop_id text, OUT product_id text, OUT status text, OUT created_from timestamp with time zone, OUT created_to timestamp with time zone, OUT by_buyer boolean, OUT matches_none boolean) IS 'Validate and normalize the filters of the query API (OI041 unknown key, OI042 bad value).';

CREATE FUNCTION omni_identity.query_page(p_limit integer, p_after jsonb, OUT after_at timestamp with time zone, OUT after_id bigint) RETURNS record
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS <body>;
    END IF;
    IF p_after IS NULL OR jsonb_typeof(p_after) = 'null' THEN
        after_at := 'infinity';
        after_id := 9223372036854775807;
        RETURN;
    END IF;
    IF jsonb_typeof(p_after) <> 'object' THEN
        RAISE EXCEPTION 'p_after must be a JSON object, not a JSON %', jsonb_typeof(p_after)
            USING ERRCODE = 'OI043', HINT = 'Pass {"created_at": ..., "id": ...} of the last row of the previous page.';
    END IF;
    SELECT k INTO v_bad_key FROM jsonb_object_keys(p_after) AS k
     WHERE k NOT IN ('created_at', 'id') ORDER BY k LIMIT 1;
    IF v_bad_key IS NOT NULL
       OR jsonb_typeof(p_after -> 'created_at') IS DISTINCT FROM 'string'
       OR jsonb_typeof(p_after -> 'id') NOT IN ('number', 'string')
       OR jsonb_typeof(p_after -> 'id') IS NULL
       OR (p_after ->> 'id') !~ '^\s*-?[0-9]{1,19}\s*$' THEN
        RAISE EXCEPTION 'malformed p_after: %', left(p_after::text, 200)
            USING ERRCODE = 'OI043', HINT = 'Pass {"created_at": ..., "id": ...} of the last row of the previous page.';
    END IF;
    BEGIN
        after_at := (p_after ->> 'created_at')::timestamptz;
        after_id := (p_after ->> 'id')::bigint;
    EXCEPTION WHEN invalid_datetime_format OR datetime_field_overflow
                    OR invalid_time_zone_displacement_value OR invalid_parameter_value
                    OR numeric_value_out_of_range THEN
        RAISE EXCEPTION 'malformed p_after: %', left(p_after::text, 200)
            USING ERRCODE = 'OI043', HINT = 'Pass {"created_at": ..., "id": ...} of the last row of the previous page.';
    END;
END;
$_$;

COMMENT ON FUNCTION omni_identity.query_page(p_limit integer, p_after jsonb, OUT after_at timestamp with time zone, OUT after_id bigint) IS 'Validate p_limit (OI040) and the keyset cursor p_after (OI043) of abstraction_buyer_*.';

CREATE FUNCTION omni_identity.reconcile_merges(p_batch_size integer DEFAULT 5000) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET jit TO 'off'
    SET client_min_messages TO 'warning'
    AS <body>;
    END IF;
    CREATE TEMP TABLE IF NOT EXISTS oi_rc_claim (
        tenant_id text NOT NULL, merge_id bigint NOT NULL, from_cluster uuid NOT NULL,
        into_cluster uuid NOT NULL, live uuid) ON COMMIT DELETE ROWS;
    TRUNCATE pg_temp.oi_rc_claim;

    WITH claimed AS (
        SELECT m.tenant_id, m.merge_id, m.from_cluster, m.into_cluster
          FROM omni_identity.customer_cluster_merges m
         WHERE m.reconciled_at IS NULL
         ORDER BY m.merge_id
         LIMIT p_batch_size
           FOR UPDATE SKIP LOCKED
    )
    INSERT INTO pg_temp.oi_rc_claim (tenant_id, merge_id, from_cluster, into_cluster)
    SELECT c.tenant_id, c.merge_id, c.from_cluster, c.into_cluster FROM claimed c;
    GET DIAGNOSTICS v_claimed = ROW_COUNT;
    IF v_claimed = 0 THEN
        RETURN 0;
    END IF;
    ANALYZE pg_temp.oi_rc_claim;

    FOR v_tenant IN SELECT DISTINCT c.tenant_id FROM pg_temp.oi_rc_claim c ORDER BY 1 LOOP
        -- Serializes the reconcilers of this tenant (see header).
        PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('omni_identity.reconcile'),
                                                 pg_catalog.hashtext(v_tenant));
    END LOOP;

    FOR v_tenant IN SELECT DISTINCT c.tenant_id FROM pg_temp.oi_rc_claim c ORDER BY 1 LOOP
        -- The live target of every claimed merge, read now: one primary-key probe each
        -- (a correlated subquery; a join on cluster_id = ANY (...) was planned as a scan
        -- of the whole customer_cluster table, once per tenant and batch).
        UPDATE pg_temp.oi_rc_claim c
           SET live = (SELECT coalesce(cc.merged_into, cc.cluster_id)
                         FROM omni_identity.customer_cluster cc
                        WHERE cc.tenant_id = c.tenant_id AND cc.cluster_id = c.into_cluster
                        LIMIT 1)
         WHERE c.tenant_id = v_tenant;

        -- The sales of the claimed from_clusters: one probe of (tenant_id, customer_hash)
        -- per merge (LATERAL, an optimization fence), then one UPDATE by TID. No row
        -- locks first: a sale updated by someone else in between is skipped by the TID
        -- update (its new version has another ctid), and the loop probes again until
        -- every found sale was repointed.
        LOOP
            SELECT coalesce(array_agg(x.row_ctid), '{}'), coalesce(array_agg(c.live), '{}')
              INTO v_ctids, v_live
              FROM pg_temp.oi_rc_claim c
              CROSS JOIN LATERAL (
                    SELECT s.ctid AS row_ctid
                      FROM public.omni_sales s
                     WHERE s.tenant_id = c.tenant_id AND s.customer_hash = c.from_cluster
                     OFFSET 0) x
             WHERE c.tenant_id = v_tenant;
            v_n := omni_identity.pipeline_set_customer_hash(v_tenant, v_ctids, v_live);
            v_sales := v_sales + v_n;
            EXIT WHEN v_n = cardinality(v_ctids);
        END LOOP;

        SELECT array_agg(c.merge_id) INTO v_ids FROM pg_temp.oi_rc_claim c WHERE c.tenant_id = v_tenant;
        UPDATE omni_identity.customer_cluster_merges m
           SET reconciled_at = now()
         WHERE m.tenant_id = v_tenant
           AND m.merge_id = ANY (v_ids);
    END LOOP;

    INSERT INTO omni_identity.batch_metrics
           (tenant_id, batch_id, job, rows_in, rows_written, rows_rejected, clusters_created,
            merges, started_at, duration)
    VALUES ('*', nextval('omni_identity.batch_id_seq'), 'reconcile', v_claimed, v_sales, 0, 0,
            v_claimed, v_started, clock_timestamp() - v_started);
    RETURN v_claimed;
END;
$$;

COMMENT ON FUNCTION omni_identity.reconcile_merges(p_batch_size integer) IS 'Repoint customer_hash of sales on merged-away clusters to the live survivor, mark merges reconciled (SKIP LOCKED workers).';

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

CREATE FUNCTION omni_identity.resolve_customer_cluster(p_tenant_id text, p_email text DEFAULT NULL::text, p_phone text DEFAULT NULL::text, p_document text DEFAULT NULL::text, p_name text DEFAULT NULL::text, p_seen_at timestamp with time zone DEFAULT now()) RETURNS uuid
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET plan_cache_mode TO 'force_generic_plan'
    AS <body>;
            END IF;

            -- Merge into the oldest.
            v_survivor := v_locked[1];
            IF cardinality(v_locked) > 1 THEN
                PERFORM omni_identity.merge_clusters(
                    p_tenant_id, v_locked[2:], array_fill(v_survivor, ARRAY[cardinality(v_locked) - 1]));
            END IF;

            -- Attach the keys that were new.
            IF (v_email IS NOT NULL AND v_ce IS NULL) OR (v_phone IS NOT NULL AND v_cp IS NULL)
               OR (v_document IS NOT NULL AND v_cd IS NULL) THEN
                INSERT INTO omni_identity.customer_cluster_keys (tenant_id, key_type, key_value, cluster_id)
                SELECT p_tenant_id, v.key_type, v.key_value, v_survivor
                  FROM (VALUES ('email', v_email, v_ce), ('phone', v_phone, v_cp), ('document', v_document, v_cd))
                           AS v(key_type, key_value, owner)
                 WHERE v.key_value IS NOT NULL AND v.owner IS NULL;
            END IF;

            -- Golden record: each field takes this input when (seen_at, value) is greater.
            UPDATE omni_identity.customer_cluster c
               SET last_buyer_email = CASE WHEN g.e THEN v_email ELSE c.last_buyer_email END
                 , last_buyer_email_at = CASE WHEN g.e THEN v_seen_at ELSE c.last_buyer_email_at END
                 , last_buyer_phone = CASE WHEN g.p THEN v_phone ELSE c.last_buyer_phone END
                 , last_buyer_phone_at = CASE WHEN g.p THEN v_seen_at ELSE c.last_buyer_phone_at END
                 , last_buyer_document = CASE WHEN g.d THEN v_document ELSE c.last_buyer_document END
                 , last_buyer_document_at = CASE WHEN g.d THEN v_seen_at ELSE c.last_buyer_document_at END
                 , last_buyer_name = CASE WHEN g.n THEN v_name ELSE c.last_buyer_name END
                 , last_buyer_name_at = CASE WHEN g.n THEN v_seen_at ELSE c.last_buyer_name_at END
                 , updated_at = now()
              FROM (SELECT
                      v_email IS NOT NULL AND (s.last_buyer_email_at IS NULL
                          OR (v_seen_at, v_email COLLATE "C") > (s.last_buyer_email_at, s.last_buyer_email)) AS e
                    , v_phone IS NOT NULL AND (s.last_buyer_phone_at IS NULL
                          OR (v_seen_at, v_phone COLLATE "C") > (s.last_buyer_phone_at, s.last_buyer_phone)) AS p
                    , v_document IS NOT NULL AND (s.last_buyer_document_at IS NULL
                          OR (v_seen_at, v_document COLLATE "C") > (s.last_buyer_document_at, s.last_buyer_document)) AS d
                    , v_name IS NOT NULL AND (s.last_buyer_name_at IS NULL
                          OR (v_seen_at, v_name COLLATE "C") > (s.last_buyer_name_at, s.last_buyer_name)) AS n
                      FROM omni_identity.customer_cluster s
                     WHERE s.tenant_id = p_tenant_id AND s.cluster_id = v_survivor) g
             WHERE c.tenant_id = p_tenant_id AND c.cluster_id = v_survivor
               AND (g.e OR g.p OR g.d OR g.n);
            RETURN v_survivor;
        EXCEPTION
            WHEN SQLSTATE 'OI029' OR deadlock_detected OR unique_violation THEN
                -- The attempt's locks are released; go again. Each retry means another
                -- transaction committed a merge (or, for unique_violation, a writer that
                -- bypassed L1/L2 created a key), so a handful is the most ever needed;
                -- a long run of them means the stored state breaks an invariant.
                v_retries := v_retries + 1;
                IF v_retries >= 100 THEN
                    RAISE EXCEPTION 'resolve_customer_cluster gave up after % attempts (last: %)', v_retries, SQLERRM
                        USING ERRCODE = 'OI021',
                              HINT = 'Keys of this tenant point at merged-away clusters, or a writer bypasses the tenant lock; check the invariants of customer_cluster_keys.';
                END IF;
        END;
    END LOOP;
END;
$$;

COMMENT ON FUNCTION omni_identity.resolve_customer_cluster(p_tenant_id text, p_email text, p_phone text, p_document text, p_name text, p_seen_at timestamp with time zone) IS 'Resolve one buyer to its live customer cluster; merges clusters the keys join.';

CREATE FUNCTION omni_identity.revoke_public_execute() RETURNS event_trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS <body>;

COMMENT ON FUNCTION omni_identity.revoke_public_execute() IS 'Event trigger: revoke PUBLIC''s EXECUTE on every routine created in omni_identity.';

CREATE FUNCTION omni_identity.set_flag(p_tenant_id text, p_key text, p_value boolean) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS <body>;
    END IF;
    IF p_value IS NULL THEN
        RAISE EXCEPTION 'flag % must be set to true or false, not NULL', p_key
            USING ERRCODE = 'OI045', HINT = 'Pass false to turn the flag off (the default).';
    END IF;
    INSERT INTO omni_identity.settings AS s (tenant_id, key, value, updated_at)
    VALUES (p_tenant_id, p_key, to_jsonb(p_value), now())
    ON CONFLICT (tenant_id, key) DO UPDATE
        SET value = excluded.value, updated_at = excluded.updated_at;
END;
$$;

COMMENT ON FUNCTION omni_identity.set_flag(p_tenant_id text, p_key text, p_value boolean) IS 'Set a tenant''s boolean feature flag (abstraction_v2_enabled, customer_report_v2_enabled, auto_resolve).';

CREATE FUNCTION omni_identity.tenant_lock_key(p_tenant_id text) RETURNS bigint
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS <body>;

COMMENT ON FUNCTION omni_identity.tenant_lock_key(p_tenant_id text) IS 'Advisory-lock key of a tenant: shared by resolve_customer_cluster, exclusive for batch writers.';

CREATE FUNCTION omni_identity.unicode_alnum_class() RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN '0-9A-Za-z\u00aa\u00b2-\u00b3\u00b5\u00b9-\u00ba\u00bc-\u00be\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02c1\u02c6-\u02d1\u02e0-\u02e4\u02ec\u02ee\u0370-\u0374\u0376-\u0377\u037a-\u037d\u037f\u0386\u0388-\u038a\u038c\u038e-\u03a1\u03a3-\u03f5\u03f7-\u0481\u048a-\u052f\u0531-\u0556\u0559\u0560-\u0588\u05d0-\u05ea\u05ef-\u05f2\u0620-\u064a\u0660-\u0669\u066e-\u066f\u0671-\u06d3\u06d5\u06e5-\u06e6\u06ee-\u06fc\u06ff\u0710\u0712-\u072f\u074d-\u07a5\u07b1\u07c0-\u07ea\u07f4-\u07f5\u07fa\u0800-\u0815\u081a\u0824\u0828\u0840-\u0858\u0860-\u086a\u0870-\u0887\u0889-\u088e\u08a0-\u08c9\u0904-\u0939\u093d\u0950\u0958-\u0961\u0966-\u096f\u0971-\u0980\u0985-\u098c\u098f-\u0990\u0993-\u09a8\u09aa-\u09b0\u09b2\u09b6-\u09b9\u09bd\u09ce\u09dc-\u09dd\u09df-\u09e1\u09e6-\u09f1\u09f4-\u09f9\u09fc\u0a05-\u0a0a\u0a0f-\u0a10\u0a13-\u0a28\u0a2a-\u0a30\u0a32-\u0a33\u0a35-\u0a36\u0a38-\u0a39\u0a59-\u0a5c\u0a5e\u0a66-\u0a6f\u0a72-\u0a74\u0a85-\u0a8d\u0a8f-\u0a91\u0a93-\u0aa8\u0aaa-\u0ab0\u0ab2-\u0ab3\u0ab5-\u0ab9\u0abd\u0ad0\u0ae0-\u0ae1\u0ae6-\u0aef\u0af9\u0b05-\u0b0c\u0b0f-\u0b10\u0b13-\u0b28\u0b2a-\u0b30\u0b32-\u0b33\u0b35-\u0b39\u0b3d\u0b5c-\u0b5d\u0b5f-\u0b61\u0b66-\u0b6f\u0b71-\u0b77\u0b83\u0b85-\u0b8a\u0b8e-\u0b90\u0b92-\u0b95\u0b99-\u0b9a\u0b9c\u0b9e-\u0b9f\u0ba3-\u0ba4\u0ba8-\u0baa\u0bae-\u0bb9\u0bd0\u0be6-\u0bf2\u0c05-\u0c0c\u0c0e-\u0c10\u0c12-\u0c28\u0c2a-\u0c39\u0c3d\u0c58-\u0c5a\u0c5d\u0c60-\u0c61\u0c66-\u0c6f\u0c78-\u0c7e\u0c80\u0c85-\u0c8c\u0c8e-\u0c90\u0c92-\u0ca8\u0caa-\u0cb3\u0cb5-\u0cb9\u0cbd\u0cdd-\u0cde\u0ce0-\u0ce1\u0ce6-\u0cef\u0cf1-\u0cf2\u0d04-\u0d0c\u0d0e-\u0d10\u0d12-\u0d3a\u0d3d\u0d4e\u0d54-\u0d56\u0d58-\u0d61\u0d66-\u0d78\u0d7a-\u0d7f\u0d85-\u0d96\u0d9a-\u0db1\u0db3-\u0dbb\u0dbd\u0dc0-\u0dc6\u0de6-\u0def\u0e01-\u0e30\u0e32-\u0e33\u0e40-\u0e46\u0e50-\u0e59\u0e81-\u0e82\u0e84\u0e86-\u0e8a\u0e8c-\u0ea3\u0ea5\u0ea7-\u0eb0\u0eb2-\u0eb3\u0ebd\u0ec0-\u0ec4\u0ec6\u0ed0-\u0ed9\u0edc-\u0edf\u0f00\u0f20-\u0f33\u0f40-\u0f47\u0f49-\u0f6c\u0f88-\u0f8c\u1000-\u102a\u103f-\u1049\u1050-\u1055\u105a-\u105d\u1061\u1065-\u1066\u106e-\u1070\u1075-\u1081\u108e\u1090-\u1099\u10a0-\u10c5\u10c7\u10cd\u10d0-\u10fa\u10fc-\u1248\u124a-\u124d\u1250-\u1256\u1258\u125a-\u125d\u1260-\u1288\u128a-\u128d\u1290-\u12b0\u12b2-\u12b5\u12b8-\u12be\u12c0\u12c2-\u12c5\u12c8-\u12d6\u12d8-\u1310\u1312-\u1315\u1318-\u135a\u1369-\u137c\u1380-\u138f\u13a0-\u13f5\u13f8-\u13fd\u1401-\u166c\u166f-\u167f\u1681-\u169a\u16a0-\u16ea\u16ee-\u16f8\u1700-\u1711\u171f-\u1731\u1740-\u1751\u1760-\u176c\u176e-\u1770\u1780-\u17b3\u17d7\u17dc\u17e0-\u17e9\u17f0-\u17f9\u1810-\u1819\u1820-\u1878\u1880-\u1884\u1887-\u18a8\u18aa\u18b0-\u18f5\u1900-\u191e\u1946-\u196d\u1970-\u1974\u1980-\u19ab\u19b0-\u19c9\u19d0-\u19da\u1a00-\u1a16\u1a20-\u1a54\u1a80-\u1a89\u1a90-\u1a99\u1aa7\u1b05-\u1b33\u1b45-\u1b4c\u1b50-\u1b59\u1b83-\u1ba0\u1bae-\u1be5\u1c00-\u1c23\u1c40-\u1c49\u1c4d-\u1c7d\u1c80-\u1c88\u1c90-\u1cba\u1cbd-\u1cbf\u1ce9-\u1cec\u1cee-\u1cf3\u1cf5-\u1cf6\u1cfa\u1d00-\u1dbf\u1e00-\u1f15\u1f18-\u1f1d\u1f20-\u1f45\u1f48-\u1f4d\u1f50-\u1f57\u1f59\u1f5b\u1f5d\u1f5f-\u1f7d\u1f80-\u1fb4\u1fb6-\u1fbc\u1fbe\u1fc2-\u1fc4\u1fc6-\u1fcc\u1fd0-\u1fd3\u1fd6-\u1fdb\u1fe0-\u1fec\u1ff2-\u1ff4\u1ff6-\u1ffc\u2070-\u2071\u2074-\u2079\u207f-\u2089\u2090-\u209c\u2102\u2107\u210a-\u2113\u2115\u2119-\u211d\u2124\u2126\u2128\u212a-\u212d\u212f-\u2139\u213c-\u213f\u2145-\u2149\u214e\u2150-\u2189\u2460-\u249b\u24ea-\u24ff\u2776-\u2793\u2c00-\u2ce4\u2ceb-\u2cee\u2cf2-\u2cf3\u2cfd\u2d00-\u2d25\u2d27\u2d2d\u2d30-\u2d67\u2d6f\u2d80-\u2d96\u2da0-\u2da6\u2da8-\u2dae\u2db0-\u2db6\u2db8-\u2dbe\u2dc0-\u2dc6\u2dc8-\u2dce\u2dd0-\u2dd6\u2dd8-\u2dde\u2e2f\u3005-\u3007\u3021-\u3029\u3031-\u3035\u3038-\u303c\u3041-\u3096\u309d-\u309f\u30a1-\u30fa\u30fc-\u30ff\u3105-\u312f\u3131-\u318e\u3192-\u3195\u31a0-\u31bf\u31f0-\u31ff\u3220-\u3229\u3248-\u324f\u3251-\u325f\u3280-\u3289\u32b1-\u32bf\u3400-\u4dbf\u4e00-\ua48c\ua4d0-\ua4fd\ua500-\ua60c\ua610-\ua62b\ua640-\ua66e\ua67f-\ua69d\ua6a0-\ua6ef\ua717-\ua71f\ua722-\ua788\ua78b-\ua7ca\ua7d0-\ua7d1\ua7d3\ua7d5-\ua7d9\ua7f2-\ua801\ua803-\ua805\ua807-\ua80a\ua80c-\ua822\ua830-\ua835\ua840-\ua873\ua882-\ua8b3\ua8d0-\ua8d9\ua8f2-\ua8f7\ua8fb\ua8fd-\ua8fe\ua900-\ua925\ua930-\ua946\ua960-\ua97c\ua984-\ua9b2\ua9cf-\ua9d9\ua9e0-\ua9e4\ua9e6-\ua9fe\uaa00-\uaa28\uaa40-\uaa42\uaa44-\uaa4b\uaa50-\uaa59\uaa60-\uaa76\uaa7a\uaa7e-\uaaaf\uaab1\uaab5-\uaab6\uaab9-\uaabd\uaac0\uaac2\uaadb-\uaadd\uaae0-\uaaea\uaaf2-\uaaf4\uab01-\uab06\uab09-\uab0e\uab11-\uab16\uab20-\uab26\uab28-\uab2e\uab30-\uab5a\uab5c-\uab69\uab70-\uabe2\uabf0-\uabf9\uac00-\ud7a3\ud7b0-\ud7c6\ud7cb-\ud7fb\uf900-\ufa6d\ufa70-\ufad9\ufb00-\ufb06\ufb13-\ufb17\ufb1d\ufb1f-\ufb28\ufb2a-\ufb36\ufb38-\ufb3c\ufb3e\ufb40-\ufb41\ufb43-\ufb44\ufb46-\ufbb1\ufbd3-\ufd3d\ufd50-\ufd8f\ufd92-\ufdc7\ufdf0-\ufdfb\ufe70-\ufe74\ufe76-\ufefc\uff10-\uff19\uff21-\uff3a\uff41-\uff5a\uff66-\uffbe\uffc2-\uffc7\uffca-\uffcf\uffd2-\uffd7\uffda-\uffdc\U00010000-\U0001000b\U0001000d-\U00010026\U00010028-\U0001003a\U0001003c-\U0001003d\U0001003f-\U0001004d\U00010050-\U0001005d\U00010080-\U000100fa\U00010107-\U00010133\U00010140-\U00010178\U0001018a-\U0001018b\U00010280-\U0001029c\U000102a0-\U000102d0\U000102e1-\U000102fb\U00010300-\U00010323\U0001032d-\U0001034a\U00010350-\U00010375\U00010380-\U0001039d\U000103a0-\U000103c3\U000103c8-\U000103cf\U000103d1-\U000103d5\U00010400-\U0001049d\U000104a0-\U000104a9\U000104b0-\U000104d3\U000104d8-\U000104fb\U00010500-\U00010527\U00010530-\U00010563\U00010570-\U0001057a\U0001057c-\U0001058a\U0001058c-\U00010592\U00010594-\U00010595\U00010597-\U000105a1\U000105a3-\U000105b1\U000105b3-\U000105b9\U000105bb-\U000105bc\U00010600-\U00010736\U00010740-\U00010755\U00010760-\U00010767\U00010780-\U00010785\U00010787-\U000107b0\U000107b2-\U000107ba\U00010800-\U00010805\U00010808\U0001080a-\U00010835\U00010837-\U00010838\U0001083c\U0001083f-\U00010855\U00010858-\U00010876\U00010879-\U0001089e\U000108a7-\U000108af\U000108e0-\U000108f2\U000108f4-\U000108f5\U000108fb-\U0001091b\U00010920-\U00010939\U00010980-\U000109b7\U000109bc-\U000109cf\U000109d2-\U00010a00\U00010a10-\U00010a13\U00010a15-\U00010a17\U00010a19-\U00010a35\U00010a40-\U00010a48\U00010a60-\U00010a7e\U00010a80-\U00010a9f\U00010ac0-\U00010ac7\U00010ac9-\U00010ae4\U00010aeb-\U00010aef\U00010b00-\U00010b35\U00010b40-\U00010b55\U00010b58-\U00010b72\U00010b78-\U00010b91\U00010ba9-\U00010baf\U00010c00-\U00010c48\U00010c80-\U00010cb2\U00010cc0-\U00010cf2\U00010cfa-\U00010d23\U00010d30-\U00010d39\U00010e60-\U00010e7e\U00010e80-\U00010ea9\U00010eb0-\U00010eb1\U00010f00-\U00010f27\U00010f30-\U00010f45\U00010f51-\U00010f54\U00010f70-\U00010f81\U00010fb0-\U00010fcb\U00010fe0-\U00010ff6\U00011003-\U00011037\U00011052-\U0001106f\U00011071-\U00011072\U00011075\U00011083-\U000110af\U000110d0-\U000110e8\U000110f0-\U000110f9\U00011103-\U00011126\U00011136-\U0001113f\U00011144\U00011147\U00011150-\U00011172\U00011176\U00011183-\U000111b2\U000111c1-\U000111c4\U000111d0-\U000111da\U000111dc\U000111e1-\U000111f4\U00011200-\U00011211\U00011213-\U0001122b\U00011280-\U00011286\U00011288\U0001128a-\U0001128d\U0001128f-\U0001129d\U0001129f-\U000112a8\U000112b0-\U000112de\U000112f0-\U000112f9\U00011305-\U0001130c\U0001130f-\U00011310\U00011313-\U00011328\U0001132a-\U00011330\U00011332-\U00011333\U00011335-\U00011339\U0001133d\U00011350\U0001135d-\U00011361\U00011400-\U00011434\U00011447-\U0001144a\U00011450-\U00011459\U0001145f-\U00011461\U00011480-\U000114af\U000114c4-\U000114c5\U000114c7\U000114d0-\U000114d9\U00011580-\U000115ae\U000115d8-\U000115db\U00011600-\U0001162f\U00011644\U00011650-\U00011659\U00011680-\U000116aa\U000116b8\U000116c0-\U000116c9\U00011700-\U0001171a\U00011730-\U0001173b\U00011740-\U00011746\U00011800-\U0001182b\U000118a0-\U000118f2\U000118ff-\U00011906\U00011909\U0001190c-\U00011913\U00011915-\U00011916\U00011918-\U0001192f\U0001193f\U00011941\U00011950-\U00011959\U000119a0-\U000119a7\U000119aa-\U000119d0\U000119e1\U000119e3\U00011a00\U00011a0b-\U00011a32\U00011a3a\U00011a50\U00011a5c-\U00011a89\U00011a9d\U00011ab0-\U00011af8\U00011c00-\U00011c08\U00011c0a-\U00011c2e\U00011c40\U00011c50-\U00011c6c\U00011c72-\U00011c8f\U00011d00-\U00011d06\U00011d08-\U00011d09\U00011d0b-\U00011d30\U00011d46\U00011d50-\U00011d59\U00011d60-\U00011d65\U00011d67-\U00011d68\U00011d6a-\U00011d89\U00011d98\U00011da0-\U00011da9\U00011ee0-\U00011ef2\U00011fb0\U00011fc0-\U00011fd4\U00012000-\U00012399\U00012400-\U0001246e\U00012480-\U00012543\U00012f90-\U00012ff0\U00013000-\U0001342e\U00014400-\U00014646\U00016800-\U00016a38\U00016a40-\U00016a5e\U00016a60-\U00016a69\U00016a70-\U00016abe\U00016ac0-\U00016ac9\U00016ad0-\U00016aed\U00016b00-\U00016b2f\U00016b40-\U00016b43\U00016b50-\U00016b59\U00016b5b-\U00016b61\U00016b63-\U00016b77\U00016b7d-\U00016b8f\U00016e40-\U00016e96\U00016f00-\U00016f4a\U00016f50\U00016f93-\U00016f9f\U00016fe0-\U00016fe1\U00016fe3\U00017000-\U000187f7\U00018800-\U00018cd5\U00018d00-\U00018d08\U0001aff0-\U0001aff3\U0001aff5-\U0001affb\U0001affd-\U0001affe\U0001b000-\U0001b122\U0001b150-\U0001b152\U0001b164-\U0001b167\U0001b170-\U0001b2fb\U0001bc00-\U0001bc6a\U0001bc70-\U0001bc7c\U0001bc80-\U0001bc88\U0001bc90-\U0001bc99\U0001d2e0-\U0001d2f3\U0001d360-\U0001d378\U0001d400-\U0001d454\U0001d456-\U0001d49c\U0001d49e-\U0001d49f\U0001d4a2\U0001d4a5-\U0001d4a6\U0001d4a9-\U0001d4ac\U0001d4ae-\U0001d4b9\U0001d4bb\U0001d4bd-\U0001d4c3\U0001d4c5-\U0001d505\U0001d507-\U0001d50a\U0001d50d-\U0001d514\U0001d516-\U0001d51c\U0001d51e-\U0001d539\U0001d53b-\U0001d53e\U0001d540-\U0001d544\U0001d546\U0001d54a-\U0001d550\U0001d552-\U0001d6a5\U0001d6a8-\U0001d6c0\U0001d6c2-\U0001d6da\U0001d6dc-\U0001d6fa\U0001d6fc-\U0001d714\U0001d716-\U0001d734\U0001d736-\U0001d74e\U0001d750-\U0001d76e\U0001d770-\U0001d788\U0001d78a-\U0001d7a8\U0001d7aa-\U0001d7c2\U0001d7c4-\U0001d7cb\U0001d7ce-\U0001d7ff\U0001df00-\U0001df1e\U0001e100-\U0001e12c\U0001e137-\U0001e13d\U0001e140-\U0001e149\U0001e14e\U0001e290-\U0001e2ad\U0001e2c0-\U0001e2eb\U0001e2f0-\U0001e2f9\U0001e7e0-\U0001e7e6\U0001e7e8-\U0001e7eb\U0001e7ed-\U0001e7ee\U0001e7f0-\U0001e7fe\U0001e800-\U0001e8c4\U0001e8c7-\U0001e8cf\U0001e900-\U0001e943\U0001e94b\U0001e950-\U0001e959\U0001ec71-\U0001ecab\U0001ecad-\U0001ecaf\U0001ecb1-\U0001ecb4\U0001ed01-\U0001ed2d\U0001ed2f-\U0001ed3d\U0001ee00-\U0001ee03\U0001ee05-\U0001ee1f\U0001ee21-\U0001ee22\U0001ee24\U0001ee27\U0001ee29-\U0001ee32\U0001ee34-\U0001ee37\U0001ee39\U0001ee3b\U0001ee42\U0001ee47\U0001ee49\U0001ee4b\U0001ee4d-\U0001ee4f\U0001ee51-\U0001ee52\U0001ee54\U0001ee57\U0001ee59\U0001ee5b\U0001ee5d\U0001ee5f\U0001ee61-\U0001ee62\U0001ee64\U0001ee67-\U0001ee6a\U0001ee6c-\U0001ee72\U0001ee74-\U0001ee77\U0001ee79-\U0001ee7c\U0001ee7e\U0001ee80-\U0001ee89\U0001ee8b-\U0001ee9b\U0001eea1-\U0001eea3\U0001eea5-\U0001eea9\U0001eeab-\U0001eebb\U0001f100-\U0001f10c\U0001fbf0-\U0001fbf9\U00020000-\U0002a6df\U0002a700-\U0002b738\U0002b740-\U0002b81d\U0002b820-\U0002cea1\U0002ceb0-\U0002ebe0\U0002f800-\U0002fa1d\U00030000-\U0003134a'::text;

COMMENT ON FUNCTION omni_identity.unicode_alnum_class() IS 'Regex bracket contents: alphanumeric characters (Python str.isalnum).';

CREATE FUNCTION omni_identity.unicode_digit_class() RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN '0-9\u0660-\u0669\u06f0-\u06f9\u07c0-\u07c9\u0966-\u096f\u09e6-\u09ef\u0a66-\u0a6f\u0ae6-\u0aef\u0b66-\u0b6f\u0be6-\u0bef\u0c66-\u0c6f\u0ce6-\u0cef\u0d66-\u0d6f\u0de6-\u0def\u0e50-\u0e59\u0ed0-\u0ed9\u0f20-\u0f29\u1040-\u1049\u1090-\u1099\u17e0-\u17e9\u1810-\u1819\u1946-\u194f\u19d0-\u19d9\u1a80-\u1a89\u1a90-\u1a99\u1b50-\u1b59\u1bb0-\u1bb9\u1c40-\u1c49\u1c50-\u1c59\ua620-\ua629\ua8d0-\ua8d9\ua900-\ua909\ua9d0-\ua9d9\ua9f0-\ua9f9\uaa50-\uaa59\uabf0-\uabf9\uff10-\uff19\U000104a0-\U000104a9\U00010d30-\U00010d39\U00011066-\U0001106f\U000110f0-\U000110f9\U00011136-\U0001113f\U000111d0-\U000111d9\U000112f0-\U000112f9\U00011450-\U00011459\U000114d0-\U000114d9\U00011650-\U00011659\U000116c0-\U000116c9\U00011730-\U00011739\U000118e0-\U000118e9\U00011950-\U00011959\U00011c50-\U00011c59\U00011d50-\U00011d59\U00011da0-\U00011da9\U00016a60-\U00016a69\U00016ac0-\U00016ac9\U00016b50-\U00016b59\U0001d7ce-\U0001d7ff\U0001e140-\U0001e149\U0001e2f0-\U0001e2f9\U0001e950-\U0001e959\U0001fbf0-\U0001fbf9'::text;

COMMENT ON FUNCTION omni_identity.unicode_digit_class() IS 'Regex bracket contents: decimal digits (Nd), ASCII and others.';

CREATE FUNCTION omni_identity.unicode_digit_from() RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN '٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹߀߁߂߃߄߅߆߇߈߉०१२३४५६७८९০১২৩৪৫৬৭৮৯੦੧੨੩੪੫੬੭੮੯૦૧૨૩૪૫૬૭૮૯୦୧୨୩୪୫୬୭୮୯௦௧௨௩௪௫௬௭௮௯౦౧౨౩౪౫౬౭౮౯೦೧೨೩೪೫೬೭೮೯൦൧൨൩൪൫൬൭൮൯෦෧෨෩෪෫෬෭෮෯๐๑๒๓๔๕๖๗๘๙໐໑໒໓໔໕໖໗໘໙༠༡༢༣༤༥༦༧༨༩၀၁၂၃၄၅၆၇၈၉႐႑႒႓႔႕႖႗႘႙០១២៣៤៥៦៧៨៩᠐᠑᠒᠓᠔᠕᠖᠗᠘᠙᥆᥇᥈᥉᥊᥋᥌᥍᥎᥏᧐᧑᧒᧓᧔᧕᧖᧗᧘᧙᪀᪁᪂᪃᪄᪅᪆᪇᪈᪉᪐᪑᪒᪓᪔᪕᪖᪗᪘᪙᭐᭑᭒᭓᭔᭕᭖᭗᭘᭙᮰᮱᮲᮳᮴᮵᮶᮷᮸᮹᱀᱁᱂᱃᱄᱅᱆᱇᱈᱉᱐᱑᱒᱓᱔᱕᱖᱗᱘᱙꘠꘡꘢꘣꘤꘥꘦꘧꘨꘩꣐꣑꣒꣓꣔꣕꣖꣗꣘꣙꤀꤁꤂꤃꤄꤅꤆꤇꤈꤉꧐꧑꧒꧓꧔꧕꧖꧗꧘꧙꧰꧱꧲꧳꧴꧵꧶꧷꧸꧹꩐꩑꩒꩓꩔꩕꩖꩗꩘꩙꯰꯱꯲꯳꯴꯵꯶꯷꯸꯹０１２３４５６７８９𐒠𐒡𐒢𐒣𐒤𐒥𐒦𐒧𐒨𐒩𐴰𐴱𐴲𐴳𐴴𐴵𐴶𐴷𐴸𐴹𑁦𑁧𑁨𑁩𑁪𑁫𑁬𑁭𑁮𑁯𑃰𑃱𑃲𑃳𑃴𑃵𑃶𑃷𑃸𑃹𑄶𑄷𑄸𑄹𑄺𑄻𑄼𑄽𑄾𑄿𑇐𑇑𑇒𑇓𑇔𑇕𑇖𑇗𑇘𑇙𑋰𑋱𑋲𑋳𑋴𑋵𑋶𑋷𑋸𑋹𑑐𑑑𑑒𑑓𑑔𑑕𑑖𑑗𑑘𑑙𑓐𑓑𑓒𑓓𑓔𑓕𑓖𑓗𑓘𑓙𑙐𑙑𑙒𑙓𑙔𑙕𑙖𑙗𑙘𑙙𑛀𑛁𑛂𑛃𑛄𑛅𑛆𑛇𑛈𑛉𑜰𑜱𑜲𑜳𑜴𑜵𑜶𑜷𑜸𑜹𑣠𑣡𑣢𑣣𑣤𑣥𑣦𑣧𑣨𑣩𑥐𑥑𑥒𑥓𑥔𑥕𑥖𑥗𑥘𑥙𑱐𑱑𑱒𑱓𑱔𑱕𑱖𑱗𑱘𑱙𑵐𑵑𑵒𑵓𑵔𑵕𑵖𑵗𑵘𑵙𑶠𑶡𑶢𑶣𑶤𑶥𑶦𑶧𑶨𑶩𖩠𖩡𖩢𖩣𖩤𖩥𖩦𖩧𖩨𖩩𖫀𖫁𖫂𖫃𖫄𖫅𖫆𖫇𖫈𖫉𖭐𖭑𖭒𖭓𖭔𖭕𖭖𖭗𖭘𖭙𝟎𝟏𝟐𝟑𝟒𝟓𝟔𝟕𝟖𝟗𝟘𝟙𝟚𝟛𝟜𝟝𝟞𝟟𝟠𝟡𝟢𝟣𝟤𝟥𝟦𝟧𝟨𝟩𝟪𝟫𝟬𝟭𝟮𝟯𝟰𝟱𝟲𝟳𝟴𝟵𝟶𝟷𝟸𝟹𝟺𝟻𝟼𝟽𝟾𝟿𞅀𞅁𞅂𞅃𞅄𞅅𞅆𞅇𞅈𞅉𞋰𞋱𞋲𞋳𞋴𞋵𞋶𞋷𞋸𞋹𞥐𞥑𞥒𞥓𞥔𞥕𞥖𞥗𞥘𞥙🯰🯱🯲🯳🯴🯵🯶🯷🯸🯹'::text;

COMMENT ON FUNCTION omni_identity.unicode_digit_from() IS 'Every non-ASCII decimal digit (Nd), for translate(); see unicode_digit_to().';

CREATE FUNCTION omni_identity.unicode_digit_to() RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN '01234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789'::text;

COMMENT ON FUNCTION omni_identity.unicode_digit_to() IS 'The ASCII digit of each character of unicode_digit_from().';

CREATE FUNCTION omni_identity.unicode_latin1_accented() RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN 'ÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝàáâãäåçèéêëìíîïñòóôõöùúûüýÿ'::text;

COMMENT ON FUNCTION omni_identity.unicode_latin1_accented() IS 'Latin-1 letters whose NFD is one ASCII letter and combining marks.';

CREATE FUNCTION omni_identity.unicode_latin1_unaccented() RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN 'AAAAAACEEEEIIIINOOOOOUUUUYaaaaaaceeeeiiiinooooouuuuyy'::text;

COMMENT ON FUNCTION omni_identity.unicode_latin1_unaccented() IS 'The ASCII letter of each character of unicode_latin1_accented().';

CREATE FUNCTION omni_identity.unicode_letter_mark_number_class() RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN '0-9A-Za-z\u00aa\u00b2-\u00b3\u00b5\u00b9-\u00ba\u00bc-\u00be\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02c1\u02c6-\u02d1\u02e0-\u02e4\u02ec\u02ee\u0300-\u0374\u0376-\u0377\u037a-\u037d\u037f\u0386\u0388-\u038a\u038c\u038e-\u03a1\u03a3-\u03f5\u03f7-\u0481\u0483-\u052f\u0531-\u0556\u0559\u0560-\u0588\u0591-\u05bd\u05bf\u05c1-\u05c2\u05c4-\u05c5\u05c7\u05d0-\u05ea\u05ef-\u05f2\u0610-\u061a\u0620-\u0669\u066e-\u06d3\u06d5-\u06dc\u06df-\u06e8\u06ea-\u06fc\u06ff\u0710-\u074a\u074d-\u07b1\u07c0-\u07f5\u07fa\u07fd\u0800-\u082d\u0840-\u085b\u0860-\u086a\u0870-\u0887\u0889-\u088e\u0898-\u08e1\u08e3-\u0963\u0966-\u096f\u0971-\u0983\u0985-\u098c\u098f-\u0990\u0993-\u09a8\u09aa-\u09b0\u09b2\u09b6-\u09b9\u09bc-\u09c4\u09c7-\u09c8\u09cb-\u09ce\u09d7\u09dc-\u09dd\u09df-\u09e3\u09e6-\u09f1\u09f4-\u09f9\u09fc\u09fe\u0a01-\u0a03\u0a05-\u0a0a\u0a0f-\u0a10\u0a13-\u0a28\u0a2a-\u0a30\u0a32-\u0a33\u0a35-\u0a36\u0a38-\u0a39\u0a3c\u0a3e-\u0a42\u0a47-\u0a48\u0a4b-\u0a4d\u0a51\u0a59-\u0a5c\u0a5e\u0a66-\u0a75\u0a81-\u0a83\u0a85-\u0a8d\u0a8f-\u0a91\u0a93-\u0aa8\u0aaa-\u0ab0\u0ab2-\u0ab3\u0ab5-\u0ab9\u0abc-\u0ac5\u0ac7-\u0ac9\u0acb-\u0acd\u0ad0\u0ae0-\u0ae3\u0ae6-\u0aef\u0af9-\u0aff\u0b01-\u0b03\u0b05-\u0b0c\u0b0f-\u0b10\u0b13-\u0b28\u0b2a-\u0b30\u0b32-\u0b33\u0b35-\u0b39\u0b3c-\u0b44\u0b47-\u0b48\u0b4b-\u0b4d\u0b55-\u0b57\u0b5c-\u0b5d\u0b5f-\u0b63\u0b66-\u0b6f\u0b71-\u0b77\u0b82-\u0b83\u0b85-\u0b8a\u0b8e-\u0b90\u0b92-\u0b95\u0b99-\u0b9a\u0b9c\u0b9e-\u0b9f\u0ba3-\u0ba4\u0ba8-\u0baa\u0bae-\u0bb9\u0bbe-\u0bc2\u0bc6-\u0bc8\u0bca-\u0bcd\u0bd0\u0bd7\u0be6-\u0bf2\u0c00-\u0c0c\u0c0e-\u0c10\u0c12-\u0c28\u0c2a-\u0c39\u0c3c-\u0c44\u0c46-\u0c48\u0c4a-\u0c4d\u0c55-\u0c56\u0c58-\u0c5a\u0c5d\u0c60-\u0c63\u0c66-\u0c6f\u0c78-\u0c7e\u0c80-\u0c83\u0c85-\u0c8c\u0c8e-\u0c90\u0c92-\u0ca8\u0caa-\u0cb3\u0cb5-\u0cb9\u0cbc-\u0cc4\u0cc6-\u0cc8\u0cca-\u0ccd\u0cd5-\u0cd6\u0cdd-\u0cde\u0ce0-\u0ce3\u0ce6-\u0cef\u0cf1-\u0cf2\u0d00-\u0d0c\u0d0e-\u0d10\u0d12-\u0d44\u0d46-\u0d48\u0d4a-\u0d4e\u0d54-\u0d63\u0d66-\u0d78\u0d7a-\u0d7f\u0d81-\u0d83\u0d85-\u0d96\u0d9a-\u0db1\u0db3-\u0dbb\u0dbd\u0dc0-\u0dc6\u0dca\u0dcf-\u0dd4\u0dd6\u0dd8-\u0ddf\u0de6-\u0def\u0df2-\u0df3\u0e01-\u0e3a\u0e40-\u0e4e\u0e50-\u0e59\u0e81-\u0e82\u0e84\u0e86-\u0e8a\u0e8c-\u0ea3\u0ea5\u0ea7-\u0ebd\u0ec0-\u0ec4\u0ec6\u0ec8-\u0ecd\u0ed0-\u0ed9\u0edc-\u0edf\u0f00\u0f18-\u0f19\u0f20-\u0f33\u0f35\u0f37\u0f39\u0f3e-\u0f47\u0f49-\u0f6c\u0f71-\u0f84\u0f86-\u0f97\u0f99-\u0fbc\u0fc6\u1000-\u1049\u1050-\u109d\u10a0-\u10c5\u10c7\u10cd\u10d0-\u10fa\u10fc-\u1248\u124a-\u124d\u1250-\u1256\u1258\u125a-\u125d\u1260-\u1288\u128a-\u128d\u1290-\u12b0\u12b2-\u12b5\u12b8-\u12be\u12c0\u12c2-\u12c5\u12c8-\u12d6\u12d8-\u1310\u1312-\u1315\u1318-\u135a\u135d-\u135f\u1369-\u137c\u1380-\u138f\u13a0-\u13f5\u13f8-\u13fd\u1401-\u166c\u166f-\u167f\u1681-\u169a\u16a0-\u16ea\u16ee-\u16f8\u1700-\u1715\u171f-\u1734\u1740-\u1753\u1760-\u176c\u176e-\u1770\u1772-\u1773\u1780-\u17d3\u17d7\u17dc-\u17dd\u17e0-\u17e9\u17f0-\u17f9\u180b-\u180d\u180f-\u1819\u1820-\u1878\u1880-\u18aa\u18b0-\u18f5\u1900-\u191e\u1920-\u192b\u1930-\u193b\u1946-\u196d\u1970-\u1974\u1980-\u19ab\u19b0-\u19c9\u19d0-\u19da\u1a00-\u1a1b\u1a20-\u1a5e\u1a60-\u1a7c\u1a7f-\u1a89\u1a90-\u1a99\u1aa7\u1ab0-\u1ace\u1b00-\u1b4c\u1b50-\u1b59\u1b6b-\u1b73\u1b80-\u1bf3\u1c00-\u1c37\u1c40-\u1c49\u1c4d-\u1c7d\u1c80-\u1c88\u1c90-\u1cba\u1cbd-\u1cbf\u1cd0-\u1cd2\u1cd4-\u1cfa\u1d00-\u1f15\u1f18-\u1f1d\u1f20-\u1f45\u1f48-\u1f4d\u1f50-\u1f57\u1f59\u1f5b\u1f5d\u1f5f-\u1f7d\u1f80-\u1fb4\u1fb6-\u1fbc\u1fbe\u1fc2-\u1fc4\u1fc6-\u1fcc\u1fd0-\u1fd3\u1fd6-\u1fdb\u1fe0-\u1fec\u1ff2-\u1ff4\u1ff6-\u1ffc\u2070-\u2071\u2074-\u2079\u207f-\u2089\u2090-\u209c\u20d0-\u20f0\u2102\u2107\u210a-\u2113\u2115\u2119-\u211d\u2124\u2126\u2128\u212a-\u212d\u212f-\u2139\u213c-\u213f\u2145-\u2149\u214e\u2150-\u2189\u2460-\u249b\u24ea-\u24ff\u2776-\u2793\u2c00-\u2ce4\u2ceb-\u2cf3\u2cfd\u2d00-\u2d25\u2d27\u2d2d\u2d30-\u2d67\u2d6f\u2d7f-\u2d96\u2da0-\u2da6\u2da8-\u2dae\u2db0-\u2db6\u2db8-\u2dbe\u2dc0-\u2dc6\u2dc8-\u2dce\u2dd0-\u2dd6\u2dd8-\u2dde\u2de0-\u2dff\u2e2f\u3005-\u3007\u3021-\u302f\u3031-\u3035\u3038-\u303c\u3041-\u3096\u3099-\u309a\u309d-\u309f\u30a1-\u30fa\u30fc-\u30ff\u3105-\u312f\u3131-\u318e\u3192-\u3195\u31a0-\u31bf\u31f0-\u31ff\u3220-\u3229\u3248-\u324f\u3251-\u325f\u3280-\u3289\u32b1-\u32bf\u3400-\u4dbf\u4e00-\ua48c\ua4d0-\ua4fd\ua500-\ua60c\ua610-\ua62b\ua640-\ua672\ua674-\ua67d\ua67f-\ua6f1\ua717-\ua71f\ua722-\ua788\ua78b-\ua7ca\ua7d0-\ua7d1\ua7d3\ua7d5-\ua7d9\ua7f2-\ua827\ua82c\ua830-\ua835\ua840-\ua873\ua880-\ua8c5\ua8d0-\ua8d9\ua8e0-\ua8f7\ua8fb\ua8fd-\ua92d\ua930-\ua953\ua960-\ua97c\ua980-\ua9c0\ua9cf-\ua9d9\ua9e0-\ua9fe\uaa00-\uaa36\uaa40-\uaa4d\uaa50-\uaa59\uaa60-\uaa76\uaa7a-\uaac2\uaadb-\uaadd\uaae0-\uaaef\uaaf2-\uaaf6\uab01-\uab06\uab09-\uab0e\uab11-\uab16\uab20-\uab26\uab28-\uab2e\uab30-\uab5a\uab5c-\uab69\uab70-\uabea\uabec-\uabed\uabf0-\uabf9\uac00-\ud7a3\ud7b0-\ud7c6\ud7cb-\ud7fb\uf900-\ufa6d\ufa70-\ufad9\ufb00-\ufb06\ufb13-\ufb17\ufb1d-\ufb28\ufb2a-\ufb36\ufb38-\ufb3c\ufb3e\ufb40-\ufb41\ufb43-\ufb44\ufb46-\ufbb1\ufbd3-\ufd3d\ufd50-\ufd8f\ufd92-\ufdc7\ufdf0-\ufdfb\ufe00-\ufe0f\ufe20-\ufe2f\ufe70-\ufe74\ufe76-\ufefc\uff10-\uff19\uff21-\uff3a\uff41-\uff5a\uff66-\uffbe\uffc2-\uffc7\uffca-\uffcf\uffd2-\uffd7\uffda-\uffdc\U00010000-\U0001000b\U0001000d-\U00010026\U00010028-\U0001003a\U0001003c-\U0001003d\U0001003f-\U0001004d\U00010050-\U0001005d\U00010080-\U000100fa\U00010107-\U00010133\U00010140-\U00010178\U0001018a-\U0001018b\U000101fd\U00010280-\U0001029c\U000102a0-\U000102d0\U000102e0-\U000102fb\U00010300-\U00010323\U0001032d-\U0001034a\U00010350-\U0001037a\U00010380-\U0001039d\U000103a0-\U000103c3\U000103c8-\U000103cf\U000103d1-\U000103d5\U00010400-\U0001049d\U000104a0-\U000104a9\U000104b0-\U000104d3\U000104d8-\U000104fb\U00010500-\U00010527\U00010530-\U00010563\U00010570-\U0001057a\U0001057c-\U0001058a\U0001058c-\U00010592\U00010594-\U00010595\U00010597-\U000105a1\U000105a3-\U000105b1\U000105b3-\U000105b9\U000105bb-\U000105bc\U00010600-\U00010736\U00010740-\U00010755\U00010760-\U00010767\U00010780-\U00010785\U00010787-\U000107b0\U000107b2-\U000107ba\U00010800-\U00010805\U00010808\U0001080a-\U00010835\U00010837-\U00010838\U0001083c\U0001083f-\U00010855\U00010858-\U00010876\U00010879-\U0001089e\U000108a7-\U000108af\U000108e0-\U000108f2\U000108f4-\U000108f5\U000108fb-\U0001091b\U00010920-\U00010939\U00010980-\U000109b7\U000109bc-\U000109cf\U000109d2-\U00010a03\U00010a05-\U00010a06\U00010a0c-\U00010a13\U00010a15-\U00010a17\U00010a19-\U00010a35\U00010a38-\U00010a3a\U00010a3f-\U00010a48\U00010a60-\U00010a7e\U00010a80-\U00010a9f\U00010ac0-\U00010ac7\U00010ac9-\U00010ae6\U00010aeb-\U00010aef\U00010b00-\U00010b35\U00010b40-\U00010b55\U00010b58-\U00010b72\U00010b78-\U00010b91\U00010ba9-\U00010baf\U00010c00-\U00010c48\U00010c80-\U00010cb2\U00010cc0-\U00010cf2\U00010cfa-\U00010d27\U00010d30-\U00010d39\U00010e60-\U00010e7e\U00010e80-\U00010ea9\U00010eab-\U00010eac\U00010eb0-\U00010eb1\U00010f00-\U00010f27\U00010f30-\U00010f54\U00010f70-\U00010f85\U00010fb0-\U00010fcb\U00010fe0-\U00010ff6\U00011000-\U00011046\U00011052-\U00011075\U0001107f-\U000110ba\U000110c2\U000110d0-\U000110e8\U000110f0-\U000110f9\U00011100-\U00011134\U00011136-\U0001113f\U00011144-\U00011147\U00011150-\U00011173\U00011176\U00011180-\U000111c4\U000111c9-\U000111cc\U000111ce-\U000111da\U000111dc\U000111e1-\U000111f4\U00011200-\U00011211\U00011213-\U00011237\U0001123e\U00011280-\U00011286\U00011288\U0001128a-\U0001128d\U0001128f-\U0001129d\U0001129f-\U000112a8\U000112b0-\U000112ea\U000112f0-\U000112f9\U00011300-\U00011303\U00011305-\U0001130c\U0001130f-\U00011310\U00011313-\U00011328\U0001132a-\U00011330\U00011332-\U00011333\U00011335-\U00011339\U0001133b-\U00011344\U00011347-\U00011348\U0001134b-\U0001134d\U00011350\U00011357\U0001135d-\U00011363\U00011366-\U0001136c\U00011370-\U00011374\U00011400-\U0001144a\U00011450-\U00011459\U0001145e-\U00011461\U00011480-\U000114c5\U000114c7\U000114d0-\U000114d9\U00011580-\U000115b5\U000115b8-\U000115c0\U000115d8-\U000115dd\U00011600-\U00011640\U00011644\U00011650-\U00011659\U00011680-\U000116b8\U000116c0-\U000116c9\U00011700-\U0001171a\U0001171d-\U0001172b\U00011730-\U0001173b\U00011740-\U00011746\U00011800-\U0001183a\U000118a0-\U000118f2\U000118ff-\U00011906\U00011909\U0001190c-\U00011913\U00011915-\U00011916\U00011918-\U00011935\U00011937-\U00011938\U0001193b-\U00011943\U00011950-\U00011959\U000119a0-\U000119a7\U000119aa-\U000119d7\U000119da-\U000119e1\U000119e3-\U000119e4\U00011a00-\U00011a3e\U00011a47\U00011a50-\U00011a99\U00011a9d\U00011ab0-\U00011af8\U00011c00-\U00011c08\U00011c0a-\U00011c36\U00011c38-\U00011c40\U00011c50-\U00011c6c\U00011c72-\U00011c8f\U00011c92-\U00011ca7\U00011ca9-\U00011cb6\U00011d00-\U00011d06\U00011d08-\U00011d09\U00011d0b-\U00011d36\U00011d3a\U00011d3c-\U00011d3d\U00011d3f-\U00011d47\U00011d50-\U00011d59\U00011d60-\U00011d65\U00011d67-\U00011d68\U00011d6a-\U00011d8e\U00011d90-\U00011d91\U00011d93-\U00011d98\U00011da0-\U00011da9\U00011ee0-\U00011ef6\U00011fb0\U00011fc0-\U00011fd4\U00012000-\U00012399\U00012400-\U0001246e\U00012480-\U00012543\U00012f90-\U00012ff0\U00013000-\U0001342e\U00014400-\U00014646\U00016800-\U00016a38\U00016a40-\U00016a5e\U00016a60-\U00016a69\U00016a70-\U00016abe\U00016ac0-\U00016ac9\U00016ad0-\U00016aed\U00016af0-\U00016af4\U00016b00-\U00016b36\U00016b40-\U00016b43\U00016b50-\U00016b59\U00016b5b-\U00016b61\U00016b63-\U00016b77\U00016b7d-\U00016b8f\U00016e40-\U00016e96\U00016f00-\U00016f4a\U00016f4f-\U00016f87\U00016f8f-\U00016f9f\U00016fe0-\U00016fe1\U00016fe3-\U00016fe4\U00016ff0-\U00016ff1\U00017000-\U000187f7\U00018800-\U00018cd5\U00018d00-\U00018d08\U0001aff0-\U0001aff3\U0001aff5-\U0001affb\U0001affd-\U0001affe\U0001b000-\U0001b122\U0001b150-\U0001b152\U0001b164-\U0001b167\U0001b170-\U0001b2fb\U0001bc00-\U0001bc6a\U0001bc70-\U0001bc7c\U0001bc80-\U0001bc88\U0001bc90-\U0001bc99\U0001bc9d-\U0001bc9e\U0001cf00-\U0001cf2d\U0001cf30-\U0001cf46\U0001d165-\U0001d169\U0001d16d-\U0001d172\U0001d17b-\U0001d182\U0001d185-\U0001d18b\U0001d1aa-\U0001d1ad\U0001d242-\U0001d244\U0001d2e0-\U0001d2f3\U0001d360-\U0001d378\U0001d400-\U0001d454\U0001d456-\U0001d49c\U0001d49e-\U0001d49f\U0001d4a2\U0001d4a5-\U0001d4a6\U0001d4a9-\U0001d4ac\U0001d4ae-\U0001d4b9\U0001d4bb\U0001d4bd-\U0001d4c3\U0001d4c5-\U0001d505\U0001d507-\U0001d50a\U0001d50d-\U0001d514\U0001d516-\U0001d51c\U0001d51e-\U0001d539\U0001d53b-\U0001d53e\U0001d540-\U0001d544\U0001d546\U0001d54a-\U0001d550\U0001d552-\U0001d6a5\U0001d6a8-\U0001d6c0\U0001d6c2-\U0001d6da\U0001d6dc-\U0001d6fa\U0001d6fc-\U0001d714\U0001d716-\U0001d734\U0001d736-\U0001d74e\U0001d750-\U0001d76e\U0001d770-\U0001d788\U0001d78a-\U0001d7a8\U0001d7aa-\U0001d7c2\U0001d7c4-\U0001d7cb\U0001d7ce-\U0001d7ff\U0001da00-\U0001da36\U0001da3b-\U0001da6c\U0001da75\U0001da84\U0001da9b-\U0001da9f\U0001daa1-\U0001daaf\U0001df00-\U0001df1e\U0001e000-\U0001e006\U0001e008-\U0001e018\U0001e01b-\U0001e021\U0001e023-\U0001e024\U0001e026-\U0001e02a\U0001e100-\U0001e12c\U0001e130-\U0001e13d\U0001e140-\U0001e149\U0001e14e\U0001e290-\U0001e2ae\U0001e2c0-\U0001e2f9\U0001e7e0-\U0001e7e6\U0001e7e8-\U0001e7eb\U0001e7ed-\U0001e7ee\U0001e7f0-\U0001e7fe\U0001e800-\U0001e8c4\U0001e8c7-\U0001e8d6\U0001e900-\U0001e94b\U0001e950-\U0001e959\U0001ec71-\U0001ecab\U0001ecad-\U0001ecaf\U0001ecb1-\U0001ecb4\U0001ed01-\U0001ed2d\U0001ed2f-\U0001ed3d\U0001ee00-\U0001ee03\U0001ee05-\U0001ee1f\U0001ee21-\U0001ee22\U0001ee24\U0001ee27\U0001ee29-\U0001ee32\U0001ee34-\U0001ee37\U0001ee39\U0001ee3b\U0001ee42\U0001ee47\U0001ee49\U0001ee4b\U0001ee4d-\U0001ee4f\U0001ee51-\U0001ee52\U0001ee54\U0001ee57\U0001ee59\U0001ee5b\U0001ee5d\U0001ee5f\U0001ee61-\U0001ee62\U0001ee64\U0001ee67-\U0001ee6a\U0001ee6c-\U0001ee72\U0001ee74-\U0001ee77\U0001ee79-\U0001ee7c\U0001ee7e\U0001ee80-\U0001ee89\U0001ee8b-\U0001ee9b\U0001eea1-\U0001eea3\U0001eea5-\U0001eea9\U0001eeab-\U0001eebb\U0001f100-\U0001f10c\U0001fbf0-\U0001fbf9\U00020000-\U0002a6df\U0002a700-\U0002b738\U0002b740-\U0002b81d\U0002b820-\U0002cea1\U0002ceb0-\U0002ebe0\U0002f800-\U0002fa1d\U00030000-\U0003134a\U000e0100-\U000e01ef'::text;

COMMENT ON FUNCTION omni_identity.unicode_letter_mark_number_class() IS 'Regex bracket contents: letters, marks and numbers (general categories L*, M*, N*).';

CREATE FUNCTION omni_identity.unicode_mark_class() RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN '\u0300-\u036f\u0483-\u0489\u0591-\u05bd\u05bf\u05c1-\u05c2\u05c4-\u05c5\u05c7\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e4\u06e7-\u06e8\u06ea-\u06ed\u0711\u0730-\u074a\u07a6-\u07b0\u07eb-\u07f3\u07fd\u0816-\u0819\u081b-\u0823\u0825-\u0827\u0829-\u082d\u0859-\u085b\u0898-\u089f\u08ca-\u08e1\u08e3-\u0903\u093a-\u093c\u093e-\u094f\u0951-\u0957\u0962-\u0963\u0981-\u0983\u09bc\u09be-\u09c4\u09c7-\u09c8\u09cb-\u09cd\u09d7\u09e2-\u09e3\u09fe\u0a01-\u0a03\u0a3c\u0a3e-\u0a42\u0a47-\u0a48\u0a4b-\u0a4d\u0a51\u0a70-\u0a71\u0a75\u0a81-\u0a83\u0abc\u0abe-\u0ac5\u0ac7-\u0ac9\u0acb-\u0acd\u0ae2-\u0ae3\u0afa-\u0aff\u0b01-\u0b03\u0b3c\u0b3e-\u0b44\u0b47-\u0b48\u0b4b-\u0b4d\u0b55-\u0b57\u0b62-\u0b63\u0b82\u0bbe-\u0bc2\u0bc6-\u0bc8\u0bca-\u0bcd\u0bd7\u0c00-\u0c04\u0c3c\u0c3e-\u0c44\u0c46-\u0c48\u0c4a-\u0c4d\u0c55-\u0c56\u0c62-\u0c63\u0c81-\u0c83\u0cbc\u0cbe-\u0cc4\u0cc6-\u0cc8\u0cca-\u0ccd\u0cd5-\u0cd6\u0ce2-\u0ce3\u0d00-\u0d03\u0d3b-\u0d3c\u0d3e-\u0d44\u0d46-\u0d48\u0d4a-\u0d4d\u0d57\u0d62-\u0d63\u0d81-\u0d83\u0dca\u0dcf-\u0dd4\u0dd6\u0dd8-\u0ddf\u0df2-\u0df3\u0e31\u0e34-\u0e3a\u0e47-\u0e4e\u0eb1\u0eb4-\u0ebc\u0ec8-\u0ecd\u0f18-\u0f19\u0f35\u0f37\u0f39\u0f3e-\u0f3f\u0f71-\u0f84\u0f86-\u0f87\u0f8d-\u0f97\u0f99-\u0fbc\u0fc6\u102b-\u103e\u1056-\u1059\u105e-\u1060\u1062-\u1064\u1067-\u106d\u1071-\u1074\u1082-\u108d\u108f\u109a-\u109d\u135d-\u135f\u1712-\u1715\u1732-\u1734\u1752-\u1753\u1772-\u1773\u17b4-\u17d3\u17dd\u180b-\u180d\u180f\u1885-\u1886\u18a9\u1920-\u192b\u1930-\u193b\u1a17-\u1a1b\u1a55-\u1a5e\u1a60-\u1a7c\u1a7f\u1ab0-\u1ace\u1b00-\u1b04\u1b34-\u1b44\u1b6b-\u1b73\u1b80-\u1b82\u1ba1-\u1bad\u1be6-\u1bf3\u1c24-\u1c37\u1cd0-\u1cd2\u1cd4-\u1ce8\u1ced\u1cf4\u1cf7-\u1cf9\u1dc0-\u1dff\u20d0-\u20f0\u2cef-\u2cf1\u2d7f\u2de0-\u2dff\u302a-\u302f\u3099-\u309a\ua66f-\ua672\ua674-\ua67d\ua69e-\ua69f\ua6f0-\ua6f1\ua802\ua806\ua80b\ua823-\ua827\ua82c\ua880-\ua881\ua8b4-\ua8c5\ua8e0-\ua8f1\ua8ff\ua926-\ua92d\ua947-\ua953\ua980-\ua983\ua9b3-\ua9c0\ua9e5\uaa29-\uaa36\uaa43\uaa4c-\uaa4d\uaa7b-\uaa7d\uaab0\uaab2-\uaab4\uaab7-\uaab8\uaabe-\uaabf\uaac1\uaaeb-\uaaef\uaaf5-\uaaf6\uabe3-\uabea\uabec-\uabed\ufb1e\ufe00-\ufe0f\ufe20-\ufe2f\U000101fd\U000102e0\U00010376-\U0001037a\U00010a01-\U00010a03\U00010a05-\U00010a06\U00010a0c-\U00010a0f\U00010a38-\U00010a3a\U00010a3f\U00010ae5-\U00010ae6\U00010d24-\U00010d27\U00010eab-\U00010eac\U00010f46-\U00010f50\U00010f82-\U00010f85\U00011000-\U00011002\U00011038-\U00011046\U00011070\U00011073-\U00011074\U0001107f-\U00011082\U000110b0-\U000110ba\U000110c2\U00011100-\U00011102\U00011127-\U00011134\U00011145-\U00011146\U00011173\U00011180-\U00011182\U000111b3-\U000111c0\U000111c9-\U000111cc\U000111ce-\U000111cf\U0001122c-\U00011237\U0001123e\U000112df-\U000112ea\U00011300-\U00011303\U0001133b-\U0001133c\U0001133e-\U00011344\U00011347-\U00011348\U0001134b-\U0001134d\U00011357\U00011362-\U00011363\U00011366-\U0001136c\U00011370-\U00011374\U00011435-\U00011446\U0001145e\U000114b0-\U000114c3\U000115af-\U000115b5\U000115b8-\U000115c0\U000115dc-\U000115dd\U00011630-\U00011640\U000116ab-\U000116b7\U0001171d-\U0001172b\U0001182c-\U0001183a\U00011930-\U00011935\U00011937-\U00011938\U0001193b-\U0001193e\U00011940\U00011942-\U00011943\U000119d1-\U000119d7\U000119da-\U000119e0\U000119e4\U00011a01-\U00011a0a\U00011a33-\U00011a39\U00011a3b-\U00011a3e\U00011a47\U00011a51-\U00011a5b\U00011a8a-\U00011a99\U00011c2f-\U00011c36\U00011c38-\U00011c3f\U00011c92-\U00011ca7\U00011ca9-\U00011cb6\U00011d31-\U00011d36\U00011d3a\U00011d3c-\U00011d3d\U00011d3f-\U00011d45\U00011d47\U00011d8a-\U00011d8e\U00011d90-\U00011d91\U00011d93-\U00011d97\U00011ef3-\U00011ef6\U00016af0-\U00016af4\U00016b30-\U00016b36\U00016f4f\U00016f51-\U00016f87\U00016f8f-\U00016f92\U00016fe4\U00016ff0-\U00016ff1\U0001bc9d-\U0001bc9e\U0001cf00-\U0001cf2d\U0001cf30-\U0001cf46\U0001d165-\U0001d169\U0001d16d-\U0001d172\U0001d17b-\U0001d182\U0001d185-\U0001d18b\U0001d1aa-\U0001d1ad\U0001d242-\U0001d244\U0001da00-\U0001da36\U0001da3b-\U0001da6c\U0001da75\U0001da84\U0001da9b-\U0001da9f\U0001daa1-\U0001daaf\U0001e000-\U0001e006\U0001e008-\U0001e018\U0001e01b-\U0001e021\U0001e023-\U0001e024\U0001e026-\U0001e02a\U0001e130-\U0001e136\U0001e2ae\U0001e2ec-\U0001e2ef\U0001e8d0-\U0001e8d6\U0001e944-\U0001e94a\U000e0100-\U000e01ef'::text;

COMMENT ON FUNCTION omni_identity.unicode_mark_class() IS 'Regex bracket contents: combining marks (general category M*).';

CREATE FUNCTION omni_identity.unicode_space_chars() RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN '

  　​﻿'::text;

COMMENT ON FUNCTION omni_identity.unicode_space_chars() IS 'White space trimmed by the normalizers: Python str.isspace characters, U+200B, U+FEFF.';

CREATE FUNCTION omni_identity.unicode_space_class() RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN '\u0009-\u000d\u001c-\u0020\u0085\u00a0\u1680\u2000-\u200b\u2028-\u2029\u202f\u205f\u3000\ufeff'::text;

COMMENT ON FUNCTION omni_identity.unicode_space_class() IS 'Regex bracket contents: the characters of unicode_space_chars().';

CREATE TABLE omni_identity.backfill_checkpoint (
    tenant_id text NOT NULL,
    after_tenant_id text DEFAULT ''::text NOT NULL,
    after_id bigint DEFAULT 0 NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT backfill_checkpoint_tenant_id_check CHECK ((tenant_id <> ''::text))
);

ALTER TABLE ONLY omni_identity.backfill_checkpoint FORCE ROW LEVEL SECURITY;

COMMENT ON TABLE omni_identity.backfill_checkpoint IS 'Backfill cursor per scope (tenant, or * across tenants): last (tenant_id, id) processed.';

CREATE TABLE omni_identity.backfill_keyless (
    tenant_id text NOT NULL,
    sale_id bigint NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT backfill_keyless_tenant_id_check CHECK ((tenant_id <> ''::text))
);

ALTER TABLE ONLY omni_identity.backfill_keyless FORCE ROW LEVEL SECURITY;

COMMENT ON TABLE omni_identity.backfill_keyless IS 'Sales the backfill examined and found without a usable key (customer_hash stays NULL).';

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

ALTER TABLE ONLY omni_identity.batch_metrics FORCE ROW LEVEL SECURITY;

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

ALTER TABLE ONLY omni_identity.customer_cluster FORCE ROW LEVEL SECURITY;

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

ALTER TABLE ONLY omni_identity.customer_cluster_keys FORCE ROW LEVEL SECURITY;

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

ALTER TABLE ONLY omni_identity.customer_cluster_merges FORCE ROW LEVEL SECURITY;

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

ALTER TABLE ONLY omni_identity.key_blocklist FORCE ROW LEVEL SECURITY;

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

ALTER TABLE ONLY omni_identity.report_divergences FORCE ROW LEVEL SECURITY;

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

ALTER TABLE ONLY omni_identity.sales_rejects FORCE ROW LEVEL SECURITY;

COMMENT ON TABLE omni_identity.sales_rejects IS 'Rejected rows of ingest/upload batches, with line number and reason.';

CREATE TABLE omni_identity.settings (
    tenant_id text NOT NULL,
    key text NOT NULL,
    value jsonb NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT settings_key_check CHECK ((key <> ''::text)),
    CONSTRAINT settings_tenant_id_check CHECK ((tenant_id <> ''::text))
);

ALTER TABLE ONLY omni_identity.settings FORCE ROW LEVEL SECURITY;

COMMENT ON TABLE omni_identity.settings IS 'Per-tenant feature flags and options; absent = default.';

ALTER TABLE ONLY omni_identity.backfill_checkpoint
    ADD CONSTRAINT backfill_checkpoint_pkey PRIMARY KEY (tenant_id);

ALTER TABLE ONLY omni_identity.backfill_keyless
    ADD CONSTRAINT backfill_keyless_pkey PRIMARY KEY (tenant_id, sale_id);

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

CREATE POLICY admin_all_tenants ON omni_identity.backfill_checkpoint TO omni_identity_admin USING (true) WITH CHECK (true);

CREATE POLICY admin_all_tenants ON omni_identity.backfill_keyless TO omni_identity_admin USING (true) WITH CHECK (true);

CREATE POLICY admin_all_tenants ON omni_identity.batch_metrics TO omni_identity_admin USING (true) WITH CHECK (true);

CREATE POLICY admin_all_tenants ON omni_identity.customer_cluster TO omni_identity_admin USING (true) WITH CHECK (true);

CREATE POLICY admin_all_tenants ON omni_identity.customer_cluster_keys TO omni_identity_admin USING (true) WITH CHECK (true);

CREATE POLICY admin_all_tenants ON omni_identity.customer_cluster_merges TO omni_identity_admin USING (true) WITH CHECK (true);

CREATE POLICY admin_all_tenants ON omni_identity.key_blocklist TO omni_identity_admin USING (true) WITH CHECK (true);

CREATE POLICY admin_all_tenants ON omni_identity.report_divergences TO omni_identity_admin USING (true) WITH CHECK (true);

CREATE POLICY admin_all_tenants ON omni_identity.sales_rejects TO omni_identity_admin USING (true) WITH CHECK (true);

CREATE POLICY admin_all_tenants ON omni_identity.settings TO omni_identity_admin USING (true) WITH CHECK (true);

ALTER TABLE omni_identity.backfill_checkpoint ENABLE ROW LEVEL SECURITY;

ALTER TABLE omni_identity.backfill_keyless ENABLE ROW LEVEL SECURITY;

ALTER TABLE omni_identity.batch_metrics ENABLE ROW LEVEL SECURITY;

ALTER TABLE omni_identity.customer_cluster ENABLE ROW LEVEL SECURITY;

ALTER TABLE omni_identity.customer_cluster_keys ENABLE ROW LEVEL SECURITY;

ALTER TABLE omni_identity.customer_cluster_merges ENABLE ROW LEVEL SECURITY;

ALTER TABLE omni_identity.key_blocklist ENABLE ROW LEVEL SECURITY;

ALTER TABLE omni_identity.report_divergences ENABLE ROW LEVEL SECURITY;

ALTER TABLE omni_identity.sales_rejects ENABLE ROW LEVEL SECURITY;

ALTER TABLE omni_identity.settings ENABLE ROW LEVEL SECURITY;

CREATE POLICY tenant_isolation ON omni_identity.batch_metrics TO omni_identity_app USING ((tenant_id = current_setting('app.current_tenant_id'::text, true))) WITH CHECK ((tenant_id = current_setting('app.current_tenant_id'::text, true)));

CREATE POLICY tenant_isolation ON omni_identity.customer_cluster TO omni_identity_app USING ((tenant_id = current_setting('app.current_tenant_id'::text, true))) WITH CHECK ((tenant_id = current_setting('app.current_tenant_id'::text, true)));

CREATE POLICY tenant_isolation ON omni_identity.customer_cluster_keys TO omni_identity_app USING ((tenant_id = current_setting('app.current_tenant_id'::text, true))) WITH CHECK ((tenant_id = current_setting('app.current_tenant_id'::text, true)));

CREATE POLICY tenant_isolation ON omni_identity.customer_cluster_merges TO omni_identity_app USING ((tenant_id = current_setting('app.current_tenant_id'::text, true))) WITH CHECK ((tenant_id = current_setting('app.current_tenant_id'::text, true)));

CREATE POLICY tenant_isolation ON omni_identity.report_divergences TO omni_identity_app USING ((tenant_id = current_setting('app.current_tenant_id'::text, true))) WITH CHECK ((tenant_id = current_setting('app.current_tenant_id'::text, true)));

CREATE POLICY tenant_isolation ON omni_identity.sales_rejects TO omni_identity_app USING ((tenant_id = current_setting('app.current_tenant_id'::text, true))) WITH CHECK ((tenant_id = current_setting('app.current_tenant_id'::text, true)));

CREATE POLICY tenant_isolation ON omni_identity.settings TO omni_identity_app USING ((tenant_id = current_setting('app.current_tenant_id'::text, true))) WITH CHECK ((tenant_id = current_setting('app.current_tenant_id'::text, true)));

CREATE POLICY tenant_isolation_delete ON omni_identity.key_blocklist FOR DELETE TO omni_identity_app USING ((tenant_id = current_setting('app.current_tenant_id'::text, true)));

CREATE POLICY tenant_isolation_insert ON omni_identity.key_blocklist FOR INSERT TO omni_identity_app WITH CHECK ((tenant_id = current_setting('app.current_tenant_id'::text, true)));

CREATE POLICY tenant_isolation_read ON omni_identity.key_blocklist FOR SELECT TO omni_identity_app USING (((tenant_id IS NULL) OR (tenant_id = current_setting('app.current_tenant_id'::text, true))));

CREATE POLICY tenant_isolation_update ON omni_identity.key_blocklist FOR UPDATE TO omni_identity_app USING ((tenant_id = current_setting('app.current_tenant_id'::text, true))) WITH CHECK ((tenant_id = current_setting('app.current_tenant_id'::text, true)));

GRANT USAGE ON SCHEMA omni_identity TO omni_identity_app;
GRANT USAGE ON SCHEMA omni_identity TO omni_identity_admin;

REVOKE ALL ON FUNCTION omni_identity.abstraction_buyer(p_tenant_id text, p_filters jsonb, p_limit integer, p_after jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.abstraction_buyer(p_tenant_id text, p_filters jsonb, p_limit integer, p_after jsonb) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.abstraction_buyer(p_tenant_id text, p_filters jsonb, p_limit integer, p_after jsonb) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.abstraction_buyer_v1(p_tenant_id text, p_filters jsonb, p_limit integer, p_after jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.abstraction_buyer_v1(p_tenant_id text, p_filters jsonb, p_limit integer, p_after jsonb) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.abstraction_buyer_v1(p_tenant_id text, p_filters jsonb, p_limit integer, p_after jsonb) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.abstraction_buyer_v2(p_tenant_id text, p_filters jsonb, p_limit integer, p_after jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.abstraction_buyer_v2(p_tenant_id text, p_filters jsonb, p_limit integer, p_after jsonb) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.abstraction_buyer_v2(p_tenant_id text, p_filters jsonb, p_limit integer, p_after jsonb) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.auto_resolve_sales() FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.auto_resolve_sales() TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.auto_resolve_sales() TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.backfill_customer_hash(p_tenant_id text, p_batch_size integer) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.backfill_customer_hash(p_tenant_id text, p_batch_size integer) TO omni_identity_admin;

REVOKE ALL ON FUNCTION omni_identity.backfill_pick(p_tenant_id text, p_after_tenant_id text, p_after_id bigint, p_sweep boolean, p_batch_size integer) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.backfill_pick(p_tenant_id text, p_after_tenant_id text, p_after_id bigint, p_sweep boolean, p_batch_size integer) TO omni_identity_admin;

REVOKE ALL ON FUNCTION omni_identity.buyer_cluster_aliases(p_tenant_id text, p_email text, p_phone text, p_document text) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.buyer_cluster_aliases(p_tenant_id text, p_email text, p_phone text, p_document text) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.buyer_cluster_aliases(p_tenant_id text, p_email text, p_phone text, p_document text) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.cluster_sales_batch() FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.cluster_sales_batch() TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.cluster_sales_batch() TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.compare_customer_reports(p_tenant_id text, p_filters jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.compare_customer_reports(p_tenant_id text, p_filters jsonb) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.compare_customer_reports(p_tenant_id text, p_filters jsonb) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.current_cluster(p_tenant_id text, p_cluster_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.current_cluster(p_tenant_id text, p_cluster_id uuid) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.current_cluster(p_tenant_id text, p_cluster_id uuid) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.customer_report(p_tenant_id text, p_filters jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.customer_report(p_tenant_id text, p_filters jsonb) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.customer_report(p_tenant_id text, p_filters jsonb) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.customer_report_v1(p_tenant_id text, p_filters jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.customer_report_v1(p_tenant_id text, p_filters jsonb) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.customer_report_v1(p_tenant_id text, p_filters jsonb) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.customer_report_v2(p_tenant_id text, p_filters jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.customer_report_v2(p_tenant_id text, p_filters jsonb) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.customer_report_v2(p_tenant_id text, p_filters jsonb) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.document_parse(p_raw text) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.document_parse(p_raw text) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.document_parse(p_raw text) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.email_ascii_re() FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.email_ascii_re() TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.email_ascii_re() TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.email_canonical(p_email text) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.email_canonical(p_email text) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.email_canonical(p_email text) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.email_parse(p_raw text) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.email_parse(p_raw text) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.email_parse(p_raw text) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.flag_enabled(p_tenant_id text, p_key text) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.flag_enabled(p_tenant_id text, p_key text) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.flag_enabled(p_tenant_id text, p_key text) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.golden_name(p_raw text) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.golden_name(p_raw text) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.golden_name(p_raw text) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.identifier_sha256(p_key_type text, p_value text) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.identifier_sha256(p_key_type text, p_value text) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.identifier_sha256(p_key_type text, p_value text) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.ingest_sales(p_tenant_id text, p_rows jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.ingest_sales(p_tenant_id text, p_rows jsonb) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.ingest_sales(p_tenant_id text, p_rows jsonb) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.ingest_staged_sales(p_tenant_id text, p_job text, p_batch_id bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.ingest_staged_sales(p_tenant_id text, p_job text, p_batch_id bigint) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.ingest_staged_sales(p_tenant_id text, p_job text, p_batch_id bigint) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.key_blocks(p_tenant_id text, p_key_type text, p_value text) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.key_blocks(p_tenant_id text, p_key_type text, p_value text) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.key_blocks(p_tenant_id text, p_key_type text, p_value text) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.key_is_blocked(p_tenant_id text, p_key_type text, p_value text) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.key_is_blocked(p_tenant_id text, p_key_type text, p_value text) TO omni_identity_admin;

REVOKE ALL ON FUNCTION omni_identity.key_lock_key(p_tenant_id text, p_key_type text, p_key_value text) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.key_lock_key(p_tenant_id text, p_key_type text, p_key_value text) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.key_lock_key(p_tenant_id text, p_key_type text, p_key_value text) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.merge_clusters(p_tenant_id text, p_losers uuid[], p_survivors uuid[]) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.merge_clusters(p_tenant_id text, p_losers uuid[], p_survivors uuid[]) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.merge_clusters(p_tenant_id text, p_losers uuid[], p_survivors uuid[]) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.normalize_document(p_raw text) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.normalize_document(p_raw text) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.normalize_document(p_raw text) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.normalize_email(p_raw text, p_canonical boolean) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.normalize_email(p_raw text, p_canonical boolean) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.normalize_email(p_raw text, p_canonical boolean) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.normalize_name(p_raw text) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.normalize_name(p_raw text) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.normalize_name(p_raw text) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.normalize_phone(p_raw text, p_default_region text) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.normalize_phone(p_raw text, p_default_region text) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.normalize_phone(p_raw text, p_default_region text) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.parse_sale_amount(p_raw text) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.parse_sale_amount(p_raw text) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.parse_sale_amount(p_raw text) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.parse_sale_timestamp(p_raw text) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.parse_sale_timestamp(p_raw text) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.parse_sale_timestamp(p_raw text) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.phone_br_fast_international_re() FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.phone_br_fast_international_re() TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.phone_br_fast_international_re() TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.phone_br_fast_national_re() FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.phone_br_fast_national_re() TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.phone_br_fast_national_re() TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.phone_br_fast_trunk_re() FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.phone_br_fast_trunk_re() TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.phone_br_fast_trunk_re() TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.phone_br_general_re() FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.phone_br_general_re() TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.phone_br_general_re() TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.phone_br_international_prefix_re() FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.phone_br_international_prefix_re() TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.phone_br_international_prefix_re() TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.phone_br_is_linkable(p_nsn text) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.phone_br_is_linkable(p_nsn text) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.phone_br_is_linkable(p_nsn text) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.phone_br_national_prefix_re() FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.phone_br_national_prefix_re() TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.phone_br_national_prefix_re() TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.phone_br_plain_re() FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.phone_br_plain_re() TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.phone_br_plain_re() TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.phone_br_strip_national_prefix(p_digits text) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.phone_br_strip_national_prefix(p_digits text) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.phone_br_strip_national_prefix(p_digits text) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.phone_country_code_re() FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.phone_country_code_re() TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.phone_country_code_re() TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.phone_digits(p_number text) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.phone_digits(p_number text) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.phone_digits(p_number text) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.phone_extension_ascii_re() FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.phone_extension_ascii_re() TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.phone_extension_ascii_re() TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.phone_extension_re() FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.phone_extension_re() TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.phone_extension_re() TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.phone_parse(p_raw text, p_default_region text) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.phone_parse(p_raw text, p_default_region text) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.phone_parse(p_raw text, p_default_region text) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.phone_punctuation_class() FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.phone_punctuation_class() TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.phone_punctuation_class() TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.phone_viable_ascii_re() FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.phone_viable_ascii_re() TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.phone_viable_ascii_re() TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.phone_viable_re() FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.phone_viable_re() TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.phone_viable_re() TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.pipeline_set_customer_hash(p_tenant_id text, p_ctids tid[], p_hashes uuid[]) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.pipeline_set_customer_hash(p_tenant_id text, p_ctids tid[], p_hashes uuid[]) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.pipeline_set_customer_hash(p_tenant_id text, p_ctids tid[], p_hashes uuid[]) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.pipeline_temp_tables() FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.pipeline_temp_tables() TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.pipeline_temp_tables() TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.pipeline_value_wins(p_new_at timestamp with time zone, p_new text, p_old_at timestamp with time zone, p_old text) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.pipeline_value_wins(p_new_at timestamp with time zone, p_new text, p_old_at timestamp with time zone, p_old text) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.pipeline_value_wins(p_new_at timestamp with time zone, p_new text, p_old_at timestamp with time zone, p_old text) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.query_filters(p_filters jsonb, OUT email text, OUT phone text, OUT document text, OUT name text, OUT shop_id text, OUT product_id text, OUT status text, OUT created_from timestamp with time zone, OUT created_to timestamp with time zone, OUT by_buyer boolean, OUT matches_none boolean) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.query_filters(p_filters jsonb, OUT email text, OUT phone text, OUT document text, OUT name text, OUT shop_id text, OUT product_id text, OUT status text, OUT created_from timestamp with time zone, OUT created_to timestamp with time zone, OUT by_buyer boolean, OUT matches_none boolean) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.query_filters(p_filters jsonb, OUT email text, OUT phone text, OUT document text, OUT name text, OUT shop_id text, OUT product_id text, OUT status text, OUT created_from timestamp with time zone, OUT created_to timestamp with time zone, OUT by_buyer boolean, OUT matches_none boolean) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.query_page(p_limit integer, p_after jsonb, OUT after_at timestamp with time zone, OUT after_id bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.query_page(p_limit integer, p_after jsonb, OUT after_at timestamp with time zone, OUT after_id bigint) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.query_page(p_limit integer, p_after jsonb, OUT after_at timestamp with time zone, OUT after_id bigint) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.reconcile_merges(p_batch_size integer) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.reconcile_merges(p_batch_size integer) TO omni_identity_admin;

REVOKE ALL ON FUNCTION omni_identity.require_tenant(p_tenant_id text) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.require_tenant(p_tenant_id text) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.require_tenant(p_tenant_id text) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.resolve_customer_cluster(p_tenant_id text, p_email text, p_phone text, p_document text, p_name text, p_seen_at timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.resolve_customer_cluster(p_tenant_id text, p_email text, p_phone text, p_document text, p_name text, p_seen_at timestamp with time zone) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.resolve_customer_cluster(p_tenant_id text, p_email text, p_phone text, p_document text, p_name text, p_seen_at timestamp with time zone) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.revoke_public_execute() FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.revoke_public_execute() TO omni_identity_admin;

REVOKE ALL ON FUNCTION omni_identity.set_flag(p_tenant_id text, p_key text, p_value boolean) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.set_flag(p_tenant_id text, p_key text, p_value boolean) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.set_flag(p_tenant_id text, p_key text, p_value boolean) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.tenant_lock_key(p_tenant_id text) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.tenant_lock_key(p_tenant_id text) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.tenant_lock_key(p_tenant_id text) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.unicode_alnum_class() FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.unicode_alnum_class() TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.unicode_alnum_class() TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.unicode_digit_class() FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.unicode_digit_class() TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.unicode_digit_class() TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.unicode_digit_from() FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.unicode_digit_from() TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.unicode_digit_from() TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.unicode_digit_to() FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.unicode_digit_to() TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.unicode_digit_to() TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.unicode_latin1_accented() FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.unicode_latin1_accented() TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.unicode_latin1_accented() TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.unicode_latin1_unaccented() FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.unicode_latin1_unaccented() TO omni_identity_admin;

REVOKE ALL ON FUNCTION omni_identity.unicode_letter_mark_number_class() FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.unicode_letter_mark_number_class() TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.unicode_letter_mark_number_class() TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.unicode_mark_class() FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.unicode_mark_class() TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.unicode_mark_class() TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.unicode_space_chars() FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.unicode_space_chars() TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.unicode_space_chars() TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.unicode_space_class() FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.unicode_space_class() TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.unicode_space_class() TO omni_identity_app;

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE omni_identity.backfill_checkpoint TO omni_identity_admin;

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE omni_identity.backfill_keyless TO omni_identity_admin;

GRANT USAGE ON SEQUENCE omni_identity.batch_id_seq TO omni_identity_app;
GRANT ALL ON SEQUENCE omni_identity.batch_id_seq TO omni_identity_admin;

GRANT SELECT,INSERT,UPDATE ON TABLE omni_identity.batch_metrics TO omni_identity_app;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE omni_identity.batch_metrics TO omni_identity_admin;

GRANT SELECT,INSERT,UPDATE ON TABLE omni_identity.customer_cluster TO omni_identity_app;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE omni_identity.customer_cluster TO omni_identity_admin;

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE omni_identity.customer_cluster_keys TO omni_identity_app;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE omni_identity.customer_cluster_keys TO omni_identity_admin;

GRANT SELECT,INSERT,UPDATE ON TABLE omni_identity.customer_cluster_merges TO omni_identity_app;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE omni_identity.customer_cluster_merges TO omni_identity_admin;

GRANT ALL ON SEQUENCE omni_identity.customer_cluster_merges_merge_id_seq TO omni_identity_admin;

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE omni_identity.key_blocklist TO omni_identity_app;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE omni_identity.key_blocklist TO omni_identity_admin;

GRANT SELECT,INSERT ON TABLE omni_identity.report_divergences TO omni_identity_app;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE omni_identity.report_divergences TO omni_identity_admin;

GRANT ALL ON SEQUENCE omni_identity.report_divergences_divergence_id_seq TO omni_identity_admin;

GRANT SELECT,INSERT ON TABLE omni_identity.sales_rejects TO omni_identity_app;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE omni_identity.sales_rejects TO omni_identity_admin;

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE omni_identity.settings TO omni_identity_app;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE omni_identity.settings TO omni_identity_admin;

ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA omni_identity GRANT ALL ON SEQUENCES TO omni_identity_admin;

ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA omni_identity GRANT ALL ON FUNCTIONS TO omni_identity_admin;

ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA omni_identity GRANT SELECT,INSERT,DELETE,UPDATE ON TABLES TO omni_identity_admin;

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

ALTER TABLE ONLY public.omni_sales FORCE ROW LEVEL SECURITY;

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

CREATE INDEX omni_sales_unhashed_idx ON public.omni_sales USING btree (tenant_id, id) WHERE (customer_hash IS NULL);

CREATE TRIGGER omni_sales_auto_resolve AFTER INSERT ON public.omni_sales REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION omni_identity.auto_resolve_sales();

CREATE POLICY admin_all_tenants ON public.omni_sales TO omni_identity_admin USING (true) WITH CHECK (true);

ALTER TABLE public.omni_sales ENABLE ROW LEVEL SECURITY;

CREATE POLICY tenant_isolation ON public.omni_sales TO omni_identity_app USING ((tenant_id = current_setting('app.current_tenant_id'::text, true))) WITH CHECK ((tenant_id = current_setting('app.current_tenant_id'::text, true)));

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.omni_sales TO omni_identity_app;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.omni_sales TO omni_identity_admin;
