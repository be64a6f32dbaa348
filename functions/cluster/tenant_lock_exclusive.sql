-- Take the exclusive tenant lock (L1 of design §5, tenant_lock_key) for a batch writer WITHOUT joining
-- the lock queue: a request that waits in the queue makes every later shared request
-- (every resolve_customer_cluster of the tenant that writes) wait behind it, so one open
-- transaction that holds the lock shared (an application idle after a resolve) stops the
-- tenant's resolves for as long as it stays open. Instead: pg_try_advisory_xact_lock,
-- and while the lock is held shared by someone, sleep (exponential backoff from 1 ms to
-- 50 ms, with jitter) and try again, for at most p_max_wait; then OI035. Live calls
-- never wait behind the request, only behind the batch once it holds the lock.
-- Callers: ingest_staged_sales (ingest_sales and the upload, application paths) and
-- cluster_sales_batch (automatic mode, from an application's INSERT); the backfill tries
-- once per tenant and lets its job loop back off (backfill_customer_hash).
-- No deadlock is possible through this lock: it never waits in the queue, and sleeping
-- holds only what the caller already held.
-- On Citus each try is taken on the node holding the tenant's shards (tenant_node_lock),
-- so a batch run on the coordinator and a resolve delegated to the worker exclude each
-- other; on one node it is the plain try (branch on citus.version, defined where Citus is
-- loaded).
CREATE OR REPLACE FUNCTION omni_identity.tenant_lock_exclusive(p_tenant_id text, p_max_wait interval)
RETURNS void
LANGUAGE plpgsql VOLATILE STRICT PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_key      bigint := omni_identity.tenant_lock_key(p_tenant_id);
    v_deadline timestamptz := pg_catalog.clock_timestamp() + p_max_wait;
    v_backoff  double precision := 0.001::double precision;
    v_left     double precision;
    v_citus    boolean := pg_catalog.current_setting('citus.version', true) IS NOT NULL;
    v_held     boolean;
BEGIN
    LOOP
        IF v_citus THEN
            SELECT l INTO v_held FROM omni_identity.tenant_node_lock(p_tenant_id, v_key, false, interval '0') AS l;
        ELSE
            v_held := pg_catalog.pg_try_advisory_xact_lock(v_key);
        END IF;
        IF v_held THEN
            RETURN;
        END IF;
        v_left := extract(epoch FROM v_deadline - pg_catalog.clock_timestamp())::double precision;
        EXIT WHEN v_left <= 0;
        PERFORM pg_catalog.pg_sleep(LEAST(v_backoff * (0.5::double precision + pg_catalog.random()), v_left));
        v_backoff := LEAST(v_backoff * 2, 0.05::double precision);
    END LOOP;
    RAISE EXCEPTION 'tenant % is busy: open transactions held its lock for %',
            pg_catalog.left(p_tenant_id, 100), p_max_wait
        USING ERRCODE = 'OI035',
              HINT = 'Retry later. A transaction that called resolve_customer_cluster holds the tenant''s lock until it ends: '
                     'keep application transactions short (see pg_locks, locktype advisory).';
END;
$fn$;
COMMENT ON FUNCTION omni_identity.tenant_lock_exclusive(text, interval)
    IS 'Exclusive tenant lock (L1) for batch writers without queueing: try, back off, retry for at most p_max_wait, then OI035.';
