REVOKE DELETE ON omni_identity.report_divergences FROM omni_identity_app;
REVOKE UPDATE, DELETE ON omni_identity.sales_rejects FROM omni_identity_app;
DROP TABLE IF EXISTS omni_identity.blocklist_sweep;
DROP TABLE IF EXISTS omni_identity.cluster_repoint_queue;
