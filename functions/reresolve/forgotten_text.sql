-- Whether a stored text is a surface form of a forgotten value (design §9): it normalizes,
-- as an e-mail, a phone or a document, to one of the normalized values being forgotten
-- (p_emails, p_phones, p_documents; an empty array skips that normalizer). So a buyer
-- column, a golden name or a field of a rejected row written "(11) 3456-7890" matches the
-- forgotten +551134567890. Plain SQL without a SET clause: inlined into the scans of
-- redact_values.
CREATE OR REPLACE FUNCTION omni_identity.forgotten_text(
      p_text      text
    , p_emails    text[]
    , p_phones    text[]
    , p_documents text[]
) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$
    SELECT p_text IS NOT NULL
       AND ((pg_catalog.cardinality(p_emails) > 0 AND omni_identity.normalize_email(p_text) = ANY (p_emails))
         OR (pg_catalog.cardinality(p_phones) > 0 AND omni_identity.normalize_phone(p_text) = ANY (p_phones))
         OR (pg_catalog.cardinality(p_documents) > 0 AND omni_identity.normalize_document(p_text) = ANY (p_documents)))
$fn$;
COMMENT ON FUNCTION omni_identity.forgotten_text(text, text[], text[], text[])
    IS 'True when the text normalizes (as e-mail, phone or document) to one of the forgotten values. Inlined.';
