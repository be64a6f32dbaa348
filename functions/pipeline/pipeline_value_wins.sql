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
