-- One ingest batch of one tenant, shared by ingest_sales (jsonb) and the CSV upload:
-- validates the rows of pg_temp.oi_ingest_stage, records the bad ones in sales_rejects,
-- upserts the good ones on the idempotency key (tenant_id, shop_id, gateway,
-- external_id), clusters the sales it inserted or changed with cluster_sales_batch, and
-- writes one batch_metrics row (job p_job: 'ingest' or 'upload').
--
-- Rejects (row kept out, the rest of the batch goes on): a type error found while
-- staging, shop_id / external_id / created_at missing or blank, an indexed text column
-- over its bound, created_at not a date-time or outside 1900-2199, amount not a number
-- or outside numeric(14,2), currency longer than 3 characters, and an earlier row of the
-- batch with the same idempotency key as a later one (the last occurrence wins). No
-- value of a row can fail the batch: every check runs in the validating statement, and
-- nothing a check lets through can exceed an index or a column type. Invalid
-- identifiers are not rejects: the sale keeps its raw values and clusters by the keys
-- that normalize.
--
-- A reject is identified by its tenant and the SHA-256 of its raw row: one already
-- recorded (a rerun of an upload, a retried call) is counted (rejected, and
-- batch_metrics.rejects_known) but not stored again; the stored one keeps the batch and
-- row where it was first seen. An upsert that changes nothing (a resend) is neither
-- inserted nor updated, is counted in batch_metrics.rows_unchanged, and is not
-- clustered again. An update that changes a buyer column or created_at clears
-- customer_hash and re-clusters the sale with its new identifiers (keys already linked
-- stay linked): a new input. An update of the other columns only is not an input (design
-- §9.1): it keeps customer_hash, and a sale without one (no key, only generic or removed
-- keys, or not yet processed) is not clustered again, so its evidence is not recorded
-- twice (the backfill takes a sale never processed).
-- The exclusive tenant lock is taken before the upsert (lock order: tenant, then rows).
CREATE OR REPLACE FUNCTION omni_identity.ingest_staged_sales(
      p_tenant_id text
    , p_job       text
    , p_batch_id  bigint
) RETURNS TABLE(inserted integer, updated integer, rejected integer, clustered integer, merges integer)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_started  timestamptz := clock_timestamp();
    v_rows_in  integer;
    v_created  integer;
    v_stored   integer;
    v_up_next    bigint;
    v_up_through bigint;
BEGIN
    PERFORM omni_identity.require_tenant(p_tenant_id);
    IF p_job IS NULL OR p_job NOT IN ('ingest', 'upload') THEN
        RAISE EXCEPTION 'unknown ingest job %', p_job
            USING ERRCODE = 'OI033', HINT = 'p_job is ''ingest'' or ''upload''.';
    END IF;
    PERFORM omni_identity.pipeline_temp_tables();
    -- Never queued behind open resolves (tenant_lock_exclusive): waits at most 5 s, then OI035.
    PERFORM omni_identity.tenant_lock_exclusive(p_tenant_id, interval '5 seconds');

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
                     -- Bounds of the indexed text columns, in bytes (docs/pipeline.md,
                     -- "Bounds"): with a tenant id of at most 256 bytes (require_tenant)
                     -- every index tuple of the row fits a btree page (2,704 bytes), the
                     -- idempotency key (tenant_id, shop_id, gateway, external_id) included.
                     WHEN octet_length(s.shop_id) > 512 THEN 'shop_id is longer than 512 bytes'
                     WHEN octet_length(s.gateway) > 256 THEN 'gateway is longer than 256 bytes'
                     WHEN octet_length(s.external_id) > 1024 THEN 'external_id is longer than 1024 bytes'
                     WHEN octet_length(s.product_id) > 1024 THEN 'product_id is longer than 1024 bytes'
                     WHEN octet_length(s.status) > 256 THEN 'status is longer than 256 bytes'
                     WHEN p.created_at IS NULL
                          THEN 'created_at is not a valid date-time: ' || left(s.created_at, 60)
                     WHEN p.created_at < '1900-01-01 00:00:00+00' OR p.created_at >= '2200-01-01 00:00:00+00'
                          THEN 'created_at is out of range (1900-01-01 to 2199-12-31 UTC): ' || left(s.created_at, 60)
                     WHEN s.amount IS NOT NULL AND btrim(s.amount) <> '' AND p.amount IS NULL
                          THEN 'amount is not a number: ' || left(s.amount, 60)
                     WHEN abs(p.amount) >= 1e12
                          THEN 'amount is out of range for numeric(14,2) (below 10^12 in absolute value): '
                               || left(s.amount, 60)
                     WHEN length(s.currency) > 3 THEN 'currency is longer than 3 characters'
                   END AS reason,
                   s.shop_id, coalesce(s.gateway, '') AS gateway, s.external_id,
                   s.buyer_email, s.buyer_phone, s.buyer_name, s.buyer_document, s.product_id,
                   s.status, CASE WHEN abs(p.amount) < 1e12 THEN p.amount END AS amount,
                   nullif(s.currency, '') AS currency, p.created_at
              FROM pg_temp.oi_ingest_stage s
              -- OFFSET 0: the parsers run once per row. Pulled up, the subquery's
              -- expressions would be copied into every reference to p.created_at and
              -- p.amount, and the timestamp parser (a sub-transaction per call) would
              -- run once per reference.
              CROSS JOIN LATERAL (
                    SELECT omni_identity.parse_sale_timestamp(s.created_at) AS created_at,
                           omni_identity.parse_sale_amount(s.amount) AS amount
                    OFFSET 0) p
          ) r
      ) v;
    ANALYZE pg_temp.oi_ingest_checked;

    -- Forgotten values are never stored again (design §9.1): NULL before the upsert, so a
    -- resend of a redacted sale is unchanged.
    PERFORM omni_identity.ingest_redact_forgotten(p_tenant_id);

    -- Sales the evidence upgrade has still to read (ids up to its through_sale_id, from
    -- its position on) get their evidence from it, with their buyer columns as it finds
    -- them: not recorded here (design §9.1).
    SELECT u.next_sale_id, u.through_sale_id INTO v_up_next, v_up_through
      FROM omni_identity.evidence_upgrade u
     WHERE u.tenant_id = p_tenant_id AND u.completed_at IS NULL;

    -- Every rejected row counts; each distinct one is stored once per tenant (the first
    -- row of the batch that carries it, unless an earlier batch recorded it already).
    SELECT count(*) INTO rejected FROM pg_temp.oi_ingest_checked c WHERE c.reason IS NOT NULL;
    -- Counted from RETURNING: on Citus the row count of an INSERT ... SELECT ... ON
    -- CONFLICT from the coordinator is the rows sent, not the rows stored.
    WITH stored AS (
        INSERT INTO omni_identity.sales_rejects (tenant_id, batch_id, row_no, raw, reason, raw_sha256)
        SELECT DISTINCT ON (h.raw_sha256) p_tenant_id, p_batch_id, c.row_no, c.raw, c.reason, h.raw_sha256
          FROM pg_temp.oi_ingest_checked c
          CROSS JOIN LATERAL (
                SELECT sha256(convert_to(c.raw::text, 'UTF8')) AS raw_sha256 OFFSET 0) h
         WHERE c.reason IS NOT NULL
         ORDER BY h.raw_sha256, c.row_no
            ON CONFLICT (tenant_id, raw_sha256) DO NOTHING
        RETURNING 1
    )
    SELECT count(*) INTO v_stored FROM stored;

    -- Upsert; rows written by this statement are clustered by the batch core, not by
    -- the automatic-mode trigger. A SET LOCAL, not set_config: on Citus the trigger runs
    -- on the shard's worker, which Citus sends a SET LOCAL on to (set_config stays here).
    SET LOCAL omni_identity.batch_writer = 'on';
    TRUNCATE pg_temp.oi_cluster_in;
    inserted := 0;
    updated := 0;
    -- Two passes of one statement (design §9.1: an input is an insert, or a change of the
    -- buyer columns or created_at). Pass 1 writes every change except those of a sale
    -- without customer_hash whose buyer columns and created_at stay, and stages for the
    -- batch core the rows it leaves without customer_hash: inserted, or re-keyed (a new
    -- input; the hash is cleared). Pass 2 writes the
    -- changes pass 1 left (their buyer columns are equal, so writing every column only
    -- changes the others) and stages none of them: clustered again, such a sale would be
    -- recorded twice. A row pass 2 inserts (its sale was deleted meanwhile) is new and
    -- staged. Pass 2 is skipped when pass 1 wrote every good row (a batch of new sales).
    FOR v_pass IN 1..2 LOOP
        EXIT WHEN v_pass = 2 AND inserted + updated = v_rows_in - rejected;
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
               AND (o.customer_hash IS NOT NULL
                    OR (o.buyer_email, o.buyer_phone, o.buyer_name, o.buyer_document, o.created_at)
                       IS DISTINCT FROM
                       (EXCLUDED.buyer_email, EXCLUDED.buyer_phone, EXCLUDED.buyer_name,
                        EXCLUDED.buyer_document, EXCLUDED.created_at)) = (v_pass = 1)
            RETURNING o.id, o.created_at, o.buyer_email, o.buyer_phone, o.buyer_document,
                      o.buyer_name, o.customer_hash, (o.xmax = 0) AS is_insert, o.ctid AS row_ctid
        ), counted AS (
            SELECT count(*) FILTER (WHERE w.is_insert) AS n_ins,
                   count(*) FILTER (WHERE NOT w.is_insert) AS n_upd
              FROM written w
        ), staged AS (
            INSERT INTO pg_temp.oi_cluster_in
                   (tenant_id, sale_id, seen_at, buyer_email, buyer_phone, buyer_document, buyer_name,
                    row_ctid, evidence)
            SELECT p_tenant_id, w.id, w.created_at, w.buyer_email, w.buyer_phone, w.buyer_document,
                   w.buyer_name, w.row_ctid,
                   v_up_through IS NULL OR w.id < v_up_next OR w.id > v_up_through
              FROM written w
             WHERE w.customer_hash IS NULL AND (v_pass = 1 OR w.is_insert)
        )
        SELECT inserted + n_ins, updated + n_upd INTO inserted, updated FROM counted;
    END LOOP;
    SET LOCAL omni_identity.batch_writer = '';

    SELECT b.clustered, b.clusters_created, b.merges INTO clustered, v_created, merges
      FROM omni_identity.cluster_sales_batch() b;

    INSERT INTO omni_identity.batch_metrics
           (tenant_id, batch_id, job, rows_in, rows_written, rows_rejected, clusters_created,
            merges, started_at, duration, rows_unchanged, rejects_known)
    VALUES (p_tenant_id, p_batch_id, p_job, v_rows_in, inserted + updated, rejected, v_created,
            merges, v_started, clock_timestamp() - v_started,
            v_rows_in - rejected - inserted - updated, rejected - v_stored);
    RETURN NEXT;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.ingest_staged_sales(text, text, bigint)
    IS 'Validate, upsert and cluster the rows of pg_temp.oi_ingest_stage for one tenant (ingest_sales and upload).';
