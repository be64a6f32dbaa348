-- Whether one normalized identifier matches key_blocklist: blocked_keys (which states the
-- rule) for a single value. A one-row plain-SQL table function, inlined into the calling
-- statement; key_is_blocked is the scalar form.
CREATE OR REPLACE FUNCTION omni_identity.key_blocks(p_tenant_id text, p_key_type text, p_value text)
RETURNS TABLE (blocked boolean)
LANGUAGE sql STABLE PARALLEL SAFE
AS $fn$
    SELECT CASE p_key_type WHEN 'email' THEN b.email WHEN 'phone' THEN b.phone
                           WHEN 'document' THEN b.document ELSE false END
      FROM omni_identity.blocked_keys(p_tenant_id
                                    , CASE WHEN p_key_type = 'email' THEN p_value END
                                    , CASE WHEN p_key_type = 'phone' THEN p_value END
                                    , CASE WHEN p_key_type = 'document' THEN p_value END) AS b
$fn$;
COMMENT ON FUNCTION omni_identity.key_blocks(text, text, text)
    IS 'One row: whether a normalized identifier matches the blocklist (global or the tenant''s; exact or regex). Inlined.';
