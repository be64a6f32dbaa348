-- The removed-keys rule (design §2, §9): which of these normalized keys of one tenant are
-- removed, i.e. never linked, stored or recorded as evidence. A key is removed when it is
--   * blocked: it matches key_blocklist — a global row (tenant_id NULL) or the tenant's
--     own, of the key's type, as exact text or as a regular expression (~, unanchored
--     unless the pattern anchors itself); or
--   * forgotten: forgotten_identifiers holds (tenant, key_type, value_sha256(value)).
-- p_key_types and p_key_values are parallel arrays; NULL values are skipped. Returns one
-- row per removed key given (duplicates in, duplicates out), with forgotten = true when
-- a tombstone exists (the callers that store raw buyer columns redact those).
-- The home of the rule: the batch core (pipeline_keys) calls it once per tenant per batch
-- with the batch's distinct keys, evidence_fold once per fold; resolve_customer_cluster
-- writes the same rule into its read-only statement (a call of this function is a PL/pgSQL
-- call and a statement more on every call: BENCHMARKS.md, resolve) and, when it waited
-- for the tenant lock, calls it;
-- tests_py/test_resolve_removed.py holds the two to the same answers.
-- Each key is probed on its own (LATERAL, OFFSET 0: an optimization fence): one probe of
-- key_blocklist_exact_value_idx, one of forgotten_identifiers' primary key and the regex
-- rows of its type through the partial key_blocklist_regex_idx — never a join of the key
-- set with a table that the planner could turn into a scan of the blocklist or of the
-- tenant's tombstones. PL/pgSQL, so it is never an SQL function inlined into another
-- statement (it reads tables: Citus cannot plan that); its plan is cached per session.
CREATE OR REPLACE FUNCTION omni_identity.removed_keys(
      p_tenant_id  text
    , p_key_types  text[]
    , p_key_values text[]
) RETURNS TABLE (key_type text, key_value text, forgotten boolean)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
SET enable_seqscan = off
SET enable_bitmapscan = off
AS $fn$
BEGIN
    RETURN QUERY
    SELECT u.t, u.v, r.forgotten
      FROM unnest(p_key_types, p_key_values) AS u(t, v)
      CROSS JOIN LATERAL (
            SELECT EXISTS (SELECT 1 FROM omni_identity.forgotten_identifiers f
                            WHERE f.tenant_id = p_tenant_id AND f.key_type = u.t
                              -- value_sha256(u.v), written out: that function is not
                              -- inlined (convert_to is STABLE), and a call of an SQL
                              -- function per key costs a statement each.
                              AND f.value_sha256 = pg_catalog.encode(pg_catalog.sha256(
                                      pg_catalog.convert_to(u.v, 'UTF8')), 'hex')) AS forgotten
                 , EXISTS (SELECT 1 FROM omni_identity.key_blocklist b
                            WHERE NOT b.is_regex AND b.value_pattern = u.v AND b.key_type = u.t
                              AND (b.tenant_id IS NULL OR b.tenant_id = p_tenant_id))
                   OR EXISTS (SELECT 1 FROM omni_identity.key_blocklist b
                               WHERE b.is_regex AND b.key_type = u.t
                                 AND (b.tenant_id IS NULL OR b.tenant_id = p_tenant_id)
                                 AND u.v ~ b.value_pattern) AS blocked
            OFFSET 0) r
     WHERE u.v IS NOT NULL AND u.t IS NOT NULL
       AND (r.forgotten OR r.blocked);
END;
$fn$;
COMMENT ON FUNCTION omni_identity.removed_keys(text, text[], text[])
    IS 'The keys of one tenant, among those given, that are removed: blocked (global or tenant blocklist, exact or regex) or forgotten (tombstone).';
