-- depends: 0003.create-customer-cluster
-- Every normalized, non-blocked identifier seen, and the live cluster that owns it.
CREATE TABLE omni_identity.customer_cluster_keys (
    tenant_id  text        NOT NULL CHECK (tenant_id <> ''),
    key_type   text        NOT NULL CHECK (key_type IN ('email', 'phone', 'document')),
    key_value  text        NOT NULL CHECK (key_value <> ''),
    cluster_id uuid        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT customer_cluster_keys_pkey PRIMARY KEY (tenant_id, key_type, key_value),
    CONSTRAINT customer_cluster_keys_cluster_fkey FOREIGN KEY (tenant_id, cluster_id)
        REFERENCES omni_identity.customer_cluster (tenant_id, cluster_id)
);
-- Moving a loser's keys to the survivor, and listing a cluster's keys.
CREATE INDEX customer_cluster_keys_cluster_idx
    ON omni_identity.customer_cluster_keys (tenant_id, cluster_id);
COMMENT ON TABLE omni_identity.customer_cluster_keys IS
    'Normalized identifiers (email, phone, document) and the live cluster owning each.';
