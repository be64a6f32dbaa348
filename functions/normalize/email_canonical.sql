-- email_canonical(p_email): the canonical form of an already normalized, valid e-mail.
-- The local part loses its +tag (from the first '+', unless nothing precedes it); at
-- gmail.com and googlemail.com it also loses its dots and the domain becomes gmail.com.
CREATE OR REPLACE FUNCTION omni_identity.email_canonical(p_email text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$
SELECT CASE WHEN split_part(p_email, '@', 2) IN ('gmail.com', 'googlemail.com')
            THEN replace(regexp_replace(split_part(p_email, '@', 1), '^([^+]+)\+.*$', '\1'), '.', '')
                 || '@gmail.com'
            ELSE regexp_replace(p_email, '^([^+@]+)\+[^@]*@', '\1@')
       END
$fn$;
COMMENT ON FUNCTION omni_identity.email_canonical(text)
    IS 'Canonical form of a normalized e-mail: +tag dropped; Gmail/Googlemail dots dropped, domain gmail.com.';
