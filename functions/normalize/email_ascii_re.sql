-- A valid address in printable ASCII, either case: local part of printable characters but
-- '"', '.' and '@' in dot-separated runs; LDH labels; a last label not all digits.
CREATE OR REPLACE FUNCTION omni_identity.email_ascii_re()
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN '^[!#-\-/-?A-~]+(?:\.[!#-\-/-?A-~]+)*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+'
    || '(?:[A-Za-z0-9]*[A-Za-z][A-Za-z0-9]*|[A-Za-z0-9][A-Za-z0-9-]*-[A-Za-z0-9-]*[A-Za-z0-9])$';
COMMENT ON FUNCTION omni_identity.email_ascii_re()
    IS 'Anchored regular expression of a valid e-mail written in printable ASCII (either case).';
