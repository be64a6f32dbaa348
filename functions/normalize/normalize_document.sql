-- normalize_document(p_raw): a CPF (11 digits) or CNPJ (12 [0-9A-Z] + 2 digits) with
-- valid mod-11 check digits and not all characters equal, formatting removed and
-- uppercase (SPEC §3); else NULL. Check digits are weighted sums of the character codes
-- (value = ASCII − 48, so the alphanumeric CNPJ of 2026 needs no special case).
-- Fast path, inlined into the caller: the usual writings (bare or masked CPF, masked
-- numeric CNPJ, bare numeric or alphanumeric uppercase CNPJ) are recognized by their
-- length and one regular expression (a masked CPF by its '.' at position 4 first), and
-- their check digits computed straight from the characters' positions in the raw text
-- (no cleaning pass; replace() is much cheaper than translate()). Character codes are
-- read as get_byte(p_raw::bytea, i): safe there, since the pattern has admitted only
-- [0-9A-Z./-] (no backslash), and cheaper than decode(…, 'escape') or ascii(substr()).
-- A bare 14-character body of [0-9A-Z] whose last two are not digits fails the check-
-- digit comparison (a letter's value is ≥ 17), as document_parse would reject it.
-- Everything else goes through document_parse(). Pass a column or a variable: an
-- expression argument would be evaluated at every one of those positions.
DO $do$
DECLARE
    -- Sum of weight × character code over the given 1-based positions of p_raw.
    v_sum constant text := $q$(SELECT string_agg(pg_catalog.format('get_byte(p_raw::bytea, %s) * %s', p - 1, w), ' + ')
                                 FROM unnest($1::int[], $2::int[]) AS u(p, w))$q$;
    v_cpf_bare   text;
    v_cpf_mask   text;
    v_cnpj_bare  text;
    v_cnpj_mask  text;
    v_s1 text;
    v_s2 text;
BEGIN
    -- CPF: d1 = (Σ c·(10..2) − 48·54)·10 mod 11 mod 10, d2 = (Σ c·(11..2) − 48·65)·10 mod 11 mod 10.
    EXECUTE 'SELECT ' || v_sum INTO v_s1 USING ARRAY[1,2,3,4,5,6,7,8,9], ARRAY[10,9,8,7,6,5,4,3,2];
    EXECUTE 'SELECT ' || v_sum INTO v_s2 USING ARRAY[1,2,3,4,5,6,7,8,9,10], ARRAY[11,10,9,8,7,6,5,4,3,2];
    v_cpf_bare := pg_catalog.format('((%s - 2592) * 10 %% 11 %% 10 = get_byte(p_raw::bytea, 9) - 48 AND (%s - 3120) * 10 %% 11 %% 10 = get_byte(p_raw::bytea, 10) - 48)', v_s1, v_s2);
    EXECUTE 'SELECT ' || v_sum INTO v_s1 USING ARRAY[1,2,3,5,6,7,9,10,11], ARRAY[10,9,8,7,6,5,4,3,2];
    EXECUTE 'SELECT ' || v_sum INTO v_s2 USING ARRAY[1,2,3,5,6,7,9,10,11,13], ARRAY[11,10,9,8,7,6,5,4,3,2];
    v_cpf_mask := pg_catalog.format('((%s - 2592) * 10 %% 11 %% 10 = get_byte(p_raw::bytea, 12) - 48 AND (%s - 3120) * 10 %% 11 %% 10 = get_byte(p_raw::bytea, 13) - 48)', v_s1, v_s2);
    -- CNPJ: r = (Σ c·w − 48·Σw) mod 11 (Σw = 58, then 64), digit = 0 when r < 2 else
    -- 11 − r, that is (11 − r) mod 11 mod 10.
    EXECUTE 'SELECT ' || v_sum INTO v_s1 USING ARRAY[1,2,3,4,5,6,7,8,9,10,11,12], ARRAY[5,4,3,2,9,8,7,6,5,4,3,2];
    EXECUTE 'SELECT ' || v_sum INTO v_s2 USING ARRAY[1,2,3,4,5,6,7,8,9,10,11,12,13], ARRAY[6,5,4,3,2,9,8,7,6,5,4,3,2];
    v_cnpj_bare := pg_catalog.format('((11 - (%s - 2784) %% 11) %% 11 %% 10 = get_byte(p_raw::bytea, 12) - 48 AND (11 - (%s - 3072) %% 11) %% 11 %% 10 = get_byte(p_raw::bytea, 13) - 48)', v_s1, v_s2);
    EXECUTE 'SELECT ' || v_sum INTO v_s1 USING ARRAY[1,2,4,5,6,8,9,10,12,13,14,15], ARRAY[5,4,3,2,9,8,7,6,5,4,3,2];
    EXECUTE 'SELECT ' || v_sum INTO v_s2 USING ARRAY[1,2,4,5,6,8,9,10,12,13,14,15,17], ARRAY[6,5,4,3,2,9,8,7,6,5,4,3,2];
    v_cnpj_mask := pg_catalog.format('((11 - (%s - 2784) %% 11) %% 11 %% 10 = get_byte(p_raw::bytea, 16) - 48 AND (11 - (%s - 3072) %% 11) %% 11 %% 10 = get_byte(p_raw::bytea, 17) - 48)', v_s1, v_s2);
    EXECUTE pg_catalog.format($sql$
CREATE OR REPLACE FUNCTION omni_identity.normalize_document(p_raw text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$
SELECT CASE length(p_raw)
    WHEN 11 THEN CASE WHEN p_raw ~ '^[0-9]+$'
                      THEN CASE WHEN ltrim(p_raw, left(p_raw, 1)) <> '' AND %1$s THEN p_raw END
                      ELSE omni_identity.document_parse(p_raw) END
    WHEN 14 THEN CASE WHEN substr(p_raw, 4, 1) = '.'
                      THEN CASE WHEN p_raw ~ '^[0-9][0-9][0-9][.][0-9][0-9][0-9][.][0-9][0-9][0-9]-[0-9][0-9]$'
                                THEN CASE WHEN ltrim(p_raw, left(p_raw, 1) || '.-') <> '' AND %2$s
                                          THEN replace(replace(p_raw, '.', ''), '-', '') END
                                ELSE omni_identity.document_parse(p_raw) END
                      WHEN p_raw ~ '^[0-9A-Z]+$'
                      THEN CASE WHEN ltrim(p_raw, left(p_raw, 1)) <> '' AND %3$s THEN p_raw END
                      ELSE omni_identity.document_parse(p_raw) END
    WHEN 18 THEN CASE WHEN p_raw ~ '^[0-9][0-9][.][0-9][0-9][0-9][.][0-9][0-9][0-9]/[0-9][0-9][0-9][0-9]-[0-9][0-9]$'
                      THEN CASE WHEN ltrim(p_raw, left(p_raw, 1) || './-') <> '' AND %4$s
                                THEN replace(replace(replace(p_raw, '.', ''), '/', ''), '-', '') END
                      ELSE omni_identity.document_parse(p_raw) END
    ELSE omni_identity.document_parse(p_raw)
END
$fn$
$sql$, v_cpf_bare, v_cpf_mask, v_cnpj_bare, v_cnpj_mask);
END
$do$;
COMMENT ON FUNCTION omni_identity.normalize_document(text)
    IS 'Normalized CPF/CNPJ (formatting removed, uppercase, numeric or alphanumeric CNPJ) when the check digits hold, else NULL.';

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
    IF length(p_raw) > 256 THEN
        -- Longer than any formatted document: not one (and 1 MB inputs stay cheap).
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
