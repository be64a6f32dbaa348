-- The package schema. Every package object lives in omni_identity; only the sales
-- table itself lives in public (public.omni_sales, created by a later migration).
CREATE SCHEMA IF NOT EXISTS omni_identity;
COMMENT ON SCHEMA omni_identity IS 'omni-identity: customer clusters of e-commerce buyers';

-- Batch ids shared by sales_rejects and batch_metrics (one id per ingest, upload or job batch).
CREATE SEQUENCE omni_identity.batch_id_seq AS bigint;
