-- normalize_document(p_raw): a CPF (11 digits) or CNPJ (12 [0-9A-Z] + 2 digits) with
-- valid mod-11 check digits and not all characters equal, formatting removed and
-- uppercase (SPEC §3); else NULL. One translate() drops '.', '-', '/' and white space
-- and uppercases ASCII letters; the check digits are weighted sums of the character
-- codes (value = ASCII − 48, so the alphanumeric CNPJ of 2026 needs no special case).
CREATE OR REPLACE FUNCTION omni_identity.normalize_document(p_raw text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
AS $fn$
DECLARE
    v_doc   text;
    v_bytes bytea;
    v_d1    int;
    v_d2    int;
BEGIN
    IF p_raw ~ '^[0-9./-]+$' THEN
        -- The usual writings (bare or masked digits): a short translate().
        v_doc := translate(p_raw, './-', '');
    ELSIF length(p_raw) > 256 THEN
        -- Longer than any formatted document: not one (and 1 MB inputs stay cheap).
        RETURN NULL;
    ELSE
        v_doc := translate(p_raw, 'abcdefghijklmnopqrstuvwxyz./-' || omni_identity.unicode_space_chars(),
                                  'ABCDEFGHIJKLMNOPQRSTUVWXYZ');
    END IF;
    IF length(v_doc) = 11 AND translate(v_doc, '0123456789', '') = '' THEN
        IF v_doc = repeat(left(v_doc, 1), 11) THEN
            RETURN NULL;
        END IF;
        v_bytes := textsend(v_doc);
        v_d1 := ((get_byte(v_bytes, 0) * 10 + get_byte(v_bytes, 1) * 9 + get_byte(v_bytes, 2) * 8
                + get_byte(v_bytes, 3) * 7 + get_byte(v_bytes, 4) * 6 + get_byte(v_bytes, 5) * 5
                + get_byte(v_bytes, 6) * 4 + get_byte(v_bytes, 7) * 3 + get_byte(v_bytes, 8) * 2
                - 48 * 54) * 10) % 11 % 10;
        v_d2 := ((get_byte(v_bytes, 0) * 11 + get_byte(v_bytes, 1) * 10 + get_byte(v_bytes, 2) * 9
                + get_byte(v_bytes, 3) * 8 + get_byte(v_bytes, 4) * 7 + get_byte(v_bytes, 5) * 6
                + get_byte(v_bytes, 6) * 5 + get_byte(v_bytes, 7) * 4 + get_byte(v_bytes, 8) * 3
                + get_byte(v_bytes, 9) * 2 - 48 * 65) * 10) % 11 % 10;
        IF get_byte(v_bytes, 9) - 48 = v_d1 AND get_byte(v_bytes, 10) - 48 = v_d2 THEN
            RETURN v_doc;
        END IF;
        RETURN NULL;
    ELSIF length(v_doc) = 14 AND v_doc ~ '^[0-9A-Z]+[0-9][0-9]$' THEN
        IF v_doc = repeat(left(v_doc, 1), 14) THEN
            RETURN NULL;
        END IF;
        v_bytes := textsend(v_doc);
        v_d1 := (get_byte(v_bytes, 0) * 5 + get_byte(v_bytes, 1) * 4 + get_byte(v_bytes, 2) * 3
               + get_byte(v_bytes, 3) * 2 + get_byte(v_bytes, 4) * 9 + get_byte(v_bytes, 5) * 8
               + get_byte(v_bytes, 6) * 7 + get_byte(v_bytes, 7) * 6 + get_byte(v_bytes, 8) * 5
               + get_byte(v_bytes, 9) * 4 + get_byte(v_bytes, 10) * 3 + get_byte(v_bytes, 11) * 2
               - 48 * 58) % 11;
        v_d1 := CASE WHEN v_d1 < 2 THEN 0 ELSE 11 - v_d1 END;
        v_d2 := (get_byte(v_bytes, 0) * 6 + get_byte(v_bytes, 1) * 5 + get_byte(v_bytes, 2) * 4
               + get_byte(v_bytes, 3) * 3 + get_byte(v_bytes, 4) * 2 + get_byte(v_bytes, 5) * 9
               + get_byte(v_bytes, 6) * 8 + get_byte(v_bytes, 7) * 7 + get_byte(v_bytes, 8) * 6
               + get_byte(v_bytes, 9) * 5 + get_byte(v_bytes, 10) * 4 + get_byte(v_bytes, 11) * 3
               + get_byte(v_bytes, 12) * 2 - 48 * 64) % 11;
        v_d2 := CASE WHEN v_d2 < 2 THEN 0 ELSE 11 - v_d2 END;
        IF get_byte(v_bytes, 12) - 48 = v_d1 AND get_byte(v_bytes, 13) - 48 = v_d2 THEN
            RETURN v_doc;
        END IF;
        RETURN NULL;
    END IF;
    RETURN NULL;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.normalize_document(text)
    IS 'Normalized CPF/CNPJ (formatting removed, uppercase, numeric or alphanumeric CNPJ) when the check digits hold, else NULL.';
