-- depends: 0072.drop-phone-fast-patterns
-- key_blocks (the one-value blocklist check as a table function) is folded into
-- key_is_blocked, which now reads blocked_keys directly; functions/ no longer creates it.
-- It was an internal helper, never part of the public API (SPEC §4).
-- squawk-ignore-file ban-drop-function
DROP FUNCTION IF EXISTS omni_identity.key_blocks(text, text, text);
