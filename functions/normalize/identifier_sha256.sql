-- identifier_sha256(p_key_type, p_value): lowercase hex SHA-256 of an identifier as the
-- advertising platforms (Meta, Google, TikTok) expect it (SPEC §3), else NULL:
-- 'email' the default normalized e-mail; 'phone' E.164 without '+'; 'name' NFC,
-- lowercase, accents kept, everything but letters, marks, numbers and white space
-- removed, white space runs → one space, trimmed; 'document' the normalized CPF/CNPJ.
-- Unknown key types and invalid values → NULL. The UTF-8 bytes are taken with the
-- text → bytea cast (immutable, unlike convert_to() and textsend(), so the whole
-- function inlines): it reads backslash escapes, so an e-mail has its backslashes
-- doubled first; a phone, name or document cannot hold one. The phone's digits come
-- from phone_e164_digits (normalize_phone without its '+': nothing to drop).
-- Names that are words of letters one space apart (the usual ones) are only lowercased.
-- Other ASCII names, and ASCII plus accented Latin-1 letters, take shorter roads: NFC changes nothing there, their lowercase stays in ASCII and à–ÿ, so
-- the classes can be ASCII and Latin-1 ones; white space is replaced only where it is not
-- already one space (a usual name costs one pass of each pattern, not one per word).
-- A name past name_within_bounds() (1024 octets trimmed, 4096 as given) hashes to NULL
-- before any pattern or NFC reads it, as normalize_name refuses it.
CREATE OR REPLACE FUNCTION omni_identity.identifier_sha256(p_key_type text, p_value text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$
SELECT encode(sha256(
    CASE p_key_type
        WHEN 'email' THEN replace(omni_identity.normalize_email(p_value), '\', '\\')::bytea
        WHEN 'phone' THEN omni_identity.phone_e164_digits(p_value)::bytea
        WHEN 'document' THEN omni_identity.normalize_document(p_value)::bytea
        WHEN 'name' THEN (CASE
            WHEN NOT omni_identity.name_within_bounds(p_value) THEN NULL
            -- Words of ASCII and accented Latin-1 letters, one space apart: nothing to
            -- remove or collapse, only the lowercase to take (ASCII's when no accented
            -- letter is uppercase).
            WHEN p_value ~ ('^[A-Za-z' || omni_identity.unicode_latin1_accented_lower() || ']+(?: [A-Za-z'
                            || omni_identity.unicode_latin1_accented_lower() || ']+)*$')
                THEN lower(p_value COLLATE "C") COLLATE "default"
            WHEN p_value ~ ('^[A-Za-z' || omni_identity.unicode_latin1_accented() || ']+(?: [A-Za-z'
                            || omni_identity.unicode_latin1_accented() || ']+)*$')
                THEN omni_identity.unicode_lower(p_value) COLLATE "default"
            WHEN octet_length(p_value) = length(p_value)  -- ASCII
                THEN nullif(btrim(regexp_replace(
                         regexp_replace(lower(p_value COLLATE "C"), '[^0-9a-z\t-\r\u001c-\u001f ]+', '', 'g'),
                         '[\t-\r\u001c-\u001f ][\t-\r\u001c-\u001f ]+|[\t-\r\u001c-\u001f]', ' ', 'g'), ' '), '') COLLATE "default"
            WHEN p_value ~ ('^[\u0001-\u007f' || omni_identity.unicode_latin1_accented() || ']*$')
                THEN nullif(btrim(regexp_replace(
                         regexp_replace(omni_identity.unicode_lower(p_value), '[^0-9a-z\t-\r\u001c-\u001f \u00e0-\u00ff]+', '', 'g'),
                         '[\t-\r\u001c-\u001f ][\t-\r\u001c-\u001f ]+|[\t-\r\u001c-\u001f]', ' ', 'g'), ' '), '') COLLATE "default"
            ELSE nullif(btrim(regexp_replace(regexp_replace(
                     omni_identity.unicode_lower(normalize(p_value, NFC)),
                     '[^' || omni_identity.unicode_letter_mark_number_class() || omni_identity.unicode_space_class() || ']+', '', 'g'),
                     '[' || omni_identity.unicode_space_class() || ']+', ' ', 'g'), ' '), '') COLLATE "default"
            END)::bytea
    END), 'hex')
$fn$;
COMMENT ON FUNCTION omni_identity.identifier_sha256(text, text)
    IS 'Lowercase hex SHA-256 of an e-mail, phone (E.164 without +), name or document as ad platforms expect; NULL when invalid.';
