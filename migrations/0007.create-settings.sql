-- depends: 0006.create-key-blocklist
-- Per-tenant feature flags and options (abstraction_v2_enabled, customer_report_v2_enabled,
-- auto_resolve, ...). An absent key means the documented default.
CREATE TABLE omni_identity.settings (
    tenant_id  text        NOT NULL CHECK (tenant_id <> ''),
    key        text        NOT NULL CHECK (key <> ''),
    value      jsonb       NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT settings_pkey PRIMARY KEY (tenant_id, key)
);
COMMENT ON TABLE omni_identity.settings IS 'Per-tenant feature flags and options; absent = default.';
