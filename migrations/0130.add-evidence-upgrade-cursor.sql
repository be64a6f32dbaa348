-- depends: 0120.create-split-repoint
-- The evidence upgrade (design §9; evidence_upgrade_batch) has two phases: the sales of
-- (next_sale_id, through_sale_id] (next_sale_id is their position), then the tenant's
-- live clusters in cluster_id order, whose keys no sale showed get evidence keeping
-- today's partition (evidence_upgrade_keys). This column is the second phase's position.
ALTER TABLE omni_identity.evidence_upgrade ADD COLUMN after_cluster_id uuid;
COMMENT ON COLUMN omni_identity.evidence_upgrade.after_cluster_id IS
    'Key phase of the evidence upgrade: the live clusters up to this id are done (NULL = not started).';
