-- Take the tenant's evidence lock (L0, evidence_lock_key) EXCLUSIVE for the transaction,
-- for evidence_fold. The caller already holds the tenant lock (L1) exclusive and the
-- reconcile lock (R): order L1 → R → L0 (design §5). Only resolve calls hold L0 (shared),
-- and they wait for nothing while holding it alone (the fast path), or hold L1 shared
-- with it (the write path), which excludes our caller; so this request waits only for
-- the resolve calls in flight. It queues (a try-and-back-off loop would starve behind a
-- steady stream of returning buyers), bounded by p_max_wait (lock_timeout): meanwhile new
-- resolve calls of the tenant queue behind it, so an application transaction left open
-- after a resolve stalls them for at most p_max_wait, then OI090 (the job loop retries).
CREATE OR REPLACE FUNCTION omni_identity.evidence_lock_exclusive(p_tenant_id text, p_max_wait interval)
RETURNS void
LANGUAGE plpgsql VOLATILE STRICT PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_key   bigint := omni_identity.evidence_lock_key(p_tenant_id);
    v_saved text;
    v_held  boolean;
BEGIN
    IF pg_catalog.current_setting('citus.version', true) IS NOT NULL THEN
        -- On Citus: on the node holding the tenant's shards (tenant_node_lock), bounded there.
        SELECT l INTO v_held FROM omni_identity.tenant_node_lock(p_tenant_id, v_key, false, p_max_wait) AS l;
        IF NOT v_held THEN
            RAISE EXCEPTION 'tenant % is busy: open transactions held its evidence lock for %',
                    pg_catalog.left(p_tenant_id, 100), p_max_wait
                USING ERRCODE = 'OI090',
                      HINT = 'Retry later. A transaction that called resolve_customer_cluster holds the tenant''s evidence lock until it ends: '
                             'keep application transactions short (see pg_locks, locktype advisory).';
        END IF;
        RETURN;
    END IF;
    IF pg_catalog.pg_try_advisory_xact_lock(v_key) THEN
        RETURN;
    END IF;
    v_saved := pg_catalog.current_setting('lock_timeout');
    PERFORM pg_catalog.set_config('lock_timeout',
                                  pg_catalog.ceil(extract(epoch FROM p_max_wait) * 1000)::bigint || 'ms', true);
    BEGIN
        PERFORM pg_catalog.pg_advisory_xact_lock(v_key);
    EXCEPTION WHEN lock_not_available THEN
        PERFORM pg_catalog.set_config('lock_timeout', v_saved, true);
        RAISE EXCEPTION 'tenant % is busy: open transactions held its evidence lock for %',
                pg_catalog.left(p_tenant_id, 100), p_max_wait
            USING ERRCODE = 'OI090',
                  HINT = 'Retry later. A transaction that called resolve_customer_cluster holds the tenant''s evidence lock until it ends: '
                         'keep application transactions short (see pg_locks, locktype advisory).';
    END;
    PERFORM pg_catalog.set_config('lock_timeout', v_saved, true);
END;
$fn$;
COMMENT ON FUNCTION omni_identity.evidence_lock_exclusive(text, interval)
    IS 'Evidence lock (L0) exclusive for evidence_fold: queued, at most p_max_wait, then OI090.';
