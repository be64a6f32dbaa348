SET LOCAL lock_timeout = '10s';
DROP TRIGGER IF EXISTS key_blocklist_check ON omni_identity.key_blocklist;
DROP FUNCTION IF EXISTS omni_identity.key_blocklist_check();
