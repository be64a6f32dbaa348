-- Why are two sales one customer (SPEC §13, design §9)? The shortest chain of active keys
-- k0 … kn, k0 a key of sale p_sale_a, kn a key of sale p_sale_b, each consecutive pair
-- seen together in one input (a key_pairs row): step i is ki with the pair's sale_id
-- (a sale that showed it; NULL when only direct resolve calls did) and seen_count; step 0
-- has neither. No rows when the sales are not linked (or one has no active key).
-- A sale's keys are its buyer columns normalized by the package normalizers; active =
-- has evidence (blocked and forgotten keys have none) and is not generic
-- (key_is_generic with the tenant's threshold).
-- Evidence of direct resolve calls becomes visible here after the next fold of the
-- evidence log (reconcile, block, forget, split: design §9).
-- Breadth-first search, one set-based statement per level over the frontier: each
-- frontier key probes key_pairs by both ends (the primary key as the a end,
-- key_pairs_b_idx as the b end) and key_evidence by primary key; visited keys live in a
-- session temp table. It stops when B's keys are reached or the frontier is empty, so it
-- reads at most the component of A's keys (the cluster, generic keys cut off), never
-- the tenant. OI104: a sale id that is NULL or not a sale of the tenant.
CREATE OR REPLACE FUNCTION omni_identity.explain_link(
      p_tenant_id text
    , p_sale_a    bigint
    , p_sale_b    bigint
) RETURNS TABLE (step integer, key_type text, key_value text, via_sale_id bigint, seen_count bigint)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET client_min_messages = warning
SET jit = off
AS $fn$
DECLARE
    v_threshold integer;
    v_sale      bigint;
    v_bt        text[];
    v_bv        text[];
    v_depth     integer := 0;
    v_n         integer;
    v_t         text;
    v_v         text;
    v_steps     integer[] := '{}'::integer[];
    v_types     text[] := '{}'::text[];
    v_values    text[] := '{}'::text[];
    v_vias      bigint[] := '{}'::bigint[];
    v_counts    bigint[] := '{}'::bigint[];
    r           record;
BEGIN
    PERFORM omni_identity.require_tenant(p_tenant_id);
    FOREACH v_sale IN ARRAY ARRAY[p_sale_a, p_sale_b] LOOP
        SELECT s.id INTO r FROM public.omni_sales s WHERE s.tenant_id = p_tenant_id AND s.id = v_sale;
        IF v_sale IS NULL OR NOT FOUND THEN
            RAISE EXCEPTION 'sale % is not a sale of tenant %', coalesce(v_sale::text, 'NULL'), p_tenant_id
                USING ERRCODE = 'OI104', HINT = 'Pass two ids of public.omni_sales rows of the tenant.';
        END IF;
    END LOOP;
    v_threshold := omni_identity.generic_threshold(p_tenant_id);

    CREATE TEMP TABLE IF NOT EXISTS oi_xl_node (
        key_type text NOT NULL, key_value text NOT NULL, depth integer NOT NULL,
        from_type text, from_value text, via_sale_id bigint, seen_count bigint,
        PRIMARY KEY (key_type, key_value)) ON COMMIT DELETE ROWS;
    TRUNCATE pg_temp.oi_xl_node;

    -- Sale B's active keys (the targets).
    SELECT coalesce(array_agg(k.key_type), '{}'), coalesce(array_agg(k.key_value), '{}') INTO v_bt, v_bv
      FROM public.omni_sales s
     CROSS JOIN LATERAL omni_identity.sale_keys(omni_identity.normalize_email(s.buyer_email),
                                                omni_identity.normalize_phone(s.buyer_phone),
                                                omni_identity.normalize_document(s.buyer_document)) k
     CROSS JOIN LATERAL (SELECT e.linked_emails, e.linked_phones, e.linked_documents
                           FROM omni_identity.key_evidence e
                          WHERE e.tenant_id = p_tenant_id AND e.key_type = k.key_type AND e.key_value = k.key_value
                         OFFSET 0) e
     WHERE s.tenant_id = p_tenant_id AND s.id = p_sale_b
       AND NOT omni_identity.key_is_generic(e.linked_emails, e.linked_phones, e.linked_documents, v_threshold);
    IF cardinality(v_bt) = 0 THEN
        RETURN;
    END IF;

    -- Level 0: sale A's active keys.
    INSERT INTO pg_temp.oi_xl_node (key_type, key_value, depth)
    SELECT k.key_type, k.key_value, 0
      FROM public.omni_sales s
     CROSS JOIN LATERAL omni_identity.sale_keys(omni_identity.normalize_email(s.buyer_email),
                                                omni_identity.normalize_phone(s.buyer_phone),
                                                omni_identity.normalize_document(s.buyer_document)) k
     CROSS JOIN LATERAL (SELECT e.linked_emails, e.linked_phones, e.linked_documents
                           FROM omni_identity.key_evidence e
                          WHERE e.tenant_id = p_tenant_id AND e.key_type = k.key_type AND e.key_value = k.key_value
                         OFFSET 0) e
     WHERE s.tenant_id = p_tenant_id AND s.id = p_sale_a
       AND NOT omni_identity.key_is_generic(e.linked_emails, e.linked_phones, e.linked_documents, v_threshold);

    LOOP
        -- Reached: the target of smallest depth (then by key, for a stable answer).
        SELECT n.key_type, n.key_value INTO v_t, v_v
          FROM unnest(v_bt, v_bv) AS b(key_type, key_value)
          JOIN pg_temp.oi_xl_node n ON n.key_type = b.key_type AND n.key_value = b.key_value
         ORDER BY n.depth, n.key_type, n.key_value COLLATE "C"
         LIMIT 1;
        EXIT WHEN FOUND;

        -- Next level: the active neighbours of the frontier not visited yet, each with
        -- one pair that reaches it (the smallest parent, for a stable answer).
        INSERT INTO pg_temp.oi_xl_node (key_type, key_value, depth, from_type, from_value, via_sale_id, seen_count)
        SELECT DISTINCT ON (n.key_type, n.key_value COLLATE "C")
               n.key_type, n.key_value, v_depth + 1, f.key_type, f.key_value, n.sale_id, n.seen_count
          FROM pg_temp.oi_xl_node f
         CROSS JOIN LATERAL (SELECT p.b_type AS key_type, p.b_value AS key_value, p.sale_id, p.seen_count
                               FROM omni_identity.key_pairs p
                              WHERE p.tenant_id = p_tenant_id AND p.a_type = f.key_type AND p.a_value = f.key_value
                             UNION ALL
                             SELECT p.a_type, p.a_value, p.sale_id, p.seen_count
                               FROM omni_identity.key_pairs p
                              WHERE p.tenant_id = p_tenant_id AND p.b_type = f.key_type AND p.b_value = f.key_value
                             OFFSET 0) n
         CROSS JOIN LATERAL (SELECT e.linked_emails, e.linked_phones, e.linked_documents
                               FROM omni_identity.key_evidence e
                              WHERE e.tenant_id = p_tenant_id AND e.key_type = n.key_type AND e.key_value = n.key_value
                             OFFSET 0) e
         WHERE f.depth = v_depth
           AND NOT EXISTS (SELECT FROM pg_temp.oi_xl_node s WHERE s.key_type = n.key_type AND s.key_value = n.key_value)
           AND NOT omni_identity.key_is_generic(e.linked_emails, e.linked_phones, e.linked_documents, v_threshold)
         ORDER BY n.key_type, n.key_value COLLATE "C", f.key_type, f.key_value COLLATE "C"
        ON CONFLICT DO NOTHING;
        GET DIAGNOSTICS v_n = ROW_COUNT;
        IF v_n = 0 THEN
            RETURN;  -- the frontier is empty: not linked
        END IF;
        v_depth := v_depth + 1;
    END LOOP;

    -- Walk back from the target to a key of sale A, one primary-key probe per step.
    LOOP
        SELECT n.depth, n.from_type, n.from_value, n.via_sale_id, n.seen_count INTO r
          FROM pg_temp.oi_xl_node n WHERE n.key_type = v_t AND n.key_value = v_v;
        v_steps := r.depth || v_steps;
        v_types := v_t || v_types;
        v_values := v_v || v_values;
        v_vias := r.via_sale_id || v_vias;
        v_counts := r.seen_count || v_counts;
        EXIT WHEN r.depth = 0;
        v_t := r.from_type;
        v_v := r.from_value;
    END LOOP;
    RETURN QUERY SELECT u.step, u.key_type, u.key_value, u.via, u.n
                   FROM unnest(v_steps, v_types, v_values, v_vias, v_counts) AS u(step, key_type, key_value, via, n)
                  ORDER BY u.step;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.explain_link(text, bigint, bigint)
    IS 'The shortest evidence chain of active keys between two sales (step, key, a sale that showed the pair, inputs that did); no rows when not linked.';
