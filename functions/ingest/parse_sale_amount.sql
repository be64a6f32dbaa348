-- A sale's amount from text as numeric(14,2), or NULL when it is not a plain decimal
-- number that fits (|amount| < 10^12). A decimal comma is accepted when it is the only
-- separator ("12,50"). Plain SQL: inlined into the batch's validating statement.
CREATE OR REPLACE FUNCTION omni_identity.parse_sale_amount(p_raw text)
RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$
    SELECT CASE
        WHEN v.t ~ '^[+-]?(\d{1,12}(\.\d*)?|\.\d+)$' AND abs(round(v.t::numeric, 2)) < 1e12
        THEN round(v.t::numeric, 2)
        END
      FROM (SELECT CASE WHEN pg_catalog.btrim(p_raw) ~ '^[+-]?\d+,\d+$'
                        THEN pg_catalog.replace(pg_catalog.btrim(p_raw), ',', '.')
                        ELSE pg_catalog.btrim(p_raw) END AS t) v
$fn$;
COMMENT ON FUNCTION omni_identity.parse_sale_amount(text)
    IS 'Decimal text to numeric(14,2) range, NULL when unparsable or out of range.';
