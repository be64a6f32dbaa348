DROP TABLE omni_identity.key_blocklist;
