DROP TABLE omni_identity.batch_metrics;
