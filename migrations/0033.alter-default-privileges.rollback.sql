DO $$
BEGIN
    IF pg_catalog.pg_has_role(current_user, 'omni_identity_admin', 'MEMBER') THEN
        ALTER DEFAULT PRIVILEGES FOR ROLE omni_identity_admin GRANT EXECUTE ON ROUTINES TO PUBLIC;
    END IF;
END;
$$;
ALTER DEFAULT PRIVILEGES IN SCHEMA omni_identity
    REVOKE EXECUTE ON ROUTINES FROM omni_identity_admin;
ALTER DEFAULT PRIVILEGES IN SCHEMA omni_identity
    REVOKE USAGE, SELECT, UPDATE ON SEQUENCES FROM omni_identity_admin;
ALTER DEFAULT PRIVILEGES IN SCHEMA omni_identity
    REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLES FROM omni_identity_admin;
