REVOKE ALL ON ALL TABLES IN SCHEMA omni_identity FROM omni_identity_app, omni_identity_admin;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA omni_identity FROM omni_identity_app, omni_identity_admin;
REVOKE ALL ON TABLE public.omni_sales FROM omni_identity_app, omni_identity_admin;
