-- depends: 0002.create-roles
-- One row per customer cluster. A cluster is live while merged_into IS NULL; a merged
-- cluster points straight at its live survivor (chains never longer than 1).
CREATE TABLE omni_identity.customer_cluster (
    tenant_id              text        NOT NULL CHECK (tenant_id <> ''),
    cluster_id             uuid        NOT NULL DEFAULT gen_random_uuid(),
    last_buyer_email       text,
    last_buyer_email_at    timestamptz,
    last_buyer_phone       text,
    last_buyer_phone_at    timestamptz,
    last_buyer_name        text,
    last_buyer_name_at     timestamptz,
    last_buyer_document    text,
    last_buyer_document_at timestamptz,
    merged_into            uuid,
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT customer_cluster_pkey PRIMARY KEY (tenant_id, cluster_id),
    CONSTRAINT customer_cluster_merged_into_fkey FOREIGN KEY (tenant_id, merged_into)
        REFERENCES omni_identity.customer_cluster (tenant_id, cluster_id),
    CONSTRAINT customer_cluster_not_merged_into_self CHECK (merged_into IS DISTINCT FROM cluster_id)
);
-- Repointing the clusters that pointed at a loser of a merge.
CREATE INDEX customer_cluster_merged_into_idx
    ON omni_identity.customer_cluster (tenant_id, merged_into) WHERE merged_into IS NOT NULL;
COMMENT ON TABLE omni_identity.customer_cluster IS
    'Customer clusters with their golden record (last_buyer_*); live when merged_into IS NULL.';
