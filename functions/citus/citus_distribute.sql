-- Distribute the package on a Citus coordinator (SPEC §11, docs/scale-out.md); run by
-- `omni-identity migrate` after every migrate when the citus extension is installed, and
-- idempotent: what is already distributed or registered as wanted is left alone, so the
-- next migrate registers only what a later migration added.
--
-- key_blocklist is a reference table (tenant_id NULL = every tenant, read by every shard);
-- every other table of the schema and public.omni_sales (the package's or a legacy one)
-- is distributed by tenant_id, colocated with customer_cluster (the referenced tables of
-- the colocated foreign keys first). Every routine of the schema is registered, so every
-- node has it (Citus propagates a registered routine's later CREATE OR REPLACE and
-- GRANT/REVOKE). A STRICT routine with a p_tenant_id argument without a default is
-- delegated by that argument to the worker holding the tenant's shards; every other
-- routine runs where it is called (on the coordinator for an application's call).
--
-- Why STRICT only: Citus 13.2's delegation (ShardPlacementForFunctionColocatedWithDistTable)
-- hashes the distribution argument without checking it for NULL, so `SELECT f(NULL, ...)`
-- in autocommit crashes the coordinator (segfault: every session of every tenant lost).
-- The planner folds a STRICT call with a NULL constant (or a NULL bind parameter, once
-- Citus has made it plan with the value) to NULL before Citus looks for a call to
-- delegate, so no NULL tenant can reach Citus's code. The public functions are not STRICT
-- (a NULL tenant is OI001, never a NULL result): one is delegated once it validates the
-- tenant and calls a STRICT routine with the body (docs/scale-out.md). A p_tenant_id with
-- a default (NULL = every tenant: backfill_customer_hash, the progress totals) has no
-- tenant to route by.
--
-- Citus is reached only through dynamic SQL, after checking pg_extension, so this file is
-- created (and linted) on a node without Citus.
CREATE OR REPLACE FUNCTION omni_identity.citus_distribute()
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    c_anchor   CONSTANT regclass := 'omni_identity.customer_cluster'::regclass;
    c_refs     CONSTANT regclass := 'omni_identity.key_blocklist'::regclass;
    v_changed  integer := 0;
    v_table    regclass;
    v_routine  regprocedure;
    v_index    integer;
    v_found    bigint;
    v_triggers name[];
    v_moved    regclass[] := '{}'::regclass[];
    v_citus    text;   -- the schema of Citus's catalog and functions (pg_catalog)
    v_colocation bigint;
    v_seq      text;
BEGIN
    -- Named from pg_extension at run time: the statements below are built, never checked
    -- against a node without Citus (plpgsql_check, a single-node migrate).
    SELECT e.extnamespace::regnamespace::text INTO v_citus FROM pg_catalog.pg_extension e WHERE e.extname = 'citus';
    IF v_citus IS NULL THEN
        RAISE EXCEPTION 'the citus extension is not installed in this database'
            USING ERRCODE = 'OI080',
                  HINT = 'On a Citus coordinator: CREATE EXTENSION citus, add the workers (citus_add_node), then omni-identity migrate.';
    END IF;

    -- A legacy public.omni_sales keeps its own id sequence: an int one cannot give ids on
    -- the workers (Citus hands each node a range of a bigint sequence), so every delegated
    -- insert would fail there. Refuse before distributing anything.
    SELECT pg_catalog.format('%s (%s)', s.seqrelid::regclass, s.seqtypid::regtype) INTO v_seq
      FROM pg_catalog.pg_depend d
      JOIN pg_catalog.pg_sequence s ON s.seqrelid = d.objid
     WHERE d.classid = 'pg_catalog.pg_class'::regclass
       AND d.refobjid = 'public.omni_sales'::regclass
       AND d.deptype IN ('a', 'i')
       AND s.seqtypid <> 'pg_catalog.int8'::regtype
     LIMIT 1;
    IF v_seq IS NOT NULL THEN
        RAISE EXCEPTION 'public.omni_sales takes its ids from % ; Citus needs a bigint sequence', v_seq
            USING ERRCODE = 'OI081',
                  HINT = 'ALTER TABLE public.omni_sales ALTER COLUMN id TYPE bigint and ALTER SEQUENCE ... AS bigint (a table rewrite: plan a window), then migrate again.';
    END IF;

    -- A unique index or constraint of public.omni_sales that does not start with
    -- tenant_id cannot exist on a table distributed by tenant_id (Citus enforces
    -- uniqueness per shard only): create_distributed_table would fail half-way ("cannot
    -- create constraint"). The package's own omni_sales_id_key of a legacy table is made
    -- non-unique by migrate first (harness/migrate.py); any other is the DBA's: refuse
    -- before distributing anything, naming the statements that replace it by a plain
    -- index on the same columns (its lookups stay indexed).
    EXECUTE pg_catalog.format('SELECT count(*) FROM %1$s.pg_dist_partition WHERE logicalrelid = $1', v_citus)
       INTO v_found USING 'public.omni_sales'::regclass;
    IF v_found = 0 THEN
        -- Each statement from the index's own definition (columns, expressions, WHERE).
        SELECT pg_catalog.string_agg(
                   pg_catalog.regexp_replace(pg_catalog.pg_get_indexdef(i.indexrelid),
                                             '^CREATE UNIQUE INDEX (\S+) ON ', 'CREATE INDEX CONCURRENTLY \1_lookup ON ')
                   || '; '
                   || CASE WHEN k.conname IS NULL
                           THEN pg_catalog.format('DROP INDEX CONCURRENTLY public.%I;', ic.relname)
                           ELSE pg_catalog.format('ALTER TABLE public.omni_sales DROP CONSTRAINT %I;', k.conname)
                      END, ' ' ORDER BY ic.relname)
          INTO v_seq
          FROM pg_catalog.pg_index i
          JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
          LEFT JOIN pg_catalog.pg_constraint k ON k.conindid = i.indexrelid AND k.conrelid = i.indrelid
         WHERE i.indrelid = 'public.omni_sales'::regclass
           AND i.indisunique
           AND i.indkey[0] IS DISTINCT FROM (SELECT a.attnum FROM pg_catalog.pg_attribute a
                                              WHERE a.attrelid = i.indrelid AND a.attname = 'tenant_id');
        IF v_seq IS NOT NULL THEN
            RAISE EXCEPTION 'public.omni_sales has a unique index that does not start with tenant_id; Citus cannot distribute it by tenant_id'
                USING ERRCODE = 'OI105',
                      HINT = 'Replace it by a plain index on the same columns (each statement on its own, outside a transaction): '
                             || v_seq || ' Then migrate again.';
        END IF;
    END IF;

    -- Registering a routine needs one connection per node for the whole transaction.
    -- Set before the first read of a distributed table: a
    -- table created by a later migration is then distributed in sequential mode into a
    -- colocation group this transaction already read in parallel, which Citus refuses
    -- ("cannot distribute ... in sequential mode because a parallel query was executed").
    PERFORM pg_catalog.set_config('citus.multi_shard_modify_mode', 'sequential', true);

    -- Triggers on distributed tables need this setting (the blocklist check is a row
    -- trigger; Citus creates it on every shard). While a table's rows are copied to
    -- its shards its triggers are disabled: the rows were checked when written, and the
    -- blocklist check's subtransaction (regex_error) breaks Citus's COPY to the other
    -- nodes ("another command is already in progress").
    PERFORM pg_catalog.set_config('citus.enable_unsafe_triggers', 'on', true);

    EXECUTE pg_catalog.format('SELECT count(*) FROM %1$s.pg_dist_partition WHERE logicalrelid = $1', v_citus)
       INTO v_found USING c_refs;
    IF v_found = 0 THEN
        v_triggers := omni_identity.citus_disable_triggers(c_refs);
        EXECUTE pg_catalog.format('SELECT %1$s.create_reference_table($1)', v_citus) USING c_refs;
        PERFORM omni_identity.citus_enable_triggers(c_refs, v_triggers);
        v_moved := v_moved || c_refs;
        v_changed := v_changed + 1;
    END IF;

    -- The anchor first, then the tables with a foreign key (they reference the anchor),
    -- then the rest by name; public.omni_sales last.
    FOR v_table IN
        SELECT c.oid::regclass
          FROM pg_catalog.pg_class c
          JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
         WHERE c.relkind IN ('r', 'p')
           AND NOT c.relispartition
           AND (c.relnamespace = 'omni_identity'::regnamespace OR c.oid = 'public.omni_sales'::regclass)
           AND c.oid <> c_refs
         ORDER BY c.oid <> c_anchor, c.oid = 'public.omni_sales'::regclass, c.relname
    LOOP
        EXECUTE pg_catalog.format('SELECT count(*) FROM %1$s.pg_dist_partition WHERE logicalrelid = $1', v_citus)
           INTO v_found USING v_table;
        CONTINUE WHEN v_found > 0;
        v_triggers := omni_identity.citus_disable_triggers(v_table);
        IF v_table = c_anchor THEN
            EXECUTE pg_catalog.format('SELECT %1$s.create_distributed_table($1, ''tenant_id'')', v_citus) USING v_table;
        ELSE
            EXECUTE pg_catalog.format('SELECT %1$s.create_distributed_table($1, ''tenant_id'', colocate_with := $2)', v_citus)
              USING v_table, c_anchor::text;
        END IF;
        -- The automatic-mode trigger too: it fires on the shards, where
        -- auto_resolve_sales takes its Citus shape (docs/scale-out.md, "Automatic mode").
        PERFORM omni_identity.citus_enable_triggers(v_table, v_triggers);
        v_moved := v_moved || v_table;
        v_changed := v_changed + 1;
    END LOOP;

    -- A database distributed by an earlier version of this function has the
    -- automatic-mode trigger disabled (automatic mode was refused on Citus then).
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_trigger t
                WHERE t.tgrelid = 'public.omni_sales'::regclass
                  AND t.tgname = 'omni_sales_auto_resolve' AND t.tgenabled = 'D') THEN
        PERFORM omni_identity.citus_enable_triggers('public.omni_sales'::regclass,
                                                    ARRAY['omni_sales_auto_resolve']::name[]);
        v_changed := v_changed + 1;
    END IF;

    -- The rows now live in the shards; the local copies are only dead weight on disk
    -- (truncated once no local table references them).
    FOREACH v_table IN ARRAY v_moved LOOP
        EXECUTE pg_catalog.format('SELECT %1$s.truncate_local_data_after_distributing_table($1)', v_citus) USING v_table;
    END LOOP;

    EXECUTE pg_catalog.format('SELECT colocationid FROM %1$s.pg_dist_partition WHERE logicalrelid = $1', v_citus)
       INTO v_colocation USING c_anchor;

    FOR v_routine, v_index IN
        SELECT p.oid::regprocedure,
               -- an argument with a default is one of the last pronargdefaults
               CASE WHEN p.proisstrict
                         AND pg_catalog.array_position(p.proargnames, 'p_tenant_id') <= p.pronargs - p.pronargdefaults
                    THEN pg_catalog.array_position(p.proargnames, 'p_tenant_id') - 1 END
          FROM pg_catalog.pg_proc p
         WHERE p.pronamespace = 'omni_identity'::regnamespace
           AND p.prokind IN ('f', 'p')
         ORDER BY p.oid
    LOOP
        -- Registered as wanted already (pg_dist_object, Citus's catalog of distributed objects)?
        EXECUTE pg_catalog.format('SELECT count(*) FROM %1$s.pg_dist_object o'
                ' WHERE o.classid = ''pg_catalog.pg_proc''::pg_catalog.regclass AND o.objid = $1'
                '   AND o.distribution_argument_index IS NOT DISTINCT FROM $2'
                '   AND ($2 IS NULL OR (o.colocationid = $3 AND o.force_delegation))', v_citus)
           INTO v_found USING v_routine::oid, v_index, v_colocation;
        CONTINUE WHEN v_found > 0;
        IF v_index IS NULL THEN
            EXECUTE pg_catalog.format('SELECT %1$s.create_distributed_function($1)', v_citus) USING v_routine;
        ELSE
            -- force_delegation: delegated inside a transaction block and from the
            -- public function that calls it, not only in autocommit.
            EXECUTE pg_catalog.format('SELECT %1$s.create_distributed_function($1, $2, colocate_with := $3, force_delegation := true)', v_citus)
              USING v_routine, '$' || (v_index + 1), c_anchor::text;
        END IF;
        v_changed := v_changed + 1;
    END LOOP;

    -- A worker's copy of a routine is created with PostgreSQL's default (EXECUTE for
    -- PUBLIC): Citus propagates a routine created here (registered or not) and its
    -- grants, but neither grants.sql's REVOKE ... ON ALL ROUTINES IN SCHEMA nor the
    -- REVOKE of this node's event trigger. It propagates a REVOKE naming a routine.
    FOR v_routine IN
        SELECT p.oid::regprocedure FROM pg_catalog.pg_proc p
         WHERE p.pronamespace = 'omni_identity'::regnamespace AND p.prokind IN ('f', 'p')
    LOOP
        EXECUTE pg_catalog.format('REVOKE ALL ON ROUTINE %s FROM PUBLIC', v_routine);
    END LOOP;

    -- The event trigger of grants.sql and the default privileges of migration 0033 on
    -- every worker too (Citus propagates neither), for the routines a later CREATE on the
    -- coordinator sends there. Event triggers need a superuser, as in grants.sql.
    -- run_command_on_workers uses its own connections: revoke_public_execute() is already
    -- committed on the workers (migrate applied the function files in an earlier
    -- transaction). The statements run in one implicit transaction per worker.
    IF (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = current_user)
       AND EXISTS (SELECT 1 FROM pg_catalog.pg_event_trigger WHERE evtname = 'omni_identity_revoke_public_execute') THEN
        EXECUTE pg_catalog.format($run$SELECT pg_catalog.string_agg(nodename || ':' || nodeport || ' ' || result, '; ')
                       FROM %1$s.run_command_on_workers($cmd$
                         SET LOCAL citus.enable_ddl_propagation = off;
                         ALTER DEFAULT PRIVILEGES IN SCHEMA omni_identity
                             GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO omni_identity_admin;
                         ALTER DEFAULT PRIVILEGES IN SCHEMA omni_identity
                             GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO omni_identity_admin;
                         ALTER DEFAULT PRIVILEGES IN SCHEMA omni_identity
                             GRANT EXECUTE ON ROUTINES TO omni_identity_admin;
                         DROP EVENT TRIGGER IF EXISTS omni_identity_revoke_public_execute;
                         CREATE EVENT TRIGGER omni_identity_revoke_public_execute ON ddl_command_end
                             WHEN TAG IN ('CREATE FUNCTION', 'CREATE PROCEDURE', 'CREATE AGGREGATE')
                             EXECUTE FUNCTION omni_identity.revoke_public_execute()$cmd$)
                      WHERE NOT success$run$, v_citus)
           INTO v_seq;
        IF v_seq IS NOT NULL THEN
            RAISE EXCEPTION 'could not set the default privileges and the event trigger of omni_identity on a worker: %', v_seq
                USING ERRCODE = 'OI082',
                      HINT = 'Check that the worker is reachable and that omni_identity.revoke_public_execute() exists there, then migrate again.';
        END IF;
    END IF;
    RETURN v_changed;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.citus_distribute()
    IS 'On a Citus coordinator: distribute the package''s tables by tenant_id (key_blocklist: reference table) and register its routines; idempotent; returns the objects it changed.';
