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
-- Both check digits' weighted sums in one pass: Σ c·(w1·65536 + w2) over the bytes
-- (each sum stays below 65536), read back with / and %. CPF: w1 = 10..2, w2 = 11..2;
-- d1 = (Σ c·w1 − 48·54)·10 mod 11 mod 10, d2 = (Σ c·w2 − 48·65)·10 mod 11 mod 10.
-- CNPJ: w1 = 5..2,9..2, w2 = 6..2,9..2; r = (Σ c·w − 48·Σw) mod 11 (Σw = 58, then
-- 64), digit = 0 when r < 2 else 11 − r, that is (11 − r) mod 11 mod 10.
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
        v_sums := get_byte(v_bytes, 0) * 655371 + get_byte(v_bytes, 1) * 589834 + get_byte(v_bytes, 2) * 524297
                + get_byte(v_bytes, 3) * 458760 + get_byte(v_bytes, 4) * 393223 + get_byte(v_bytes, 5) * 327686
                + get_byte(v_bytes, 6) * 262149 + get_byte(v_bytes, 7) * 196612 + get_byte(v_bytes, 8) * 131075
                + get_byte(v_bytes, 9) * 2;
        RETURN CASE WHEN (v_sums / 65536 - 2592) * 10 % 11 % 10 = get_byte(v_bytes, 9) - 48
                         AND (v_sums % 65536 - 3120) * 10 % 11 % 10 = get_byte(v_bytes, 10) - 48
                         AND v_doc <> repeat(left(v_doc, 1), 11)
                    THEN v_doc END;
    ELSIF length(v_doc) = 14 AND v_doc ~ '^[0-9A-Z]+$' AND length(p_raw) <= 256 THEN
        v_bytes := v_doc::bytea;
        v_sums := get_byte(v_bytes, 0) * 327686 + get_byte(v_bytes, 1) * 262149 + get_byte(v_bytes, 2) * 196612
                + get_byte(v_bytes, 3) * 131075 + get_byte(v_bytes, 4) * 589826 + get_byte(v_bytes, 5) * 524297
                + get_byte(v_bytes, 6) * 458760 + get_byte(v_bytes, 7) * 393223 + get_byte(v_bytes, 8) * 327686
                + get_byte(v_bytes, 9) * 262149 + get_byte(v_bytes, 10) * 196612 + get_byte(v_bytes, 11) * 131075
                + get_byte(v_bytes, 12) * 2;
        RETURN CASE WHEN (11 - (v_sums / 65536 - 2784) % 11) % 11 % 10 = get_byte(v_bytes, 12) - 48
                         AND (11 - (v_sums % 65536 - 3072) % 11) % 11 % 10 = get_byte(v_bytes, 13) - 48
                         AND v_doc <> repeat(left(v_doc, 1), 14)
                    THEN v_doc END;
    END IF;
    RETURN omni_identity.document_parse(p_raw);
END;
$fn$;
COMMENT ON FUNCTION omni_identity.normalize_document(text)
    IS 'Normalized CPF/CNPJ (formatting removed, uppercase, numeric or alphanumeric CNPJ) when the check digits hold, else NULL.';
