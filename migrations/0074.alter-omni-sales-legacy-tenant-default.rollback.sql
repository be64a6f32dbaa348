-- Nothing to undo: the default stays on a legacy table until 0011's rollback drops the
-- column, because between the two the legacy application still inserts without tenant_id.
-- A table this package created never got one.
SELECT 1;
