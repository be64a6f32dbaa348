-- Whether a candidate golden value replaces the current one (design §4): its golden_rank
-- is greater. A NULL candidate never wins; any candidate beats a NULL current value.
-- Plain SQL without a SET clause: inlined.
CREATE OR REPLACE FUNCTION omni_identity.golden_wins(
      p_new_at  timestamptz
    , p_new     text
    , p_old_at  timestamptz
    , p_old     text
) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$
    SELECT p_new IS NOT NULL
       AND (p_old IS NULL
            OR omni_identity.golden_rank(p_new_at, p_new) > omni_identity.golden_rank(p_old_at, p_old))
$fn$;
COMMENT ON FUNCTION omni_identity.golden_wins(timestamptz, text, timestamptz, text)
    IS 'True when (p_new_at, p_new) outranks (p_old_at, p_old) in the golden-record order (NULL candidate never wins).';
