ALTER TABLE omni_identity.key_blocklist DROP COLUMN IF EXISTS reason;
DROP TABLE IF EXISTS omni_identity.evidence_upgrade;
DROP TABLE IF EXISTS omni_identity.customer_cluster_splits;
DROP TABLE IF EXISTS omni_identity.cluster_split_queue;
DROP TABLE IF EXISTS omni_identity.forgotten_identifiers;
DROP TABLE IF EXISTS omni_identity.key_pairs;
DROP TABLE IF EXISTS omni_identity.key_evidence;
