-- depends: 0009.create-batch-metrics
-- Output of compare_customer_reports: where the legacy (v1) and cluster (v2) customer
-- reports disagree. One run_id per comparison.
CREATE TABLE omni_identity.report_divergences (
    tenant_id     text        NOT NULL CHECK (tenant_id <> ''),
    divergence_id bigint      GENERATED ALWAYS AS IDENTITY,
    run_id        bigint      NOT NULL,
    kind          text        NOT NULL CHECK (kind IN ('v1_customer_split', 'v2_cluster_joins',
                                                       'sale_only_in_v1', 'sale_only_in_v2')),
    v1_email      text,
    cluster_id    uuid,
    sale_id       bigint,
    detail        jsonb       NOT NULL DEFAULT '{}',
    compared_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT report_divergences_pkey PRIMARY KEY (tenant_id, divergence_id)
);
CREATE INDEX report_divergences_run_idx ON omni_identity.report_divergences (tenant_id, run_id);
COMMENT ON TABLE omni_identity.report_divergences IS 'Divergences between customer_report_v1 and _v2, one run_id per comparison.';
