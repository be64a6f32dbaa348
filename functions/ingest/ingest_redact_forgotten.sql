-- Forgotten values in an ingest or upload batch (design §9.1, SPEC §12): before the
-- upsert, the buyer columns of pg_temp.oi_ingest_checked whose normalized value the
-- tenant has forgotten (removed_keys: a tombstone) become NULL, in the row to store and in
-- its raw jsonb (kept for rejects), so the plaintext is never stored again and a resend of
-- a redacted sale compares equal to the stored row (not a new input). Nothing to do, and
-- nothing normalized here, when the tenant has no tombstone. Returns the rows changed.
CREATE OR REPLACE FUNCTION omni_identity.ingest_redact_forgotten(p_tenant_id text)
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $fn$
DECLARE
    v_n integer;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM omni_identity.forgotten_identifiers f WHERE f.tenant_id = p_tenant_id) THEN
        RETURN 0;
    END IF;
    WITH norm AS (
        SELECT c.row_no
             , CASE WHEN c.buyer_email IS NOT NULL THEN omni_identity.normalize_email(c.buyer_email) END AS e
             , CASE WHEN c.buyer_phone IS NOT NULL THEN omni_identity.normalize_phone(c.buyer_phone) END AS p
             , CASE WHEN c.buyer_document IS NOT NULL THEN omni_identity.normalize_document(c.buyer_document) END AS d
          FROM pg_temp.oi_ingest_checked c
         WHERE c.buyer_email IS NOT NULL OR c.buyer_phone IS NOT NULL OR c.buyer_document IS NOT NULL
    ), keyset AS (
        SELECT DISTINCT k.key_type, k.key_value
          FROM norm n CROSS JOIN LATERAL omni_identity.sale_keys(n.e, n.p, n.d) k
    ), forgotten AS (
        SELECT r.key_type, r.key_value
          FROM (SELECT array_agg(k.key_type) AS types, array_agg(k.key_value) AS vals FROM keyset k) a
         CROSS JOIN LATERAL omni_identity.removed_keys(p_tenant_id, a.types, a.vals) r
         WHERE r.forgotten
    ), hit AS (
        SELECT n.row_no
             , n.e IN (SELECT f.key_value FROM forgotten f WHERE f.key_type = 'email') AS e
             , n.p IN (SELECT f.key_value FROM forgotten f WHERE f.key_type = 'phone') AS p
             , n.d IN (SELECT f.key_value FROM forgotten f WHERE f.key_type = 'document') AS d
          FROM norm n
    )
    UPDATE pg_temp.oi_ingest_checked c
       SET buyer_email = CASE WHEN h.e THEN NULL ELSE c.buyer_email END
         , buyer_phone = CASE WHEN h.p THEN NULL ELSE c.buyer_phone END
         , buyer_document = CASE WHEN h.d THEN NULL ELSE c.buyer_document END
         , raw = CASE WHEN jsonb_typeof(c.raw) <> 'object' THEN c.raw
                      ELSE c.raw
                           || CASE WHEN h.e AND c.raw ? 'buyer_email' THEN '{"buyer_email": null}'::jsonb ELSE '{}'::jsonb END
                           || CASE WHEN h.p AND c.raw ? 'buyer_phone' THEN '{"buyer_phone": null}'::jsonb ELSE '{}'::jsonb END
                           || CASE WHEN h.d AND c.raw ? 'buyer_document' THEN '{"buyer_document": null}'::jsonb ELSE '{}'::jsonb END
                 END
      FROM hit h
     WHERE h.row_no = c.row_no AND (h.e OR h.p OR h.d);
    GET DIAGNOSTICS v_n = ROW_COUNT;
    RETURN v_n;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.ingest_redact_forgotten(text)
    IS 'Ingest/upload: NULL the buyer columns (and raw jsonb keys) of pg_temp.oi_ingest_checked whose normalized value the tenant has forgotten.';
