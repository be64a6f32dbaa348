-- The key (design §1) that block_identifier and forget_identifier act on: p_value
-- normalized by the normalizer of p_key_type. An unknown key type → OI055; a value the
-- normalizer cannot read (NULL included) → OI056: blocking or forgetting "nothing" must
-- not look like success.
CREATE OR REPLACE FUNCTION omni_identity.identifier_key(p_key_type text, p_value text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_key text;
BEGIN
    IF p_key_type IS NULL OR p_key_type NOT IN ('email', 'phone', 'document') THEN
        RAISE EXCEPTION 'unknown key type %', coalesce(pg_catalog.left(p_key_type, 100), 'NULL')
            USING ERRCODE = 'OI055', HINT = 'Pass p_key_type ''email'', ''phone'' or ''document''.';
    END IF;
    IF p_value IS NOT NULL THEN
        v_key := CASE p_key_type
                     WHEN 'email' THEN omni_identity.normalize_email(p_value)
                     WHEN 'phone' THEN omni_identity.normalize_phone(p_value)
                     ELSE omni_identity.normalize_document(p_value) END;
    END IF;
    IF v_key IS NULL THEN
        RAISE EXCEPTION 'the value is not a valid %', p_key_type
            USING ERRCODE = 'OI056',
                  HINT = 'Pass a value its normalizer accepts (normalize_email, normalize_phone, normalize_document); a value that never normalizes is never stored as a key.';
    END IF;
    RETURN v_key;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.identifier_key(text, text)
    IS 'The normalized key of (p_key_type, p_value) for block/forget: OI055 unknown type, OI056 unreadable value.';
