-- Record inputs as evidence (design §9.1): the one home of the aggregation and upsert
-- rule, for every path — the batch core (pipeline_evidence: a batch's sales, or the
-- evidence log's rows that evidence_fold feeds it) and the write path of
-- resolve_customer_cluster (its one input, recorded in the call).
--   Input   one element per input, the arrays aligned: its sale id (NULL: a resolve call,
--           no sale showed it), seen_at, name (golden_name; NULL: none counts), and its
--           surviving e-mail, phone and document (NULL: absent or removed). An input
--           has at most one key of each type.
--   Output  (in the database) for the tenant, aggregated over the inputs:
--           key_pairs     one row per pair of keys that appeared together in an input,
--                         ordered a < b by (key_type, key_value COLLATE "C") — with one
--                         key of each type, the pairs are (document, email),
--                         (document, phone), (email, phone): seen_count += inputs that
--                         showed it, first/last seen, sale_id = the smallest such sale id
--                         unless the row already has one;
--           key_evidence  one row per key: inputs += inputs that carried it, first/last
--                         seen, the greatest (seen_at, name) (golden_rank) of those inputs
--                         with a name, and linked_emails/phones/documents += the pairs
--                         written here that were new, counted per type of the other end.
--           Returns every key written with its counters after the write, so a caller
--           applies the generic-value rule (key_is_generic) without reading them again.
-- The statement has no join: pairs and keys come from the inputs by UNION ALL and are
-- aggregated, so its plan is the same for three inputs and for a million, whatever the
-- estimates (an array's length is unknown to a generic plan).
-- The caller holds what keeps other writers of these rows out: the tenant's lock (L1)
-- exclusive for a batch or the fold, or L1 shared and the key locks (L2) of every key of
-- its input for resolve (design §5). Rows are written in key order anyway.
CREATE OR REPLACE FUNCTION omni_identity.evidence_record(
      p_tenant_id text
    , p_sale_ids  bigint[]
    , p_seen_at   timestamptz[]
    , p_names     text[]
    , p_emails    text[]
    , p_phones    text[]
    , p_documents text[]
) RETURNS TABLE (key_type text, key_value text, linked_emails bigint, linked_phones bigint,
                 linked_documents bigint)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $fn$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    WITH i AS (
        SELECT u.sale_id, u.seen_at, u.name, u.e, u.p, u.d
          FROM unnest(p_sale_ids, p_seen_at, p_names, p_emails, p_phones, p_documents)
               AS u(sale_id, seen_at, name, e, p, d)
    ), pairs AS (
        INSERT INTO omni_identity.key_pairs AS p
               (tenant_id, a_type, a_value, b_type, b_value, seen_count, first_seen_at,
                last_seen_at, sale_id)
        SELECT p_tenant_id, x.a_type, x.a_value, x.b_type, x.b_value, count(*),
               min(x.seen_at), max(x.seen_at), min(x.sale_id)
          FROM (SELECT 'document' AS a_type, i.d AS a_value, 'email' AS b_type, i.e AS b_value, i.seen_at, i.sale_id
                  FROM i WHERE i.d IS NOT NULL AND i.e IS NOT NULL
                UNION ALL
                SELECT 'document', i.d, 'phone', i.p, i.seen_at, i.sale_id
                  FROM i WHERE i.d IS NOT NULL AND i.p IS NOT NULL
                UNION ALL
                SELECT 'email', i.e, 'phone', i.p, i.seen_at, i.sale_id
                  FROM i WHERE i.e IS NOT NULL AND i.p IS NOT NULL) x
         GROUP BY x.a_type, x.a_value, x.b_type, x.b_value
         ORDER BY x.a_type, x.a_value COLLATE "C", x.b_type, x.b_value COLLATE "C"
            ON CONFLICT (tenant_id, a_type, a_value, b_type, b_value) DO UPDATE
           SET seen_count = p.seen_count + EXCLUDED.seen_count
             , first_seen_at = least(p.first_seen_at, EXCLUDED.first_seen_at)
             , last_seen_at = greatest(p.last_seen_at, EXCLUDED.last_seen_at)
             , sale_id = coalesce(p.sale_id, EXCLUDED.sale_id)
        RETURNING p.a_type, p.a_value, p.b_type, p.b_value, (p.xmax = 0) AS is_new
    ), seen AS (
        -- Each input carrying the key (one input, its name), and each end of a new pair
        -- (one neighbour of the other end's type): summed per key below.
        SELECT 'email' AS key_type, i.e AS key_value, 1 AS inputs, i.seen_at, i.name,
               0 AS emails, 0 AS phones, 0 AS documents
          FROM i WHERE i.e IS NOT NULL
        UNION ALL
        SELECT 'phone', i.p, 1, i.seen_at, i.name, 0, 0, 0 FROM i WHERE i.p IS NOT NULL
        UNION ALL
        SELECT 'document', i.d, 1, i.seen_at, i.name, 0, 0, 0 FROM i WHERE i.d IS NOT NULL
        UNION ALL
        SELECT n.a_type, n.a_value, 0, NULL, NULL,
               (n.b_type = 'email')::integer, (n.b_type = 'phone')::integer, (n.b_type = 'document')::integer
          FROM pairs n WHERE n.is_new
        UNION ALL
        SELECT n.b_type, n.b_value, 0, NULL, NULL,
               (n.a_type = 'email')::integer, (n.a_type = 'phone')::integer, (n.a_type = 'document')::integer
          FROM pairs n WHERE n.is_new
    ), keyed AS (
        SELECT s.key_type, s.key_value, sum(s.inputs) AS inputs,
               min(s.seen_at) AS first_seen_at, max(s.seen_at) AS last_seen_at,
               sum(s.emails) AS emails, sum(s.phones) AS phones, sum(s.documents) AS documents,
               -- The greatest (seen_at, name) of the named inputs (golden_rank), by
               -- max over one-element arrays: array order compares the golden_value
               -- rows, with no sort per key.
               (max(ARRAY[omni_identity.golden_rank(s.seen_at, s.name)])
                    FILTER (WHERE s.name IS NOT NULL))[1] AS named
          FROM seen s
         GROUP BY s.key_type, s.key_value
    ), written AS (
        INSERT INTO omni_identity.key_evidence AS e
               (tenant_id, key_type, key_value, inputs, first_seen_at, last_seen_at, name,
                name_seen_at, linked_emails, linked_phones, linked_documents)
        SELECT p_tenant_id, k.key_type, k.key_value, k.inputs, k.first_seen_at, k.last_seen_at,
               (k.named).value, (k.named).seen_at, k.emails, k.phones, k.documents
          FROM keyed k
         ORDER BY k.key_type, k.key_value COLLATE "C"
            ON CONFLICT (tenant_id, key_type, key_value) DO UPDATE
           SET inputs = e.inputs + EXCLUDED.inputs
             , first_seen_at = least(e.first_seen_at, EXCLUDED.first_seen_at)
             , last_seen_at = greatest(e.last_seen_at, EXCLUDED.last_seen_at)
             , name = CASE WHEN omni_identity.golden_wins(EXCLUDED.name_seen_at, EXCLUDED.name, e.name_seen_at, e.name)
                           THEN EXCLUDED.name ELSE e.name END
             , name_seen_at = CASE WHEN omni_identity.golden_wins(EXCLUDED.name_seen_at, EXCLUDED.name, e.name_seen_at, e.name)
                                   THEN EXCLUDED.name_seen_at ELSE e.name_seen_at END
             , linked_emails = e.linked_emails + EXCLUDED.linked_emails
             , linked_phones = e.linked_phones + EXCLUDED.linked_phones
             , linked_documents = e.linked_documents + EXCLUDED.linked_documents
        RETURNING e.key_type, e.key_value, e.linked_emails, e.linked_phones, e.linked_documents
    )
    SELECT w.key_type, w.key_value, w.linked_emails, w.linked_phones, w.linked_documents
      FROM written w;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.evidence_record(text, bigint[], timestamptz[], text[], text[], text[], text[])
    IS 'Upsert key_pairs and key_evidence for inputs (aligned arrays: sale id, seen_at, name, e-mail, phone, document); returns the keys written with their linked counters.';
