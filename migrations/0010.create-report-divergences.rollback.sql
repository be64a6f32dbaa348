DROP TABLE omni_identity.report_divergences;
