-- A sale's amount from text, rounded to cents (half away from zero), or NULL when it is
-- not a plain decimal numeral: an optional sign, digits, an optional decimal point and
-- digits ("12.50", "-3", ".5"); a decimal comma is accepted when it is the only separator
-- ("12,50"). Words such as NaN or Infinity, exponents and thousands separators are not
-- numerals. The range of the column, numeric(14,2), is the caller's check (a reject
-- that says "out of range"), so this never raises whatever the input: only the first
-- three decimals are read (they alone decide the rounding), and a numeral with more than
-- 13 integer digits comes back as ±10^13 — outside numeric(14,2) like its true value,
-- which a cast of 16,384 digits would not reach without error 22003.
CREATE OR REPLACE FUNCTION omni_identity.parse_sale_amount(p_raw text)
RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$
    SELECT CASE
        WHEN m.d IS NULL OR m.d[2] = '' AND coalesce(m.d[3], '') = '' THEN NULL
        WHEN pg_catalog.length(pg_catalog.ltrim(m.d[2], '0')) > 13 THEN (m.d[1] || '1e13')::numeric
        ELSE pg_catalog.round((m.d[1] || coalesce(nullif(pg_catalog.ltrim(m.d[2], '0'), ''), '0')
                               || '.' || pg_catalog.left(coalesce(m.d[3], ''), 3) || '0')::numeric, 2)
        END
      FROM (SELECT pg_catalog.regexp_match(
                       CASE WHEN pg_catalog.btrim(p_raw) ~ '^[+-]?\d+,\d+$'
                            THEN pg_catalog.replace(pg_catalog.btrim(p_raw), ',', '.')
                            ELSE pg_catalog.btrim(p_raw) END,
                       '^([+-]?)(\d*)(?:\.(\d*))?$') AS d) m
$fn$;
COMMENT ON FUNCTION omni_identity.parse_sale_amount(text)
    IS 'Decimal text rounded to cents, NULL when not a plain decimal numeral; never raises (over 13 integer digits: ±10^13).';
