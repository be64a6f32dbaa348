-- The session's work tables of the pipeline (temporary, emptied at every commit):
--   oi_ingest_stage  rows of one ingest/upload batch, as text, before validation;
--   oi_ingest_checked the same rows validated (reason NULL = good);
--   oi_bf_pick       the sales one backfill batch picked;
--   oi_cluster_in    the sales one cluster_sales_batch call clusters (raw buyer columns,
--                    the ctid of the row version the caller read or wrote, if known, and
--                    evidence: false = the sale is clustered but is not a new input, so
--                    pipeline_evidence leaves it out; NULL counts as true);
--   oi_cl_probe      on Citus, the distributed rows a stage probes, copied in per tenant;
--   oi_cl_*          the batch core's intermediate sets (sales, keys, edges, ...); each
--                    stage's header (functions/pipeline/pipeline_*.sql) says which it
--                    reads and writes;
--   oi_hash_write    the customer_hash writes of pipeline_write_customer_hash;
--   oi_bf_in         a backfill batch's oi_cluster_in, kept while its tenants are retried one by one;
--   oi_rc_claim      the merges one reconcile_merges batch claimed;
--   oi_sp_*          the split of queued clusters (split_clusters) and the repoint of
--                    their sales (split_repoint).
-- Created once per session; the NOTICE of IF NOT EXISTS is silenced by the SET clause.
CREATE OR REPLACE FUNCTION omni_identity.pipeline_temp_tables()
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET client_min_messages = warning
AS $fn$
BEGIN
    CREATE TEMP TABLE IF NOT EXISTS oi_ingest_stage (
        row_no integer NOT NULL, raw jsonb NOT NULL, type_error text,
        shop_id text, gateway text, external_id text, buyer_email text, buyer_phone text,
        buyer_name text, buyer_document text, product_id text, status text, amount text,
        currency text, created_at text) ON COMMIT DELETE ROWS;
    CREATE TEMP TABLE IF NOT EXISTS oi_ingest_checked (
        row_no integer NOT NULL, raw jsonb NOT NULL, reason text,
        shop_id text, gateway text, external_id text, buyer_email text, buyer_phone text,
        buyer_name text, buyer_document text, product_id text, status text,
        amount numeric(14,2), currency text, created_at timestamptz) ON COMMIT DELETE ROWS;
    CREATE TEMP TABLE IF NOT EXISTS oi_bf_pick (tenant_id text NOT NULL, id bigint NOT NULL)
        ON COMMIT DELETE ROWS;
    CREATE TEMP TABLE IF NOT EXISTS oi_cluster_in (
        tenant_id text NOT NULL, sale_id bigint NOT NULL, seen_at timestamptz NOT NULL,
        buyer_email text, buyer_phone text, buyer_document text, buyer_name text,
        row_ctid tid, evidence boolean) ON COMMIT DELETE ROWS;
    -- sale_id NULL: a row of resolve_evidence_log that evidence_fold feeds to pipeline_evidence.
    CREATE TEMP TABLE IF NOT EXISTS oi_cl_sale (
        node integer NOT NULL, tenant_id text NOT NULL, sale_id bigint,
        seen_at timestamptz NOT NULL, email text, phone text, document text, name text,
        survivor uuid, row_ctid tid, evidence boolean NOT NULL DEFAULT true) ON COMMIT DELETE ROWS;
    -- A session that created these tables before row_ctid existed (functions are
    -- re-applied by every migrate while pooled sessions live on) gets the column now.
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a
                    WHERE a.attrelid = 'pg_temp.oi_cl_sale'::regclass
                      AND a.attname = 'row_ctid' AND NOT a.attisdropped) THEN
        ALTER TABLE pg_temp.oi_cluster_in ADD COLUMN IF NOT EXISTS row_ctid tid;
        ALTER TABLE pg_temp.oi_cl_sale ADD COLUMN IF NOT EXISTS row_ctid tid;
    END IF;
    -- ... and before evidence existed (oi_bf_in is LIKE oi_cluster_in).
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a
                    WHERE a.attrelid = 'pg_temp.oi_cl_sale'::regclass
                      AND a.attname = 'evidence' AND NOT a.attisdropped) THEN
        ALTER TABLE pg_temp.oi_cluster_in ADD COLUMN IF NOT EXISTS evidence boolean;
        ALTER TABLE pg_temp.oi_cl_sale ADD COLUMN IF NOT EXISTS evidence boolean NOT NULL DEFAULT true;
        IF pg_catalog.to_regclass('pg_temp.oi_bf_in') IS NOT NULL THEN
            ALTER TABLE pg_temp.oi_bf_in ADD COLUMN IF NOT EXISTS evidence boolean;
        END IF;
    END IF;
    -- ... and before the evidence log existed (sale_id was NOT NULL).
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a
                WHERE a.attrelid = 'pg_temp.oi_cl_sale'::regclass
                  AND a.attname = 'sale_id' AND a.attnotnull) THEN
        ALTER TABLE pg_temp.oi_cl_sale ALTER COLUMN sale_id DROP NOT NULL;
    END IF;
    CREATE TEMP TABLE IF NOT EXISTS oi_cl_key (
        tenant_id text NOT NULL, key_type text NOT NULL, key_value text NOT NULL,
        min_node integer NOT NULL, cluster_id uuid) ON COMMIT DELETE ROWS;
    -- Citus shapes only (citus_active): the distributed rows a stage probes, copied in
    -- per tenant (keys: key_type, key_value, cluster_id; clusters: cluster_id, created_at).
    CREATE TEMP TABLE IF NOT EXISTS oi_cl_probe (
        tenant_id text NOT NULL, key_type text, key_value text, cluster_id uuid,
        created_at timestamptz, sale_id bigint, row_ctid tid, customer_hash uuid)
        ON COMMIT DELETE ROWS;
    CREATE TEMP TABLE IF NOT EXISTS oi_cl_removed (
        tenant_id text NOT NULL, key_type text NOT NULL, key_value text NOT NULL,
        forgotten boolean NOT NULL) ON COMMIT DELETE ROWS;
    CREATE TEMP TABLE IF NOT EXISTS oi_cl_occ (
        node integer NOT NULL, key_type text NOT NULL, key_value text NOT NULL,
        min_node integer NOT NULL) ON COMMIT DELETE ROWS;
    CREATE TEMP TABLE IF NOT EXISTS oi_cl_exist (
        cnode integer NOT NULL, tenant_id text NOT NULL, cluster_id uuid NOT NULL,
        created_at timestamptz NOT NULL) ON COMMIT DELETE ROWS;
    CREATE TEMP TABLE IF NOT EXISTS oi_cl_edge (a integer NOT NULL, b integer NOT NULL)
        ON COMMIT DELETE ROWS;
    CREATE TEMP TABLE IF NOT EXISTS oi_cl_edge2 (a integer NOT NULL, b integer NOT NULL)
        ON COMMIT DELETE ROWS;
    CREATE TEMP TABLE IF NOT EXISTS oi_cl_comp (node integer NOT NULL, root integer NOT NULL)
        ON COMMIT DELETE ROWS;
    CREATE TEMP TABLE IF NOT EXISTS oi_cl_root (
        root integer NOT NULL, tenant_id text NOT NULL, survivor uuid, is_new boolean NOT NULL,
        email text, email_at timestamptz, phone text, phone_at timestamptz,
        document text, document_at timestamptz, name text, name_at timestamptz)
        ON COMMIT DELETE ROWS;
    CREATE TEMP TABLE IF NOT EXISTS oi_hash_write (
        tenant_id text NOT NULL, sale_id bigint, from_hash uuid, hash uuid NOT NULL,
        row_ctid tid) ON COMMIT DELETE ROWS;
    CREATE TEMP TABLE IF NOT EXISTS oi_bf_in (LIKE oi_cluster_in) ON COMMIT DELETE ROWS;
    CREATE TEMP TABLE IF NOT EXISTS oi_rc_claim (
        tenant_id text NOT NULL, merge_id bigint NOT NULL, from_cluster uuid NOT NULL,
        into_cluster uuid NOT NULL, live uuid) ON COMMIT DELETE ROWS;
    CREATE TEMP TABLE IF NOT EXISTS oi_sp_key (
        node integer NOT NULL, cluster_id uuid NOT NULL, key_type text NOT NULL,
        key_value text NOT NULL, created_at timestamptz NOT NULL) ON COMMIT DELETE ROWS;
    CREATE TEMP TABLE IF NOT EXISTS oi_sp_root (
        root integer NOT NULL, from_cluster uuid NOT NULL, into_cluster uuid NOT NULL,
        keeps boolean NOT NULL, created_at timestamptz NOT NULL,
        email text, email_at timestamptz, phone text, phone_at timestamptz,
        document text, document_at timestamptz, name text, name_at timestamptz)
        ON COMMIT DELETE ROWS;
    CREATE TEMP TABLE IF NOT EXISTS oi_sp_sale (
        sale_id bigint NOT NULL, row_ctid tid NOT NULL, hash uuid) ON COMMIT DELETE ROWS;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.pipeline_temp_tables()
    IS 'Create the pipeline''s temporary work tables of this session (idempotent).';
