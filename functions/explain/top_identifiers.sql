-- Where junk hides (SPEC §13): the tenant's p_limit keys linked to the most distinct keys
-- of one other type, greatest(linked_emails, linked_phones, linked_documents) first, with
-- their status (generic or active, key_is_generic with the tenant's threshold), live
-- cluster and evidence counters. One walk of key_evidence_linked_idx (migration 0170)
-- stopped at p_limit rows, never a scan of the evidence; keys tied at the cut are taken
-- in index order. Evidence of direct resolve calls becomes visible here after the next
-- fold of the evidence log (reconcile, design §9). OI103: p_limit outside 1..1000.
CREATE OR REPLACE FUNCTION omni_identity.top_identifiers(
      p_tenant_id text
    , p_limit     integer DEFAULT 20
) RETURNS TABLE (key_type text, key_value text, status text, cluster_id uuid, linked_emails bigint,
                 linked_phones bigint, linked_documents bigint, inputs bigint)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_threshold integer;
BEGIN
    PERFORM omni_identity.require_tenant(p_tenant_id);
    IF p_limit IS NULL OR p_limit < 1 OR p_limit > 1000 THEN
        RAISE EXCEPTION 'p_limit must be between 1 and 1000, not %', coalesce(p_limit::text, 'NULL')
            USING ERRCODE = 'OI103', HINT = 'Pass p_limit from 1 to 1000 (default 20).';
    END IF;
    v_threshold := omni_identity.generic_threshold(p_tenant_id);
    RETURN QUERY
    SELECT e.key_type, e.key_value
         , CASE WHEN omni_identity.key_is_generic(e.linked_emails, e.linked_phones, e.linked_documents, v_threshold)
                THEN 'generic' ELSE 'active' END
         , c.live, e.linked_emails, e.linked_phones, e.linked_documents, e.inputs
      FROM (SELECT x.key_type, x.key_value, x.linked_emails, x.linked_phones, x.linked_documents, x.inputs
                 , row_number() OVER () AS n
              FROM (SELECT y.key_type, y.key_value, y.linked_emails, y.linked_phones, y.linked_documents, y.inputs
                      FROM omni_identity.key_evidence y
                     WHERE y.tenant_id = p_tenant_id
                     ORDER BY GREATEST(y.linked_emails, y.linked_phones, y.linked_documents) DESC
                     LIMIT p_limit) x) e
      LEFT JOIN LATERAL (SELECT coalesce(cc.merged_into, cc.cluster_id) AS live
                           FROM omni_identity.customer_cluster_keys k
                           JOIN omni_identity.customer_cluster cc
                             ON cc.tenant_id = k.tenant_id AND cc.cluster_id = k.cluster_id
                          WHERE k.tenant_id = p_tenant_id AND cc.tenant_id = p_tenant_id
                            AND k.key_type = e.key_type AND k.key_value = e.key_value
                         OFFSET 0) c ON true
     ORDER BY e.n;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.top_identifiers(text, integer)
    IS 'The tenant''s keys linked to the most distinct keys of one other type (where junk hides): status, live cluster, counters.';
