-- depends: 0007.create-settings
-- Rows of an ingest or upload batch that could not be stored, with the reason.
-- row_no is the 1-based position in the jsonb array, or the CSV line number.
CREATE TABLE omni_identity.sales_rejects (
    tenant_id  text        NOT NULL CHECK (tenant_id <> ''),
    batch_id   bigint      NOT NULL,
    row_no     integer     NOT NULL,
    raw        jsonb       NOT NULL,
    reason     text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT sales_rejects_pkey PRIMARY KEY (tenant_id, batch_id, row_no)
);
COMMENT ON TABLE omni_identity.sales_rejects IS 'Rejected rows of ingest/upload batches, with line number and reason.';
