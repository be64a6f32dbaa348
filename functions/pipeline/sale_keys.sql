-- The keys of one sale (design §1): its normalized e-mail, phone and document as
-- (key_type, key_value) rows, absent values left out. The arguments are already
-- normalized (and the caller drops blocked keys). Plain SQL, one SELECT, not STRICT, no
-- SET clause: used LATERAL, the planner inlines it as a VALUES scan per sale.
CREATE OR REPLACE FUNCTION omni_identity.sale_keys(
      p_email    text
    , p_phone    text
    , p_document text
) RETURNS TABLE (key_type text, key_value text)
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$
    SELECT v.key_type, v.key_value
      FROM (VALUES ('email'::text, p_email), ('phone', p_phone), ('document', p_document))
               AS v(key_type, key_value)
     WHERE v.key_value IS NOT NULL
$fn$;
COMMENT ON FUNCTION omni_identity.sale_keys(text, text, text)
    IS 'A sale''s keys: (key_type, key_value) of its non-NULL normalized e-mail, phone and document. Inlined.';
