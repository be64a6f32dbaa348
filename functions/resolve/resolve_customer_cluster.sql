-- Attach the buyer's keys to one live cluster, merging the clusters they already name.
--
-- Rules (design §3; removed keys §2, golden record §4, evidence §9.1): e-mail (default
-- form), phone (E.164, region BR) and document are normalized; removed values (blocked or
-- forgotten: removed_keys' rule) are dropped; no key left → NULL. No key known
-- → a new cluster; keys of one live cluster → that cluster, missing keys attached; keys
-- of several → merge_clusters into the oldest (created_at, then cluster_id). Golden
-- record per field: the greatest golden_rank (seen_at, value), via golden_wins; the name
-- (golden_name: trimmed, white space collapsed) counts when the input kept ≥ 1 key and
-- normalize_name accepts it. A NULL p_seen_at counts as now(). Every call that kept a key
-- is an input of the evidence (key_pairs, key_evidence: evidence_record's rule): the
-- write path records it in the call, the fast path appends it to resolve_evidence_log
-- and evidence_fold records it later.
--
-- Generic keys (SPEC §12, design §9 "Generic values"): a key is generic when
-- key_is_generic(its key_evidence counters, generic_threshold(tenant)). The call that
-- makes a key cross the threshold marks it generic, from counters: the write path
-- records its input first (evidence_record, under L1 shared and the L2 locks of its keys,
-- so no other writer changes those counters meanwhile), which returns its keys' counters;
-- every key generic by them — made so by this input, or already — leaves the call
-- (neither attached, nor a new cluster, nor a merge through it) and, when it still has a
-- key row, its cluster (generic_detach: key row dropped, cluster queued for a split,
-- reason 'generic'). The call never waits for the split (reconcile runs it) and returns
-- NULL when no other key is left. The fast path cannot cross a threshold: it needs every
-- pair of its input known already (primary-key probes of key_pairs), so its log row
-- adds no neighbour to any key; an input with a new pair takes the write path. It reads
-- no counter: a key with a key row is not generic, except after set_setting lowered the
-- threshold, which takes effect for it at the next reconcile or write path.
-- A crossing by a batch is marked by that batch (pipeline_generic), and by log rows
-- written before this rule (they may hold new pairs) by the fold (evidence_fold).
--
-- Fast path: one statement probes the ≤ 3 keys, their pairs and their cluster; when every
-- key is already on that one live cluster, every pair is known and no golden field would
-- change, the call writes nothing but its log row (a returning buyer is an input too).
--
-- Locking design (design §5), outermost first:
--   L0  pg_advisory_xact_lock_shared(evidence_lock_key(tenant)), first, in a
--       subtransaction (BEGIN ... EXCEPTION). evidence_fold holds it EXCLUSIVE (block,
--       forget, the split and reconcile fold first), so the removed-keys check, taken
--       after it, sees every block or forget that committed, and none commits between
--       the check and the log row; a fold sees every log row of a call that checked
--       before it. The fast path holds nothing else: it never waits for a batch.
--   L1  pg_advisory_xact_lock_shared(tenant_lock_key(tenant)), the write path only.
--       Protects the tenant from set-based batch writers (ingest_sales,
--       backfill_customer_hash), which take it EXCLUSIVE: a batch never writes beside a
--       resolve write of its tenant, so batches need no per-key locks (a batch of
--       thousands of rows never fills the lock table). It excludes evidence_fold too
--       (which takes L1 exclusive before L0), so the write path needs L0 no more. While
--       holding L0 the call only TRIES L1; refused, it rolls the subtransaction back
--       (releasing L0), waits for L1 holding nothing, and checks removed keys again.
--   L2  pg_advisory_xact_lock(key_lock_key(tenant, type, value)) for the call's ≤ 3 keys,
--       write path only, in the order e-mail, phone, document: ascending in the one total
--       order (key type, lock key), since a call has at most one key of each type.
--       Protects the existence of a key row and the key's evidence: a key row is only
--       ever inserted or deleted (a key turned generic) by the holder of its L2 lock (or
--       under an exclusive L1: batches, block, forget, reconcile), so two calls can never
--       both create a cluster for the same new key, once held, the set of the call's keys
--       that exist cannot change, and the key_evidence rows of its keys and the
--       key_pairs rows of its pairs (both ends its keys) have no other writer. Taken
--       by plain expressions (no statement around them). A new customer's insert still
--       re-probes its keys and writes nothing when one appeared
--       (a writer that bypassed the locks) — the call then takes the write path. So a call
--       never writes rows it would have to take back (the application role may not
--       delete clusters).
--   L3  SELECT ... FOR UPDATE of the live clusters the keys name, in cluster_id order, in
--       one statement (one primary-key probe per id). Protects those clusters'
--       merged_into, golden record and key ownership: keys only move away from a cluster
--       when it is merged, which needs its row lock. After locking, every row is
--       re-validated (still live: FOR UPDATE under READ COMMITTED returns the newest
--       version). If a concurrent merge killed one between the probe and the lock, the
--       attempt — a BEGIN/EXCEPTION subtransaction — is rolled back, which releases its row
--       locks (L0-L2 stay held: they are the same for every attempt), and retried with
--       a fresh probe. A merged-away row is never kept locked while waiting for others.
--       A new customer (no key known) locks no row of anyone's and needs no
--       subtransaction.
-- Why it cannot deadlock: the one order is L1 → L2 → L3 → R → L0 (R: reconcile_lock).
-- The fast path holds only L0 and, once it has it, waits for nothing (a read, an append
-- to a table nobody locks): no waits-for edge leaves it. The write path holds L0 while it
-- takes L1 only by a try (no wait) — so never waits for L1 holding L0 — then L2 in one
-- global order, then L3 in one global order, and never an earlier level after a later
-- one (a retry first releases its L3 locks). The only holders of L0 exclusive
-- (evidence_fold) take it last, after L1 exclusive and R, and L1 exclusive excludes every
-- write path, so they wait only for fast paths, which wait for nothing. Batches take only
-- L1 exclusive, before any row lock, and never L0; only the backfill's job loop ever
-- queues for it (bounded), the others try and back off (tenant_lock_exclusive). So waits-for edges always go from a lower
-- to a higher lock in one total order: no cycle. The guarantee is per call in its own
-- transaction (autocommit, or one resolve per transaction — what the bench and the tests
-- run). A caller holding locks from earlier statements of its transaction can close a
-- cycle outside this order: a deadlock found while taking L3 rolls the attempt back and
-- retries (which resolves it when the cycle
-- ran through this attempt's row locks); one found while taking L1/L2 reaches the caller,
-- as any deadlock between application transactions does. Retries are bounded (100, then
-- OI021): each one needs a concurrent merge to commit, so a long run of them means the
-- stored state breaks an invariant. Callers must use READ COMMITTED (the default): under
-- REPEATABLE READ a snapshot cannot see the concurrent commits a retry relies on.
--
-- On Citus (citus.version defined: Citus is loaded) the call runs where the application
-- calls it (the coordinator), each statement routed to the tenant's shard; two things
-- differ, decided once per call. (1) Every lock L0-L2 is taken on the node holding the
-- tenant's shards, by tenant_node_lock called in a FROM clause (Citus delegates it there,
-- inside this transaction): advisory locks are per node, and a call delegated to that
-- worker takes them there too. (2) Custom plans (plan_cache_mode set for the call):
-- Citus's router planner needs the tenant's value to find the shard of a statement that
-- is not a plain probe of one table (a generic plan fails: "could not create
-- distributed plan"). One node keeps the generic plans and the lock expressions.
--
-- Cost. What a call costs is mostly setting up the plans of its statements and the
-- expressions of its normalizers (PL/pgSQL sets each up once per transaction), far more
-- than running them; so statements are few and small, and a normalizer only runs for an
-- argument that is there. Statements per call (require_tenant, the plain-SQL normalizers
-- and the locks are expressions): a returning buyer runs two — the read-only statement
-- (the removed-keys rule of its ≤ 3 keys written out: blocklist and tombstone probes; the
-- key and pair probes; the cluster read) and its log row (one plain INSERT: no upsert,
-- one index), plus the subtransaction of L0; a new buyer runs five — the read, the
-- threshold with its keys' re-probe, its evidence (the call of evidence_record and its one
-- upsert of pairs and counters) and the insert, guarded by its keys' re-probe (plus one
-- foreign-key check per key row). The log row makes every call a writing transaction (an
-- xid, a commit record): the largest part of what evidence costs a returning buyer, which no
-- statement here can remove. What each costs: BENCHMARKS.md,
-- resolve.
CREATE OR REPLACE FUNCTION omni_identity.resolve_customer_cluster(
      p_tenant_id text
    , p_email     text DEFAULT NULL
    , p_phone     text DEFAULT NULL
    , p_document  text DEFAULT NULL
    , p_name      text DEFAULT NULL
    , p_seen_at   timestamptz DEFAULT now()
) RETURNS uuid
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
-- Generic plans from the first call: every statement here is a probe by construction, and
-- custom plans (which fold the NULL keys away) would be cheaper to run than the generic
-- one, so the plan cache would keep re-planning them on every call (without this clause:
-- +27-47 % server CPU per call, BENCHMARKS.md, resolve; Citus's router planner refuses
-- it, so the scale-out issue must revisit it).
SET plan_cache_mode = force_generic_plan
-- Every read here is an index probe by design; these make it one whatever the statistics
-- say (a blocklist loaded since the last ANALYZE looks like the few rows shipped, and the
-- planner would read all of it).
SET enable_seqscan = off
SET enable_bitmapscan = off
AS $fn$
DECLARE
    v_seen_at  timestamptz := coalesce(p_seen_at, now());
    v_tenant   text;
    v_email    text;
    v_phone    text;
    v_document text;
    v_name     text;
    v_ce       uuid;     -- cluster owning the e-mail key (NULL: key is new)
    v_cp       uuid;     -- ... the phone key
    v_cd       uuid;     -- ... the document key
    v_fast     boolean;
    v_rm_e     boolean;  -- the e-mail is removed (removed_keys)
    v_rm_p     boolean;  -- ... the phone
    v_rm_d     boolean;  -- ... the document
    v_void     boolean;  -- receives the (void) results of the lock functions
    v_key_types  text[] := ARRAY['email', 'phone', 'document'];  -- L2 order
    v_key_values text[];
    v_key_lock   bigint;
    v_ids      uuid[];   -- distinct clusters named by the keys, ascending
    v_locked   uuid[];   -- the same, locked, oldest first
    v_live     bigint;
    v_survivor uuid;
    v_retries  integer := 0;
    v_threshold integer; -- the tenant's generic_threshold (write path only)
    v_gen_e    boolean;  -- the e-mail is generic (write path only)
    v_gen_p    boolean;
    v_gen_d    boolean;
    -- Citus is loaded (citus.version is defined): the locks are taken on the node holding
    -- the tenant's shards, and statements get custom plans (see "On Citus" above).
    v_citus    boolean := pg_catalog.current_setting('citus.version', true) IS NOT NULL;
BEGIN
    v_tenant := omni_identity.require_tenant(p_tenant_id);   -- an expression: no statement
    IF v_citus THEN
        -- Reverted when the call returns (the SET clause's level); the nested calls inherit it.
        v_void := pg_catalog.set_config('plan_cache_mode', 'force_custom_plan', true) IS NULL;
    END IF;

    -- Step 1: normalize; removed values are dropped below. Each under its own IF: PL/pgSQL
    -- sets an expression up the first time it runs in a transaction, and an inlined
    -- normalizer is a large one (costly to set up, for a NULL too: BENCHMARKS.md, resolve),
    -- so an absent argument costs nothing.
    IF p_email IS NOT NULL THEN
        v_email := omni_identity.normalize_email(p_email);
    END IF;
    IF p_phone IS NOT NULL THEN
        v_phone := omni_identity.normalize_phone(p_phone);
    END IF;
    IF p_document IS NOT NULL THEN
        v_document := omni_identity.normalize_document(p_document);
    END IF;
    IF v_email IS NULL AND v_phone IS NULL AND v_document IS NULL THEN
        RETURN NULL;
    END IF;
    IF p_name IS NOT NULL THEN
        v_name := omni_identity.golden_name(p_name);
    END IF;

    -- The fast path, in a subtransaction (a BEGIN ... EXCEPTION block) that holds the
    -- evidence lock L0 shared (design §5): a block, forget or split holds it exclusive
    -- (after L1), so the removed-keys check below sees every one that committed, and none
    -- commits between the check and this call's log row. The lock is an expression (no
    -- statement); every statement below takes its snapshot after it. The fast path waits
    -- for nothing else: not for a batch (batches hold only L1 exclusive).
    BEGIN
        IF v_citus THEN
            SELECT l INTO v_void FROM omni_identity.tenant_node_lock(
                p_tenant_id, omni_identity.evidence_lock_key(p_tenant_id), true, interval '-1 s') AS l;
        ELSE
            v_void := pg_catalog.pg_advisory_xact_lock_shared(omni_identity.evidence_lock_key(p_tenant_id)) IS NULL;
        END IF;

        -- One read-only statement, the whole read of the fast path: (r) the removed-keys
        -- rule of its ≤ 3 values, written out — the rule of removed_keys (its home for
        -- every other caller; tests_py/test_resolve_removed.py holds the two to the same
        -- answers): blocked by an exact global or tenant row (one probe of the full key of
        -- key_blocklist_tenant_pattern_key per value and owner: with an OR of the two
        -- owners, a never-analyzed copy of the table on a Citus worker was read from that
        -- index's tenant_id IS NULL end, every global row per call), by a regex row of
        -- the value's type (the partial key_blocklist_regex_idx; the owner as a CASE,
        -- which no index serves, so the regex rows are never read from the global rows'
        -- end of the unique key), or forgotten (one probe of forgotten_identifiers'
        -- primary key per key type, value_sha256 written out; an absent value probes
        -- nothing); then (k) the surviving keys probed by primary key (scalar subqueries:
        -- an index probe by construction, whatever the statistics) and (c) their cluster
        -- read by primary key. Not a call of removed_keys: that is a PL/pgSQL call and a
        -- statement more on every call (BENCHMARKS.md, resolve).
        SELECT k.e, k.p, k.d, k.ce, k.cp, k.cd
             , c.cluster_id IS NOT NULL AND c.merged_into IS NULL
               AND (k.e IS NULL OR k.ce = c.cluster_id)
               AND (k.p IS NULL OR k.cp = c.cluster_id)
               AND (k.d IS NULL OR k.cd = c.cluster_id)
               AND NOT omni_identity.golden_wins(v_seen_at, k.e, c.last_buyer_email_at, c.last_buyer_email)
               AND NOT omni_identity.golden_wins(v_seen_at, k.p, c.last_buyer_phone_at, c.last_buyer_phone)
               AND NOT omni_identity.golden_wins(v_seen_at, k.d, c.last_buyer_document_at, c.last_buyer_document)
               AND NOT omni_identity.golden_wins(v_seen_at, v_name, c.last_buyer_name_at, c.last_buyer_name)
               -- Every pair of the input is known evidence (a primary-key probe of
               -- key_pairs per pair, ordered document < email < phone), so the log row
               -- changes no linked counter: a new pair takes the write path, which
               -- records it in the call and applies the generic-value rule. Scalar
               -- subqueries, not EXISTS: the planner may run an EXISTS as a hashed
               -- subplan, a read of the tenant's pairs, where statistics are missing.
               AND (k.d IS NULL OR k.e IS NULL OR (
                      SELECT true FROM omni_identity.key_pairs x
                       WHERE x.tenant_id = p_tenant_id AND x.a_type = 'document' AND x.a_value = k.d
                         AND x.b_type = 'email' AND x.b_value = k.e) IS NOT NULL)
               AND (k.d IS NULL OR k.p IS NULL OR (
                      SELECT true FROM omni_identity.key_pairs x
                       WHERE x.tenant_id = p_tenant_id AND x.a_type = 'document' AND x.a_value = k.d
                         AND x.b_type = 'phone' AND x.b_value = k.p) IS NOT NULL)
               AND (k.e IS NULL OR k.p IS NULL OR (
                      SELECT true FROM omni_identity.key_pairs x
                       WHERE x.tenant_id = p_tenant_id AND x.a_type = 'email' AND x.a_value = k.e
                         AND x.b_type = 'phone' AND x.b_value = k.p) IS NOT NULL)
          INTO v_email, v_phone, v_document, v_ce, v_cp, v_cd, v_fast
          FROM (SELECT r.e, r.p, r.d
                     , (SELECT x.cluster_id FROM omni_identity.customer_cluster_keys x
                         WHERE x.tenant_id = p_tenant_id AND x.key_type = 'email' AND x.key_value = r.e) AS ce
                     , (SELECT x.cluster_id FROM omni_identity.customer_cluster_keys x
                         WHERE x.tenant_id = p_tenant_id AND x.key_type = 'phone' AND x.key_value = r.p) AS cp
                     , (SELECT x.cluster_id FROM omni_identity.customer_cluster_keys x
                         WHERE x.tenant_id = p_tenant_id AND x.key_type = 'document' AND x.key_value = r.d) AS cd
                  FROM (SELECT CASE WHEN m.e THEN NULL ELSE v_email END AS e
                             , CASE WHEN m.p THEN NULL ELSE v_phone END AS p
                             , CASE WHEN m.d THEN NULL ELSE v_document END AS d
                      FROM (SELECT coalesce(bool_or(x.t = 'email'), false) AS e
                                 , coalesce(bool_or(x.t = 'phone'), false) AS p
                                 , coalesce(bool_or(x.t = 'document'), false) AS d
                              FROM (SELECT b.key_type
                                      FROM omni_identity.key_blocklist b
                                     WHERE b.tenant_id IS NULL AND b.key_type = 'email'
                                       AND b.value_pattern = v_email AND NOT b.is_regex
                                    UNION ALL
                                    SELECT b.key_type
                                      FROM omni_identity.key_blocklist b
                                     WHERE b.tenant_id IS NULL AND b.key_type = 'phone'
                                       AND b.value_pattern = v_phone AND NOT b.is_regex
                                    UNION ALL
                                    SELECT b.key_type
                                      FROM omni_identity.key_blocklist b
                                     WHERE b.tenant_id IS NULL AND b.key_type = 'document'
                                       AND b.value_pattern = v_document AND NOT b.is_regex
                                    UNION ALL
                                    SELECT b.key_type
                                      FROM omni_identity.key_blocklist b
                                     WHERE b.tenant_id = p_tenant_id AND b.key_type = 'email'
                                       AND b.value_pattern = v_email AND NOT b.is_regex
                                    UNION ALL
                                    SELECT b.key_type
                                      FROM omni_identity.key_blocklist b
                                     WHERE b.tenant_id = p_tenant_id AND b.key_type = 'phone'
                                       AND b.value_pattern = v_phone AND NOT b.is_regex
                                    UNION ALL
                                    SELECT b.key_type
                                      FROM omni_identity.key_blocklist b
                                     WHERE b.tenant_id = p_tenant_id AND b.key_type = 'document'
                                       AND b.value_pattern = v_document AND NOT b.is_regex
                                    UNION ALL
                                    SELECT b.key_type
                                      FROM omni_identity.key_blocklist b
                                     WHERE b.is_regex
                                       AND CASE WHEN b.tenant_id IS NULL THEN true
                                                ELSE b.tenant_id = p_tenant_id END
                                       AND CASE b.key_type WHEN 'email' THEN v_email
                                                           WHEN 'phone' THEN v_phone
                                                           WHEN 'document' THEN v_document END ~ b.value_pattern
                                    UNION ALL
                                    SELECT f.key_type
                                      FROM omni_identity.forgotten_identifiers f
                                     WHERE f.tenant_id = p_tenant_id AND f.key_type = 'email'
                                       AND f.value_sha256 = pg_catalog.encode(pg_catalog.sha256(
                                             pg_catalog.convert_to(v_email, 'UTF8')), 'hex')
                                    UNION ALL
                                    SELECT f.key_type
                                      FROM omni_identity.forgotten_identifiers f
                                     WHERE f.tenant_id = p_tenant_id AND f.key_type = 'phone'
                                       AND f.value_sha256 = pg_catalog.encode(pg_catalog.sha256(
                                             pg_catalog.convert_to(v_phone, 'UTF8')), 'hex')
                                    UNION ALL
                                    SELECT f.key_type
                                      FROM omni_identity.forgotten_identifiers f
                                     WHERE f.tenant_id = p_tenant_id AND f.key_type = 'document'
                                       AND f.value_sha256 = pg_catalog.encode(pg_catalog.sha256(
                                             pg_catalog.convert_to(v_document, 'UTF8')), 'hex')
                                   ) AS x(t)) m
                        OFFSET 0) r
                OFFSET 0) k   -- OFFSET 0: keep r and k subqueries, so each probe runs once
          LEFT JOIN LATERAL (
                -- A parameterized primary-key probe (OFFSET 0 forbids turning it into a
                -- join the planner could run as a scan of the tenant's clusters). CASE,
                -- not coalesce: under RLS only leakproof quals may become index
                -- conditions, and the planner treats coalesce as leaky, CASE as safe.
                SELECT x.* FROM omni_identity.customer_cluster x
                 WHERE x.tenant_id = p_tenant_id
                   AND x.cluster_id = CASE WHEN k.ce IS NOT NULL THEN k.ce
                                           WHEN k.cp IS NOT NULL THEN k.cp ELSE k.cd END
                OFFSET 0) c ON true;
        IF v_email IS NULL AND v_phone IS NULL AND v_document IS NULL THEN
            RETURN NULL;     -- every value was removed
        END IF;

        -- The write path needs L1 shared. Holding L0, this call must never wait for L1 (a
        -- fold holds L1 exclusive while it waits for L0): so try it; refused (a batch, a
        -- block/forget/split or a queued job holds or wants L1 exclusive), roll the
        -- subtransaction back, which releases L0, and wait for L1 below holding nothing.
        IF v_fast IS NOT TRUE THEN
            IF v_citus THEN
                SELECT l INTO v_void FROM omni_identity.tenant_node_lock(
                    p_tenant_id, omni_identity.tenant_lock_key(p_tenant_id), true, interval '0') AS l;
            ELSE
                v_void := pg_catalog.pg_try_advisory_xact_lock_shared(omni_identity.tenant_lock_key(p_tenant_id));
            END IF;
            IF NOT v_void THEN
                RAISE EXCEPTION 'tenant lock busy; waiting without the evidence lock'
                    USING ERRCODE = 'OI091', HINT = 'Internal to resolve_customer_cluster; never escapes it.';
            END IF;
        END IF;
    EXCEPTION
        WHEN SQLSTATE 'OI091' THEN
            -- L0 is released. L1 shared, waited for (behind a batch, or a block, forget or
            -- split), then removed keys again: one may have committed meanwhile. L1
            -- excludes every holder of L0 exclusive (they take L1 exclusive first), so the
            -- write path needs L0 no more.
            IF v_citus THEN
                SELECT l INTO v_void FROM omni_identity.tenant_node_lock(
                    p_tenant_id, omni_identity.tenant_lock_key(p_tenant_id), true, interval '-1 s') AS l;
            ELSE
                v_void := pg_catalog.pg_advisory_xact_lock_shared(omni_identity.tenant_lock_key(p_tenant_id)) IS NULL;
            END IF;
            SELECT bool_or(r.key_type = 'email'), bool_or(r.key_type = 'phone'), bool_or(r.key_type = 'document')
              INTO v_rm_e, v_rm_p, v_rm_d
              FROM omni_identity.removed_keys(p_tenant_id, ARRAY['email', 'phone', 'document'],
                                              ARRAY[v_email, v_phone, v_document]) r;
            IF v_rm_e THEN v_email := NULL; v_ce := NULL; END IF;
            IF v_rm_p THEN v_phone := NULL; v_cp := NULL; END IF;
            IF v_rm_d THEN v_document := NULL; v_cd := NULL; END IF;
            IF v_email IS NULL AND v_phone IS NULL AND v_document IS NULL THEN
                RETURN NULL;
            END IF;
    END;

    IF v_fast THEN
        -- Evidence (design §9.1): one row appended to the tenant's evidence log — this
        -- input's keys, its name, its seen_at — under L0 shared, which keeps evidence_fold
        -- out until this transaction ends; evidence_fold records it (evidence_record)
        -- later. Its pairs are known (the probe), so it changes no linked counter.
        INSERT INTO omni_identity.resolve_evidence_log (tenant_id, email, phone, document, name, seen_at)
        VALUES (p_tenant_id, v_email, v_phone, v_document, v_name, v_seen_at);
        RETURN coalesce(v_ce, v_cp, v_cd);
    ELSE
        -- L2 for the keys in the order e-mail, phone, document (see the locking design),
        -- held to the end of the transaction; the probe's results are older than these
        -- locks, so what follows probes again before it writes.
        v_key_values := ARRAY[v_email, v_phone, v_document];
        FOR v_i IN 1..3 LOOP
            CONTINUE WHEN v_key_values[v_i] IS NULL;
            v_key_lock := omni_identity.key_lock_key(p_tenant_id, v_key_types[v_i], v_key_values[v_i]);
            IF v_citus THEN
                SELECT l INTO v_void FROM omni_identity.tenant_node_lock(
                    p_tenant_id, v_key_lock, false, interval '-1 s') AS l;
            ELSE
                v_void := pg_catalog.pg_advisory_xact_lock(v_key_lock) IS NULL;
            END IF;
        END LOOP;

        -- Evidence first, in the call (see the header). One statement reads the tenant's
        -- threshold (generic_threshold's rule written out: a call of it costs two
        -- statements more) and probes the keys again (its snapshot is newer than the L2
        -- locks); then evidence_record writes this input's pairs and counters (under L1
        -- shared and the L2 of every key they touch, so no other writer changes them until
        -- this transaction ends) and returns the counters after it: a key they make
        -- generic (key_is_generic) stops linking now. evidence_record is called in a
        -- statement of its own, reading no table: on Citus a statement that also reads a
        -- tenant's table is sent to its shard, where the function's own distributed
        -- statements cannot run.
        SELECT t.th, k.ce, k.cp, k.cd
          INTO v_threshold, v_ce, v_cp, v_cd
          FROM (SELECT coalesce((SELECT CASE WHEN pg_catalog.jsonb_typeof(s.value) = 'number'
                                              AND (s.value #>> '{}') ~ '^[0-9]{1,9}$'
                                             THEN (s.value #>> '{}')::integer END
                                   FROM omni_identity.settings s
                                  WHERE s.tenant_id = p_tenant_id AND s.key = 'generic_threshold'), 20) AS th
                OFFSET 0) t
             , (SELECT (SELECT x.cluster_id FROM omni_identity.customer_cluster_keys x
                         WHERE x.tenant_id = p_tenant_id AND x.key_type = 'email' AND x.key_value = v_email) AS ce
                     , (SELECT x.cluster_id FROM omni_identity.customer_cluster_keys x
                         WHERE x.tenant_id = p_tenant_id AND x.key_type = 'phone' AND x.key_value = v_phone) AS cp
                     , (SELECT x.cluster_id FROM omni_identity.customer_cluster_keys x
                         WHERE x.tenant_id = p_tenant_id AND x.key_type = 'document' AND x.key_value = v_document) AS cd
                OFFSET 0) k;
        SELECT coalesce(bool_or(r.key_type = 'email' AND omni_identity.key_is_generic(
                   r.linked_emails, r.linked_phones, r.linked_documents, v_threshold)), false)
             , coalesce(bool_or(r.key_type = 'phone' AND omni_identity.key_is_generic(
                   r.linked_emails, r.linked_phones, r.linked_documents, v_threshold)), false)
             , coalesce(bool_or(r.key_type = 'document' AND omni_identity.key_is_generic(
                   r.linked_emails, r.linked_phones, r.linked_documents, v_threshold)), false)
          INTO v_gen_e, v_gen_p, v_gen_d
          FROM omni_identity.evidence_record(p_tenant_id, ARRAY[NULL::bigint], ARRAY[v_seen_at],
                   ARRAY[v_name], ARRAY[v_email], ARRAY[v_phone], ARRAY[v_document]) r;
        IF v_gen_e OR v_gen_p OR v_gen_d THEN
            -- The keys this input made generic, or found generic, leave their cluster
            -- (generic_detach: key row dropped, cluster queued for a split) and this call.
            PERFORM omni_identity.generic_detach(p_tenant_id,
                ARRAY['email', 'phone', 'document'],
                ARRAY[CASE WHEN v_gen_e THEN v_email END, CASE WHEN v_gen_p THEN v_phone END,
                      CASE WHEN v_gen_d THEN v_document END]);
            IF v_gen_e THEN v_email := NULL; v_ce := NULL; END IF;
            IF v_gen_p THEN v_phone := NULL; v_cp := NULL; END IF;
            IF v_gen_d THEN v_document := NULL; v_cd := NULL; END IF;
            IF v_email IS NULL AND v_phone IS NULL AND v_document IS NULL THEN
                RETURN NULL;     -- only generic keys: no cluster; the input is recorded
            END IF;
        END IF;
    END IF;

    -- A new customer (no key known at the probe): one statement writes the cluster and its
    -- keys. The locks are held now and this statement's snapshot is newer than them, so it
    -- sees every key committed since the probe (by the L2 holder this call waited for, or
    -- by a batch under L1) and no other call can create these keys until this transaction
    -- ends: the cluster is inserted only when the keys are still absent (three primary-key
    -- probes), and the keys after it, from its RETURNING. When a key appeared, nothing is
    -- written and the call takes the write path: it never inserts rows it would have to
    -- take back (the application role has no DELETE on customer_cluster).
    IF v_survivor IS NULL AND v_ce IS NULL AND v_cp IS NULL AND v_cd IS NULL AND v_citus THEN
        -- On Citus, the same as router statements (the re-probe, then one INSERT ... VALUES
        -- per row): Citus runs an INSERT fed by a CTE or a SELECT through COPY, which
        -- row-level security refuses.
        IF NOT EXISTS (SELECT FROM omni_identity.customer_cluster_keys x
                        WHERE x.tenant_id = p_tenant_id AND x.key_type = 'email' AND x.key_value = v_email)
           AND NOT EXISTS (SELECT FROM omni_identity.customer_cluster_keys x
                            WHERE x.tenant_id = p_tenant_id AND x.key_type = 'phone' AND x.key_value = v_phone)
           AND NOT EXISTS (SELECT FROM omni_identity.customer_cluster_keys x
                            WHERE x.tenant_id = p_tenant_id AND x.key_type = 'document' AND x.key_value = v_document) THEN
            INSERT INTO omni_identity.customer_cluster
                (tenant_id, last_buyer_email, last_buyer_email_at, last_buyer_phone, last_buyer_phone_at,
                 last_buyer_document, last_buyer_document_at, last_buyer_name, last_buyer_name_at,
                 created_at, updated_at)
            VALUES (p_tenant_id
                 , v_email,    CASE WHEN v_email IS NOT NULL THEN v_seen_at END
                 , v_phone,    CASE WHEN v_phone IS NOT NULL THEN v_seen_at END
                 , v_document, CASE WHEN v_document IS NOT NULL THEN v_seen_at END
                 , v_name,     CASE WHEN v_name IS NOT NULL THEN v_seen_at END
                 , clock_timestamp(), clock_timestamp())
            RETURNING cluster_id INTO v_survivor;
            PERFORM omni_identity.citus_insert_keys(p_tenant_id, v_survivor, v_email, v_phone, v_document);
        END IF;
    ELSIF v_survivor IS NULL AND v_ce IS NULL AND v_cp IS NULL AND v_cd IS NULL THEN
        WITH c AS (
            INSERT INTO omni_identity.customer_cluster
                (tenant_id, last_buyer_email, last_buyer_email_at, last_buyer_phone, last_buyer_phone_at,
                 last_buyer_document, last_buyer_document_at, last_buyer_name, last_buyer_name_at,
                 created_at, updated_at)
            SELECT p_tenant_id
                 , v_email,    CASE WHEN v_email IS NOT NULL THEN v_seen_at END
                 , v_phone,    CASE WHEN v_phone IS NOT NULL THEN v_seen_at END
                 , v_document, CASE WHEN v_document IS NOT NULL THEN v_seen_at END
                 , v_name,     CASE WHEN v_name IS NOT NULL THEN v_seen_at END
                 , clock_timestamp(), clock_timestamp()
             WHERE NOT EXISTS (SELECT FROM omni_identity.customer_cluster_keys x
                                WHERE x.tenant_id = p_tenant_id AND x.key_type = 'email' AND x.key_value = v_email)
               AND NOT EXISTS (SELECT FROM omni_identity.customer_cluster_keys x
                                WHERE x.tenant_id = p_tenant_id AND x.key_type = 'phone' AND x.key_value = v_phone)
               AND NOT EXISTS (SELECT FROM omni_identity.customer_cluster_keys x
                                WHERE x.tenant_id = p_tenant_id AND x.key_type = 'document' AND x.key_value = v_document)
            RETURNING cluster_id
        ), k AS (
            INSERT INTO omni_identity.customer_cluster_keys (tenant_id, key_type, key_value, cluster_id)
            SELECT p_tenant_id, v.key_type, v.key_value, c.cluster_id
              FROM c, (VALUES ('email', v_email), ('phone', v_phone), ('document', v_document))
                          AS v(key_type, key_value)
             WHERE v.key_value IS NOT NULL
        )
        SELECT c.cluster_id INTO v_survivor FROM c;
        -- NULL: a key was created meanwhile (by a writer that bypassed the locks): attach
        -- to it below.
    END IF;

    WHILE v_survivor IS NULL LOOP
        -- Probe again (a fresh snapshot), now that no other call can create these keys.
        SELECT k.ce, k.cp, k.cd
             , ARRAY(SELECT DISTINCT u.id FROM unnest(ARRAY[k.ce, k.cp, k.cd]) AS u(id)
                      WHERE u.id IS NOT NULL ORDER BY u.id)
          INTO v_ce, v_cp, v_cd, v_ids
          FROM (SELECT (SELECT x.cluster_id FROM omni_identity.customer_cluster_keys x
                         WHERE x.tenant_id = p_tenant_id AND x.key_type = 'email' AND x.key_value = v_email) AS ce
                     , (SELECT x.cluster_id FROM omni_identity.customer_cluster_keys x
                         WHERE x.tenant_id = p_tenant_id AND x.key_type = 'phone' AND x.key_value = v_phone) AS cp
                     , (SELECT x.cluster_id FROM omni_identity.customer_cluster_keys x
                         WHERE x.tenant_id = p_tenant_id AND x.key_type = 'document' AND x.key_value = v_document) AS cd
                OFFSET 0) k;

        IF cardinality(v_ids) = 0 THEN
            -- Unreachable: the call came here because a key existed (at the re-probe under
            -- the L2 locks, or at the new customer's), and only an L2 holder deletes one.
            RAISE EXCEPTION 'resolve_customer_cluster found none of the keys it saw a moment ago'
                USING ERRCODE = 'OI021',
                      HINT = 'Rows of customer_cluster_keys were deleted by a writer that bypassed the key locks.';
        END IF;

        -- Existing clusters: one attempt in a subtransaction, so a retry first releases
        -- the attempt's row locks.
        BEGIN
            -- L3: lock the named clusters in cluster_id order; re-validate.
            SELECT array_agg(l.cluster_id ORDER BY l.created_at, l.cluster_id)
                 , count(*) FILTER (WHERE l.merged_into IS NULL)
              INTO v_locked, v_live
              FROM (SELECT c.cluster_id, c.created_at, c.merged_into
                      FROM unnest(v_ids) WITH ORDINALITY AS u(id, n)
                     CROSS JOIN LATERAL (
                           -- One primary-key probe per id, locked in the order of v_ids.
                           SELECT x.cluster_id, x.created_at, x.merged_into
                             FROM omni_identity.customer_cluster x
                            WHERE x.tenant_id = p_tenant_id AND x.cluster_id = u.id
                              FOR UPDATE) c
                     ORDER BY u.n) l;
            IF v_live IS DISTINCT FROM cardinality(v_ids)::bigint THEN
                -- A concurrent merge took one of them: roll this attempt back, retry.
                RAISE EXCEPTION 'cluster merged concurrently; retrying'
                    USING ERRCODE = 'OI029', HINT = 'Internal to resolve_customer_cluster; never escapes it.';
            END IF;

            -- Merge into the oldest.
            v_survivor := v_locked[1];
            IF cardinality(v_locked) > 1 THEN
                PERFORM omni_identity.merge_clusters(
                    p_tenant_id, v_locked[2:], array_fill(v_survivor, ARRAY[cardinality(v_locked) - 1]));
            END IF;

            -- Attach the keys that were new.
            IF v_citus THEN
                -- Router statements on Citus (see the new customer's insert).
                PERFORM omni_identity.citus_insert_keys(p_tenant_id, v_survivor,
                    CASE WHEN v_ce IS NULL THEN v_email END, CASE WHEN v_cp IS NULL THEN v_phone END,
                    CASE WHEN v_cd IS NULL THEN v_document END);
            ELSIF (v_email IS NOT NULL AND v_ce IS NULL) OR (v_phone IS NOT NULL AND v_cp IS NULL)
               OR (v_document IS NOT NULL AND v_cd IS NULL) THEN
                INSERT INTO omni_identity.customer_cluster_keys (tenant_id, key_type, key_value, cluster_id)
                SELECT p_tenant_id, v.key_type, v.key_value, v_survivor
                  FROM (VALUES ('email', v_email, v_ce), ('phone', v_phone, v_cp), ('document', v_document, v_cd))
                           AS v(key_type, key_value, owner)
                 WHERE v.key_value IS NOT NULL AND v.owner IS NULL;
            END IF;

            -- Golden record: each field takes this input when it wins (golden_wins).
            UPDATE omni_identity.customer_cluster c
               SET last_buyer_email = CASE WHEN g.e THEN v_email ELSE c.last_buyer_email END
                 , last_buyer_email_at = CASE WHEN g.e THEN v_seen_at ELSE c.last_buyer_email_at END
                 , last_buyer_phone = CASE WHEN g.p THEN v_phone ELSE c.last_buyer_phone END
                 , last_buyer_phone_at = CASE WHEN g.p THEN v_seen_at ELSE c.last_buyer_phone_at END
                 , last_buyer_document = CASE WHEN g.d THEN v_document ELSE c.last_buyer_document END
                 , last_buyer_document_at = CASE WHEN g.d THEN v_seen_at ELSE c.last_buyer_document_at END
                 , last_buyer_name = CASE WHEN g.n THEN v_name ELSE c.last_buyer_name END
                 , last_buyer_name_at = CASE WHEN g.n THEN v_seen_at ELSE c.last_buyer_name_at END
                 , updated_at = now()
              FROM (SELECT omni_identity.golden_wins(v_seen_at, v_email, s.last_buyer_email_at, s.last_buyer_email) AS e
                         , omni_identity.golden_wins(v_seen_at, v_phone, s.last_buyer_phone_at, s.last_buyer_phone) AS p
                         , omni_identity.golden_wins(v_seen_at, v_document, s.last_buyer_document_at, s.last_buyer_document) AS d
                         , omni_identity.golden_wins(v_seen_at, v_name, s.last_buyer_name_at, s.last_buyer_name) AS n
                      FROM omni_identity.customer_cluster s
                     WHERE s.tenant_id = p_tenant_id AND s.cluster_id = v_survivor) g
             WHERE c.tenant_id = p_tenant_id AND c.cluster_id = v_survivor
               AND (g.e OR g.p OR g.d OR g.n);
        EXCEPTION
            WHEN SQLSTATE 'OI029' OR deadlock_detected OR unique_violation THEN
                -- The attempt's locks are released; go again. Each retry means another
                -- transaction committed a merge (or, for unique_violation, a writer that
                -- bypassed L1/L2 created a key), so a handful is the most ever needed;
                -- a long run of them means the stored state breaks an invariant.
                v_retries := v_retries + 1;
                IF v_retries >= 100 THEN
                    RAISE EXCEPTION 'resolve_customer_cluster gave up after % attempts (last: %)', v_retries, SQLERRM
                        USING ERRCODE = 'OI021',
                              HINT = 'Keys of this tenant point at merged-away clusters, or a writer bypasses the tenant lock; check the invariants of customer_cluster_keys.';
                END IF;
        END;
    END LOOP;

    RETURN v_survivor;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.resolve_customer_cluster(text, text, text, text, text, timestamptz)
    IS 'Resolve one buyer to its live customer cluster; merges clusters the keys join.';
