DROP TABLE IF EXISTS omni_identity.generic_applied;
