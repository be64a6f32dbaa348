-- Batch core, stage 1b (design §9.1): record the evidence of the batch's inputs.
--   Input   only the outputs of pipeline_keys, so a job can run pipeline_keys then this
--           over sales it does not cluster (the evidence upgrade), and evidence_fold
--           feeds it the rows of resolve_evidence_log (sale_id NULL) — the one home of
--           the aggregation and upsert rule for every path:
--           pg_temp.oi_cl_sale  the sales (tenant, sale id, seen_at, golden_name, and
--                               evidence: false = not a new input, left out);
--           pg_temp.oi_cl_occ   (sale, key) of the keys that survived (removed keys are
--                               never recorded);
--           pg_temp.oi_cl_key   the batch's surviving keys (their tenant).
--   Output  (in the database) per tenant, aggregated over the batch:
--           key_pairs     one row per pair of keys that appeared together in a sale,
--                         ordered a < b by (key_type, key_value COLLATE "C"):
--                         seen_count += sales that showed it, first/last seen, sale_id =
--                         the smallest such sale id unless the row already has one;
--           key_evidence  one row per key: inputs += sales that carried it, first/last
--                         seen, the greatest (seen_at, name) (golden_rank) of those sales
--                         with a name (every sale here kept ≥ 1 key), and
--                         linked_emails/phones/documents += the pairs of this batch that
--                         were new, counted per type of the other end.
--           (in the session) pg_temp.oi_cl_counted: every key written, with its counters
--                         after the write (linked_*), so that pipeline_generic reads the
--                         batch's counters from here instead of probing key_evidence again.
-- The caller holds the exclusive lock of every tenant of the batch (L1, design §5; the
-- fold also L0), so no other writer of these rows runs meanwhile; rows are written in
-- key order anyway.
-- Returns the number of key rows written.
CREATE OR REPLACE FUNCTION omni_identity.pipeline_evidence()
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $fn$
DECLARE
    v_tenant    text;
    v_keys      integer := 0;
    v_types     text[];
    v_values    text[];
    v_emails    bigint[];
    v_phones    bigint[];
    v_documents bigint[];
BEGIN
    TRUNCATE pg_temp.oi_cl_counted;
    FOR v_tenant IN SELECT DISTINCT k.tenant_id FROM pg_temp.oi_cl_key k ORDER BY 1 LOOP
        WITH occ AS (
            SELECT o.node, o.key_type, o.key_value, s.sale_id, s.seen_at, s.name
              FROM pg_temp.oi_cl_occ o
              JOIN pg_temp.oi_cl_sale s ON s.node = o.node
             WHERE s.tenant_id = v_tenant AND s.evidence
        ), pairs AS (
            INSERT INTO omni_identity.key_pairs AS p
                   (tenant_id, a_type, a_value, b_type, b_value, seen_count, first_seen_at,
                    last_seen_at, sale_id)
            SELECT v_tenant, x.key_type, x.key_value, y.key_type, y.key_value, count(*),
                   min(x.seen_at), max(x.seen_at), min(x.sale_id)
              FROM occ x
              JOIN occ y
                ON y.node = x.node
               AND (x.key_type, x.key_value COLLATE "C") < (y.key_type, y.key_value COLLATE "C")
             GROUP BY x.key_type, x.key_value, y.key_type, y.key_value
             ORDER BY x.key_type, x.key_value COLLATE "C", y.key_type, y.key_value COLLATE "C"
                ON CONFLICT (tenant_id, a_type, a_value, b_type, b_value) DO UPDATE
               SET seen_count = p.seen_count + EXCLUDED.seen_count
                 , first_seen_at = least(p.first_seen_at, EXCLUDED.first_seen_at)
                 , last_seen_at = greatest(p.last_seen_at, EXCLUDED.last_seen_at)
                 , sale_id = coalesce(p.sale_id, EXCLUDED.sale_id)
            RETURNING p.a_type, p.a_value, p.b_type, p.b_value, (p.xmax = 0) AS is_new
        ), linked AS (
            -- Each end of a new pair gains one neighbour of the other end's type.
            SELECT e.key_type, e.key_value
                 , count(*) FILTER (WHERE e.other = 'email') AS emails
                 , count(*) FILTER (WHERE e.other = 'phone') AS phones
                 , count(*) FILTER (WHERE e.other = 'document') AS documents
              FROM (SELECT n.a_type AS key_type, n.a_value AS key_value, n.b_type AS other
                      FROM pairs n WHERE n.is_new
                    UNION ALL
                    SELECT n.b_type, n.b_value, n.a_type
                      FROM pairs n WHERE n.is_new) e
             GROUP BY e.key_type, e.key_value
        ), keyed AS (
            SELECT o.key_type, o.key_value, count(*) AS inputs,
                   min(o.seen_at) AS first_seen_at, max(o.seen_at) AS last_seen_at
              FROM occ o
             GROUP BY o.key_type, o.key_value
        ), named AS (
            -- The greatest (seen_at, name) per key: one sort of the named occurrences.
            SELECT DISTINCT ON (o.key_type, o.key_value) o.key_type, o.key_value, o.name, o.seen_at
              FROM occ o
             WHERE o.name IS NOT NULL
             ORDER BY o.key_type, o.key_value, omni_identity.golden_rank(o.seen_at, o.name) DESC
        ), written AS (
            INSERT INTO omni_identity.key_evidence AS e
                   (tenant_id, key_type, key_value, inputs, first_seen_at, last_seen_at, name,
                    name_seen_at, linked_emails, linked_phones, linked_documents)
            SELECT v_tenant, k.key_type, k.key_value, k.inputs, k.first_seen_at, k.last_seen_at,
                   n.name, n.seen_at, coalesce(l.emails, 0), coalesce(l.phones, 0),
                   coalesce(l.documents, 0)
              FROM keyed k
              LEFT JOIN named n ON n.key_type = k.key_type AND n.key_value = k.key_value
              LEFT JOIN linked l ON l.key_type = k.key_type AND l.key_value = k.key_value
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
        SELECT coalesce(array_agg(w.key_type), '{}'), coalesce(array_agg(w.key_value), '{}'),
               coalesce(array_agg(w.linked_emails), '{}'), coalesce(array_agg(w.linked_phones), '{}'),
               coalesce(array_agg(w.linked_documents), '{}')
          INTO v_types, v_values, v_emails, v_phones, v_documents
          FROM written w;
        -- Into the session's table in a statement of its own: Citus cannot feed the
        -- RETURNING of a distributed upsert to an INSERT into a temporary table.
        INSERT INTO pg_temp.oi_cl_counted
               (tenant_id, key_type, key_value, linked_emails, linked_phones, linked_documents)
        SELECT v_tenant, u.t, u.v, u.e, u.p, u.d
          FROM unnest(v_types, v_values, v_emails, v_phones, v_documents) AS u(t, v, e, p, d);
        v_keys := v_keys + cardinality(v_types);
    END LOOP;
    RETURN v_keys;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.pipeline_evidence()
    IS 'Batch core stage 1b: upsert key_pairs and key_evidence of the batch''s inputs (oi_cl_sale, oi_cl_occ), aggregated per tenant.';
