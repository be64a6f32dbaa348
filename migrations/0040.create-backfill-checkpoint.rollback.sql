DROP TABLE omni_identity.backfill_keyless;
DROP TABLE omni_identity.backfill_checkpoint;
