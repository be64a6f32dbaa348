-- blocked_keys and pipeline_drop_blocked_keys as they stood before 0111.
CREATE OR REPLACE FUNCTION omni_identity.blocked_keys(
      p_tenant_id text
    , p_email     text
    , p_phone     text
    , p_document  text
) RETURNS TABLE (email boolean, phone boolean, document boolean)
LANGUAGE sql STABLE PARALLEL SAFE
AS $fn$
    SELECT coalesce(bool_or(m.key_type = 'email'), false)
         , coalesce(bool_or(m.key_type = 'phone'), false)
         , coalesce(bool_or(m.key_type = 'document'), false)
      FROM (SELECT b.key_type
              FROM omni_identity.key_blocklist b
             WHERE NOT b.is_regex
               AND b.value_pattern = ANY (ARRAY[p_email, p_phone, p_document])
               AND b.value_pattern = CASE b.key_type WHEN 'email' THEN p_email
                                                     WHEN 'phone' THEN p_phone
                                                     WHEN 'document' THEN p_document END
               AND (b.tenant_id IS NULL OR b.tenant_id = p_tenant_id)
            UNION ALL
            SELECT b.key_type
              FROM omni_identity.key_blocklist b
             WHERE b.is_regex
               AND (b.tenant_id IS NULL OR b.tenant_id = p_tenant_id)
               AND CASE b.key_type WHEN 'email' THEN p_email
                                   WHEN 'phone' THEN p_phone
                                   WHEN 'document' THEN p_document END ~ b.value_pattern) AS m
$fn$;
COMMENT ON FUNCTION omni_identity.blocked_keys(text, text, text, text)
    IS 'One row: whether each of a buyer''s normalized e-mail, phone and document matches the blocklist. Inlined.';
CREATE OR REPLACE FUNCTION omni_identity.pipeline_drop_blocked_keys()
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $fn$
DECLARE
    v_exact integer;
    v_regex integer;
BEGIN
    DELETE FROM pg_temp.oi_cl_key k
     USING omni_identity.key_blocklist b
     WHERE NOT b.is_regex AND b.key_type = k.key_type AND b.value_pattern = k.key_value
       AND (b.tenant_id IS NULL OR b.tenant_id = k.tenant_id);
    GET DIAGNOSTICS v_exact = ROW_COUNT;
    DELETE FROM pg_temp.oi_cl_key k
     USING omni_identity.key_blocklist b
     WHERE b.is_regex AND b.key_type = k.key_type
       AND (b.tenant_id IS NULL OR b.tenant_id = k.tenant_id)
       AND k.key_value ~ b.value_pattern;
    GET DIAGNOSTICS v_regex = ROW_COUNT;
    RETURN v_exact + v_regex;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.pipeline_drop_blocked_keys()
    IS 'Batch core: delete from pg_temp.oi_cl_key the keys that match the blocklist (global or the tenant''s; exact or regex).';
