DROP TABLE omni_identity.settings;
