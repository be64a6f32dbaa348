-- The generic-value rule, once (SPEC §12, design §9): a key linked to more than
-- p_threshold distinct keys of one other type is generic (it stops linking); a threshold
-- of 0 turns the guard off. The counters are key_evidence.linked_* (a key's counter of
-- its own type is 0). Reads no table; plain SQL without a SET clause so that it is
-- inlined into the statement that calls it (an index condition stays an index condition).
CREATE OR REPLACE FUNCTION omni_identity.key_is_generic(
      p_linked_emails    bigint
    , p_linked_phones    bigint
    , p_linked_documents bigint
    , p_threshold        integer
) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$
    SELECT p_threshold > 0
       AND pg_catalog.int8gt(GREATEST(p_linked_emails, p_linked_phones, p_linked_documents), p_threshold::bigint)
$fn$;
COMMENT ON FUNCTION omni_identity.key_is_generic(bigint, bigint, bigint, integer)
    IS 'The generic-value rule: more than p_threshold distinct keys of one other type (0 = guard off).';
