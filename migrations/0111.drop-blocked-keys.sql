-- depends: 0110.create-identity-evidence
-- The removed-keys rule has one home now, omni_identity.removed_keys (functions/evidence):
-- blocked or forgotten, called by resolve_customer_cluster and by the batch core alike.
-- blocked_keys (the inlined one-buyer form, which Citus cannot plan) and
-- pipeline_drop_blocked_keys (the batch's set form) were internal helpers, never part of
-- the public API (SPEC §4).
-- squawk-ignore-file ban-drop-function
DROP FUNCTION IF EXISTS omni_identity.blocked_keys(text, text, text, text);
DROP FUNCTION IF EXISTS omni_identity.pipeline_drop_blocked_keys();
