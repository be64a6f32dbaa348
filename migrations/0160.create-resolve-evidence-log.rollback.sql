-- Unfolded rows are lost with the table: run reconcile (it folds every tenant) first.
DROP TABLE IF EXISTS omni_identity.resolve_evidence_log;
