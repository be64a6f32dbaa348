-- 41-catalog-security.sql: the catalog rules of tenancy and Citus readiness: RLS on every tenant table, privileges, definer hygiene, tenant_id in every key, bigint sequences.
BEGIN;
SELECT plan(27);

-- The tenant tables: every table of the package schema, and public.omni_sales.
CREATE TEMP VIEW tenant_tables AS
SELECT c.oid AS relid, c.oid::regclass AS tbl, n.nspname || '.' || c.relname AS qualname
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p')
   AND (c.relnamespace = 'omni_identity'::regnamespace OR c.oid = 'public.omni_sales'::regclass);

-- Every function of the package.
CREATE TEMP VIEW package_functions AS
SELECT p.oid, p.oid::regprocedure AS fn, p.proname, p.prosecdef, p.proconfig, p.proacl, p.prosrc
  FROM pg_catalog.pg_proc p
 WHERE p.pronamespace = 'omni_identity'::regnamespace;

GRANT SELECT ON tenant_tables, package_functions TO PUBLIC;

-- Row-level security.
SELECT is_empty($$ SELECT tbl FROM tenant_tables t JOIN pg_catalog.pg_class c ON c.oid = t.relid
                    WHERE NOT (c.relrowsecurity AND c.relforcerowsecurity) $$,
                'every tenant table has row-level security enabled and forced');
SELECT is_empty($$ SELECT tbl FROM tenant_tables t
                    WHERE pg_catalog.has_table_privilege('omni_identity_app', t.relid, 'SELECT, INSERT, UPDATE, DELETE')
                      AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_policy p
                                       WHERE p.polrelid = t.relid
                                         AND 'omni_identity_app'::regrole = ANY (p.polroles)) $$,
                'every tenant table the application role may use has a policy for it (the others are admin-only)');
SELECT is_empty($$ SELECT tbl, p.polname FROM tenant_tables t JOIN pg_catalog.pg_policy p ON p.polrelid = t.relid
                    WHERE 'omni_identity_app'::regrole = ANY (p.polroles)
                      AND (coalesce(pg_catalog.pg_get_expr(p.polqual, p.polrelid), '') || ' '
                           || coalesce(pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid), ''))
                          !~ 'tenant_id = current_setting\(''app\.current_tenant_id''::text, true\)' $$,
                'every application policy compares tenant_id with the session tenant');
SELECT is_empty($$ SELECT tbl, p.polname FROM tenant_tables t JOIN pg_catalog.pg_policy p ON p.polrelid = t.relid
                    WHERE 'omni_identity_app'::regrole = ANY (p.polroles) AND p.polcmd IN ('*', 'a', 'w')
                      AND coalesce(pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid), '')
                          <> '(tenant_id = current_setting(''app.current_tenant_id''::text, true))' $$,
                'every application write policy checks new rows against the session tenant, exactly');
SELECT is_empty($$ SELECT tbl, p.polname FROM tenant_tables t JOIN pg_catalog.pg_policy p ON p.polrelid = t.relid
                    WHERE '0'::oid = ANY (p.polroles) OR NOT p.polpermissive $$,
                'no policy applies to PUBLIC and none is restrictive');
SELECT is_empty($$ SELECT tbl FROM tenant_tables t
                    WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_policy p
                                       WHERE p.polrelid = t.relid
                                         AND p.polroles = ARRAY['omni_identity_admin'::regrole::oid]
                                         AND p.polcmd = '*') $$,
                'every tenant table has the all-tenants policy of the admin role (jobs)');

-- Roles.
SELECT is_empty($$ SELECT rolname FROM pg_catalog.pg_roles
                    WHERE rolname IN ('omni_identity_app', 'omni_identity_admin')
                      AND (rolcanlogin OR rolsuper OR rolbypassrls OR rolcreaterole OR rolcreatedb) $$,
                'both package roles are NOLOGIN, not superuser, not BYPASSRLS');
SELECT ok(NOT pg_catalog.pg_has_role('omni_identity_app', 'omni_identity_admin', 'MEMBER'),
          'the application role is not a member of the admin role');

-- Privileges.
SELECT ok(NOT pg_catalog.has_schema_privilege('public', 'omni_identity', 'USAGE')
          AND NOT pg_catalog.has_schema_privilege('public', 'omni_identity', 'CREATE'),
          'PUBLIC has no USAGE or CREATE on the package schema');
SELECT ok(NOT pg_catalog.has_schema_privilege('omni_identity_app', 'omni_identity', 'CREATE'),
          'the application role cannot create objects in the package schema');
SELECT is_empty($$ SELECT fn FROM package_functions
                    WHERE proacl IS NULL
                       OR EXISTS (SELECT 1 FROM aclexplode(proacl) a WHERE a.grantee = 0) $$,
                'PUBLIC has no EXECUTE on any package function');
SELECT is_empty($$ SELECT tbl FROM tenant_tables t JOIN pg_catalog.pg_class c ON c.oid = t.relid
                    WHERE EXISTS (SELECT 1 FROM aclexplode(c.relacl) a WHERE a.grantee = 0) $$,
                'PUBLIC has no privilege on any tenant table');
SELECT is_empty($$ SELECT c.oid::regclass FROM pg_catalog.pg_class c
                    WHERE c.relnamespace = 'omni_identity'::regnamespace AND c.relkind = 'S'
                      AND EXISTS (SELECT 1 FROM aclexplode(c.relacl) a WHERE a.grantee = 0) $$,
                'PUBLIC has no privilege on any package sequence');
SELECT is_empty($$ SELECT tbl, priv FROM tenant_tables,
                          unnest(ARRAY['TRUNCATE', 'REFERENCES', 'TRIGGER']) AS priv
                    WHERE pg_catalog.has_table_privilege('omni_identity_app', tbl, priv) $$,
                'the application role has no TRUNCATE, REFERENCES or TRIGGER on tenant tables');
SELECT is_empty($$ SELECT fn FROM package_functions
                    WHERE proname IN ('backfill_customer_hash', 'reconcile_merges',
                                      'backfill_remaining', 'reconcile_remaining')
                      AND pg_catalog.has_function_privilege('omni_identity_app', oid, 'EXECUTE') $$,
                'the cross-tenant jobs are not executable by the application role');
SELECT is_empty($$ SELECT fn FROM package_functions
                    WHERE NOT pg_catalog.has_function_privilege('omni_identity_admin', oid, 'EXECUTE') $$,
                'the admin role may execute every package function');
SELECT is_empty($$ SELECT fn FROM package_functions
                    WHERE proname IN ('normalize_email', 'normalize_phone', 'normalize_document', 'normalize_name',
                                      'identifier_sha256', 'resolve_customer_cluster', 'current_cluster',
                                      'ingest_sales', 'sale_columns', 'copied_sales_table', 'ingest_copied_sales',
                                      'abstraction_buyer', 'abstraction_buyer_v1', 'query_page_cursor',
                                      'abstraction_buyer_v2', 'customer_report', 'customer_report_v1',
                                      'customer_report_v2', 'compare_customer_reports', 'set_flag',
                                      'flag_enabled')
                      AND NOT pg_catalog.has_function_privilege('omni_identity_app', oid, 'EXECUTE') $$,
                'the application role may execute every public API function');

-- SECURITY DEFINER hygiene and dynamic SQL.
SELECT is_empty($$ SELECT fn FROM package_functions
                    WHERE prosecdef
                      AND NOT coalesce(proconfig, '{}') && ARRAY['search_path=pg_catalog, pg_temp',
                                                                 'search_path=pg_catalog,pg_temp'] $$,
                'every SECURITY DEFINER function pins search_path = pg_catalog, pg_temp');
SELECT is_empty($$ SELECT p.oid::regprocedure FROM pg_catalog.pg_proc p
                    WHERE p.prosecdef AND p.pronamespace = 'public'::regnamespace
                      AND NOT coalesce(p.proconfig, '{}') && ARRAY['search_path=pg_catalog, pg_temp',
                                                                   'search_path=pg_catalog,pg_temp'] $$,
                'no SECURITY DEFINER function in public leaves search_path open');
SELECT is_empty($$ SELECT fn FROM package_functions
                    WHERE prosrc ~* 'EXECUTE\s+(''[^'']*''|[a-z_]+)\s*\|\|' $$,
                'dynamic SQL is built with format(), never by concatenation into EXECUTE');

-- Citus readiness: tenant_id leads every key, foreign keys carry it, sequences are bigint.
SELECT is_empty($$ SELECT tbl FROM tenant_tables t
                    WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a
                                       WHERE a.attrelid = t.relid AND a.attname = 'tenant_id' AND NOT a.attisdropped)
                       OR (t.tbl <> 'omni_identity.key_blocklist'::regclass
                           AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a
                                            WHERE a.attrelid = t.relid AND a.attname = 'tenant_id' AND a.attnotnull)) $$,
                'every tenant table has tenant_id NOT NULL (key_blocklist: NULL = every tenant, a reference table)');
SELECT is_empty($$ SELECT i.indexrelid::regclass FROM tenant_tables t JOIN pg_catalog.pg_index i ON i.indrelid = t.relid
                    WHERE (i.indisunique OR i.indisprimary)
                      AND (SELECT a.attname FROM pg_catalog.pg_attribute a
                            WHERE a.attrelid = t.relid AND a.attnum = i.indkey[0]) IS DISTINCT FROM 'tenant_id' $$,
                'every primary key, unique constraint and unique index starts with tenant_id');
SELECT is_empty($$ SELECT c.conname, c.conrelid::regclass FROM pg_catalog.pg_constraint c
                    JOIN tenant_tables t ON t.relid = c.conrelid
                    WHERE c.contype = 'f'
                      AND NOT EXISTS (SELECT 1
                                        FROM unnest(c.conkey, c.confkey) AS k(col, refcol)
                                        JOIN pg_catalog.pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.col
                                        JOIN pg_catalog.pg_attribute r ON r.attrelid = c.confrelid AND r.attnum = k.refcol
                                       WHERE a.attname = 'tenant_id' AND r.attname = 'tenant_id') $$,
                'every foreign key pairs tenant_id with tenant_id');
SELECT is_empty($$ SELECT s.seqrelid::regclass, s.seqtypid::regtype FROM pg_catalog.pg_sequence s
                    JOIN pg_catalog.pg_class c ON c.oid = s.seqrelid
                    WHERE (c.relnamespace = 'omni_identity'::regnamespace
                           OR s.seqrelid = pg_catalog.pg_get_serial_sequence('public.omni_sales', 'id')::regclass)
                      AND s.seqtypid <> 'bigint'::regtype $$,
                'every sequence is bigint');
SELECT is_empty($$ SELECT f.fn, t.tbl FROM package_functions f
                    JOIN tenant_tables t
                      ON f.prosrc ~ (replace(t.qualname, '.', '\.') || '\M')
                    WHERE f.prosrc !~ '\mtenant_id\M' $$,
                'every function that reads or writes a tenant table names tenant_id (no cross-tenant key lookups)');

-- Routines created later in the schema, outside migrate: not executable by PUBLIC, usable by the admin.
CREATE FUNCTION omni_identity.catalog_test_probe() RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT 1';
SELECT ok(NOT EXISTS (SELECT 1 FROM pg_catalog.pg_proc p,
                             aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
                       WHERE p.oid = 'omni_identity.catalog_test_probe()'::regprocedure AND a.grantee = 0),
          'a routine created later in the schema is not executable by PUBLIC');
SELECT ok(pg_catalog.has_function_privilege('omni_identity_admin', 'omni_identity.catalog_test_probe()', 'EXECUTE'),
          'a routine created later in the schema is executable by the admin role');

SELECT * FROM finish();
ROLLBACK;
