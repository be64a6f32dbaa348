ALTER TABLE omni_identity.evidence_upgrade DROP COLUMN IF EXISTS after_cluster_id;
