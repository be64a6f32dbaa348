-- Take a transaction-level advisory lock on the node that holds the tenant's shards
-- (design §5 on Citus, docs/scale-out.md "Locks"). Advisory locks are per node: a call run
-- on the coordinator and a call delegated to the tenant's worker would not exclude each
-- other if each locked where it ran. On Citus this routine is registered with p_tenant_id
-- as its distribution argument (citus_distribute: STRICT, force_delegation), so a caller
-- on the coordinator that calls it in a statement's FROM clause
--     SELECT l INTO v FROM omni_identity.tenant_node_lock(p_tenant_id, ...) AS l
-- has it run on the worker holding the tenant's placement, inside the caller's
-- distributed transaction (the lock is held there until that transaction ends); called
-- on that worker (a delegated call), it runs there locally. A PL/pgSQL simple expression
-- (`v := f(...)`, PERFORM) is never delegated by Citus: hence the FROM form. On one node
-- the callers take the lock directly (pg_advisory_xact_lock...), branching once on
-- citus.version (defined where Citus is loaded); this routine is their Citus path.
--
-- p_shared: shared (else exclusive). p_wait: below zero, wait without a bound; zero, try
-- once; above zero, try, then wait at most p_wait (lock_timeout, set and restored here,
-- on the node that waits). Returns whether the lock is held. STRICT: a NULL tenant never
-- reaches Citus's delegation (which would crash on it); the callers checked it already.
CREATE OR REPLACE FUNCTION omni_identity.tenant_node_lock(
      p_tenant_id text
    , p_key       bigint
    , p_shared    boolean
    , p_wait      interval
) RETURNS boolean
LANGUAGE plpgsql VOLATILE STRICT PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_saved text;
BEGIN
    IF p_wait < interval '0' THEN
        IF p_shared THEN
            PERFORM pg_catalog.pg_advisory_xact_lock_shared(p_key);
        ELSE
            PERFORM pg_catalog.pg_advisory_xact_lock(p_key);
        END IF;
        RETURN true;
    END IF;
    IF p_shared THEN
        IF pg_catalog.pg_try_advisory_xact_lock_shared(p_key) THEN
            RETURN true;
        END IF;
    ELSIF pg_catalog.pg_try_advisory_xact_lock(p_key) THEN
        RETURN true;
    END IF;
    IF p_wait = interval '0' THEN
        RETURN false;
    END IF;
    v_saved := pg_catalog.current_setting('lock_timeout');
    PERFORM pg_catalog.set_config('lock_timeout',
                                  pg_catalog.ceil(extract(epoch FROM p_wait) * 1000)::bigint || 'ms', true);
    BEGIN
        IF p_shared THEN
            PERFORM pg_catalog.pg_advisory_xact_lock_shared(p_key);
        ELSE
            PERFORM pg_catalog.pg_advisory_xact_lock(p_key);
        END IF;
    EXCEPTION WHEN lock_not_available THEN
        PERFORM pg_catalog.set_config('lock_timeout', v_saved, true);
        RETURN false;
    END;
    PERFORM pg_catalog.set_config('lock_timeout', v_saved, true);
    RETURN true;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.tenant_node_lock(text, bigint, boolean, interval)
    IS 'Advisory xact lock taken on the node holding the tenant''s shards (delegated by Citus); wait < 0: unbounded, 0: try, > 0: bounded. Returns whether held.';
