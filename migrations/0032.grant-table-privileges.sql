-- depends: 0031.enable-rls-omni-sales
-- Table privileges of the two roles. Functions are SECURITY INVOKER, so the application
-- role needs the privileges its calls use (resolve, ingest, queries, flags); row-level
-- security then limits them to the session tenant. Nothing is granted to PUBLIC.
-- The admin role (backfill, reconcile, migrations) gets every DML privilege; its
-- policies let it reach every tenant.
REVOKE ALL ON ALL TABLES IN SCHEMA omni_identity FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA omni_identity FROM PUBLIC;
REVOKE ALL ON TABLE public.omni_sales FROM PUBLIC;

GRANT SELECT, INSERT, UPDATE         ON omni_identity.customer_cluster        TO omni_identity_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON omni_identity.customer_cluster_keys   TO omni_identity_app;
GRANT SELECT, INSERT, UPDATE         ON omni_identity.customer_cluster_merges TO omni_identity_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON omni_identity.key_blocklist           TO omni_identity_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON omni_identity.settings                TO omni_identity_app;
GRANT SELECT, INSERT                 ON omni_identity.sales_rejects           TO omni_identity_app;
GRANT SELECT, INSERT, UPDATE         ON omni_identity.batch_metrics           TO omni_identity_app;
GRANT SELECT, INSERT                 ON omni_identity.report_divergences      TO omni_identity_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON public.omni_sales                     TO omni_identity_app;
-- ingest_sales and upload number their batches.
GRANT USAGE ON SEQUENCE omni_identity.batch_id_seq TO omni_identity_app;

GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA omni_identity TO omni_identity_admin;
GRANT SELECT, INSERT, UPDATE, DELETE ON public.omni_sales TO omni_identity_admin;
GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA omni_identity TO omni_identity_admin;
