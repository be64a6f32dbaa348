-- 32-blocklist-validation.sql: key_blocklist patterns are validated on write (OI036), as an application login and as the admin; exact values and valid regexes pass.
BEGIN;
SELECT plan(9);

DO $$
BEGIN
    -- The application login of tests_sql/support/helpers.sql (made outside the test's
    -- transaction: on Citus a role must be committed to reach the workers).
    PERFORM set_config('tests.app_login', 'oi_test_app', true);
END;
$$;

SELECT is(omni_identity.regex_error('^a+$'), NULL, 'regex_error: NULL for a pattern that compiles');
SELECT isnt(omni_identity.regex_error('('), NULL, 'regex_error: the message for one that does not');

SELECT tests.act_as(current_setting('tests.app_login'), 'tenant-v');
SELECT throws_ok($$ INSERT INTO omni_identity.key_blocklist (tenant_id, key_type, value_pattern, is_regex)
                    VALUES ('tenant-v', 'email', '(', true) $$,
                 'OI036', NULL, 'the application cannot store a regex that does not compile');
SELECT throws_ok($$ INSERT INTO omni_identity.key_blocklist (tenant_id, key_type, value_pattern, is_regex)
                    VALUES ('tenant-v', 'phone', '[0-9', true) $$,
                 'OI036', NULL, 'nor an unterminated bracket expression');
SELECT lives_ok($$ INSERT INTO omni_identity.key_blocklist (tenant_id, key_type, value_pattern, is_regex)
                   VALUES ('tenant-v', 'email', '@spam\.example$', true) $$,
                'a valid regex is stored');
SELECT lives_ok($$ INSERT INTO omni_identity.key_blocklist (tenant_id, key_type, value_pattern, is_regex)
                   VALUES ('tenant-v', 'email', '(', false) $$,
                'an exact value is not a regex: any text is stored');
SELECT throws_ok($$ UPDATE omni_identity.key_blocklist SET value_pattern = 'a('
                     WHERE tenant_id = 'tenant-v' AND value_pattern = '@spam\.example$' $$,
                 'OI036', NULL, 'an update to a pattern that does not compile is refused');
SELECT throws_ok($$ UPDATE omni_identity.key_blocklist SET is_regex = true
                     WHERE tenant_id = 'tenant-v' AND value_pattern = '(' $$,
                 'OI036', NULL, 'so is turning an exact value that does not compile into a regex');
RESET ROLE;

SELECT throws_ok($$ INSERT INTO omni_identity.key_blocklist (tenant_id, key_type, value_pattern, is_regex)
                    VALUES (NULL, 'email', '*a', true) $$,
                 'OI036', NULL, 'a global row by the owner is validated too');

SELECT * FROM finish();
ROLLBACK;
