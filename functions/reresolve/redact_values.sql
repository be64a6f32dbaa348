-- Erase every stored copy of forgotten values (design §9), in tenant p_tenant_id, beyond
-- the keys and evidence (remove_keys): the values are normalized keys (p_types[i],
-- p_values[i]); a stored text is a copy when forgotten_text says so.
--   * omni_sales: a buyer column (e-mail, phone, document, name) that is a copy becomes
--     NULL; the sale, its amounts and its customer_hash stay (the split's repoint moves
--     it by its remaining keys);
--   * customer_cluster: golden fields that are a copy become NULL (every cluster of the
--     tenant, merged-away ones included: they keep the golden record of their merge);
--   * key_evidence: a name (another key's evidence) that is a copy becomes NULL;
--   * sales_rejects.raw: a field whose value is, or contains, a copy becomes JSON null
--     (forgotten_jsonb), and raw_sha256 is the digest of the rewritten row (see below);
--   * report_divergences: rows that name a copy (v1_email, or any string of detail) are
--     deleted (they are the diagnostic output of one comparison run);
--   * key_blocklist: the tenant's exact rows for the values are deleted (the tombstone
--     now drops the values from inputs).
-- Each is one scan of the tenant's rows of that table (the copies are not indexed: a raw
-- "(11) 3456-7890" only matches after normalization). Returns the sales changed.
CREATE OR REPLACE FUNCTION omni_identity.redact_values(
      p_tenant_id text
    , p_types     text[]
    , p_values    text[]
) RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $fn$
DECLARE
    v_emails    text[];
    v_phones    text[];
    v_documents text[];
    v_sales     bigint;
    v_clusters  uuid[];
    v_ctids     tid[];
    v_written   bigint;
    v_e         boolean[];
    v_p         boolean[];
    v_d         boolean[];
    v_n         boolean[];
    v_types     text[];
    v_values    text[];
    v_ids       bigint[];
    v_batches   bigint[];
    v_rows      integer[];
    v_raws      jsonb[];
    v_shas      bytea[];
BEGIN
    SELECT coalesce(array_agg(r.key_value) FILTER (WHERE r.key_type = 'email'), '{}')
         , coalesce(array_agg(r.key_value) FILTER (WHERE r.key_type = 'phone'), '{}')
         , coalesce(array_agg(r.key_value) FILTER (WHERE r.key_type = 'document'), '{}')
      INTO v_emails, v_phones, v_documents
      FROM unnest(p_types, p_values) AS r(key_type, key_value);
    IF cardinality(v_emails) + cardinality(v_phones) + cardinality(v_documents) = 0 THEN
        RETURN 0::bigint;
    END IF;

    -- The sales to change found by a SELECT (one read of the tenant's sales, each value
    -- normalized once), then changed by TID: on Citus an UPDATE whose condition inlines
    -- forgotten_text with the call's arrays fails on the shards (see below). A sale
    -- updated by another transaction in between has a new TID and is skipped: read again
    -- until every sale found was written.
    v_sales := 0;
    LOOP
        SELECT coalesce(array_agg(m.row_ctid), '{}'), coalesce(array_agg(m.e), '{}'), coalesce(array_agg(m.p), '{}'),
               coalesce(array_agg(m.d), '{}'), coalesce(array_agg(m.n), '{}')
          INTO v_ctids, v_e, v_p, v_d, v_n
          FROM (SELECT x.ctid AS row_ctid
                     , omni_identity.forgotten_text(x.buyer_email, v_emails, v_phones, v_documents) AS e
                     , omni_identity.forgotten_text(x.buyer_phone, v_emails, v_phones, v_documents) AS p
                     , omni_identity.forgotten_text(x.buyer_document, v_emails, v_phones, v_documents) AS d
                     , omni_identity.forgotten_text(x.buyer_name, v_emails, v_phones, v_documents) AS n
                  FROM public.omni_sales x
                 WHERE x.tenant_id = p_tenant_id
                OFFSET 0) m
         WHERE m.e OR m.p OR m.d OR m.n;
        EXIT WHEN cardinality(v_ctids) = 0;
        UPDATE public.omni_sales o
           SET buyer_email = CASE WHEN m.e THEN NULL ELSE o.buyer_email END
             , buyer_phone = CASE WHEN m.p THEN NULL ELSE o.buyer_phone END
             , buyer_document = CASE WHEN m.d THEN NULL ELSE o.buyer_document END
             , buyer_name = CASE WHEN m.n THEN NULL ELSE o.buyer_name END
          FROM unnest(v_ctids, v_e, v_p, v_d, v_n) AS m(row_ctid, e, p, d, n)
         WHERE o.tenant_id = p_tenant_id AND o.ctid = m.row_ctid;
        GET DIAGNOSTICS v_written = ROW_COUNT;
        v_sales := v_sales + v_written;
        EXIT WHEN v_written = cardinality(v_ctids);
    END LOOP;

    -- The rows to change are found by a SELECT, then changed by key: on Citus an UPDATE
    -- or DELETE whose condition inlines forgotten_text with the call's arrays fails on
    -- the shards ("operator does not exist: integer = boolean"); a SELECT does not.
    SELECT coalesce(array_agg(m.cluster_id), '{}'), coalesce(array_agg(m.e), '{}'), coalesce(array_agg(m.p), '{}'),
           coalesce(array_agg(m.d), '{}'), coalesce(array_agg(m.n), '{}')
      INTO v_clusters, v_e, v_p, v_d, v_n
      FROM (SELECT x.cluster_id
                 , coalesce(x.last_buyer_email = ANY (v_emails), false) AS e
                 , coalesce(x.last_buyer_phone = ANY (v_phones), false) AS p
                 , coalesce(x.last_buyer_document = ANY (v_documents), false) AS d
                 , omni_identity.forgotten_text(x.last_buyer_name, v_emails, v_phones, v_documents) AS n
              FROM omni_identity.customer_cluster x
             WHERE x.tenant_id = p_tenant_id
            OFFSET 0) m
     WHERE m.e OR m.p OR m.d OR m.n;
    IF cardinality(v_clusters) > 0 THEN
        UPDATE omni_identity.customer_cluster c
           SET last_buyer_email = CASE WHEN m.e THEN NULL ELSE c.last_buyer_email END
             , last_buyer_email_at = CASE WHEN m.e THEN NULL ELSE c.last_buyer_email_at END
             , last_buyer_phone = CASE WHEN m.p THEN NULL ELSE c.last_buyer_phone END
             , last_buyer_phone_at = CASE WHEN m.p THEN NULL ELSE c.last_buyer_phone_at END
             , last_buyer_document = CASE WHEN m.d THEN NULL ELSE c.last_buyer_document END
             , last_buyer_document_at = CASE WHEN m.d THEN NULL ELSE c.last_buyer_document_at END
             , last_buyer_name = CASE WHEN m.n THEN NULL ELSE c.last_buyer_name END
             , last_buyer_name_at = CASE WHEN m.n THEN NULL ELSE c.last_buyer_name_at END
             , updated_at = now()
          FROM unnest(v_clusters, v_e, v_p, v_d, v_n) AS m(cluster_id, e, p, d, n)
         WHERE c.tenant_id = p_tenant_id AND c.cluster_id = m.cluster_id;
    END IF;

    SELECT coalesce(array_agg(e.key_type), '{}'), coalesce(array_agg(e.key_value), '{}')
      INTO v_types, v_values
      FROM omni_identity.key_evidence e
     WHERE e.tenant_id = p_tenant_id AND e.name IS NOT NULL
       AND omni_identity.forgotten_text(e.name, v_emails, v_phones, v_documents);
    IF cardinality(v_types) > 0 THEN
        UPDATE omni_identity.key_evidence e
           SET name = NULL, name_seen_at = NULL
          FROM unnest(v_types, v_values) AS k(key_type, key_value)
         WHERE e.tenant_id = p_tenant_id AND e.key_type = k.key_type AND e.key_value = k.key_value;
    END IF;

    -- Rejected rows: raw rewritten (forgotten_jsonb) and raw_sha256 recomputed from it,
    -- the form in which ingest stores a resend of the row (it redacts forgotten values
    -- the same way before digesting), so a replay is recognized as known and not stored
    -- again. A rewritten row whose digest another row already has, or will have, is
    -- deleted instead (the digest is unique per tenant).
    DELETE FROM omni_identity.sales_rejects s
     USING (SELECT x.batch_id, x.row_no, x.sha
                 , row_number() OVER (PARTITION BY x.sha ORDER BY x.batch_id, x.row_no) AS n
              FROM (SELECT y.batch_id, y.row_no
                         , pg_catalog.sha256(pg_catalog.convert_to(
                               omni_identity.forgotten_jsonb(y.raw, v_emails, v_phones, v_documents)::text, 'UTF8')) AS sha
                         , omni_identity.forgotten_jsonb(y.raw, v_emails, v_phones, v_documents) <> y.raw AS hit
                      FROM omni_identity.sales_rejects y
                     WHERE y.tenant_id = p_tenant_id) x
             WHERE x.hit) d
     WHERE s.tenant_id = p_tenant_id AND s.batch_id = d.batch_id AND s.row_no = d.row_no
       AND (d.n > 1 OR EXISTS (SELECT FROM omni_identity.sales_rejects o
                                WHERE o.tenant_id = p_tenant_id AND o.raw_sha256 = d.sha));
    SELECT coalesce(array_agg(r.batch_id), '{}'), coalesce(array_agg(r.row_no), '{}'), coalesce(array_agg(r.raw), '{}'),
           coalesce(array_agg(pg_catalog.sha256(pg_catalog.convert_to(r.raw::text, 'UTF8'))), '{}')
      INTO v_batches, v_rows, v_raws, v_shas
      FROM (SELECT y.batch_id, y.row_no, y.raw AS old_raw
                 , omni_identity.forgotten_jsonb(y.raw, v_emails, v_phones, v_documents) AS raw
              FROM omni_identity.sales_rejects y
             WHERE y.tenant_id = p_tenant_id
            OFFSET 0) r
     WHERE r.raw <> r.old_raw;
    IF cardinality(v_batches) > 0 THEN
        UPDATE omni_identity.sales_rejects s
           SET raw = r.raw, raw_sha256 = r.sha
          FROM unnest(v_batches, v_rows, v_raws, v_shas) AS r(batch_id, row_no, raw, sha)
         WHERE s.tenant_id = p_tenant_id AND s.batch_id = r.batch_id AND s.row_no = r.row_no;
    END IF;

    SELECT coalesce(array_agg(r.divergence_id), '{}') INTO v_ids
      FROM omni_identity.report_divergences r
     WHERE r.tenant_id = p_tenant_id
       AND (omni_identity.forgotten_text(r.v1_email, v_emails, v_phones, v_documents)
            OR omni_identity.forgotten_jsonb(r.detail, v_emails, v_phones, v_documents) <> r.detail);
    IF cardinality(v_ids) > 0 THEN
        DELETE FROM omni_identity.report_divergences r
         WHERE r.tenant_id = p_tenant_id AND r.divergence_id = ANY (v_ids);
    END IF;

    DELETE FROM omni_identity.key_blocklist b
     USING unnest(p_types, p_values) AS r(key_type, key_value)
     WHERE b.tenant_id = p_tenant_id AND NOT b.is_regex
       AND b.key_type = r.key_type AND b.value_pattern = r.key_value;

    RETURN v_sales;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.redact_values(text, text[], text[])
    IS 'Erase stored copies of forgotten values: sale buyer columns, golden fields, rejects'' raw fields, report divergences, tenant blocklist rows; returns sales changed.';
