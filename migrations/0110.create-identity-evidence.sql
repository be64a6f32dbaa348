-- depends: 0105.drop-unicode-latin1-unaccented
-- Re-resolution (design §9): the evidence the partition is a function of, the tombstones
-- of forgotten values, the split queue and its lineage, and the state of the one-time
-- evidence upgrade of databases clustered before evidence existed.
--
-- key_evidence: one row per key ever seen in an input (and not since removed): how many
-- inputs carried it, the greatest seen_at (its field's golden value is the key with the
-- greatest (last_seen_at, key_value) of the cluster), the greatest (seen_at, name) of the
-- inputs that carried it with a name, and the number of distinct keys of each type it was
-- seen with (counters kept by the writers of key_pairs, read by the generic-value rule).
CREATE TABLE omni_identity.key_evidence (
    tenant_id        text        NOT NULL CHECK (tenant_id <> ''),
    key_type         text        NOT NULL CHECK (key_type IN ('email', 'phone', 'document')),
    key_value        text        NOT NULL,
    inputs           bigint      NOT NULL CHECK (inputs >= 0),
    first_seen_at    timestamptz NOT NULL,
    last_seen_at     timestamptz NOT NULL,
    name             text,
    name_seen_at     timestamptz,
    linked_emails    bigint      NOT NULL DEFAULT 0 CHECK (linked_emails >= 0),
    linked_phones    bigint      NOT NULL DEFAULT 0 CHECK (linked_phones >= 0),
    linked_documents bigint      NOT NULL DEFAULT 0 CHECK (linked_documents >= 0),
    CONSTRAINT key_evidence_pkey PRIMARY KEY (tenant_id, key_type, key_value),
    CONSTRAINT key_evidence_name_pair CHECK ((name IS NULL) = (name_seen_at IS NULL))
);
COMMENT ON TABLE omni_identity.key_evidence IS
    'Per-key evidence: inputs that carried the key, greatest seen_at, greatest (seen_at, name), distinct neighbours per type.';

-- key_pairs: one row per pair of keys that appeared together in one input, stored once,
-- in the order (key_type, key_value COLLATE "C") of its two ends (a < b). sale_id: a sale
-- that showed the pair (the first recorded), NULL when only direct resolve calls did.
CREATE TABLE omni_identity.key_pairs (
    tenant_id     text        NOT NULL CHECK (tenant_id <> ''),
    a_type        text        NOT NULL CHECK (a_type IN ('email', 'phone', 'document')),
    a_value       text        NOT NULL,
    b_type        text        NOT NULL CHECK (b_type IN ('email', 'phone', 'document')),
    b_value       text        NOT NULL,
    seen_count    bigint      NOT NULL CHECK (seen_count > 0),
    first_seen_at timestamptz NOT NULL,
    last_seen_at  timestamptz NOT NULL,
    sale_id       bigint,
    CONSTRAINT key_pairs_pkey PRIMARY KEY (tenant_id, a_type, a_value, b_type, b_value),
    CONSTRAINT key_pairs_ordered CHECK ((a_type, a_value COLLATE "C") < (b_type, b_value COLLATE "C"))
);
-- The pairs of a key as their b end (the primary key serves the a end).
CREATE INDEX key_pairs_b_idx ON omni_identity.key_pairs (tenant_id, b_type, b_value);
COMMENT ON TABLE omni_identity.key_pairs IS
    'Pairs of keys seen together in one input (a < b): count, first/last seen, a sale that showed it.';

-- Tombstones of forgotten values: only the SHA-256 of the normalized value (value_sha256).
CREATE TABLE omni_identity.forgotten_identifiers (
    tenant_id    text        NOT NULL CHECK (tenant_id <> ''),
    key_type     text        NOT NULL CHECK (key_type IN ('email', 'phone', 'document')),
    value_sha256 text        NOT NULL CHECK (value_sha256 ~ '^[0-9a-f]{64}$'),
    forgotten_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT forgotten_identifiers_pkey PRIMARY KEY (tenant_id, key_type, value_sha256)
);
COMMENT ON TABLE omni_identity.forgotten_identifiers IS
    'Tombstones of forgotten identifiers: SHA-256 of the normalized value; later inputs drop it.';

-- Clusters whose partition must be recomputed from evidence at the next reconcile.
CREATE TABLE omni_identity.cluster_split_queue (
    tenant_id  text        NOT NULL CHECK (tenant_id <> ''),
    cluster_id uuid        NOT NULL,
    reason     text        NOT NULL,
    queued_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT cluster_split_queue_pkey PRIMARY KEY (tenant_id, cluster_id)
);
COMMENT ON TABLE omni_identity.cluster_split_queue IS
    'Clusters queued for a split (recomputed from evidence by reconcile_merges).';

-- Lineage of every split: one row per new cluster a split made.
CREATE TABLE omni_identity.customer_cluster_splits (
    tenant_id     text        NOT NULL CHECK (tenant_id <> ''),
    split_id      bigint      GENERATED ALWAYS AS IDENTITY,
    from_cluster  uuid        NOT NULL,
    into_cluster  uuid        NOT NULL,
    reason        text,
    split_at      timestamptz NOT NULL DEFAULT now(),
    reconciled_at timestamptz,
    CONSTRAINT customer_cluster_splits_pkey PRIMARY KEY (tenant_id, split_id),
    CONSTRAINT customer_cluster_splits_from_fkey FOREIGN KEY (tenant_id, from_cluster)
        REFERENCES omni_identity.customer_cluster (tenant_id, cluster_id),
    CONSTRAINT customer_cluster_splits_into_fkey FOREIGN KEY (tenant_id, into_cluster)
        REFERENCES omni_identity.customer_cluster (tenant_id, cluster_id),
    CONSTRAINT customer_cluster_splits_distinct CHECK (from_cluster <> into_cluster)
);
CREATE INDEX customer_cluster_splits_from_idx
    ON omni_identity.customer_cluster_splits (tenant_id, from_cluster);
CREATE INDEX customer_cluster_splits_pending_idx
    ON omni_identity.customer_cluster_splits (tenant_id, split_id) WHERE reconciled_at IS NULL;
COMMENT ON TABLE omni_identity.customer_cluster_splits IS
    'Lineage of every split: into_cluster was split off from_cluster.';

-- The evidence upgrade (design §9): a tenant with clusters from before this migration has
-- no evidence for them until the upgrade job has read its sales up to through_sale_id
-- (the greatest sale id at migration time). next_sale_id is its resumable position;
-- completed_at set = the tenant's evidence is complete. No row = complete (a tenant that
-- started after this migration).
CREATE TABLE omni_identity.evidence_upgrade (
    tenant_id       text        NOT NULL CHECK (tenant_id <> ''),
    through_sale_id bigint      NOT NULL,
    next_sale_id    bigint      NOT NULL DEFAULT 0,
    started_at      timestamptz NOT NULL DEFAULT now(),
    completed_at    timestamptz,
    CONSTRAINT evidence_upgrade_pkey PRIMARY KEY (tenant_id)
);
COMMENT ON TABLE omni_identity.evidence_upgrade IS
    'Tenants clustered before evidence existed: the upgrade job''s position; completed_at set = evidence complete.';
INSERT INTO omni_identity.evidence_upgrade (tenant_id, through_sale_id)
SELECT t.tenant_id, coalesce((SELECT max(s.id) FROM public.omni_sales s WHERE s.tenant_id = t.tenant_id), 0)
  FROM (SELECT DISTINCT c.tenant_id FROM omni_identity.customer_cluster c) t;

-- Why a tenant row of the blocklist was added (block_identifier's p_reason).
ALTER TABLE omni_identity.key_blocklist ADD COLUMN reason text;

DO $rls$
DECLARE
    v_table text;
BEGIN
    FOREACH v_table IN ARRAY ARRAY['key_evidence', 'key_pairs', 'forgotten_identifiers',
                                   'cluster_split_queue', 'customer_cluster_splits', 'evidence_upgrade'] LOOP
        EXECUTE format('ALTER TABLE omni_identity.%I ENABLE ROW LEVEL SECURITY', v_table);
        EXECUTE format('ALTER TABLE omni_identity.%I FORCE ROW LEVEL SECURITY', v_table);
        EXECUTE format($p$CREATE POLICY tenant_isolation ON omni_identity.%I FOR ALL TO omni_identity_app
                          USING (tenant_id = pg_catalog.current_setting('app.current_tenant_id', true))
                          WITH CHECK (tenant_id = pg_catalog.current_setting('app.current_tenant_id', true))$p$, v_table);
        EXECUTE format('CREATE POLICY admin_all_tenants ON omni_identity.%I FOR ALL TO omni_identity_admin USING (true) WITH CHECK (true)', v_table);
        EXECUTE format('REVOKE ALL ON omni_identity.%I FROM PUBLIC', v_table);
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON omni_identity.%I TO omni_identity_admin', v_table);
    END LOOP;
END
$rls$;
-- The application records evidence (resolve, ingest, automatic mode), blocks and forgets
-- in its own tenant; it reads the upgrade state and the lineage, and never edits them.
GRANT SELECT, INSERT, UPDATE, DELETE ON omni_identity.key_evidence          TO omni_identity_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON omni_identity.key_pairs             TO omni_identity_app;
GRANT SELECT, INSERT                 ON omni_identity.forgotten_identifiers TO omni_identity_app;
GRANT SELECT, INSERT, UPDATE         ON omni_identity.cluster_split_queue   TO omni_identity_app;
GRANT SELECT                         ON omni_identity.customer_cluster_splits TO omni_identity_app;
GRANT SELECT                         ON omni_identity.evidence_upgrade      TO omni_identity_app;
GRANT USAGE, SELECT ON SEQUENCE omni_identity.customer_cluster_splits_split_id_seq TO omni_identity_admin;
