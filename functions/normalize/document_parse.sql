-- document_parse(p_raw): normalize_document for any input. One translate() drops '.',
-- '-', '/' and white space and uppercases ASCII letters, then length, alphabet, repeated
-- characters and check digits are tested.
CREATE OR REPLACE FUNCTION omni_identity.document_parse(p_raw text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
AS $fn$
DECLARE
    v_doc   text;
    v_bytes bytea;
    v_d1    int;
    v_d2    int;
BEGIN
    IF octet_length(p_raw) > 1024 OR length(p_raw) > 256 THEN
        -- Longer than any formatted document: not one. Over 1024 octets it is over 256
        -- characters, known in constant time (length() counts every character).
        RETURN NULL;
    ELSIF p_raw ~ '^[0-9./-]+$' THEN
        -- Digits and masks only: a short translate().
        v_doc := translate(p_raw, './-', '');
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
COMMENT ON FUNCTION omni_identity.document_parse(text)
    IS 'normalize_document for any input (formatting removed, uppercase, check digits).';
