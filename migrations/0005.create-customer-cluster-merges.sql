-- depends: 0004.create-customer-cluster-keys
-- Lineage: one row per cluster merged away. reconciled_at is set once the sales that
-- carried from_cluster were repointed (reconcile_merges).
CREATE TABLE omni_identity.customer_cluster_merges (
    tenant_id     text        NOT NULL CHECK (tenant_id <> ''),
    merge_id      bigint      GENERATED ALWAYS AS IDENTITY,
    from_cluster  uuid        NOT NULL,
    into_cluster  uuid        NOT NULL,
    merged_at     timestamptz NOT NULL DEFAULT now(),
    reconciled_at timestamptz,
    CONSTRAINT customer_cluster_merges_pkey PRIMARY KEY (tenant_id, merge_id),
    CONSTRAINT customer_cluster_merges_from_fkey FOREIGN KEY (tenant_id, from_cluster)
        REFERENCES omni_identity.customer_cluster (tenant_id, cluster_id),
    CONSTRAINT customer_cluster_merges_into_fkey FOREIGN KEY (tenant_id, into_cluster)
        REFERENCES omni_identity.customer_cluster (tenant_id, cluster_id),
    CONSTRAINT customer_cluster_merges_distinct CHECK (from_cluster <> into_cluster)
);
CREATE INDEX customer_cluster_merges_into_idx
    ON omni_identity.customer_cluster_merges (tenant_id, into_cluster);
CREATE INDEX customer_cluster_merges_from_idx
    ON omni_identity.customer_cluster_merges (tenant_id, from_cluster);
-- The reconcile queue: only merges whose sales are not yet repointed.
CREATE INDEX customer_cluster_merges_pending_idx
    ON omni_identity.customer_cluster_merges (merge_id) WHERE reconciled_at IS NULL;
COMMENT ON TABLE omni_identity.customer_cluster_merges IS
    'Lineage of every merge: from_cluster was merged into into_cluster.';
