-- depends: 0082.create-job-tenant-skip
-- What a resent batch needs recorded (docs/pipeline.md, "Rejects"):
--   sales_rejects.raw_sha256  the identity of a reject: SHA-256 of its raw row's jsonb text
--                             (UTF-8), unique per tenant (0086), so a bad row sent again —
--                             a rerun of an upload, a retried ingest_sales call — is not
--                             stored a second time. NULL only on the extra copies stored
--                             before this migration.
--   batch_metrics.rows_unchanged  valid rows of an ingest/upload batch that matched a stored
--                             sale and changed nothing (resends);
--   batch_metrics.rejects_known   rejected rows of the batch already recorded in
--                             sales_rejects (counted in rows_rejected, not stored again).
-- Every statement is catalog-only except the two UPDATEs, which take row locks only:
-- ingest keeps inserting meanwhile (its rows are new).
ALTER TABLE omni_identity.sales_rejects ADD COLUMN raw_sha256 bytea;
ALTER TABLE omni_identity.batch_metrics ADD COLUMN rows_unchanged integer NOT NULL DEFAULT 0;
ALTER TABLE omni_identity.batch_metrics ADD COLUMN rejects_known integer NOT NULL DEFAULT 0;

-- Rejects stored before: the first copy of each (tenant, raw row) takes the identity, the
-- later copies keep NULL (they stay, as the history they are; 0086's unique index holds).
UPDATE omni_identity.sales_rejects r
   SET raw_sha256 = f.raw_sha256
  FROM (SELECT DISTINCT ON (x.tenant_id, x.raw_sha256) x.tenant_id, x.batch_id, x.row_no, x.raw_sha256
          FROM (SELECT s.tenant_id, s.batch_id, s.row_no,
                       pg_catalog.sha256(pg_catalog.convert_to(s.raw::text, 'UTF8')) AS raw_sha256
                  FROM omni_identity.sales_rejects s) x
         ORDER BY x.tenant_id, x.raw_sha256, x.batch_id, x.row_no) f
 WHERE r.tenant_id = f.tenant_id AND r.batch_id = f.batch_id AND r.row_no = f.row_no;

-- Batches recorded before: every row was inserted, updated, rejected or unchanged.
UPDATE omni_identity.batch_metrics
   SET rows_unchanged = rows_in - rows_written - rows_rejected
 WHERE job IN ('ingest', 'upload') AND rows_in > rows_written + rows_rejected;

COMMENT ON COLUMN omni_identity.sales_rejects.raw_sha256 IS
    'Identity of the reject: sha256 of raw::text in UTF-8, unique per tenant (a resent bad row is not stored again).';
COMMENT ON COLUMN omni_identity.batch_metrics.rows_unchanged IS
    'ingest/upload: valid rows that matched a stored sale and changed nothing (resends).';
COMMENT ON COLUMN omni_identity.batch_metrics.rejects_known IS
    'ingest/upload: rejected rows already recorded in sales_rejects (in rows_rejected, not stored again).';
