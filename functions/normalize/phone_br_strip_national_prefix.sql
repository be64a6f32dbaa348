-- phone_br_strip_national_prefix(p_digits): phonenumbers' _maybe_strip_national_prefix_carrier_code
-- for Brazil: a trunk 0 (or 90), with an optional carrier code whose 10–11 following
-- digits become the number; kept when the number was viable and the result is not.
CREATE OR REPLACE FUNCTION omni_identity.phone_br_strip_national_prefix(p_digits text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
AS $fn$
DECLARE
    v_match  text[] := regexp_match(p_digits, omni_identity.phone_br_national_prefix_re());
    v_prefix int;
    v_result text;
BEGIN
    IF v_match IS NULL THEN
        RETURN p_digits;
    END IF;
    v_prefix := CASE WHEN left(p_digits, 1) = '0' THEN 1 ELSE 2 END;
    IF v_match[2] IS NULL THEN
        v_result := substr(p_digits, v_prefix + 1);
    ELSE
        v_result := v_match[2] || substr(p_digits, v_prefix + length(v_match[1]) + length(v_match[2]) + 1);
    END IF;
    IF p_digits ~ omni_identity.phone_br_general_re() AND v_result !~ omni_identity.phone_br_general_re() THEN
        RETURN p_digits;
    END IF;
    RETURN v_result;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.phone_br_strip_national_prefix(text)
    IS 'Brazilian national number without trunk prefix and carrier code, as phonenumbers strips them.';
