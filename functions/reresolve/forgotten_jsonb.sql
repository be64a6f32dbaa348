-- A stored JSON value with the surface forms of forgotten values taken out (design §9):
-- every field of an object whose value is, or contains, a string or number that
-- forgotten_text matches becomes JSON null; a value that is no object becomes null when
-- it contains one. Unchanged when nothing matches (callers compare to find the rows to
-- rewrite). Plain SQL without a SET clause: inlined into redact_values.
CREATE OR REPLACE FUNCTION omni_identity.forgotten_jsonb(
      p_value     jsonb
    , p_emails    text[]
    , p_phones    text[]
    , p_documents text[]
) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$
    SELECT CASE
        WHEN NOT EXISTS (SELECT FROM pg_catalog.jsonb_path_query(p_value, 'strict $.**') AS q(v)
                          WHERE pg_catalog.jsonb_typeof(q.v) IN ('string', 'number')
                            AND omni_identity.forgotten_text(q.v #>> '{}', p_emails, p_phones, p_documents))
            THEN p_value
        WHEN pg_catalog.jsonb_typeof(p_value) <> 'object' THEN 'null'::jsonb
        ELSE (SELECT pg_catalog.jsonb_object_agg(f.key,
                     CASE WHEN EXISTS (SELECT FROM pg_catalog.jsonb_path_query(f.value, 'strict $.**') AS q(v)
                                        WHERE pg_catalog.jsonb_typeof(q.v) IN ('string', 'number')
                                          AND omni_identity.forgotten_text(q.v #>> '{}', p_emails, p_phones, p_documents))
                          THEN 'null'::jsonb ELSE f.value END)
                FROM pg_catalog.jsonb_each(p_value) AS f(key, value))
    END
$fn$;
COMMENT ON FUNCTION omni_identity.forgotten_jsonb(jsonb, text[], text[], text[])
    IS 'A JSON value with every field that holds a forgotten value set to null (non-objects: null). Inlined.';
