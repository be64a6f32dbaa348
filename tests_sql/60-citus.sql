-- 60-citus.sql: omni_identity.citus_distribute — OI080 without Citus; on a coordinator (make test-citus) migrate already ran it, so nothing is left to do; admin only.
BEGIN;
SELECT plan(2);

SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'citus')
    THEN is(omni_identity.citus_distribute(), 0, 'citus_distribute: migrate distributed everything already (idempotent)')
    ELSE throws_ok('SELECT omni_identity.citus_distribute()', 'OI080', NULL,
                   'citus_distribute: OI080 in a database without the citus extension')
END;
SELECT ok(NOT pg_catalog.has_function_privilege('omni_identity_app', 'omni_identity.citus_distribute()', 'EXECUTE')
          AND pg_catalog.has_function_privilege('omni_identity_admin', 'omni_identity.citus_distribute()', 'EXECUTE'),
          'citus_distribute: the admin role may run it, the application role may not');

SELECT * FROM finish();
ROLLBACK;
