-- The blocklist rule (design §2) for the three values of one buyer: whether each normalized
-- value matches key_blocklist — the global rows (tenant_id NULL) or the
-- tenant's own, as exact text or as a regular expression (~, unanchored unless the
-- pattern anchors itself). NULL never matches.
-- Two index scans whatever the blocklist holds: the exact rows by value (one probe of
-- key_blocklist_exact_value_idx per value), the regex rows through the partial
-- key_blocklist_regex_idx. resolve_customer_cluster runs this on every call, and what a
-- call costs is mostly setting its plan up, so fewer plan nodes is what counts here: the
-- three single-value checks it replaced were eighteen scans. A one-row plain-SQL table
-- function, inlined into the calling statement. The batch core's set form of the same
-- rule is pipeline_drop_blocked_keys (PL/pgSQL). An inlined SQL function that reads a
-- table is what Citus cannot plan; resolve keeps it because the PL/pgSQL form measured
-- slower beyond noise (BENCHMARKS.md, resolve).
CREATE OR REPLACE FUNCTION omni_identity.blocked_keys(
      p_tenant_id text
    , p_email     text
    , p_phone     text
    , p_document  text
) RETURNS TABLE (email boolean, phone boolean, document boolean)
LANGUAGE sql STABLE PARALLEL SAFE
AS $fn$
    SELECT coalesce(bool_or(m.key_type = 'email'), false)
         , coalesce(bool_or(m.key_type = 'phone'), false)
         , coalesce(bool_or(m.key_type = 'document'), false)
      FROM (SELECT b.key_type
              FROM omni_identity.key_blocklist b
             WHERE NOT b.is_regex
               AND b.value_pattern = ANY (ARRAY[p_email, p_phone, p_document])
               AND b.value_pattern = CASE b.key_type WHEN 'email' THEN p_email
                                                     WHEN 'phone' THEN p_phone
                                                     WHEN 'document' THEN p_document END
               AND (b.tenant_id IS NULL OR b.tenant_id = p_tenant_id)
            UNION ALL
            SELECT b.key_type
              FROM omni_identity.key_blocklist b
             WHERE b.is_regex
               AND (b.tenant_id IS NULL OR b.tenant_id = p_tenant_id)
               AND CASE b.key_type WHEN 'email' THEN p_email
                                   WHEN 'phone' THEN p_phone
                                   WHEN 'document' THEN p_document END ~ b.value_pattern) AS m
$fn$;
COMMENT ON FUNCTION omni_identity.blocked_keys(text, text, text, text)
    IS 'One row: whether each of a buyer''s normalized e-mail, phone and document matches the blocklist. Inlined.';
