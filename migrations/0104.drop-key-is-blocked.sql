-- depends: 0103.create-golden-value
-- key_is_blocked had no caller but a test (the blocklist rule is tested through
-- resolve_customer_cluster and the batch core now), and pipeline_value_wins is now
-- golden_wins (functions/cluster/golden_wins.sql), the rule of resolve, merges and the
-- batch alike. Both were internal helpers, never part of the public API (SPEC §4).
-- squawk-ignore-file ban-drop-function
DROP FUNCTION IF EXISTS omni_identity.key_is_blocked(text, text, text);
DROP FUNCTION IF EXISTS omni_identity.pipeline_value_wins(timestamptz, text, timestamptz, text);
