-- key_is_blocked and pipeline_value_wins as they stood before 0104.
-- Whether one normalized identifier is on the blocklist (global rows and the tenant's own,
-- exact or regex): blocked_keys, which states the rule, for a single value. PL/pgSQL so
-- the plan is cached per session (a non-inlined SQL function is re-planned on every call).
CREATE OR REPLACE FUNCTION omni_identity.key_is_blocked(p_tenant_id text, p_key_type text, p_value text)
RETURNS boolean
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    RETURN (SELECT CASE p_key_type WHEN 'email' THEN b.email WHEN 'phone' THEN b.phone
                                   WHEN 'document' THEN b.document ELSE false END
              FROM omni_identity.blocked_keys(p_tenant_id
                                            , CASE WHEN p_key_type = 'email' THEN p_value END
                                            , CASE WHEN p_key_type = 'phone' THEN p_value END
                                            , CASE WHEN p_key_type = 'document' THEN p_value END) AS b);
END;
$fn$;
COMMENT ON FUNCTION omni_identity.key_is_blocked(text, text, text)
    IS 'True when a normalized identifier matches the blocklist (global or the tenant''s; exact or regex).';
-- Whether a candidate golden value replaces the current one: rule 3 of resolution, the
-- greatest (seen_at, value) wins, values compared by code point (COLLATE "C"). A NULL
-- candidate never wins; any candidate beats a NULL current value. Plain SQL: inlined.
CREATE OR REPLACE FUNCTION omni_identity.pipeline_value_wins(
      p_new_at  timestamptz
    , p_new     text
    , p_old_at  timestamptz
    , p_old     text
) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$
    SELECT p_new IS NOT NULL
       AND (p_old IS NULL
            OR p_new_at > p_old_at
            OR (p_new_at = p_old_at AND p_new COLLATE "C" > p_old COLLATE "C"))
$fn$;
COMMENT ON FUNCTION omni_identity.pipeline_value_wins(timestamptz, text, timestamptz, text)
    IS 'True when (p_new_at, p_new) is greater than (p_old_at, p_old) for the golden record (NULL candidate never wins).';
