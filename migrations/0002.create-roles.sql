-- depends: 0001.create-schema
-- Roles are cluster-wide: create them once, never fail when another database of the
-- cluster created them already. omni_identity_app reaches rows only through RLS;
-- omni_identity_admin runs the jobs and migrations across tenants.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'omni_identity_app') THEN
        CREATE ROLE omni_identity_app NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'omni_identity_admin') THEN
        CREATE ROLE omni_identity_admin NOLOGIN;
    END IF;
END;
$$;

REVOKE ALL ON SCHEMA omni_identity FROM PUBLIC;
GRANT USAGE ON SCHEMA omni_identity TO omni_identity_app, omni_identity_admin;
