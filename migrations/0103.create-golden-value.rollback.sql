-- golden_rank and golden_wins (functions/) are the type's only users; they go with it.
DROP FUNCTION IF EXISTS omni_identity.golden_wins(timestamptz, text, timestamptz, text);
DROP FUNCTION IF EXISTS omni_identity.golden_rank(timestamptz, text);
DROP TYPE IF EXISTS omni_identity.golden_value;
