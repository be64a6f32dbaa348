-- normalize_document(p_raw): a CPF (11 digits) or CNPJ (12 [0-9A-Z] + 2 digits) with
-- valid mod-11 check digits and not all characters equal, formatting removed and
-- uppercase (SPEC §3); else NULL. Check digits are weighted sums of the character codes
-- (value = ASCII − 48, so the alphanumeric CNPJ of 2026 needs no special case).
-- Fast path for the usual writings (bare or masked CPF, masked numeric CNPJ, bare
-- uppercase CNPJ): '.', '-' and '/' removed once (document_parse removes them wherever
-- they stand, so no mask position needs checking), then 11 digits or 14 [0-9A-Z] are
-- read as one bytea, and both weighted sums are taken in one pass over its bytes. PL/pgSQL names the cleaned text and its
-- bytes; an inlined SQL expression recomputed them at every one of the ~25 positions,
-- and its size made the JIT compiler spend about a second on a 1M-row query. A bare
-- 14-character body whose last two are not digits fails the check-digit comparison (a
-- letter's value is ≥ 17), as document_parse would reject it. Everything else (white
-- space, lowercase, other lengths, text longer than any formatted document) goes
-- through document_parse(), which refuses text over 256 characters from its length
-- word when it is over 1024 octets. Longer text costs this function a few linear
-- passes first (replace() finding nothing returns its input), never more: no bound is
-- tested here, where every call would pay for it.
DO $do$
DECLARE
    -- Σ c·(w1·65536 + w2) over the given 1-based positions of v_bytes: both check digits'
    -- weighted sums in one pass (each stays below 65536), read back with / and %.
    v_sum constant text := $q$(SELECT string_agg(pg_catalog.format('get_byte(v_bytes, %s) * %s', p - 1, w1 * 65536 + w2), ' + ')
                                 FROM unnest($1::int[], $2::int[], $3::int[]) AS u(p, w1, w2))$q$;
    v_cpf  text;
    v_cnpj text;
BEGIN
    -- CPF: d1 = (Σ c·(10..2) − 48·54)·10 mod 11 mod 10, d2 = (Σ c·(11..2) − 48·65)·10 mod 11 mod 10.
    EXECUTE 'SELECT ' || v_sum INTO v_cpf
      USING ARRAY[1,2,3,4,5,6,7,8,9,10], ARRAY[10,9,8,7,6,5,4,3,2,0], ARRAY[11,10,9,8,7,6,5,4,3,2];
    -- CNPJ: r = (Σ c·w − 48·Σw) mod 11 (Σw = 58, then 64), digit = 0 when r < 2 else
    -- 11 − r, that is (11 − r) mod 11 mod 10.
    EXECUTE 'SELECT ' || v_sum INTO v_cnpj
      USING ARRAY[1,2,3,4,5,6,7,8,9,10,11,12,13], ARRAY[5,4,3,2,9,8,7,6,5,4,3,2,0], ARRAY[6,5,4,3,2,9,8,7,6,5,4,3,2];
    EXECUTE pg_catalog.format($sql$
CREATE OR REPLACE FUNCTION omni_identity.normalize_document(p_raw text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
AS $fn$
DECLARE
    v_doc   text := replace(replace(replace(p_raw, '.', ''), '-', ''), '/', '');
    v_bytes bytea;
    v_sums  int;
BEGIN
    IF length(v_doc) = 11 AND v_doc ~ '^[0-9]+$' AND length(p_raw) <= 256 THEN
        -- Digits only: the cast reads no escape.
        v_bytes := v_doc::bytea;
        v_sums := %1$s;
        RETURN CASE WHEN (v_sums / 65536 - 2592) * 10 %% 11 %% 10 = get_byte(v_bytes, 9) - 48
                         AND (v_sums %% 65536 - 3120) * 10 %% 11 %% 10 = get_byte(v_bytes, 10) - 48
                         AND v_doc <> repeat(left(v_doc, 1), 11)
                    THEN v_doc END;
    ELSIF length(v_doc) = 14 AND v_doc ~ '^[0-9A-Z]+$' AND length(p_raw) <= 256 THEN
        v_bytes := v_doc::bytea;
        v_sums := %2$s;
        RETURN CASE WHEN (11 - (v_sums / 65536 - 2784) %% 11) %% 11 %% 10 = get_byte(v_bytes, 12) - 48
                         AND (11 - (v_sums %% 65536 - 3072) %% 11) %% 11 %% 10 = get_byte(v_bytes, 13) - 48
                         AND v_doc <> repeat(left(v_doc, 1), 14)
                    THEN v_doc END;
    END IF;
    RETURN omni_identity.document_parse(p_raw);
END;
$fn$
$sql$, v_cpf, v_cnpj);
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
