-- depends: 0032.grant-table-privileges
-- Default privileges for objects created later in the schema by the role that migrates
-- (and by omni_identity_admin): the admin role may use them, the application role gets
-- nothing until a migration grants it (fail closed), PUBLIC gets nothing.
-- A schema's default privileges can only add to the database-wide ones, so PUBLIC's
-- built-in EXECUTE on new functions is revoked database-wide, but only for functions
-- created by omni_identity_admin (revoking it for the migrating role would reach every
-- function that role creates, extensions included). Functions created by `migrate`
-- lose PUBLIC's EXECUTE in the same transaction that creates them (functions/grants.sql),
-- and PUBLIC has no USAGE on the schema in the first place.
ALTER DEFAULT PRIVILEGES IN SCHEMA omni_identity
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO omni_identity_admin;
ALTER DEFAULT PRIVILEGES IN SCHEMA omni_identity
    GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO omni_identity_admin;
ALTER DEFAULT PRIVILEGES IN SCHEMA omni_identity
    GRANT EXECUTE ON ROUTINES TO omni_identity_admin;
-- Only a member of omni_identity_admin (or a superuser) may set them for that role.
DO $$
BEGIN
    IF pg_catalog.pg_has_role(current_user, 'omni_identity_admin', 'MEMBER') THEN
        ALTER DEFAULT PRIVILEGES FOR ROLE omni_identity_admin REVOKE EXECUTE ON ROUTINES FROM PUBLIC;
    ELSE
        RAISE NOTICE 'default privileges of omni_identity_admin left unchanged: % is not a member', current_user;
    END IF;
END;
$$;
