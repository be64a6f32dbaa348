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
-- Bidirectional breadth-first search: side 'a' grows from sale A's keys, side 'b' from
-- sale B's, one set-based statement per level, always the side with the smaller
-- frontier; each frontier key probes key_pairs by both ends (the primary key as the a
-- end, key_pairs_b_idx as the b end) and key_evidence by primary key; visited keys live
-- in a session temp table. The first level whose new keys meet the other side gives a
-- shortest chain (every key within the radii already met nothing, so none is shorter).
-- It stops there, or when a side's frontier is empty (not linked), so it reads at most
-- the component of the sales' keys (the cluster, generic keys cut off), never the tenant.
-- OI104: a sale id that is NULL or not a sale of the tenant.
CREATE OR REPLACE FUNCTION omni_identity.explain_link(
      p_tenant_id text
    , p_sale_a    bigint
    , p_sale_b    bigint
) RETURNS TABLE (step integer, key_type text, key_value text, via_sale_id bigint, seen_count bigint)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $fn$
DECLARE
    v_threshold integer;
    v_sale      bigint;
    v_na        bigint;
    v_nb        bigint;
    v_da        integer := 0;
    v_db        integer := 0;
    v_side      text;
    v_depth     integer;
    v_t         text;
    v_v         text;
    v_steps     integer[] := '{}'::integer[];
    v_types     text[] := '{}'::text[];
    v_values    text[] := '{}'::text[];
    v_vias      bigint[] := '{}'::bigint[];
    v_counts    bigint[] := '{}'::bigint[];
    v_i         integer;
    r           record;
    v_citus     boolean := omni_identity.citus_active();
    v_ft        text[];
    v_fv        text[];
    v_nft       text[];
    v_nfv       text[];
    v_nt        text[];
    v_nv        text[];
    v_nsale     bigint[];
    v_ncount    bigint[];
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

    -- The visited keys of each side: created once per session (no SET clause to silence
    -- IF NOT EXISTS: it would hide the NOTICEs of auto_explain too).
    IF pg_catalog.to_regclass('pg_temp.oi_xl_node') IS NULL THEN
        CREATE TEMP TABLE oi_xl_node (
            side text NOT NULL, key_type text NOT NULL, key_value text NOT NULL, depth integer NOT NULL,
            from_type text, from_value text, via_sale_id bigint, seen_count bigint,
            PRIMARY KEY (side, key_type, key_value)) ON COMMIT DELETE ROWS;
    END IF;
    -- DELETE, not TRUNCATE: a TRUNCATE gives the table a new file, which invalidates the
    -- cached plans of every statement below at every call. (Empty unless a caller runs
    -- two calls in one transaction: ON COMMIT DELETE ROWS empties it.)
    DELETE FROM pg_temp.oi_xl_node;

    -- Level 0 of both sides: each sale's active keys.
    INSERT INTO pg_temp.oi_xl_node (side, key_type, key_value, depth)
    SELECT x.side, k.key_type, k.key_value, 0
      FROM (VALUES ('a', p_sale_a), ('b', p_sale_b)) AS x(side, sale_id)
     CROSS JOIN LATERAL (SELECT y.buyer_email, y.buyer_phone, y.buyer_document
                           FROM public.omni_sales y
                          WHERE y.tenant_id = p_tenant_id AND y.id = x.sale_id
                         OFFSET 0) s
     CROSS JOIN LATERAL omni_identity.sale_keys(omni_identity.normalize_email(s.buyer_email),
                                                omni_identity.normalize_phone(s.buyer_phone),
                                                omni_identity.normalize_document(s.buyer_document)) k
     CROSS JOIN LATERAL (SELECT e.linked_emails, e.linked_phones, e.linked_documents
                           FROM omni_identity.key_evidence e
                          WHERE e.tenant_id = p_tenant_id AND e.key_type = k.key_type AND e.key_value = k.key_value
                         OFFSET 0) e
     WHERE NOT omni_identity.key_is_generic(e.linked_emails, e.linked_phones, e.linked_documents, v_threshold);
    SELECT count(*) FILTER (WHERE n.side = 'a'), count(*) FILTER (WHERE n.side = 'b') INTO v_na, v_nb
      FROM pg_temp.oi_xl_node n;
    v_side := 'a';
    v_depth := 0;

    LOOP
        IF v_na = 0 OR v_nb = 0 THEN
            RETURN;  -- a side has nothing left to reach: not linked
        END IF;
        -- Met: a key of the side that grew last, at its new depth, reached by the other
        -- side (the smallest, for a stable answer).
        SELECT m.key_type, m.key_value INTO v_t, v_v
          FROM pg_temp.oi_xl_node m
          JOIN pg_temp.oi_xl_node o
            ON o.side <> m.side AND o.key_type = m.key_type AND o.key_value = m.key_value
         WHERE m.side = v_side AND m.depth = v_depth
         ORDER BY m.key_type, m.key_value COLLATE "C"
         LIMIT 1;
        EXIT WHEN FOUND;

        -- Grow the side with the smaller frontier by one level: the active neighbours of
        -- its frontier it has not visited, each with one pair that reaches it (the
        -- smallest parent, for a stable answer).
        IF v_na <= v_nb THEN
            v_side := 'a';
            v_depth := v_da;
        ELSE
            v_side := 'b';
            v_depth := v_db;
        END IF;
        IF v_citus THEN
            -- Citus joins no temporary table with a distributed one: the frontier goes to
            -- the tenant's shard as arrays, its active neighbours come back as arrays (one
            -- statement routed to the shard), and the new level is written from those.
            SELECT coalesce(array_agg(f.key_type), '{}'), coalesce(array_agg(f.key_value), '{}')
              INTO v_ft, v_fv
              FROM pg_temp.oi_xl_node f
             WHERE f.side = v_side AND f.depth = v_depth;
            SELECT coalesce(array_agg(f.t), '{}'), coalesce(array_agg(f.v), '{}')
                 , coalesce(array_agg(n.key_type), '{}'), coalesce(array_agg(n.key_value), '{}')
                 , coalesce(array_agg(n.sale_id), '{}'), coalesce(array_agg(n.seen_count), '{}')
              INTO v_nft, v_nfv, v_nt, v_nv, v_nsale, v_ncount
              FROM unnest(v_ft, v_fv) AS f(t, v)
             CROSS JOIN LATERAL (SELECT p.b_type AS key_type, p.b_value AS key_value, p.sale_id, p.seen_count
                                   FROM omni_identity.key_pairs p
                                  WHERE p.tenant_id = p_tenant_id AND p.a_type = f.t AND p.a_value = f.v
                                 UNION ALL
                                 SELECT p.a_type, p.a_value, p.sale_id, p.seen_count
                                   FROM omni_identity.key_pairs p
                                  WHERE p.tenant_id = p_tenant_id AND p.b_type = f.t AND p.b_value = f.v
                                 OFFSET 0) n
             CROSS JOIN LATERAL (SELECT e.linked_emails, e.linked_phones, e.linked_documents
                                   FROM omni_identity.key_evidence e
                                  WHERE e.tenant_id = p_tenant_id AND e.key_type = n.key_type AND e.key_value = n.key_value
                                 OFFSET 0) e
             WHERE NOT omni_identity.key_is_generic(e.linked_emails, e.linked_phones, e.linked_documents, v_threshold);
            INSERT INTO pg_temp.oi_xl_node (side, key_type, key_value, depth, from_type, from_value, via_sale_id, seen_count)
            SELECT DISTINCT ON (n.key_type, n.key_value COLLATE "C")
                   v_side, n.key_type, n.key_value, v_depth + 1, n.from_type, n.from_value, n.sale_id, n.seen_count
              FROM unnest(v_nft, v_nfv, v_nt, v_nv, v_nsale, v_ncount)
                   AS n(from_type, from_value, key_type, key_value, sale_id, seen_count)
             WHERE NOT EXISTS (SELECT FROM pg_temp.oi_xl_node s
                                WHERE s.side = v_side AND s.key_type = n.key_type AND s.key_value = n.key_value)
             ORDER BY n.key_type, n.key_value COLLATE "C", n.from_type, n.from_value COLLATE "C"
            ON CONFLICT DO NOTHING;
        ELSE
            INSERT INTO pg_temp.oi_xl_node (side, key_type, key_value, depth, from_type, from_value, via_sale_id, seen_count)
            SELECT DISTINCT ON (n.key_type, n.key_value COLLATE "C")
                   v_side, n.key_type, n.key_value, v_depth + 1, f.key_type, f.key_value, n.sale_id, n.seen_count
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
             WHERE f.side = v_side AND f.depth = v_depth
               AND NOT EXISTS (SELECT FROM pg_temp.oi_xl_node s
                                WHERE s.side = v_side AND s.key_type = n.key_type AND s.key_value = n.key_value)
               AND NOT omni_identity.key_is_generic(e.linked_emails, e.linked_phones, e.linked_documents, v_threshold)
             ORDER BY n.key_type, n.key_value COLLATE "C", f.key_type, f.key_value COLLATE "C"
            ON CONFLICT DO NOTHING;
        END IF;
        v_depth := v_depth + 1;
        IF v_side = 'a' THEN
            GET DIAGNOSTICS v_na = ROW_COUNT;
            v_da := v_depth;
        ELSE
                GET DIAGNOSTICS v_nb = ROW_COUNT;
                v_db := v_depth;
        END IF;
    END LOOP;

    -- The chain: from the meeting key back to a key of sale A along side a's parents,
    -- then on to a key of sale B along side b's (a key's side-b row holds the pair to its
    -- parent, i.e. the next key of the chain). One primary-key probe per step.
    SELECT n.depth INTO v_i FROM pg_temp.oi_xl_node n WHERE n.side = 'a' AND n.key_type = v_t AND n.key_value = v_v;
    r := NULL;
    LOOP
        SELECT n.depth, n.from_type, n.from_value, n.via_sale_id, n.seen_count INTO r
          FROM pg_temp.oi_xl_node n WHERE n.side = 'a' AND n.key_type = v_t AND n.key_value = v_v;
        v_steps := r.depth || v_steps;
        v_types := v_t || v_types;
        v_values := v_v || v_values;
        v_vias := r.via_sale_id || v_vias;
        v_counts := r.seen_count || v_counts;
        EXIT WHEN r.depth = 0;
        v_t := r.from_type;
        v_v := r.from_value;
    END LOOP;
    v_t := v_types[cardinality(v_types)];
    v_v := v_values[cardinality(v_values)];
    LOOP
        SELECT n.depth, n.from_type, n.from_value, n.via_sale_id, n.seen_count INTO r
          FROM pg_temp.oi_xl_node n WHERE n.side = 'b' AND n.key_type = v_t AND n.key_value = v_v;
        EXIT WHEN r.depth = 0;
        v_i := v_i + 1;
        v_steps := v_steps || v_i;
        v_types := v_types || r.from_type;
        v_values := v_values || r.from_value;
        v_vias := v_vias || r.via_sale_id;
        v_counts := v_counts || r.seen_count;
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
