-- depends: 0008.create-sales-rejects
-- One row per batch of every job. Jobs that span tenants (reconcile, backfill without
-- a tenant) record tenant_id '*'.
CREATE TABLE omni_identity.batch_metrics (
    tenant_id        text        NOT NULL CHECK (tenant_id <> ''),
    batch_id         bigint      NOT NULL,
    job              text        NOT NULL CHECK (job IN ('ingest', 'upload', 'backfill', 'reconcile')),
    rows_in          integer     NOT NULL DEFAULT 0,
    rows_written     integer     NOT NULL DEFAULT 0,
    rows_rejected    integer     NOT NULL DEFAULT 0,
    clusters_created integer     NOT NULL DEFAULT 0,
    merges           integer     NOT NULL DEFAULT 0,
    started_at       timestamptz NOT NULL,
    duration         interval    NOT NULL,
    CONSTRAINT batch_metrics_pkey PRIMARY KEY (tenant_id, batch_id)
);
CREATE INDEX batch_metrics_started_idx ON omni_identity.batch_metrics (tenant_id, started_at DESC);
COMMENT ON TABLE omni_identity.batch_metrics IS 'One row per batch: rows in/written/rejected, clusters created, merges, duration.';
