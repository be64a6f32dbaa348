DROP TABLE IF EXISTS omni_identity.job_tenant_skip;
