-- depends: 0130.add-evidence-upgrade-cursor
-- batch_id_seq becomes the default of batch_metrics.batch_id. Nothing relies on the
-- default (every writer names its batch id); it makes the sequence a dependency of a
-- table, which is how Citus learns about a sequence: distributing batch_metrics
-- (omni_identity.citus_distribute) then creates batch_id_seq on every worker, each node
-- drawing from its own range of the bigint, so nextval() works in a function delegated
-- to a worker (without it the sequence exists only on the coordinator).
SET LOCAL lock_timeout = '10s';

ALTER TABLE omni_identity.batch_metrics
    ALTER COLUMN batch_id SET DEFAULT pg_catalog.nextval('omni_identity.batch_id_seq'::pg_catalog.regclass);
