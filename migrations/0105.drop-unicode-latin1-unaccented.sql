-- depends: 0104.drop-key-is-blocked
-- unicode_latin1_unaccented had no caller (normalize_name drops the marks NFD leaves
-- with replace(), and identifier_sha256 keeps accents), and the generator no longer
-- writes it. It was an internal helper, never part of the public API (SPEC §3).
-- squawk-ignore-file ban-drop-function
DROP FUNCTION IF EXISTS omni_identity.unicode_latin1_unaccented();
