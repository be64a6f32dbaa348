-- depends: 0033.alter-default-privileges
-- The backfill's checkpoint. backfill_checkpoint holds one cursor per scope (a tenant,
-- or '*' for the cross-tenant job): the last (tenant_id, id) of public.omni_sales the
-- main pass has processed. backfill_keyless records the sales the backfill examined and
-- found without any usable key: they keep customer_hash NULL, and the final sweep (which
-- catches sales that committed behind the cursor, since ids commit out of order) skips
-- them instead of examining them again. Admin-only tables: the jobs run as
-- omni_identity_admin; the application role gets no privilege on them.
CREATE TABLE omni_identity.backfill_checkpoint (
    tenant_id       text        NOT NULL CHECK (tenant_id <> ''),
    after_tenant_id text        NOT NULL DEFAULT '',
    after_id        bigint      NOT NULL DEFAULT 0,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT backfill_checkpoint_pkey PRIMARY KEY (tenant_id)
);
COMMENT ON TABLE omni_identity.backfill_checkpoint IS
    'Backfill cursor per scope (tenant, or * across tenants): last (tenant_id, id) processed.';

CREATE TABLE omni_identity.backfill_keyless (
    tenant_id  text        NOT NULL CHECK (tenant_id <> ''),
    sale_id    bigint      NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT backfill_keyless_pkey PRIMARY KEY (tenant_id, sale_id)
);
COMMENT ON TABLE omni_identity.backfill_keyless IS
    'Sales the backfill examined and found without a usable key (customer_hash stays NULL).';

ALTER TABLE omni_identity.backfill_checkpoint ENABLE ROW LEVEL SECURITY;
ALTER TABLE omni_identity.backfill_checkpoint FORCE ROW LEVEL SECURITY;
CREATE POLICY admin_all_tenants ON omni_identity.backfill_checkpoint
    FOR ALL TO omni_identity_admin USING (true) WITH CHECK (true);

ALTER TABLE omni_identity.backfill_keyless ENABLE ROW LEVEL SECURITY;
ALTER TABLE omni_identity.backfill_keyless FORCE ROW LEVEL SECURITY;
CREATE POLICY admin_all_tenants ON omni_identity.backfill_keyless
    FOR ALL TO omni_identity_admin USING (true) WITH CHECK (true);

REVOKE ALL ON omni_identity.backfill_checkpoint, omni_identity.backfill_keyless FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE
    ON omni_identity.backfill_checkpoint, omni_identity.backfill_keyless TO omni_identity_admin;
