-- What the package knows of one identifier (SPEC §13): p_value normalized by the
-- normalizer of p_key_type, then the first that applies:
--   invalid    it does not normalize (it is never stored as a key);
--   forgotten  a tombstone holds its SHA-256 (value_sha256): inputs drop it;
--   blocked    a blocklist row matches it (the tenant's or the global list, exact or
--              regex; the reason says which, and the row's reason);
--   generic    it has evidence and is linked to more than the tenant's generic_threshold
--              keys of one other type (key_is_generic): it does not link;
--   active     it has evidence, and links;
--   unknown    valid but never seen (no evidence).
-- linked_* and inputs are the key's evidence counters (0 without evidence); cluster_id
-- is the live cluster of its key (NULL without one). Evidence of direct resolve calls
-- becomes visible here after the next fold of the evidence log (reconcile, design §9).
-- OI102: an unknown key type.
CREATE OR REPLACE FUNCTION omni_identity.explain_identifier(
      p_tenant_id text
    , p_key_type  text
    , p_value     text
) RETURNS TABLE (status text, cluster_id uuid, linked_emails bigint, linked_phones bigint,
                 linked_documents bigint, inputs bigint, reason text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_key       text;
    v_threshold integer;
    v_block     record;
    v_ev        record;
    v_seen      boolean;
BEGIN
    PERFORM omni_identity.require_tenant(p_tenant_id);
    IF p_key_type IS NULL OR p_key_type NOT IN ('email', 'phone', 'document') THEN
        RAISE EXCEPTION 'unknown key type %', coalesce(pg_catalog.left(p_key_type, 100), 'NULL')
            USING ERRCODE = 'OI102', HINT = 'Pass p_key_type ''email'', ''phone'' or ''document''.';
    END IF;
    v_key := CASE p_key_type
                 WHEN 'email' THEN omni_identity.normalize_email(p_value)
                 WHEN 'phone' THEN omni_identity.normalize_phone(p_value)
                 ELSE omni_identity.normalize_document(p_value) END;
    linked_emails := 0;
    linked_phones := 0;
    linked_documents := 0;
    inputs := 0;
    IF v_key IS NULL THEN
        status := 'invalid';
        reason := format('the value is not a valid %s: the %s normalizer does not accept it, so it is never a key',
                         p_key_type, p_key_type);
        RETURN NEXT;
        RETURN;
    END IF;
    IF EXISTS (SELECT FROM omni_identity.forgotten_identifiers f
                WHERE f.tenant_id = p_tenant_id AND f.key_type = p_key_type
                  AND f.value_sha256 = omni_identity.value_sha256(v_key)) THEN
        status := 'forgotten';
        reason := 'forgotten (right to erasure): a tombstone keeps only its SHA-256, and every input drops it';
        RETURN NEXT;
        RETURN;
    END IF;

    SELECT e.linked_emails, e.linked_phones, e.linked_documents, e.inputs,
           (SELECT coalesce(c.merged_into, c.cluster_id)
              FROM omni_identity.customer_cluster_keys k
              JOIN omni_identity.customer_cluster c ON c.tenant_id = k.tenant_id AND c.cluster_id = k.cluster_id
             WHERE k.tenant_id = p_tenant_id AND c.tenant_id = p_tenant_id
               AND k.key_type = p_key_type AND k.key_value = v_key) AS live
      INTO v_ev
      FROM omni_identity.key_evidence e
     WHERE e.tenant_id = p_tenant_id AND e.key_type = p_key_type AND e.key_value = v_key;
    v_seen := FOUND;
    IF v_seen THEN
        linked_emails := v_ev.linked_emails;
        linked_phones := v_ev.linked_phones;
        linked_documents := v_ev.linked_documents;
        inputs := v_ev.inputs;
        cluster_id := v_ev.live;
    END IF;

    -- The tenant's rows before the global ones, exact before regex.
    SELECT b.tenant_id IS NOT NULL AS own, b.is_regex, b.value_pattern, b.reason INTO v_block
      FROM omni_identity.key_blocklist b
     WHERE (b.tenant_id = p_tenant_id OR b.tenant_id IS NULL)
       AND b.key_type = p_key_type
       AND ((NOT b.is_regex AND b.value_pattern = v_key) OR (b.is_regex AND v_key ~ b.value_pattern))
     ORDER BY b.tenant_id IS NULL, b.is_regex, b.created_at
     LIMIT 1;
    IF FOUND THEN
        status := 'blocked';
        reason := format('blocked by %s %s blocklist row%s%s',
                         CASE WHEN v_block.own THEN 'the tenant''s' ELSE 'a global' END,
                         CASE WHEN v_block.is_regex THEN 'regex' ELSE 'exact' END,
                         CASE WHEN v_block.is_regex THEN ' ' || pg_catalog.quote_literal(v_block.value_pattern) ELSE '' END,
                         CASE WHEN v_block.reason IS NOT NULL THEN ' (reason: ' || v_block.reason || ')' ELSE '' END)
                  || ': it never links';
        RETURN NEXT;
        RETURN;
    END IF;

    IF NOT v_seen THEN
        status := 'unknown';
        reason := 'valid, but no input of the tenant carried it (no evidence)';
        RETURN NEXT;
        RETURN;
    END IF;
    v_threshold := omni_identity.generic_threshold(p_tenant_id);
    IF omni_identity.key_is_generic(linked_emails, linked_phones, linked_documents, v_threshold) THEN
        status := 'generic';
        reason := format('generic: seen with %s distinct keys of one other type, more than the tenant''s generic_threshold %s; it does not link',
                         GREATEST(linked_emails, linked_phones, linked_documents), v_threshold);
    ELSE
        status := 'active';
        reason := format('active: links its inputs (at most %s distinct keys of one other type; generic_threshold %s%s)',
                         GREATEST(linked_emails, linked_phones, linked_documents), v_threshold,
                         CASE WHEN v_threshold = 0 THEN ', the guard is off' ELSE '' END);
    END IF;
    RETURN NEXT;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.explain_identifier(text, text, text)
    IS 'One identifier''s status (active, generic, blocked, forgotten, invalid, unknown), live cluster, evidence counters and the reason in words.';
