-- The golden-record order, once (design §4): a value ranks by (seen_at, value), values
-- compared by code point (the COLLATE "C" of omni_identity.golden_value's column). The
-- golden value of a field is the one of greatest rank. golden_wins compares two ranks;
-- set forms sort by it (ORDER BY golden_rank(...) DESC). Plain SQL without a SET
-- clause: inlined into the calling statement as a row constructor.
CREATE OR REPLACE FUNCTION omni_identity.golden_rank(
      p_seen_at timestamptz
    , p_value   text
) RETURNS omni_identity.golden_value
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$
    SELECT ROW(p_seen_at, p_value)::omni_identity.golden_value
$fn$;
COMMENT ON FUNCTION omni_identity.golden_rank(timestamptz, text)
    IS 'The golden-record order: (seen_at, value COLLATE "C") as a comparable row; the greatest wins.';
