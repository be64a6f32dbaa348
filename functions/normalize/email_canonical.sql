-- email_canonical(p_email): the canonical form of an already normalized, valid e-mail.
-- The local part loses its +tag (from the first '+', unless nothing precedes it); at
-- gmail.com and googlemail.com it also loses its dots and the domain becomes gmail.com.
-- One chain of replacements naming p_email once, so it inlines whatever the argument.
CREATE OR REPLACE FUNCTION omni_identity.email_canonical(p_email text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN regexp_replace(
           regexp_replace(
               regexp_replace(p_email, '^([^+@]+)\+[^@]*@', '\1@'),
               '\.(?=[^@]*@(?:gmail|googlemail)\.com$)', '', 'g'),
           '@googlemail\.com$', '@gmail.com');
COMMENT ON FUNCTION omni_identity.email_canonical(text)
    IS 'Canonical form of a normalized e-mail: +tag dropped; Gmail/Googlemail dots dropped, domain gmail.com.';
