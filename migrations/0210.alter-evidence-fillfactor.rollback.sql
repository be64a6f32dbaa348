ALTER TABLE omni_identity.key_pairs RESET (fillfactor);
ALTER TABLE omni_identity.key_evidence RESET (fillfactor);
