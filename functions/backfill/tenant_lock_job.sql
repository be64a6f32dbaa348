-- The exclusive tenant lock (L1, design §5) for one batch of a job loop (backfill_customer_hash):
-- first pg_try_advisory_xact_lock, which never queues. Refused, it returns false at once,
-- unless the transaction's setting omni_identity.tenant_lock_wait (an interval, default
-- 0) allows one queued request bounded by that lock_timeout. The job loop sets it only
-- after its tries were refused for a while (CLI: 20 ms after 50 ms of refusals): with tenant
-- transactions that overlap continuously (resolves of new buyers at several clients) a
-- moment with no shared holder can be rare, and a batch that only tries would starve;
-- a queued request is granted as soon as the current holders commit, and makes live
-- calls wait at most that bound behind it. An idle transaction holding the lock makes the
-- request time out (false): the loop backs off again.
CREATE OR REPLACE FUNCTION omni_identity.tenant_lock_job(p_tenant_id text)
RETURNS boolean
LANGUAGE plpgsql VOLATILE STRICT PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_key   bigint := omni_identity.tenant_lock_key(p_tenant_id);
    v_wait  interval;
    v_saved text;
    v_held  boolean;
BEGIN
    IF pg_catalog.current_setting('citus.version', true) IS NOT NULL THEN
        -- On Citus: on the node holding the tenant's shards (tenant_node_lock), bounded there.
        v_wait := GREATEST(coalesce(nullif(pg_catalog.current_setting('omni_identity.tenant_lock_wait', true), ''), '0')::interval,
                           interval '0');
        SELECT l INTO v_held FROM omni_identity.tenant_node_lock(p_tenant_id, v_key, false, v_wait) AS l;
        RETURN v_held;
    END IF;
    IF pg_catalog.pg_try_advisory_xact_lock(v_key) THEN
        RETURN true;
    END IF;
    v_wait := coalesce(nullif(pg_catalog.current_setting('omni_identity.tenant_lock_wait', true), ''), '0')::interval;
    IF v_wait <= interval '0' THEN
        RETURN false;
    END IF;
    v_saved := pg_catalog.current_setting('lock_timeout');
    PERFORM pg_catalog.set_config('lock_timeout',
                                  pg_catalog.ceil(extract(epoch FROM v_wait) * 1000)::bigint || 'ms', true);
    BEGIN
        PERFORM pg_catalog.pg_advisory_xact_lock(v_key);
    EXCEPTION WHEN lock_not_available THEN
        PERFORM pg_catalog.set_config('lock_timeout', v_saved, true);
        RETURN false;
    END;
    PERFORM pg_catalog.set_config('lock_timeout', v_saved, true);
    RETURN true;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.tenant_lock_job(text)
    IS 'Exclusive tenant lock for a job batch: try; refused, queue at most omni_identity.tenant_lock_wait (default 0). Returns whether held.';
