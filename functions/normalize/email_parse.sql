-- email_parse(p_raw): normalize_email for any input. Trim white space (str.isspace,
-- U+200B, U+FEFF), NFC, Unicode lowercase, then the grammar: exactly one '@'; local
-- part 1–64 characters without white space, controls (Cc) or '"', no leading, trailing
-- or double dot; domain ≤ 253 characters of ≥ 2 LDH labels of 1–63 characters, the last
-- not all digits; the whole address at most 254 octets (RFC 5321), counted on the
-- trimmed text and again on the result. unicode_lower() maps all of Unicode whatever
-- the database's LC_CTYPE (its collation is picked at apply time, unicode_lower/).
-- Bounds first: PostgreSQL's NFC sorts a run of combining marks in quadratic time and
-- cannot be interrupted (no statement_timeout, no pg_terminate_backend), so no text
-- longer than an address reaches normalize(). Text over 4096 octets as given (white
-- space padding included) is refused before trimming, so btrim() stays cheap too;
-- octet_length() reads the length word, whatever the size of the text.
CREATE OR REPLACE FUNCTION omni_identity.email_parse(p_raw text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
AS $fn$
DECLARE
    v_email  text;
    v_at     int;
    v_domain text;
BEGIN
    IF octet_length(p_raw) > 4096 THEN
        RETURN NULL;
    END IF;
    v_email := btrim(p_raw, omni_identity.unicode_space_chars());
    IF octet_length(v_email) > 254 THEN
        RETURN NULL;
    END IF;
    v_email := omni_identity.unicode_lower(normalize(v_email, NFC));
    v_at := strpos(v_email, '@');
    v_domain := substr(v_email, v_at + 1);
    IF v_at NOT BETWEEN 2 AND 65 OR strpos(v_domain, '@') > 0 OR length(v_domain) > 253
       OR octet_length(v_email) > 254 THEN
        RETURN NULL;
    END IF;
    IF left(v_email, v_at - 1) !~ ('^[^@."\u0001-\u001f\u007f-\u009f' || omni_identity.unicode_space_class()
                                    || ']+(?:\.[^@."\u0001-\u001f\u007f-\u009f'
                                    || omni_identity.unicode_space_class() || ']+)*$') THEN
        RETURN NULL;
    END IF;
    IF v_domain !~ '^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?:[a-z0-9]*[a-z][a-z0-9]*|[a-z0-9][a-z0-9-]*-[a-z0-9-]*[a-z0-9])$'
       OR v_domain ~ '[^.]{64}' THEN
        RETURN NULL;
    END IF;
    RETURN v_email;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.email_parse(text)
    IS 'normalize_email for any input: trim, NFC, Unicode lowercase, then the SPEC §3 grammar and at most 254 octets; NULL when invalid.';
