CREATE SCHEMA omni_identity;

COMMENT ON SCHEMA omni_identity IS 'omni-identity: customer clusters of e-commerce buyers';

CREATE TYPE omni_identity.customer_report_row AS (
	cluster_id uuid,
	email text,
	phone text,
	document text,
	name text,
	orders bigint,
	total_amount numeric,
	first_purchase_at timestamp with time zone,
	last_purchase_at timestamp with time zone,
	shops bigint
);

COMMENT ON TYPE omni_identity.customer_report_row IS 'One row of customer_report_v1/_v2: a customer (v1 e-mail, v2 live cluster) and its sales totals.';

CREATE TYPE omni_identity.golden_value AS (
	seen_at timestamp with time zone,
	value text COLLATE pg_catalog."C"
);

CREATE FUNCTION omni_identity.abstraction_buyer(p_tenant_id text, p_filters jsonb, p_limit integer DEFAULT 50, p_after jsonb DEFAULT NULL::jsonb) RETURNS SETOF public.omni_sales
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS <body>;

COMMENT ON FUNCTION omni_identity.abstraction_buyer(p_tenant_id text, p_filters jsonb, p_limit integer, p_after jsonb) IS 'Buyer query routed by the tenant flag abstraction_v2_enabled (v2 when on, else v1).';

CREATE FUNCTION omni_identity.abstraction_buyer_v1(p_tenant_id text, p_filters jsonb, p_limit integer DEFAULT 50, p_after jsonb DEFAULT NULL::jsonb) RETURNS SETOF public.omni_sales
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS <body>;

COMMENT ON FUNCTION omni_identity.abstraction_buyer_v1(p_tenant_id text, p_filters jsonb, p_limit integer, p_after jsonb) IS 'Legacy buyer query: filters over the sale''s own normalized columns; keyset pages.';

CREATE FUNCTION omni_identity.abstraction_buyer_v2(p_tenant_id text, p_filters jsonb, p_limit integer DEFAULT 50, p_after jsonb DEFAULT NULL::jsonb) RETURNS SETOF public.omni_sales
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET plan_cache_mode TO 'force_generic_plan'
    AS <body>;

COMMENT ON FUNCTION omni_identity.abstraction_buyer_v2(p_tenant_id text, p_filters jsonb, p_limit integer, p_after jsonb) IS 'Buyer query by customer cluster (and unreconciled aliases) via the customer_hash index; keyset pages.';

CREATE FUNCTION omni_identity.auto_resolve_sales() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS <body>;

COMMENT ON FUNCTION omni_identity.auto_resolve_sales() IS 'Trigger of automatic mode: clusters the rows an INSERT wrote for tenants with auto_resolve on.';

CREATE FUNCTION omni_identity.backfill_cluster() RETURNS TABLE(clustered integer, clusters_created integer, merges integer)
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET jit TO 'off'
    AS <body>;

COMMENT ON FUNCTION omni_identity.backfill_cluster() IS 'Cluster the sales of pg_temp.oi_cluster_in for the backfill (the keyless ones are recorded by the batch core).';

CREATE FUNCTION omni_identity.backfill_customer_hash(p_tenant_id text DEFAULT NULL::text, p_batch_size integer DEFAULT 10000) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET jit TO 'off'
    SET lock_timeout TO '200ms'
    AS <body>;

COMMENT ON FUNCTION omni_identity.backfill_customer_hash(p_tenant_id text, p_batch_size integer) IS 'One set-based, resumable backfill batch of sales without customer_hash (NULL tenant = all tenants); returns rows processed, 0 = done.';

CREATE FUNCTION omni_identity.backfill_pick(p_tenant_id text, p_after_tenant_id text, p_after_id bigint, p_sweep boolean, p_batch_size integer) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET enable_seqscan TO 'off'
    SET enable_bitmapscan TO 'off'
    SET enable_sort TO 'off'
    SET jit TO 'off'
    AS <body>;

COMMENT ON FUNCTION omni_identity.backfill_pick(p_tenant_id text, p_after_tenant_id text, p_after_id bigint, p_sweep boolean, p_batch_size integer) IS 'Pick the next backfill batch (main pass after the cursor, or the sweep) into pg_temp.oi_bf_pick by an ordered index walk; returns rows picked.';

CREATE FUNCTION omni_identity.backfill_remaining(p_tenant_id text DEFAULT NULL::text) RETURNS bigint
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS <body>;

COMMENT ON FUNCTION omni_identity.backfill_remaining(p_tenant_id text) IS 'Sales the backfill has yet to process (no customer_hash, not recorded keyless), of one tenant or of all.';

CREATE FUNCTION omni_identity.backfill_unprocessed(p_tenant_id text, p_skip text[], p_limit integer) RETURNS TABLE(tenant_id text, id bigint)
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET enable_seqscan TO 'off'
    SET enable_bitmapscan TO 'off'
    SET enable_sort TO 'off'
    SET plan_cache_mode TO 'force_custom_plan'
    SET jit TO 'off'
    AS <body>;

COMMENT ON FUNCTION omni_identity.backfill_unprocessed(p_tenant_id text, p_skip text[], p_limit integer) IS 'The sales the backfill has yet to process (no customer_hash, not recorded keyless), first p_limit in (tenant_id, id) order.';

CREATE FUNCTION omni_identity.block_identifier(p_tenant_id text, p_key_type text, p_value text, p_reason text DEFAULT NULL::text) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS <body>;

COMMENT ON FUNCTION omni_identity.block_identifier(p_tenant_id text, p_key_type text, p_value text, p_reason text) IS 'Block an identifier retroactively: tenant blocklist row, key removed with its evidence, its cluster queued for a split; returns clusters queued.';

CREATE FUNCTION omni_identity.blocklist_state(p_tenant_id text) RETURNS text
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS <body>;

COMMENT ON FUNCTION omni_identity.blocklist_state(p_tenant_id text) IS 'Digest of the blocklist rows that apply to a tenant (NULL: the global rows): what blocklist_sweep compares.';

CREATE FUNCTION omni_identity.blocklist_sweep_next() RETURNS text
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET jit TO 'off'
    AS <body>;

COMMENT ON FUNCTION omni_identity.blocklist_sweep_next() IS 'Next tenant whose keys must be swept against a changed blocklist, or NULL (records the global state once every tenant is swept).';

CREATE FUNCTION omni_identity.blocklist_sweep_tenant(p_tenant_id text) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET jit TO 'off'
    AS <body>;

COMMENT ON FUNCTION omni_identity.blocklist_sweep_tenant(p_tenant_id text) IS 'Remove a tenant''s existing keys that match the blocklist (global or its own, exact or regex); record the state swept.';

CREATE FUNCTION omni_identity.buyer_cluster_aliases(p_tenant_id text, p_email text, p_phone text, p_document text) RETURNS uuid[]
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS <body>;

COMMENT ON FUNCTION omni_identity.buyer_cluster_aliases(p_tenant_id text, p_email text, p_phone text, p_document text) IS 'Live cluster owning all the given normalized keys, then its merged-away aliases; empty if none.';

CREATE FUNCTION omni_identity.citus_active() RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS <body>;

COMMENT ON FUNCTION omni_identity.citus_active() IS 'True when Citus is loaded (the batch core then takes its Citus shapes).';

CREATE FUNCTION omni_identity.citus_disable_triggers(p_table regclass) RETURNS name[]
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS <body>;

COMMENT ON FUNCTION omni_identity.citus_disable_triggers(p_table regclass) IS 'citus_distribute: disable a table''s enabled user triggers while it is distributed; returns their names.';

CREATE FUNCTION omni_identity.citus_distribute() RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS <body>;

COMMENT ON FUNCTION omni_identity.citus_distribute() IS 'On a Citus coordinator: distribute the package''s tables by tenant_id (key_blocklist: reference table) and register its routines; idempotent; returns the objects it changed.';

CREATE FUNCTION omni_identity.citus_enable_triggers(p_table regclass, p_names name[]) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS <body>;

COMMENT ON FUNCTION omni_identity.citus_enable_triggers(p_table regclass, p_names name[]) IS 'citus_distribute: enable again the triggers citus_disable_triggers disabled.';

CREATE FUNCTION omni_identity.citus_insert_keys(p_tenant_id text, p_cluster_id uuid, p_email text, p_phone text, p_document text) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS <body>;

COMMENT ON FUNCTION omni_identity.citus_insert_keys(p_tenant_id text, p_cluster_id uuid, p_email text, p_phone text, p_document text) IS 'resolve_customer_cluster on Citus: insert the key rows of a cluster by router statements (one INSERT ... VALUES per non-NULL key).';

CREATE FUNCTION omni_identity.cluster_sales_batch() RETURNS TABLE(clustered integer, clusters_created integer, merges integer)
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET jit TO 'off'
    AS <body>;

COMMENT ON FUNCTION omni_identity.cluster_sales_batch() IS 'Set-based clustering of the sales in pg_temp.oi_cluster_in: locks, keys, components, merges, golden records, customer_hash.';

CREATE FUNCTION omni_identity.cluster_size_histogram(p_tenant_id text) RETURNS TABLE(size_from bigint, size_to bigint, clusters bigint, sales bigint)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS <body>;

COMMENT ON FUNCTION omni_identity.cluster_size_histogram(p_tenant_id text) IS 'The tenant''s live clusters by number of sales, in 8 buckets (1, 2-4, 5-9, 10-19, 20-49, 50-99, 100-999, 1000+), with their sales.';

CREATE FUNCTION omni_identity.compare_customer_reports(p_tenant_id text, p_filters jsonb DEFAULT '{}'::jsonb) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS <body>;

COMMENT ON FUNCTION omni_identity.compare_customer_reports(p_tenant_id text, p_filters jsonb) IS 'Write one report_divergences row per difference between customer_report_v1 and _v2; returns the count.';

CREATE FUNCTION omni_identity.copied_sales_table() RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS <body>;

COMMENT ON FUNCTION omni_identity.copied_sales_table() IS 'Create pg_temp.oi_copied_sales (dropped at commit), the staging table ingest_copied_sales reads.';

CREATE FUNCTION omni_identity.current_cluster(p_tenant_id text, p_cluster_id uuid) RETURNS uuid
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS <body>;

COMMENT ON FUNCTION omni_identity.current_cluster(p_tenant_id text, p_cluster_id uuid) IS 'The live cluster for a cluster id: itself, or the survivor it was merged into; NULL if unknown.';

CREATE FUNCTION omni_identity.customer_report(p_tenant_id text, p_filters jsonb DEFAULT '{}'::jsonb) RETURNS SETOF omni_identity.customer_report_row
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS <body>;

COMMENT ON FUNCTION omni_identity.customer_report(p_tenant_id text, p_filters jsonb) IS 'Customer report routed by the tenant flag customer_report_v2_enabled (v2 when on, else v1).';

CREATE FUNCTION omni_identity.customer_report_sales(p_tenant_id text, p_filters jsonb, p_by_cluster boolean) RETURNS TABLE(id bigint, created_at timestamp with time zone, amount numeric, shop_id text, cluster_id uuid, is_live boolean, email text, phone text, document text, name text)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS <body>;

COMMENT ON FUNCTION omni_identity.customer_report_sales(p_tenant_id text, p_filters jsonb, p_by_cluster boolean) IS 'The sales customer_report_v1 (p_by_cluster false) or _v2 (true) counts, each with the customer it counts it for.';

CREATE FUNCTION omni_identity.customer_report_v1(p_tenant_id text, p_filters jsonb DEFAULT '{}'::jsonb) RETURNS SETOF omni_identity.customer_report_row
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS <body>;

COMMENT ON FUNCTION omni_identity.customer_report_v1(p_tenant_id text, p_filters jsonb) IS 'Legacy customer report: one row per normalized buyer e-mail, plus the sales without one.';

CREATE FUNCTION omni_identity.customer_report_v2(p_tenant_id text, p_filters jsonb DEFAULT '{}'::jsonb) RETURNS SETOF omni_identity.customer_report_row
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS <body>;

COMMENT ON FUNCTION omni_identity.customer_report_v2(p_tenant_id text, p_filters jsonb) IS 'Customer report by live cluster with its golden record, plus the sales without a cluster.';

CREATE FUNCTION omni_identity.document_parse(p_raw text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    AS <body>;

COMMENT ON FUNCTION omni_identity.document_parse(p_raw text) IS 'normalize_document for any input (formatting removed, uppercase, check digits).';

CREATE FUNCTION omni_identity.email_ascii_re() RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN <body>;

COMMENT ON FUNCTION omni_identity.email_ascii_re() IS 'Anchored regular expression of a valid e-mail written in printable ASCII (either case).';

CREATE FUNCTION omni_identity.email_canonical(p_email text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN <body>;

COMMENT ON FUNCTION omni_identity.email_canonical(p_email text) IS 'Canonical form of a normalized e-mail: +tag dropped; Gmail/Googlemail dots dropped, domain gmail.com.';

CREATE FUNCTION omni_identity.email_parse(p_raw text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    AS <body>;

COMMENT ON FUNCTION omni_identity.email_parse(p_raw text) IS 'normalize_email for any input: trim, NFC, Unicode lowercase, then the SPEC §3 grammar and at most 254 octets; NULL when invalid.';

CREATE FUNCTION omni_identity.evidence_fold(p_tenant_id text) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET jit TO 'off'
    AS <body>;

COMMENT ON FUNCTION omni_identity.evidence_fold(p_tenant_id text) IS 'Move a tenant''s resolve_evidence_log rows into key_evidence/key_pairs (pipeline_evidence), dropping removed keys; merges clusters a folded pair joins.';

CREATE FUNCTION omni_identity.evidence_lock_exclusive(p_tenant_id text, p_max_wait interval) RETURNS void
    LANGUAGE plpgsql STRICT
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS <body>;

COMMENT ON FUNCTION omni_identity.evidence_lock_exclusive(p_tenant_id text, p_max_wait interval) IS 'Evidence lock (L0) exclusive for evidence_fold: queued, at most p_max_wait, then OI090.';

CREATE FUNCTION omni_identity.evidence_lock_key(p_tenant_id text) RETURNS bigint
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS <body>;

COMMENT ON FUNCTION omni_identity.evidence_lock_key(p_tenant_id text) IS 'Advisory-lock key of a tenant''s evidence lock (L0): shared by resolve_customer_cluster, exclusive for evidence_fold.';

CREATE FUNCTION omni_identity.evidence_record(p_tenant_id text, p_sale_ids bigint[], p_seen_at timestamp with time zone[], p_names text[], p_emails text[], p_phones text[], p_documents text[]) RETURNS TABLE(key_type text, key_value text, linked_emails bigint, linked_phones bigint, linked_documents bigint)
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET jit TO 'off'
    AS <body>;

COMMENT ON FUNCTION omni_identity.evidence_record(p_tenant_id text, p_sale_ids bigint[], p_seen_at timestamp with time zone[], p_names text[], p_emails text[], p_phones text[], p_documents text[]) IS 'Upsert key_pairs and key_evidence for inputs (aligned arrays: sale id, seen_at, name, e-mail, phone, document); returns the keys written with their linked counters.';

CREATE FUNCTION omni_identity.evidence_upgrade_batch(p_tenant_id text DEFAULT NULL::text, p_batch_size integer DEFAULT 10000) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET jit TO 'off'
    SET lock_timeout TO '200ms'
    AS <body>;

COMMENT ON FUNCTION omni_identity.evidence_upgrade_batch(p_tenant_id text, p_batch_size integer) IS 'One resumable batch of the evidence upgrade (sales of the range, then keys no sale showed, then completion) of one tenant or the next incomplete one; returns units done, 0 = nothing left.';

CREATE FUNCTION omni_identity.evidence_upgrade_keys(p_tenant_id text, p_after_cluster uuid, p_batch_size integer, p_missing boolean DEFAULT false) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET jit TO 'off'
    SET client_min_messages TO 'warning'
    AS <body>;

COMMENT ON FUNCTION omni_identity.evidence_upgrade_keys(p_tenant_id text, p_after_cluster uuid, p_batch_size integer, p_missing boolean) IS 'Evidence upgrade, key phase: evidence keeping today''s partition and golden record for the keys of a batch of clusters (star rule); returns clusters examined.';

CREATE FUNCTION omni_identity.evidence_upgrade_remaining(p_tenant_id text DEFAULT NULL::text) RETURNS bigint
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS <body>;

COMMENT ON FUNCTION omni_identity.evidence_upgrade_remaining(p_tenant_id text) IS 'Work the evidence upgrade has left (sales to read, clusters to examine, completion steps), of one tenant or of all.';

CREATE FUNCTION omni_identity.explain_identifier(p_tenant_id text, p_key_type text, p_value text) RETURNS TABLE(status text, cluster_id uuid, linked_emails bigint, linked_phones bigint, linked_documents bigint, inputs bigint, reason text)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS <body>;

COMMENT ON FUNCTION omni_identity.explain_identifier(p_tenant_id text, p_key_type text, p_value text) IS 'One identifier''s status (active, generic, blocked, forgotten, invalid, unknown), live cluster, evidence counters and the reason in words.';

CREATE FUNCTION omni_identity.explain_link(p_tenant_id text, p_sale_a bigint, p_sale_b bigint) RETURNS TABLE(step integer, key_type text, key_value text, via_sale_id bigint, seen_count bigint)
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET jit TO 'off'
    AS <body>;

COMMENT ON FUNCTION omni_identity.explain_link(p_tenant_id text, p_sale_a bigint, p_sale_b bigint) IS 'The shortest evidence chain of active keys between two sales (step, key, a sale that showed the pair, inputs that did); no rows when not linked.';

CREATE FUNCTION omni_identity.flag_enabled(p_tenant_id text, p_key text) RETURNS boolean
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS <body>;

COMMENT ON FUNCTION omni_identity.flag_enabled(p_tenant_id text, p_key text) IS 'Is the tenant''s boolean flag p_key on? Absent = false.';

CREATE FUNCTION omni_identity.forget_customer(p_tenant_id text, p_cluster_id uuid) RETURNS TABLE(keys_forgotten integer, sales_redacted bigint, clusters_queued integer)
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS <body>;

COMMENT ON FUNCTION omni_identity.forget_customer(p_tenant_id text, p_cluster_id uuid) IS 'Forget a customer (LGPD): tombstones of every key, keys and evidence removed, its sales'' buyer columns and cluster cleared, every stored copy erased.';

CREATE FUNCTION omni_identity.forget_identifier(p_tenant_id text, p_key_type text, p_value text) RETURNS TABLE(keys_forgotten integer, sales_redacted bigint, clusters_queued integer)
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS <body>;

COMMENT ON FUNCTION omni_identity.forget_identifier(p_tenant_id text, p_key_type text, p_value text) IS 'Forget an identifier (LGPD): tombstone, key and evidence removed, every stored copy erased, its cluster queued for a split.';

CREATE FUNCTION omni_identity.forgotten_jsonb(p_value jsonb, p_emails text[], p_phones text[], p_documents text[]) RETURNS jsonb
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS <body>;

COMMENT ON FUNCTION omni_identity.forgotten_jsonb(p_value jsonb, p_emails text[], p_phones text[], p_documents text[]) IS 'A JSON value with every field that holds a forgotten value set to null (non-objects: null). Inlined.';

CREATE FUNCTION omni_identity.forgotten_text(p_text text, p_emails text[], p_phones text[], p_documents text[]) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS <body>;

COMMENT ON FUNCTION omni_identity.forgotten_text(p_text text, p_emails text[], p_phones text[], p_documents text[]) IS 'True when the text normalizes (as e-mail, phone or document) to one of the forgotten values. Inlined.';

CREATE FUNCTION omni_identity.generic_detach(p_tenant_id text, p_types text[], p_values text[]) RETURNS TABLE(key_type text, key_value text)
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS <body>;

COMMENT ON FUNCTION omni_identity.generic_detach(p_tenant_id text, p_types text[], p_values text[]) IS 'Of the given keys, the generic ones (key_is_generic over their counters): drop their key rows, queue their clusters for a split (reason generic).';

CREATE FUNCTION omni_identity.generic_sweep_next() RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS <body>;

COMMENT ON FUNCTION omni_identity.generic_sweep_next() IS 'Next tenant whose keys must be re-evaluated under a changed generic_threshold, or NULL.';

CREATE FUNCTION omni_identity.generic_sweep_tenant(p_tenant_id text) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET jit TO 'off'
    AS <body>;

COMMENT ON FUNCTION omni_identity.generic_sweep_tenant(p_tenant_id text) IS 'Re-evaluate a tenant''s keys under its generic_threshold: detach keys now generic, re-attach and merge keys active again; record the threshold applied.';

CREATE FUNCTION omni_identity.generic_threshold(p_tenant_id text) RETURNS integer
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS <body>;

COMMENT ON FUNCTION omni_identity.generic_threshold(p_tenant_id text) IS 'The tenant''s generic_threshold setting (default 20; 0 = the over-merge guard is off).';

CREATE FUNCTION omni_identity.golden_name(p_raw text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS <body>;

COMMENT ON FUNCTION omni_identity.golden_name(p_raw text) IS 'Golden-record form of a name: trimmed, inner white space collapsed; NULL unless normalize_name accepts it.';

CREATE FUNCTION omni_identity.golden_rank(p_seen_at timestamp with time zone, p_value text) RETURNS omni_identity.golden_value
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS <body>;

COMMENT ON FUNCTION omni_identity.golden_rank(p_seen_at timestamp with time zone, p_value text) IS 'The golden-record order: (seen_at, value COLLATE "C") as a comparable row; the greatest wins.';

CREATE FUNCTION omni_identity.golden_wins(p_new_at timestamp with time zone, p_new text, p_old_at timestamp with time zone, p_old text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS <body>;

COMMENT ON FUNCTION omni_identity.golden_wins(p_new_at timestamp with time zone, p_new text, p_old_at timestamp with time zone, p_old text) IS 'True when (p_new_at, p_new) outranks (p_old_at, p_old) in the golden-record order (NULL candidate never wins).';

CREATE FUNCTION omni_identity.identifier_key(p_key_type text, p_value text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS <body>;

COMMENT ON FUNCTION omni_identity.identifier_key(p_key_type text, p_value text) IS 'The normalized key of (p_key_type, p_value) for block/forget: OI055 unknown type, OI056 unreadable value.';

CREATE FUNCTION omni_identity.identifier_sha256(p_key_type text, p_value text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS <body>;

COMMENT ON FUNCTION omni_identity.identifier_sha256(p_key_type text, p_value text) IS 'Lowercase hex SHA-256 of an e-mail, phone (E.164 without +), name or document as ad platforms expect; NULL when invalid.';

CREATE FUNCTION omni_identity.ingest_copied_sales(p_tenant_id text) RETURNS TABLE(inserted integer, updated integer, rejected integer, clustered integer, merges integer, batch_id bigint)
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS <body>;

COMMENT ON FUNCTION omni_identity.ingest_copied_sales(p_tenant_id text) IS 'Ingest the rows COPYed into pg_temp.oi_copied_sales in this transaction (the CSV path); returns counts and the batch id.';

CREATE FUNCTION omni_identity.ingest_redact_forgotten(p_tenant_id text) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET jit TO 'off'
    AS <body>;

COMMENT ON FUNCTION omni_identity.ingest_redact_forgotten(p_tenant_id text) IS 'Ingest/upload: NULL the buyer columns (and raw jsonb keys) of pg_temp.oi_ingest_checked whose normalized value the tenant has forgotten.';

CREATE FUNCTION omni_identity.ingest_sales(p_tenant_id text, p_rows jsonb) RETURNS TABLE(inserted integer, updated integer, rejected integer, clustered integer, merges integer)
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS <body>;

COMMENT ON FUNCTION omni_identity.ingest_sales(p_tenant_id text, p_rows jsonb) IS 'Upsert a jsonb array of sales on the idempotency key and cluster them set-based; bad rows go to sales_rejects.';

CREATE FUNCTION omni_identity.ingest_staged_sales(p_tenant_id text, p_job text, p_batch_id bigint) RETURNS TABLE(inserted integer, updated integer, rejected integer, clustered integer, merges integer)
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS <body>;

COMMENT ON FUNCTION omni_identity.ingest_staged_sales(p_tenant_id text, p_job text, p_batch_id bigint) IS 'Validate, upsert and cluster the rows of pg_temp.oi_ingest_stage for one tenant (ingest_sales and upload).';

CREATE FUNCTION omni_identity.job_isolate_tenants(p_job text, p_started timestamp with time zone, OUT rows_written integer, OUT clusters_created integer, OUT merges integer, OUT rows_failed integer) RETURNS record
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET jit TO 'off'
    AS <body>;

COMMENT ON FUNCTION omni_identity.job_isolate_tenants(p_job text, p_started timestamp with time zone, OUT rows_written integer, OUT clusters_created integer, OUT merges integer, OUT rows_failed integer) IS 'Do a cross-tenant job batch''s work for every tenant together, or after a tenant''s own error for each alone, recording the tenants that fail.';

CREATE FUNCTION omni_identity.job_record_failure(p_job text, p_tenant_id text, p_started timestamp with time zone, p_rows_in integer, p_sqlstate text, p_message text) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS <body>;

COMMENT ON FUNCTION omni_identity.job_record_failure(p_job text, p_tenant_id text, p_started timestamp with time zone, p_rows_in integer, p_sqlstate text, p_message text) IS 'Record a failed tenant part of a cross-tenant job batch: batch_metrics error row, job_tenant_skip, WARNING.';

CREATE FUNCTION omni_identity.job_tenant_fault(p_sqlstate text) RETURNS boolean
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS <body>;

COMMENT ON FUNCTION omni_identity.job_tenant_fault(p_sqlstate text) IS 'Whether an error of one tenant''s part of a cross-tenant job is that tenant''s own (recorded, the job goes on).';

CREATE FUNCTION omni_identity.key_blocklist_check() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS <body>;

COMMENT ON FUNCTION omni_identity.key_blocklist_check() IS 'Trigger of key_blocklist: refuses a regex pattern that does not compile (OI036).';

CREATE FUNCTION omni_identity.key_is_generic(p_linked_emails bigint, p_linked_phones bigint, p_linked_documents bigint, p_threshold integer) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS <body>;

COMMENT ON FUNCTION omni_identity.key_is_generic(p_linked_emails bigint, p_linked_phones bigint, p_linked_documents bigint, p_threshold integer) IS 'The generic-value rule: more than p_threshold distinct keys of one other type (0 = guard off).';

CREATE FUNCTION omni_identity.key_lock_key(p_tenant_id text, p_key_type text, p_key_value text) RETURNS bigint
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS <body>;

COMMENT ON FUNCTION omni_identity.key_lock_key(p_tenant_id text, p_key_type text, p_key_value text) IS 'Advisory-lock key of one identifier (tenant, key_type, key_value) for resolve_customer_cluster.';

CREATE FUNCTION omni_identity.merge_clusters(p_tenant_id text, p_losers uuid[], p_survivors uuid[]) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS <body>;

COMMENT ON FUNCTION omni_identity.merge_clusters(p_tenant_id text, p_losers uuid[], p_survivors uuid[]) IS 'Merge p_losers[i] into p_survivors[i] set-based: merged_into, chains repointed, keys moved, lineage, golden records.';

CREATE FUNCTION omni_identity.name_within_bounds(p_raw text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS <body>;

COMMENT ON FUNCTION omni_identity.name_within_bounds(p_raw text) IS 'Whether a name is readable: at most 1024 octets trimmed and 4096 as given; the name normalizers answer NULL past it.';

CREATE FUNCTION omni_identity.normalize_document(p_raw text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    AS <body>;

COMMENT ON FUNCTION omni_identity.normalize_document(p_raw text) IS 'Normalized CPF/CNPJ (formatting removed, uppercase, numeric or alphanumeric CNPJ) when the check digits hold, else NULL.';

CREATE FUNCTION omni_identity.normalize_email(p_raw text, p_canonical boolean DEFAULT false) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS <body>;

COMMENT ON FUNCTION omni_identity.normalize_email(p_raw text, p_canonical boolean) IS 'Normalized e-mail (trimmed, NFC, lowercase) when valid, else NULL; p_canonical drops +tags and Gmail dots.';

CREATE FUNCTION omni_identity.normalize_name(p_raw text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS <body>;

COMMENT ON FUNCTION omni_identity.normalize_name(p_raw text) IS 'Name for display and search: NFD, marks dropped, lowercase, non-alphanumeric runs → one space; empty or over 1024 octets → NULL.';

CREATE FUNCTION omni_identity.normalize_phone(p_raw text, p_default_region text DEFAULT 'BR'::text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS <body>;

COMMENT ON FUNCTION omni_identity.normalize_phone(p_raw text, p_default_region text) IS 'Phone in E.164 (+ and digits): Brazilian fixed/mobile numbers as phonenumbers reads them, other countries written with + or 00; else NULL.';

CREATE FUNCTION omni_identity.parse_sale_amount(p_raw text) RETURNS numeric
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS <body>;

COMMENT ON FUNCTION omni_identity.parse_sale_amount(p_raw text) IS 'Decimal text rounded to cents, NULL when not a plain decimal numeral; never raises (over 13 integer digits: ±10^13).';

CREATE FUNCTION omni_identity.parse_sale_timestamp(p_raw text) RETURNS timestamp with time zone
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS <body>;

COMMENT ON FUNCTION omni_identity.parse_sale_timestamp(p_raw text) IS 'ISO 8601 text to timestamptz, NULL when it is not a valid date-time.';

CREATE FUNCTION omni_identity.phone_br_carrier_codes() RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN <body>;

COMMENT ON FUNCTION omni_identity.phone_br_carrier_codes() IS 'The carrier selection codes of the Brazilian national prefix (after trunk 0), comma-separated; from phonenumbers.';

CREATE FUNCTION omni_identity.phone_br_general_re() RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN <body>;

COMMENT ON FUNCTION omni_identity.phone_br_general_re() IS 'Brazilian general national-number pattern (any type), anchored; from phonenumbers.';

CREATE FUNCTION omni_identity.phone_br_international_prefix_re() RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN <body>;

COMMENT ON FUNCTION omni_identity.phone_br_international_prefix_re() IS 'Brazilian international prefix (00 + carrier code), anchored; from phonenumbers.';

CREATE FUNCTION omni_identity.phone_br_is_linkable(p_nsn text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN <body>;

COMMENT ON FUNCTION omni_identity.phone_br_is_linkable(p_nsn text) IS 'True when a Brazilian national significant number is a valid FIXED_LINE or MOBILE number for phonenumbers (not premium rate, toll free, shared cost, ...).';

CREATE FUNCTION omni_identity.phone_br_linkable_map() RETURNS bytea
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN <body>;

COMMENT ON FUNCTION omni_identity.phone_br_linkable_map() IS 'The linkable Brazilian numbers by their first three digits n (byte n): 1 when a 10-digit number is a valid FIXED_LINE or MOBILE number for phonenumbers, plus 2 when an 11-digit one is.';

CREATE FUNCTION omni_identity.phone_br_national_prefix_re() RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN <body>;

COMMENT ON FUNCTION omni_identity.phone_br_national_prefix_re() IS 'Brazilian national prefix for parsing (trunk 0 or 90, optional carrier code and number as groups 1 and 2), anchored; from phonenumbers.';

CREATE FUNCTION omni_identity.phone_br_plain(p_raw text, p_digits text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    AS <body>;

COMMENT ON FUNCTION omni_identity.phone_br_plain(p_raw text, p_digits text) IS 'normalize_phone for Brazil of text of ASCII digits, space ( ) . - and +, given its digits.';

CREATE FUNCTION omni_identity.phone_br_reading_bounds() RETURNS bigint[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN <body>;

COMMENT ON FUNCTION omni_identity.phone_br_reading_bounds() IS 'Sorted bounds, for width_bucket() over the integer of 1 followed by the digits D of a phone, of the linkable numbers written as D = a national number, 0 and one, or 55 and one; see phone_br_reading_classes().';

CREATE FUNCTION omni_identity.phone_br_reading_classes() RETURNS bytea
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN <body>;

COMMENT ON FUNCTION omni_identity.phone_br_reading_classes() IS 'Byte b: the reading of the numbers in bucket b of phone_br_reading_bounds(): 0 none (not linkable that way), 1 a national number (+55 D), 2 trunk 0 and one (+55, D without the 0), 3 55 and one (+ D).';

CREATE FUNCTION omni_identity.phone_br_strip_national_prefix(p_digits text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    AS <body>;

COMMENT ON FUNCTION omni_identity.phone_br_strip_national_prefix(p_digits text) IS 'Brazilian national number without trunk prefix and carrier code, as phonenumbers strips them.';

CREATE FUNCTION omni_identity.phone_country_code_re() RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN <body>;

COMMENT ON FUNCTION omni_identity.phone_country_code_re() IS 'Every country calling code phonenumbers knows, as an anchored alternation.';

CREATE FUNCTION omni_identity.phone_digits(p_number text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS <body>;

COMMENT ON FUNCTION omni_identity.phone_digits(p_number text) IS 'Digits of a phone number as phonenumbers normalizes them (vanity letters on the keypad).';

CREATE FUNCTION omni_identity.phone_e164_digits(p_raw text, p_default_region text DEFAULT 'BR'::text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS <body>;

COMMENT ON FUNCTION omni_identity.phone_e164_digits(p_raw text, p_default_region text) IS 'The digits of normalize_phone (E.164 without the +), or NULL. Inlined.';

CREATE FUNCTION omni_identity.phone_extension_ascii_re() RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS <body>;

COMMENT ON FUNCTION omni_identity.phone_extension_ascii_re() IS 'phone_extension_re() for ASCII text (non-ASCII characters and alternatives left out).';

CREATE FUNCTION omni_identity.phone_extension_re() RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS <body>;

COMMENT ON FUNCTION omni_identity.phone_extension_re() IS 'Regular expression of a phone extension as phonenumbers parses it (unanchored).';

CREATE FUNCTION omni_identity.phone_fallback(p_raw text, p_default_region text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    AS <body>;

COMMENT ON FUNCTION omni_identity.phone_fallback(p_raw text, p_default_region text) IS 'normalize_phone for the text its fast path leaves undecided (phone_br_plain, 0xx, long vanity text, phone_parse).';

CREATE FUNCTION omni_identity.phone_parse(p_raw text, p_default_region text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    AS <body>;

COMMENT ON FUNCTION omni_identity.phone_parse(p_raw text, p_default_region text) IS 'normalize_phone for any input: the phonenumbers parser restated step by step.';

CREATE FUNCTION omni_identity.phone_punctuation_class() RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS <body>;

COMMENT ON FUNCTION omni_identity.phone_punctuation_class() IS 'Regex bracket contents: punctuation phonenumbers accepts inside a phone number.';

CREATE FUNCTION omni_identity.phone_viable_ascii_re() RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS <body>;

COMMENT ON FUNCTION omni_identity.phone_viable_ascii_re() IS 'phone_viable_re() for ASCII text (non-ASCII characters and alternatives left out).';

CREATE FUNCTION omni_identity.phone_viable_re() RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS <body>;

COMMENT ON FUNCTION omni_identity.phone_viable_re() IS 'Anchored regular expression of a viable phone number (phonenumbers _VALID_PHONE_NUMBER_PATTERN).';

CREATE FUNCTION omni_identity.pipeline_apply(OUT clusters_created integer, OUT merges integer) RETURNS record
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET jit TO 'off'
    AS <body>;

COMMENT ON FUNCTION omni_identity.pipeline_apply(OUT clusters_created integer, OUT merges integer) IS 'Batch core stage 4b: new clusters, merges, golden records of existing survivors and new keys, from oi_cl_root.';

CREATE FUNCTION omni_identity.pipeline_components() RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET jit TO 'off'
    AS <body>;

COMMENT ON FUNCTION omni_identity.pipeline_components() IS 'Batch core stage 3: connected components of oi_cl_edge; oi_cl_comp.root := smallest node of each component.';

CREATE FUNCTION omni_identity.pipeline_evidence() RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET jit TO 'off'
    AS <body>;

COMMENT ON FUNCTION omni_identity.pipeline_evidence() IS 'Batch core stage 1b: evidence_record of the batch''s inputs (oi_cl_sale, oi_cl_occ), per tenant; their counters into oi_cl_counted.';

CREATE FUNCTION omni_identity.pipeline_generic() RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET jit TO 'off'
    AS <body>;

COMMENT ON FUNCTION omni_identity.pipeline_generic() IS 'Batch core stage 1c: the batch''s keys now generic (generic_detach over the candidates) leave the graph; their clusters are queued for a split.';

CREATE FUNCTION omni_identity.pipeline_graph(p_nodes integer) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET jit TO 'off'
    AS <body>;

COMMENT ON FUNCTION omni_identity.pipeline_graph(p_nodes integer) IS 'Batch core stage 2: existing clusters as nodes (oi_cl_exist), the edges (oi_cl_edge) and the node list (oi_cl_comp).';

CREATE FUNCTION omni_identity.pipeline_keys() RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET jit TO 'off'
    AS <body>;

COMMENT ON FUNCTION omni_identity.pipeline_keys() IS 'Batch core stage 1: normalize pg_temp.oi_cluster_in into oi_cl_sale; distinct unblocked keys (oi_cl_key) and their occurrences (oi_cl_occ).';

CREATE FUNCTION omni_identity.pipeline_redact_forgotten() RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET jit TO 'off'
    SET enable_seqscan TO 'off'
    SET enable_bitmapscan TO 'off'
    SET enable_hashjoin TO 'off'
    SET enable_mergejoin TO 'off'
    AS <body>;

COMMENT ON FUNCTION omni_identity.pipeline_redact_forgotten() IS 'Batch core stage 1a: NULL the omni_sales buyer columns whose normalized value is forgotten (oi_cl_removed), for the batch''s sales.';

CREATE FUNCTION omni_identity.pipeline_roots() RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET jit TO 'off'
    AS <body>;

COMMENT ON FUNCTION omni_identity.pipeline_roots() IS 'Batch core stage 4a: per component the survivor and the batch''s golden values (oi_cl_root); each keyed sale''s survivor.';

CREATE FUNCTION omni_identity.pipeline_set_customer_hash(p_tenant_id text, p_ctids tid[], p_hashes uuid[]) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET enable_seqscan TO 'off'
    SET enable_bitmapscan TO 'off'
    SET enable_indexscan TO 'off'
    SET jit TO 'off'
    AS <body>;

COMMENT ON FUNCTION omni_identity.pipeline_set_customer_hash(p_tenant_id text, p_ctids tid[], p_hashes uuid[]) IS 'Set customer_hash of the (locked) sales at the given ctids, by TID scan; returns rows updated.';

CREATE FUNCTION omni_identity.pipeline_temp_tables() RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET client_min_messages TO 'warning'
    AS <body>;

COMMENT ON FUNCTION omni_identity.pipeline_temp_tables() IS 'Create the pipeline''s temporary work tables of this session (idempotent).';

CREATE FUNCTION omni_identity.pipeline_write_customer_hash(p_tenant_id text) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET jit TO 'off'
    AS <body>;

COMMENT ON FUNCTION omni_identity.pipeline_write_customer_hash(p_tenant_id text) IS 'Batch core stage 5 and reconcile''s write-back: customer_hash of the sales in oi_hash_write, by TID, re-probing until all found are written.';

CREATE FUNCTION omni_identity.preview_block_identifier(p_tenant_id text, p_key_type text, p_value text) RETURNS TABLE(clusters_split integer, clusters_after integer, sales_moved bigint)
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET jit TO 'off'
    AS <body>;

COMMENT ON FUNCTION omni_identity.preview_block_identifier(p_tenant_id text, p_key_type text, p_value text) IS 'Read-only preview of block_identifier + reconcile: clusters that would split, clusters their sales would form, sales that would change cluster.';

CREATE FUNCTION omni_identity.query_filters(p_filters jsonb, OUT email text, OUT phone text, OUT document text, OUT name text, OUT shop_id text, OUT product_id text, OUT status text, OUT created_from timestamp with time zone, OUT created_to timestamp with time zone, OUT by_buyer boolean, OUT matches_none boolean) RETURNS record
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS <body>;

COMMENT ON FUNCTION omni_identity.query_filters(p_filters jsonb, OUT email text, OUT phone text, OUT document text, OUT name text, OUT shop_id text, OUT product_id text, OUT status text, OUT created_from timestamp with time zone, OUT created_to timestamp with time zone, OUT by_buyer boolean, OUT matches_none boolean) IS 'Validate and normalize the filters of the query API (OI041 unknown key, OI042 bad value).';

CREATE FUNCTION omni_identity.query_page(p_limit integer, p_after jsonb, OUT after_at timestamp with time zone, OUT after_id bigint) RETURNS record
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS <body>;

COMMENT ON FUNCTION omni_identity.query_page(p_limit integer, p_after jsonb, OUT after_at timestamp with time zone, OUT after_id bigint) IS 'Validate p_limit (OI040) and the keyset cursor p_after (OI043) of abstraction_buyer_*.';

CREATE FUNCTION omni_identity.query_page_cursor(p_created_at timestamp with time zone, p_id bigint) RETURNS jsonb
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
    AS <body>;

COMMENT ON FUNCTION omni_identity.query_page_cursor(p_created_at timestamp with time zone, p_id bigint) IS 'Keyset cursor {"created_at", "id"} of a row: the p_after of the next page of abstraction_buyer*.';

CREATE FUNCTION omni_identity.query_row_matches(p_buyer_email text, p_buyer_phone text, p_buyer_document text, p_buyer_name text, p_sale_shop_id text, p_sale_product text, p_sale_status text, p_sale_created timestamp with time zone, p_email text, p_phone text, p_document text, p_name text, p_shop_id text, p_product_id text, p_status text, p_created_from timestamp with time zone, p_created_to timestamp with time zone) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS <body>;

COMMENT ON FUNCTION omni_identity.query_row_matches(p_buyer_email text, p_buyer_phone text, p_buyer_document text, p_buyer_name text, p_sale_shop_id text, p_sale_product text, p_sale_status text, p_sale_created timestamp with time zone, p_email text, p_phone text, p_document text, p_name text, p_shop_id text, p_product_id text, p_status text, p_created_from timestamp with time zone, p_created_to timestamp with time zone) IS 'Row filter of the query API: the sale (its columns) passes every non-NULL filter on its own columns (inlined).';

CREATE FUNCTION omni_identity.reconcile_lock(p_tenant_id text) RETURNS void
    LANGUAGE plpgsql STRICT
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS <body>;

COMMENT ON FUNCTION omni_identity.reconcile_lock(p_tenant_id text) IS 'Take the tenant''s reconcile lock (R, design §5) for the transaction, blocking (on the tenant''s node on Citus).';

CREATE FUNCTION omni_identity.reconcile_merges(p_batch_size integer DEFAULT 5000) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET jit TO 'off'
    SET client_min_messages TO 'warning'
    SET lock_timeout TO '10s'
    AS <body>;

COMMENT ON FUNCTION omni_identity.reconcile_merges(p_batch_size integer) IS 'Repoint customer_hash of sales on merged-away clusters to the live survivor, mark merges reconciled (SKIP LOCKED workers).';

CREATE FUNCTION omni_identity.reconcile_remaining(p_tenant_id text DEFAULT NULL::text) RETURNS bigint
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS <body>;

COMMENT ON FUNCTION omni_identity.reconcile_remaining(p_tenant_id text) IS 'Merges not yet reconciled, clusters queued for a split and sales of split clusters to repoint, of one tenant or of all (the reconcile job''s progress total).';

CREATE FUNCTION omni_identity.reconcile_splits(p_batch_size integer) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET jit TO 'off'
    AS <body>;

COMMENT ON FUNCTION omni_identity.reconcile_splits(p_batch_size integer) IS 'One unit of re-resolution work of reconcile: a blocklist sweep, else a split batch, else a repoint batch; 0 = none.';

CREATE FUNCTION omni_identity.reconcile_tenant(p_tenant_id text) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET jit TO 'off'
    AS <body>;

COMMENT ON FUNCTION omni_identity.reconcile_tenant(p_tenant_id text) IS 'One tenant''s part of a reconcile_merges batch: repoint its claimed merges'' sales, mark them reconciled.';

CREATE FUNCTION omni_identity.redact_values(p_tenant_id text, p_types text[], p_values text[]) RETURNS bigint
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET jit TO 'off'
    AS <body>;

COMMENT ON FUNCTION omni_identity.redact_values(p_tenant_id text, p_types text[], p_values text[]) IS 'Erase stored copies of forgotten values: sale buyer columns, golden fields, rejects'' raw fields, report divergences, tenant blocklist rows; returns sales changed.';

CREATE FUNCTION omni_identity.regex_error(p_pattern text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS <body>;

COMMENT ON FUNCTION omni_identity.regex_error(p_pattern text) IS 'NULL when the regular expression compiles, else the compiler''s message.';

CREATE FUNCTION omni_identity.remove_keys(p_tenant_id text, p_types text[], p_values text[], p_reason text) RETURNS TABLE(keys_removed integer, clusters_queued integer)
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET jit TO 'off'
    AS <body>;

COMMENT ON FUNCTION omni_identity.remove_keys(p_tenant_id text, p_types text[], p_values text[], p_reason text) IS 'Remove keys: key rows, evidence pairs (counters of the other ends), evidence, golden fields; queue their clusters for a split.';

CREATE FUNCTION omni_identity.removed_keys(p_tenant_id text, p_key_types text[], p_key_values text[]) RETURNS TABLE(key_type text, key_value text, forgotten boolean)
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET enable_seqscan TO 'off'
    SET enable_bitmapscan TO 'off'
    AS <body>;

COMMENT ON FUNCTION omni_identity.removed_keys(p_tenant_id text, p_key_types text[], p_key_values text[]) IS 'The keys of one tenant, among those given, that are removed: blocked (global or tenant blocklist, exact or regex) or forgotten (tombstone).';

CREATE FUNCTION omni_identity.require_evidence_complete(p_tenant_id text) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS <body>;

COMMENT ON FUNCTION omni_identity.require_evidence_complete(p_tenant_id text) IS 'OI050 unless the tenant''s evidence is complete (no unfinished evidence upgrade).';

CREATE FUNCTION omni_identity.require_tenant(p_tenant_id text) RETURNS text
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS <body>;

COMMENT ON FUNCTION omni_identity.require_tenant(p_tenant_id text) IS 'Validate p_tenant_id against the session tenant (OI001 empty, OI003 over 256 bytes, OI002 mismatch); returns it.';

CREATE FUNCTION omni_identity.resolve_customer_cluster(p_tenant_id text, p_email text DEFAULT NULL::text, p_phone text DEFAULT NULL::text, p_document text DEFAULT NULL::text, p_name text DEFAULT NULL::text, p_seen_at timestamp with time zone DEFAULT now()) RETURNS uuid
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET plan_cache_mode TO 'force_generic_plan'
    SET enable_seqscan TO 'off'
    SET enable_bitmapscan TO 'off'
    AS <body>;

COMMENT ON FUNCTION omni_identity.resolve_customer_cluster(p_tenant_id text, p_email text, p_phone text, p_document text, p_name text, p_seen_at timestamp with time zone) IS 'Resolve one buyer to its live customer cluster; merges clusters the keys join.';

CREATE FUNCTION omni_identity.revoke_public_execute() RETURNS event_trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS <body>;

COMMENT ON FUNCTION omni_identity.revoke_public_execute() IS 'Event trigger: revoke PUBLIC''s EXECUTE on every routine created in omni_identity.';

CREATE FUNCTION omni_identity.sale_columns() RETURNS TABLE(column_name text, required boolean)
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS <body>;

COMMENT ON FUNCTION omni_identity.sale_columns() IS 'The columns of public.omni_sales a caller may fill (not tenant_id, id, customer_hash), and whether each is required.';

CREATE FUNCTION omni_identity.sale_keys(p_email text, p_phone text, p_document text) RETURNS TABLE(key_type text, key_value text)
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS <body>;

COMMENT ON FUNCTION omni_identity.sale_keys(p_email text, p_phone text, p_document text) IS 'A sale''s keys: (key_type, key_value) of its non-NULL normalized e-mail, phone and document. Inlined.';

CREATE FUNCTION omni_identity.set_flag(p_tenant_id text, p_key text, p_value boolean) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS <body>;

COMMENT ON FUNCTION omni_identity.set_flag(p_tenant_id text, p_key text, p_value boolean) IS 'Set a tenant''s boolean feature flag (abstraction_v2_enabled, customer_report_v2_enabled, auto_resolve).';

CREATE FUNCTION omni_identity.set_setting(p_tenant_id text, p_key text, p_value jsonb) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS <body>;

COMMENT ON FUNCTION omni_identity.set_setting(p_tenant_id text, p_key text, p_value jsonb) IS 'Set a tenant option: a §7 flag (JSON boolean) or generic_threshold (non-negative integer).';

CREATE FUNCTION omni_identity.split_clusters(p_tenant_id text, p_batch_size integer) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET jit TO 'off'
    AS <body>;

COMMENT ON FUNCTION omni_identity.split_clusters(p_tenant_id text, p_batch_size integer) IS 'Split a batch of queued clusters of one tenant from evidence: components, oldest-key rule, new clusters, golden records, lineage, repoint queue.';

CREATE FUNCTION omni_identity.split_repoint(p_tenant_id text, p_batch_size integer) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET jit TO 'off'
    AS <body>;

COMMENT ON FUNCTION omni_identity.split_repoint(p_tenant_id text, p_batch_size integer) IS 'After a split: move up to p_batch_size sales of queued clusters to the cluster of their own keys (NULL when none); finish clusters with none to move.';

CREATE FUNCTION omni_identity.tenant_lock_exclusive(p_tenant_id text, p_max_wait interval) RETURNS void
    LANGUAGE plpgsql STRICT
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS <body>;

COMMENT ON FUNCTION omni_identity.tenant_lock_exclusive(p_tenant_id text, p_max_wait interval) IS 'Exclusive tenant lock (L1) for batch writers without queueing: try, back off, retry for at most p_max_wait, then OI035.';

CREATE FUNCTION omni_identity.tenant_lock_job(p_tenant_id text) RETURNS boolean
    LANGUAGE plpgsql STRICT
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS <body>;

COMMENT ON FUNCTION omni_identity.tenant_lock_job(p_tenant_id text) IS 'Exclusive tenant lock for a job batch: try; refused, queue at most omni_identity.tenant_lock_wait (default 0). Returns whether held.';

CREATE FUNCTION omni_identity.tenant_lock_key(p_tenant_id text) RETURNS bigint
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS <body>;

COMMENT ON FUNCTION omni_identity.tenant_lock_key(p_tenant_id text) IS 'Advisory-lock key of a tenant: shared by resolve_customer_cluster, exclusive for batch writers.';

CREATE FUNCTION omni_identity.tenant_node_lock(p_tenant_id text, p_key bigint, p_shared boolean, p_wait interval) RETURNS boolean
    LANGUAGE plpgsql STRICT
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS <body>;

COMMENT ON FUNCTION omni_identity.tenant_node_lock(p_tenant_id text, p_key bigint, p_shared boolean, p_wait interval) IS 'Advisory xact lock taken on the node holding the tenant''s shards (delegated by Citus); wait < 0: unbounded, 0: try, > 0: bounded. Returns whether held.';

CREATE FUNCTION omni_identity.top_identifiers(p_tenant_id text, p_limit integer DEFAULT 20) RETURNS TABLE(key_type text, key_value text, status text, cluster_id uuid, linked_emails bigint, linked_phones bigint, linked_documents bigint, inputs bigint)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS <body>;

COMMENT ON FUNCTION omni_identity.top_identifiers(p_tenant_id text, p_limit integer) IS 'The tenant''s keys linked to the most distinct keys of one other type (where junk hides): status, live cluster, counters.';

CREATE FUNCTION omni_identity.unicode_alnum_class() RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN <body>;

COMMENT ON FUNCTION omni_identity.unicode_alnum_class() IS 'Regex bracket contents: alphanumeric characters (Python str.isalnum).';

CREATE FUNCTION omni_identity.unicode_digit_class() RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN <body>;

COMMENT ON FUNCTION omni_identity.unicode_digit_class() IS 'Regex bracket contents: decimal digits (Nd), ASCII and others.';

CREATE FUNCTION omni_identity.unicode_digit_from() RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN <body>;

COMMENT ON FUNCTION omni_identity.unicode_digit_from() IS 'Every non-ASCII decimal digit (Nd), for translate(); see unicode_digit_to().';

CREATE FUNCTION omni_identity.unicode_digit_to() RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN <body>;

COMMENT ON FUNCTION omni_identity.unicode_digit_to() IS 'The ASCII digit of each character of unicode_digit_from().';

CREATE FUNCTION omni_identity.unicode_latin1_accented() RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN <body>;

COMMENT ON FUNCTION omni_identity.unicode_latin1_accented() IS 'Latin-1 letters whose NFD is one ASCII letter and combining marks.';

CREATE FUNCTION omni_identity.unicode_latin1_accented_lower() RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN <body>;

COMMENT ON FUNCTION omni_identity.unicode_latin1_accented_lower() IS 'The lowercase letters of unicode_latin1_accented().';

CREATE FUNCTION omni_identity.unicode_letter_mark_number_class() RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN <body>;

COMMENT ON FUNCTION omni_identity.unicode_letter_mark_number_class() IS 'Regex bracket contents: letters, marks and numbers (general categories L*, M*, N*).';

CREATE FUNCTION omni_identity.unicode_lower(p_text text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN <body>;

COMMENT ON FUNCTION omni_identity.unicode_lower(p_text text) IS 'lower() under the collation migrate picked: ICU root, else pg_unicode_fast (both map all of Unicode), else the database default; inlined.';

CREATE FUNCTION omni_identity.unicode_mark_class() RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN <body>;

COMMENT ON FUNCTION omni_identity.unicode_mark_class() IS 'Regex bracket contents: combining marks (general category M*).';

CREATE FUNCTION omni_identity.unicode_space_chars() RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN <body>;

COMMENT ON FUNCTION omni_identity.unicode_space_chars() IS 'White space trimmed by the normalizers: Python str.isspace characters, U+200B, U+FEFF.';

CREATE FUNCTION omni_identity.unicode_space_class() RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN <body>;

COMMENT ON FUNCTION omni_identity.unicode_space_class() IS 'Regex bracket contents: the characters of unicode_space_chars().';

CREATE FUNCTION omni_identity.value_sha256(p_value text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS <body>;

COMMENT ON FUNCTION omni_identity.value_sha256(p_value text) IS 'Tombstone form of a normalized value: lowercase hex SHA-256 of its UTF-8 bytes.';

CREATE TABLE omni_identity.backfill_checkpoint (
    tenant_id text NOT NULL,
    after_tenant_id text DEFAULT ''::text NOT NULL,
    after_id bigint DEFAULT 0 NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT backfill_checkpoint_tenant_id_check CHECK ((tenant_id <> ''::text))
);

ALTER TABLE ONLY omni_identity.backfill_checkpoint FORCE ROW LEVEL SECURITY;

COMMENT ON TABLE omni_identity.backfill_checkpoint IS 'Backfill cursor per scope (tenant, or * across tenants): last (tenant_id, id) processed.';

CREATE TABLE omni_identity.backfill_keyless (
    tenant_id text NOT NULL,
    sale_id bigint NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT backfill_keyless_tenant_id_check CHECK ((tenant_id <> ''::text))
);

ALTER TABLE ONLY omni_identity.backfill_keyless FORCE ROW LEVEL SECURITY;

COMMENT ON TABLE omni_identity.backfill_keyless IS 'Sales processed without a cluster (no usable key, or only generic ones): customer_hash stays NULL, evidence already recorded.';

CREATE SEQUENCE omni_identity.batch_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

CREATE TABLE omni_identity.batch_metrics (
    tenant_id text NOT NULL,
    batch_id bigint DEFAULT nextval('omni_identity.batch_id_seq'::regclass) NOT NULL,
    job text NOT NULL,
    rows_in integer DEFAULT 0 NOT NULL,
    rows_written integer DEFAULT 0 NOT NULL,
    rows_rejected integer DEFAULT 0 NOT NULL,
    clusters_created integer DEFAULT 0 NOT NULL,
    merges integer DEFAULT 0 NOT NULL,
    started_at timestamp with time zone NOT NULL,
    duration interval NOT NULL,
    error text,
    rows_unchanged integer DEFAULT 0 NOT NULL,
    rejects_known integer DEFAULT 0 NOT NULL,
    CONSTRAINT batch_metrics_job_check CHECK ((job = ANY (ARRAY['ingest'::text, 'upload'::text, 'backfill'::text, 'reconcile'::text]))),
    CONSTRAINT batch_metrics_tenant_id_check CHECK ((tenant_id <> ''::text))
);

ALTER TABLE ONLY omni_identity.batch_metrics FORCE ROW LEVEL SECURITY;

COMMENT ON TABLE omni_identity.batch_metrics IS 'One row per batch: rows in/written/rejected, clusters created, merges, duration.';

COMMENT ON COLUMN omni_identity.batch_metrics.error IS 'NULL = success; else the failure of this tenant''s part of a cross-tenant job batch (SQLSTATE: message).';

COMMENT ON COLUMN omni_identity.batch_metrics.rows_unchanged IS 'ingest/upload: valid rows that matched a stored sale and changed nothing (resends).';

COMMENT ON COLUMN omni_identity.batch_metrics.rejects_known IS 'ingest/upload: rejected rows already recorded in sales_rejects (in rows_rejected, not stored again).';

CREATE TABLE omni_identity.blocklist_sweep (
    tenant_id text NOT NULL,
    state text NOT NULL,
    swept_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT blocklist_sweep_tenant_id_check CHECK ((tenant_id <> ''::text))
);

ALTER TABLE ONLY omni_identity.blocklist_sweep FORCE ROW LEVEL SECURITY;

COMMENT ON TABLE omni_identity.blocklist_sweep IS 'State of the blocklist each tenant''s keys were last swept against (* = the global rows).';

CREATE TABLE omni_identity.cluster_repoint_queue (
    tenant_id text NOT NULL,
    cluster_id uuid NOT NULL,
    queued_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT cluster_repoint_queue_tenant_id_check CHECK ((tenant_id <> ''::text))
);

ALTER TABLE ONLY omni_identity.cluster_repoint_queue FORCE ROW LEVEL SECURITY;

COMMENT ON TABLE omni_identity.cluster_repoint_queue IS 'Clusters whose sales reconcile repoints by their own keys after a split.';

CREATE TABLE omni_identity.cluster_split_queue (
    tenant_id text NOT NULL,
    cluster_id uuid NOT NULL,
    reason text NOT NULL,
    queued_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT cluster_split_queue_tenant_id_check CHECK ((tenant_id <> ''::text))
);

ALTER TABLE ONLY omni_identity.cluster_split_queue FORCE ROW LEVEL SECURITY;

COMMENT ON TABLE omni_identity.cluster_split_queue IS 'Clusters queued for a split (recomputed from evidence by reconcile_merges).';

CREATE TABLE omni_identity.customer_cluster (
    tenant_id text NOT NULL,
    cluster_id uuid DEFAULT gen_random_uuid() NOT NULL,
    last_buyer_email text,
    last_buyer_email_at timestamp with time zone,
    last_buyer_phone text,
    last_buyer_phone_at timestamp with time zone,
    last_buyer_name text,
    last_buyer_name_at timestamp with time zone,
    last_buyer_document text,
    last_buyer_document_at timestamp with time zone,
    merged_into uuid,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT customer_cluster_not_merged_into_self CHECK ((merged_into IS DISTINCT FROM cluster_id)),
    CONSTRAINT customer_cluster_tenant_id_check CHECK ((tenant_id <> ''::text))
);

ALTER TABLE ONLY omni_identity.customer_cluster FORCE ROW LEVEL SECURITY;

COMMENT ON TABLE omni_identity.customer_cluster IS 'Customer clusters with their golden record (last_buyer_*); live when merged_into IS NULL.';

CREATE TABLE omni_identity.customer_cluster_keys (
    tenant_id text NOT NULL,
    key_type text NOT NULL,
    key_value text NOT NULL,
    cluster_id uuid NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT customer_cluster_keys_key_type_check CHECK ((key_type = ANY (ARRAY['email'::text, 'phone'::text, 'document'::text]))),
    CONSTRAINT customer_cluster_keys_key_value_check CHECK ((key_value <> ''::text)),
    CONSTRAINT customer_cluster_keys_tenant_id_check CHECK ((tenant_id <> ''::text))
);

ALTER TABLE ONLY omni_identity.customer_cluster_keys FORCE ROW LEVEL SECURITY;

COMMENT ON TABLE omni_identity.customer_cluster_keys IS 'Normalized identifiers (email, phone, document) and the live cluster owning each.';

CREATE TABLE omni_identity.customer_cluster_merges (
    tenant_id text NOT NULL,
    merge_id bigint NOT NULL,
    from_cluster uuid NOT NULL,
    into_cluster uuid NOT NULL,
    merged_at timestamp with time zone DEFAULT now() NOT NULL,
    reconciled_at timestamp with time zone,
    CONSTRAINT customer_cluster_merges_distinct CHECK ((from_cluster <> into_cluster)),
    CONSTRAINT customer_cluster_merges_tenant_id_check CHECK ((tenant_id <> ''::text))
);

ALTER TABLE ONLY omni_identity.customer_cluster_merges FORCE ROW LEVEL SECURITY;

COMMENT ON TABLE omni_identity.customer_cluster_merges IS 'Lineage of every merge: from_cluster was merged into into_cluster.';

ALTER TABLE omni_identity.customer_cluster_merges ALTER COLUMN merge_id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME omni_identity.customer_cluster_merges_merge_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE omni_identity.customer_cluster_splits (
    tenant_id text NOT NULL,
    split_id bigint NOT NULL,
    from_cluster uuid NOT NULL,
    into_cluster uuid NOT NULL,
    reason text,
    split_at timestamp with time zone DEFAULT now() NOT NULL,
    reconciled_at timestamp with time zone,
    CONSTRAINT customer_cluster_splits_distinct CHECK ((from_cluster <> into_cluster)),
    CONSTRAINT customer_cluster_splits_tenant_id_check CHECK ((tenant_id <> ''::text))
);

ALTER TABLE ONLY omni_identity.customer_cluster_splits FORCE ROW LEVEL SECURITY;

COMMENT ON TABLE omni_identity.customer_cluster_splits IS 'Lineage of every split: into_cluster was split off from_cluster.';

ALTER TABLE omni_identity.customer_cluster_splits ALTER COLUMN split_id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME omni_identity.customer_cluster_splits_split_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE omni_identity.evidence_upgrade (
    tenant_id text NOT NULL,
    through_sale_id bigint NOT NULL,
    next_sale_id bigint DEFAULT 0 NOT NULL,
    started_at timestamp with time zone DEFAULT now() NOT NULL,
    completed_at timestamp with time zone,
    after_cluster_id uuid,
    CONSTRAINT evidence_upgrade_tenant_id_check CHECK ((tenant_id <> ''::text))
);

ALTER TABLE ONLY omni_identity.evidence_upgrade FORCE ROW LEVEL SECURITY;

COMMENT ON TABLE omni_identity.evidence_upgrade IS 'Tenants clustered before evidence existed: the upgrade job''s position; completed_at set = evidence complete.';

COMMENT ON COLUMN omni_identity.evidence_upgrade.after_cluster_id IS 'Key phase of the evidence upgrade: the live clusters up to this id are done (NULL = not started).';

CREATE TABLE omni_identity.forgotten_identifiers (
    tenant_id text NOT NULL,
    key_type text NOT NULL,
    value_sha256 text NOT NULL,
    forgotten_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT forgotten_identifiers_key_type_check CHECK ((key_type = ANY (ARRAY['email'::text, 'phone'::text, 'document'::text]))),
    CONSTRAINT forgotten_identifiers_tenant_id_check CHECK ((tenant_id <> ''::text)),
    CONSTRAINT forgotten_identifiers_value_sha256_check CHECK ((value_sha256 ~ '^[0-9a-f]{64}$'::text))
);

ALTER TABLE ONLY omni_identity.forgotten_identifiers FORCE ROW LEVEL SECURITY;

COMMENT ON TABLE omni_identity.forgotten_identifiers IS 'Tombstones of forgotten identifiers: SHA-256 of the normalized value; later inputs drop it.';

CREATE TABLE omni_identity.generic_applied (
    tenant_id text NOT NULL,
    threshold integer,
    applied_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT generic_applied_tenant_id_check CHECK ((tenant_id <> ''::text)),
    CONSTRAINT generic_applied_threshold_check CHECK ((threshold >= 0))
);

ALTER TABLE ONLY omni_identity.generic_applied FORCE ROW LEVEL SECURITY;

COMMENT ON TABLE omni_identity.generic_applied IS 'The generic_threshold reconcile last applied to each tenant''s keys (NULL: re-evaluate).';

CREATE TABLE omni_identity.job_tenant_skip (
    tenant_id text NOT NULL,
    job text NOT NULL,
    sqlstate text NOT NULL,
    message text NOT NULL,
    failed_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT job_tenant_skip_job_check CHECK ((job = ANY (ARRAY['backfill'::text, 'reconcile'::text]))),
    CONSTRAINT job_tenant_skip_tenant_id_check CHECK ((tenant_id <> ''::text))
);

ALTER TABLE ONLY omni_identity.job_tenant_skip FORCE ROW LEVEL SECURITY;

COMMENT ON TABLE omni_identity.job_tenant_skip IS 'Tenants a cross-tenant job (backfill *, reconcile) skips until its run ends, after their part of a batch failed.';

CREATE TABLE omni_identity.key_blocklist (
    tenant_id text,
    key_type text NOT NULL,
    value_pattern text NOT NULL,
    is_regex boolean DEFAULT false NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    reason text,
    CONSTRAINT key_blocklist_key_type_check CHECK ((key_type = ANY (ARRAY['email'::text, 'phone'::text, 'document'::text]))),
    CONSTRAINT key_blocklist_tenant_id_check CHECK ((tenant_id <> ''::text)),
    CONSTRAINT key_blocklist_value_pattern_check CHECK ((value_pattern <> ''::text))
);

ALTER TABLE ONLY omni_identity.key_blocklist FORCE ROW LEVEL SECURITY;

COMMENT ON TABLE omni_identity.key_blocklist IS 'Identifier values that never link (tenant_id NULL = every tenant); exact or regex on the normalized value.';

CREATE TABLE omni_identity.key_evidence (
    tenant_id text NOT NULL,
    key_type text NOT NULL,
    key_value text NOT NULL,
    inputs bigint NOT NULL,
    first_seen_at timestamp with time zone NOT NULL,
    last_seen_at timestamp with time zone NOT NULL,
    name text,
    name_seen_at timestamp with time zone,
    linked_emails bigint DEFAULT 0 NOT NULL,
    linked_phones bigint DEFAULT 0 NOT NULL,
    linked_documents bigint DEFAULT 0 NOT NULL,
    CONSTRAINT key_evidence_inputs_check CHECK ((inputs >= 0)),
    CONSTRAINT key_evidence_key_type_check CHECK ((key_type = ANY (ARRAY['email'::text, 'phone'::text, 'document'::text]))),
    CONSTRAINT key_evidence_linked_documents_check CHECK ((linked_documents >= 0)),
    CONSTRAINT key_evidence_linked_emails_check CHECK ((linked_emails >= 0)),
    CONSTRAINT key_evidence_linked_phones_check CHECK ((linked_phones >= 0)),
    CONSTRAINT key_evidence_name_pair CHECK (((name IS NULL) = (name_seen_at IS NULL))),
    CONSTRAINT key_evidence_tenant_id_check CHECK ((tenant_id <> ''::text))
)
WITH (fillfactor='80');

ALTER TABLE ONLY omni_identity.key_evidence FORCE ROW LEVEL SECURITY;

COMMENT ON TABLE omni_identity.key_evidence IS 'Per-key evidence: inputs that carried the key, greatest seen_at, greatest (seen_at, name), distinct neighbours per type.';

CREATE TABLE omni_identity.key_pairs (
    tenant_id text NOT NULL,
    a_type text NOT NULL,
    a_value text NOT NULL,
    b_type text NOT NULL,
    b_value text NOT NULL,
    seen_count bigint NOT NULL,
    first_seen_at timestamp with time zone NOT NULL,
    last_seen_at timestamp with time zone NOT NULL,
    sale_id bigint,
    CONSTRAINT key_pairs_a_type_check CHECK ((a_type = ANY (ARRAY['email'::text, 'phone'::text, 'document'::text]))),
    CONSTRAINT key_pairs_b_type_check CHECK ((b_type = ANY (ARRAY['email'::text, 'phone'::text, 'document'::text]))),
    CONSTRAINT key_pairs_ordered CHECK ((ROW(a_type, (a_value COLLATE "C")) < ROW(b_type, (b_value COLLATE "C")))),
    CONSTRAINT key_pairs_seen_count_check CHECK ((seen_count > 0)),
    CONSTRAINT key_pairs_tenant_id_check CHECK ((tenant_id <> ''::text))
)
WITH (fillfactor='80');

ALTER TABLE ONLY omni_identity.key_pairs FORCE ROW LEVEL SECURITY;

COMMENT ON TABLE omni_identity.key_pairs IS 'Pairs of keys seen together in one input (a < b): count, first/last seen, a sale that showed it.';

CREATE TABLE omni_identity.report_divergences (
    tenant_id text NOT NULL,
    divergence_id bigint NOT NULL,
    run_id bigint NOT NULL,
    kind text NOT NULL,
    v1_email text,
    cluster_id uuid,
    sale_id bigint,
    detail jsonb DEFAULT '{}'::jsonb NOT NULL,
    compared_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT report_divergences_kind_check CHECK ((kind = ANY (ARRAY['v1_customer_split'::text, 'v2_cluster_joins'::text, 'sale_only_in_v1'::text, 'sale_only_in_v2'::text]))),
    CONSTRAINT report_divergences_tenant_id_check CHECK ((tenant_id <> ''::text))
);

ALTER TABLE ONLY omni_identity.report_divergences FORCE ROW LEVEL SECURITY;

COMMENT ON TABLE omni_identity.report_divergences IS 'Divergences between customer_report_v1 and _v2, one run_id per comparison.';

ALTER TABLE omni_identity.report_divergences ALTER COLUMN divergence_id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME omni_identity.report_divergences_divergence_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE omni_identity.resolve_evidence_log (
    tenant_id text NOT NULL,
    email text,
    phone text,
    document text,
    name text,
    seen_at timestamp with time zone NOT NULL,
    CONSTRAINT resolve_evidence_log_tenant_id_check CHECK ((tenant_id <> ''::text))
);

ALTER TABLE ONLY omni_identity.resolve_evidence_log FORCE ROW LEVEL SECURITY;

COMMENT ON TABLE omni_identity.resolve_evidence_log IS 'Unfolded evidence of direct resolve calls: one row per call (its kept keys, name, seen_at); evidence_fold moves them into key_evidence/key_pairs.';

CREATE TABLE omni_identity.sales_rejects (
    tenant_id text NOT NULL,
    batch_id bigint NOT NULL,
    row_no integer NOT NULL,
    raw jsonb NOT NULL,
    reason text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    raw_sha256 bytea,
    CONSTRAINT sales_rejects_tenant_id_check CHECK ((tenant_id <> ''::text))
);

ALTER TABLE ONLY omni_identity.sales_rejects FORCE ROW LEVEL SECURITY;

COMMENT ON TABLE omni_identity.sales_rejects IS 'Rejected rows of ingest/upload batches, with line number and reason.';

COMMENT ON COLUMN omni_identity.sales_rejects.raw_sha256 IS 'Identity of the reject: sha256 of raw::text in UTF-8, unique per tenant (a resent bad row is not stored again).';

CREATE TABLE omni_identity.settings (
    tenant_id text NOT NULL,
    key text NOT NULL,
    value jsonb NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT settings_key_check CHECK ((key <> ''::text)),
    CONSTRAINT settings_tenant_id_check CHECK ((tenant_id <> ''::text))
);

ALTER TABLE ONLY omni_identity.settings FORCE ROW LEVEL SECURITY;

COMMENT ON TABLE omni_identity.settings IS 'Per-tenant feature flags and options; absent = default.';

ALTER TABLE ONLY omni_identity.backfill_checkpoint
    ADD CONSTRAINT backfill_checkpoint_pkey PRIMARY KEY (tenant_id);

ALTER TABLE ONLY omni_identity.backfill_keyless
    ADD CONSTRAINT backfill_keyless_pkey PRIMARY KEY (tenant_id, sale_id);

ALTER TABLE ONLY omni_identity.batch_metrics
    ADD CONSTRAINT batch_metrics_pkey PRIMARY KEY (tenant_id, batch_id);

ALTER TABLE ONLY omni_identity.blocklist_sweep
    ADD CONSTRAINT blocklist_sweep_pkey PRIMARY KEY (tenant_id);

ALTER TABLE ONLY omni_identity.cluster_repoint_queue
    ADD CONSTRAINT cluster_repoint_queue_pkey PRIMARY KEY (tenant_id, cluster_id);

ALTER TABLE ONLY omni_identity.cluster_split_queue
    ADD CONSTRAINT cluster_split_queue_pkey PRIMARY KEY (tenant_id, cluster_id);

ALTER TABLE ONLY omni_identity.customer_cluster_keys
    ADD CONSTRAINT customer_cluster_keys_pkey PRIMARY KEY (tenant_id, key_type, key_value);

ALTER TABLE ONLY omni_identity.customer_cluster_merges
    ADD CONSTRAINT customer_cluster_merges_pkey PRIMARY KEY (tenant_id, merge_id);

ALTER TABLE ONLY omni_identity.customer_cluster
    ADD CONSTRAINT customer_cluster_pkey PRIMARY KEY (tenant_id, cluster_id);

ALTER TABLE ONLY omni_identity.customer_cluster_splits
    ADD CONSTRAINT customer_cluster_splits_pkey PRIMARY KEY (tenant_id, split_id);

ALTER TABLE ONLY omni_identity.evidence_upgrade
    ADD CONSTRAINT evidence_upgrade_pkey PRIMARY KEY (tenant_id);

ALTER TABLE ONLY omni_identity.forgotten_identifiers
    ADD CONSTRAINT forgotten_identifiers_pkey PRIMARY KEY (tenant_id, key_type, value_sha256);

ALTER TABLE ONLY omni_identity.generic_applied
    ADD CONSTRAINT generic_applied_pkey PRIMARY KEY (tenant_id);

ALTER TABLE ONLY omni_identity.job_tenant_skip
    ADD CONSTRAINT job_tenant_skip_pkey PRIMARY KEY (tenant_id, job);

ALTER TABLE ONLY omni_identity.key_blocklist
    ADD CONSTRAINT key_blocklist_tenant_pattern_key UNIQUE NULLS NOT DISTINCT (tenant_id, key_type, value_pattern, is_regex);

ALTER TABLE ONLY omni_identity.key_evidence
    ADD CONSTRAINT key_evidence_pkey PRIMARY KEY (tenant_id, key_type, key_value);

ALTER TABLE ONLY omni_identity.key_pairs
    ADD CONSTRAINT key_pairs_pkey PRIMARY KEY (tenant_id, a_type, a_value, b_type, b_value);

ALTER TABLE ONLY omni_identity.report_divergences
    ADD CONSTRAINT report_divergences_pkey PRIMARY KEY (tenant_id, divergence_id);

ALTER TABLE ONLY omni_identity.sales_rejects
    ADD CONSTRAINT sales_rejects_pkey PRIMARY KEY (tenant_id, batch_id, row_no);

ALTER TABLE ONLY omni_identity.settings
    ADD CONSTRAINT settings_pkey PRIMARY KEY (tenant_id, key);

CREATE INDEX batch_metrics_started_idx ON omni_identity.batch_metrics USING btree (tenant_id, started_at DESC);

CREATE INDEX customer_cluster_keys_cluster_idx ON omni_identity.customer_cluster_keys USING btree (tenant_id, cluster_id);

CREATE INDEX customer_cluster_merged_into_idx ON omni_identity.customer_cluster USING btree (tenant_id, merged_into) WHERE (merged_into IS NOT NULL);

CREATE INDEX customer_cluster_merges_from_idx ON omni_identity.customer_cluster_merges USING btree (tenant_id, from_cluster);

CREATE INDEX customer_cluster_merges_into_idx ON omni_identity.customer_cluster_merges USING btree (tenant_id, into_cluster);

CREATE INDEX customer_cluster_merges_pending_idx ON omni_identity.customer_cluster_merges USING btree (merge_id) WHERE (reconciled_at IS NULL);

CREATE INDEX customer_cluster_splits_from_idx ON omni_identity.customer_cluster_splits USING btree (tenant_id, from_cluster);

CREATE INDEX customer_cluster_splits_pending_idx ON omni_identity.customer_cluster_splits USING btree (tenant_id, split_id) WHERE (reconciled_at IS NULL);

CREATE INDEX key_blocklist_exact_value_idx ON omni_identity.key_blocklist USING btree (value_pattern) WHERE (NOT is_regex);

CREATE INDEX key_blocklist_regex_idx ON omni_identity.key_blocklist USING btree (key_type) WHERE is_regex;

CREATE INDEX key_evidence_linked_idx ON omni_identity.key_evidence USING btree (tenant_id, GREATEST(linked_emails, linked_phones, linked_documents) DESC);

CREATE INDEX key_pairs_b_idx ON omni_identity.key_pairs USING btree (tenant_id, b_type, b_value);

CREATE INDEX report_divergences_run_idx ON omni_identity.report_divergences USING btree (tenant_id, run_id);

CREATE INDEX resolve_evidence_log_tenant_idx ON omni_identity.resolve_evidence_log USING btree (tenant_id);

CREATE UNIQUE INDEX sales_rejects_raw_sha256_key ON omni_identity.sales_rejects USING btree (tenant_id, raw_sha256);

CREATE TRIGGER key_blocklist_check BEFORE INSERT OR UPDATE OF value_pattern, is_regex ON omni_identity.key_blocklist FOR EACH ROW EXECUTE FUNCTION omni_identity.key_blocklist_check();

ALTER TABLE ONLY omni_identity.customer_cluster_keys
    ADD CONSTRAINT customer_cluster_keys_cluster_fkey FOREIGN KEY (tenant_id, cluster_id) REFERENCES omni_identity.customer_cluster(tenant_id, cluster_id);

ALTER TABLE ONLY omni_identity.customer_cluster
    ADD CONSTRAINT customer_cluster_merged_into_fkey FOREIGN KEY (tenant_id, merged_into) REFERENCES omni_identity.customer_cluster(tenant_id, cluster_id);

ALTER TABLE ONLY omni_identity.customer_cluster_merges
    ADD CONSTRAINT customer_cluster_merges_from_fkey FOREIGN KEY (tenant_id, from_cluster) REFERENCES omni_identity.customer_cluster(tenant_id, cluster_id);

ALTER TABLE ONLY omni_identity.customer_cluster_merges
    ADD CONSTRAINT customer_cluster_merges_into_fkey FOREIGN KEY (tenant_id, into_cluster) REFERENCES omni_identity.customer_cluster(tenant_id, cluster_id);

ALTER TABLE ONLY omni_identity.customer_cluster_splits
    ADD CONSTRAINT customer_cluster_splits_from_fkey FOREIGN KEY (tenant_id, from_cluster) REFERENCES omni_identity.customer_cluster(tenant_id, cluster_id);

ALTER TABLE ONLY omni_identity.customer_cluster_splits
    ADD CONSTRAINT customer_cluster_splits_into_fkey FOREIGN KEY (tenant_id, into_cluster) REFERENCES omni_identity.customer_cluster(tenant_id, cluster_id);

CREATE POLICY admin_all_tenants ON omni_identity.backfill_checkpoint TO omni_identity_admin USING (true) WITH CHECK (true);

CREATE POLICY admin_all_tenants ON omni_identity.backfill_keyless TO omni_identity_admin USING (true) WITH CHECK (true);

CREATE POLICY admin_all_tenants ON omni_identity.batch_metrics TO omni_identity_admin USING (true) WITH CHECK (true);

CREATE POLICY admin_all_tenants ON omni_identity.blocklist_sweep TO omni_identity_admin USING (true) WITH CHECK (true);

CREATE POLICY admin_all_tenants ON omni_identity.cluster_repoint_queue TO omni_identity_admin USING (true) WITH CHECK (true);

CREATE POLICY admin_all_tenants ON omni_identity.cluster_split_queue TO omni_identity_admin USING (true) WITH CHECK (true);

CREATE POLICY admin_all_tenants ON omni_identity.customer_cluster TO omni_identity_admin USING (true) WITH CHECK (true);

CREATE POLICY admin_all_tenants ON omni_identity.customer_cluster_keys TO omni_identity_admin USING (true) WITH CHECK (true);

CREATE POLICY admin_all_tenants ON omni_identity.customer_cluster_merges TO omni_identity_admin USING (true) WITH CHECK (true);

CREATE POLICY admin_all_tenants ON omni_identity.customer_cluster_splits TO omni_identity_admin USING (true) WITH CHECK (true);

CREATE POLICY admin_all_tenants ON omni_identity.evidence_upgrade TO omni_identity_admin USING (true) WITH CHECK (true);

CREATE POLICY admin_all_tenants ON omni_identity.forgotten_identifiers TO omni_identity_admin USING (true) WITH CHECK (true);

CREATE POLICY admin_all_tenants ON omni_identity.generic_applied TO omni_identity_admin USING (true) WITH CHECK (true);

CREATE POLICY admin_all_tenants ON omni_identity.job_tenant_skip TO omni_identity_admin USING (true) WITH CHECK (true);

CREATE POLICY admin_all_tenants ON omni_identity.key_blocklist TO omni_identity_admin USING (true) WITH CHECK (true);

CREATE POLICY admin_all_tenants ON omni_identity.key_evidence TO omni_identity_admin USING (true) WITH CHECK (true);

CREATE POLICY admin_all_tenants ON omni_identity.key_pairs TO omni_identity_admin USING (true) WITH CHECK (true);

CREATE POLICY admin_all_tenants ON omni_identity.report_divergences TO omni_identity_admin USING (true) WITH CHECK (true);

CREATE POLICY admin_all_tenants ON omni_identity.resolve_evidence_log TO omni_identity_admin USING (true) WITH CHECK (true);

CREATE POLICY admin_all_tenants ON omni_identity.sales_rejects TO omni_identity_admin USING (true) WITH CHECK (true);

CREATE POLICY admin_all_tenants ON omni_identity.settings TO omni_identity_admin USING (true) WITH CHECK (true);

ALTER TABLE omni_identity.backfill_checkpoint ENABLE ROW LEVEL SECURITY;

ALTER TABLE omni_identity.backfill_keyless ENABLE ROW LEVEL SECURITY;

ALTER TABLE omni_identity.batch_metrics ENABLE ROW LEVEL SECURITY;

ALTER TABLE omni_identity.blocklist_sweep ENABLE ROW LEVEL SECURITY;

ALTER TABLE omni_identity.cluster_repoint_queue ENABLE ROW LEVEL SECURITY;

ALTER TABLE omni_identity.cluster_split_queue ENABLE ROW LEVEL SECURITY;

ALTER TABLE omni_identity.customer_cluster ENABLE ROW LEVEL SECURITY;

ALTER TABLE omni_identity.customer_cluster_keys ENABLE ROW LEVEL SECURITY;

ALTER TABLE omni_identity.customer_cluster_merges ENABLE ROW LEVEL SECURITY;

ALTER TABLE omni_identity.customer_cluster_splits ENABLE ROW LEVEL SECURITY;

ALTER TABLE omni_identity.evidence_upgrade ENABLE ROW LEVEL SECURITY;

ALTER TABLE omni_identity.forgotten_identifiers ENABLE ROW LEVEL SECURITY;

ALTER TABLE omni_identity.generic_applied ENABLE ROW LEVEL SECURITY;

ALTER TABLE omni_identity.job_tenant_skip ENABLE ROW LEVEL SECURITY;

ALTER TABLE omni_identity.key_blocklist ENABLE ROW LEVEL SECURITY;

ALTER TABLE omni_identity.key_evidence ENABLE ROW LEVEL SECURITY;

ALTER TABLE omni_identity.key_pairs ENABLE ROW LEVEL SECURITY;

ALTER TABLE omni_identity.report_divergences ENABLE ROW LEVEL SECURITY;

ALTER TABLE omni_identity.resolve_evidence_log ENABLE ROW LEVEL SECURITY;

ALTER TABLE omni_identity.sales_rejects ENABLE ROW LEVEL SECURITY;

ALTER TABLE omni_identity.settings ENABLE ROW LEVEL SECURITY;

CREATE POLICY tenant_isolation ON omni_identity.backfill_keyless TO omni_identity_app USING ((tenant_id = current_setting('app.current_tenant_id'::text, true))) WITH CHECK ((tenant_id = current_setting('app.current_tenant_id'::text, true)));

CREATE POLICY tenant_isolation ON omni_identity.batch_metrics TO omni_identity_app USING ((tenant_id = current_setting('app.current_tenant_id'::text, true))) WITH CHECK ((tenant_id = current_setting('app.current_tenant_id'::text, true)));

CREATE POLICY tenant_isolation ON omni_identity.cluster_repoint_queue TO omni_identity_app USING ((tenant_id = current_setting('app.current_tenant_id'::text, true))) WITH CHECK ((tenant_id = current_setting('app.current_tenant_id'::text, true)));

CREATE POLICY tenant_isolation ON omni_identity.cluster_split_queue TO omni_identity_app USING ((tenant_id = current_setting('app.current_tenant_id'::text, true))) WITH CHECK ((tenant_id = current_setting('app.current_tenant_id'::text, true)));

CREATE POLICY tenant_isolation ON omni_identity.customer_cluster TO omni_identity_app USING ((tenant_id = current_setting('app.current_tenant_id'::text, true))) WITH CHECK ((tenant_id = current_setting('app.current_tenant_id'::text, true)));

CREATE POLICY tenant_isolation ON omni_identity.customer_cluster_keys TO omni_identity_app USING ((tenant_id = current_setting('app.current_tenant_id'::text, true))) WITH CHECK ((tenant_id = current_setting('app.current_tenant_id'::text, true)));

CREATE POLICY tenant_isolation ON omni_identity.customer_cluster_merges TO omni_identity_app USING ((tenant_id = current_setting('app.current_tenant_id'::text, true))) WITH CHECK ((tenant_id = current_setting('app.current_tenant_id'::text, true)));

CREATE POLICY tenant_isolation ON omni_identity.customer_cluster_splits TO omni_identity_app USING ((tenant_id = current_setting('app.current_tenant_id'::text, true))) WITH CHECK ((tenant_id = current_setting('app.current_tenant_id'::text, true)));

CREATE POLICY tenant_isolation ON omni_identity.evidence_upgrade TO omni_identity_app USING ((tenant_id = current_setting('app.current_tenant_id'::text, true))) WITH CHECK ((tenant_id = current_setting('app.current_tenant_id'::text, true)));

CREATE POLICY tenant_isolation ON omni_identity.forgotten_identifiers TO omni_identity_app USING ((tenant_id = current_setting('app.current_tenant_id'::text, true))) WITH CHECK ((tenant_id = current_setting('app.current_tenant_id'::text, true)));

CREATE POLICY tenant_isolation ON omni_identity.generic_applied TO omni_identity_app USING ((tenant_id = current_setting('app.current_tenant_id'::text, true))) WITH CHECK ((tenant_id = current_setting('app.current_tenant_id'::text, true)));

CREATE POLICY tenant_isolation ON omni_identity.key_evidence TO omni_identity_app USING ((tenant_id = current_setting('app.current_tenant_id'::text, true))) WITH CHECK ((tenant_id = current_setting('app.current_tenant_id'::text, true)));

CREATE POLICY tenant_isolation ON omni_identity.key_pairs TO omni_identity_app USING ((tenant_id = current_setting('app.current_tenant_id'::text, true))) WITH CHECK ((tenant_id = current_setting('app.current_tenant_id'::text, true)));

CREATE POLICY tenant_isolation ON omni_identity.report_divergences TO omni_identity_app USING ((tenant_id = current_setting('app.current_tenant_id'::text, true))) WITH CHECK ((tenant_id = current_setting('app.current_tenant_id'::text, true)));

CREATE POLICY tenant_isolation ON omni_identity.resolve_evidence_log TO omni_identity_app USING ((tenant_id = current_setting('app.current_tenant_id'::text, true))) WITH CHECK ((tenant_id = current_setting('app.current_tenant_id'::text, true)));

CREATE POLICY tenant_isolation ON omni_identity.sales_rejects TO omni_identity_app USING ((tenant_id = current_setting('app.current_tenant_id'::text, true))) WITH CHECK ((tenant_id = current_setting('app.current_tenant_id'::text, true)));

CREATE POLICY tenant_isolation ON omni_identity.settings TO omni_identity_app USING ((tenant_id = current_setting('app.current_tenant_id'::text, true))) WITH CHECK ((tenant_id = current_setting('app.current_tenant_id'::text, true)));

CREATE POLICY tenant_isolation_delete ON omni_identity.key_blocklist FOR DELETE TO omni_identity_app USING ((tenant_id = current_setting('app.current_tenant_id'::text, true)));

CREATE POLICY tenant_isolation_insert ON omni_identity.key_blocklist FOR INSERT TO omni_identity_app WITH CHECK ((tenant_id = current_setting('app.current_tenant_id'::text, true)));

CREATE POLICY tenant_isolation_read ON omni_identity.key_blocklist FOR SELECT TO omni_identity_app USING (((tenant_id IS NULL) OR (tenant_id = current_setting('app.current_tenant_id'::text, true))));

CREATE POLICY tenant_isolation_update ON omni_identity.key_blocklist FOR UPDATE TO omni_identity_app USING ((tenant_id = current_setting('app.current_tenant_id'::text, true))) WITH CHECK ((tenant_id = current_setting('app.current_tenant_id'::text, true)));

GRANT USAGE ON SCHEMA omni_identity TO omni_identity_app;
GRANT USAGE ON SCHEMA omni_identity TO omni_identity_admin;

REVOKE ALL ON FUNCTION omni_identity.abstraction_buyer(p_tenant_id text, p_filters jsonb, p_limit integer, p_after jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.abstraction_buyer(p_tenant_id text, p_filters jsonb, p_limit integer, p_after jsonb) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.abstraction_buyer(p_tenant_id text, p_filters jsonb, p_limit integer, p_after jsonb) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.abstraction_buyer_v1(p_tenant_id text, p_filters jsonb, p_limit integer, p_after jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.abstraction_buyer_v1(p_tenant_id text, p_filters jsonb, p_limit integer, p_after jsonb) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.abstraction_buyer_v1(p_tenant_id text, p_filters jsonb, p_limit integer, p_after jsonb) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.abstraction_buyer_v2(p_tenant_id text, p_filters jsonb, p_limit integer, p_after jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.abstraction_buyer_v2(p_tenant_id text, p_filters jsonb, p_limit integer, p_after jsonb) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.abstraction_buyer_v2(p_tenant_id text, p_filters jsonb, p_limit integer, p_after jsonb) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.auto_resolve_sales() FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.auto_resolve_sales() TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.auto_resolve_sales() TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.backfill_cluster() FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.backfill_cluster() TO omni_identity_admin;

REVOKE ALL ON FUNCTION omni_identity.backfill_customer_hash(p_tenant_id text, p_batch_size integer) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.backfill_customer_hash(p_tenant_id text, p_batch_size integer) TO omni_identity_admin;

REVOKE ALL ON FUNCTION omni_identity.backfill_pick(p_tenant_id text, p_after_tenant_id text, p_after_id bigint, p_sweep boolean, p_batch_size integer) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.backfill_pick(p_tenant_id text, p_after_tenant_id text, p_after_id bigint, p_sweep boolean, p_batch_size integer) TO omni_identity_admin;

REVOKE ALL ON FUNCTION omni_identity.backfill_remaining(p_tenant_id text) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.backfill_remaining(p_tenant_id text) TO omni_identity_admin;

REVOKE ALL ON FUNCTION omni_identity.backfill_unprocessed(p_tenant_id text, p_skip text[], p_limit integer) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.backfill_unprocessed(p_tenant_id text, p_skip text[], p_limit integer) TO omni_identity_admin;

REVOKE ALL ON FUNCTION omni_identity.block_identifier(p_tenant_id text, p_key_type text, p_value text, p_reason text) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.block_identifier(p_tenant_id text, p_key_type text, p_value text, p_reason text) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.block_identifier(p_tenant_id text, p_key_type text, p_value text, p_reason text) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.blocklist_state(p_tenant_id text) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.blocklist_state(p_tenant_id text) TO omni_identity_admin;

REVOKE ALL ON FUNCTION omni_identity.blocklist_sweep_next() FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.blocklist_sweep_next() TO omni_identity_admin;

REVOKE ALL ON FUNCTION omni_identity.blocklist_sweep_tenant(p_tenant_id text) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.blocklist_sweep_tenant(p_tenant_id text) TO omni_identity_admin;

REVOKE ALL ON FUNCTION omni_identity.buyer_cluster_aliases(p_tenant_id text, p_email text, p_phone text, p_document text) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.buyer_cluster_aliases(p_tenant_id text, p_email text, p_phone text, p_document text) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.buyer_cluster_aliases(p_tenant_id text, p_email text, p_phone text, p_document text) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.citus_active() FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.citus_active() TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.citus_active() TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.citus_disable_triggers(p_table regclass) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.citus_disable_triggers(p_table regclass) TO omni_identity_admin;

REVOKE ALL ON FUNCTION omni_identity.citus_distribute() FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.citus_distribute() TO omni_identity_admin;

REVOKE ALL ON FUNCTION omni_identity.citus_enable_triggers(p_table regclass, p_names name[]) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.citus_enable_triggers(p_table regclass, p_names name[]) TO omni_identity_admin;

REVOKE ALL ON FUNCTION omni_identity.citus_insert_keys(p_tenant_id text, p_cluster_id uuid, p_email text, p_phone text, p_document text) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.citus_insert_keys(p_tenant_id text, p_cluster_id uuid, p_email text, p_phone text, p_document text) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.citus_insert_keys(p_tenant_id text, p_cluster_id uuid, p_email text, p_phone text, p_document text) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.cluster_sales_batch() FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.cluster_sales_batch() TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.cluster_sales_batch() TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.cluster_size_histogram(p_tenant_id text) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.cluster_size_histogram(p_tenant_id text) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.cluster_size_histogram(p_tenant_id text) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.compare_customer_reports(p_tenant_id text, p_filters jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.compare_customer_reports(p_tenant_id text, p_filters jsonb) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.compare_customer_reports(p_tenant_id text, p_filters jsonb) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.copied_sales_table() FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.copied_sales_table() TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.copied_sales_table() TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.current_cluster(p_tenant_id text, p_cluster_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.current_cluster(p_tenant_id text, p_cluster_id uuid) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.current_cluster(p_tenant_id text, p_cluster_id uuid) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.customer_report(p_tenant_id text, p_filters jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.customer_report(p_tenant_id text, p_filters jsonb) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.customer_report(p_tenant_id text, p_filters jsonb) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.customer_report_sales(p_tenant_id text, p_filters jsonb, p_by_cluster boolean) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.customer_report_sales(p_tenant_id text, p_filters jsonb, p_by_cluster boolean) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.customer_report_sales(p_tenant_id text, p_filters jsonb, p_by_cluster boolean) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.customer_report_v1(p_tenant_id text, p_filters jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.customer_report_v1(p_tenant_id text, p_filters jsonb) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.customer_report_v1(p_tenant_id text, p_filters jsonb) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.customer_report_v2(p_tenant_id text, p_filters jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.customer_report_v2(p_tenant_id text, p_filters jsonb) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.customer_report_v2(p_tenant_id text, p_filters jsonb) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.document_parse(p_raw text) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.document_parse(p_raw text) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.document_parse(p_raw text) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.email_ascii_re() FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.email_ascii_re() TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.email_ascii_re() TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.email_canonical(p_email text) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.email_canonical(p_email text) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.email_canonical(p_email text) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.email_parse(p_raw text) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.email_parse(p_raw text) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.email_parse(p_raw text) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.evidence_fold(p_tenant_id text) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.evidence_fold(p_tenant_id text) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.evidence_fold(p_tenant_id text) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.evidence_lock_exclusive(p_tenant_id text, p_max_wait interval) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.evidence_lock_exclusive(p_tenant_id text, p_max_wait interval) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.evidence_lock_exclusive(p_tenant_id text, p_max_wait interval) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.evidence_lock_key(p_tenant_id text) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.evidence_lock_key(p_tenant_id text) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.evidence_lock_key(p_tenant_id text) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.evidence_record(p_tenant_id text, p_sale_ids bigint[], p_seen_at timestamp with time zone[], p_names text[], p_emails text[], p_phones text[], p_documents text[]) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.evidence_record(p_tenant_id text, p_sale_ids bigint[], p_seen_at timestamp with time zone[], p_names text[], p_emails text[], p_phones text[], p_documents text[]) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.evidence_record(p_tenant_id text, p_sale_ids bigint[], p_seen_at timestamp with time zone[], p_names text[], p_emails text[], p_phones text[], p_documents text[]) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.evidence_upgrade_batch(p_tenant_id text, p_batch_size integer) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.evidence_upgrade_batch(p_tenant_id text, p_batch_size integer) TO omni_identity_admin;

REVOKE ALL ON FUNCTION omni_identity.evidence_upgrade_keys(p_tenant_id text, p_after_cluster uuid, p_batch_size integer, p_missing boolean) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.evidence_upgrade_keys(p_tenant_id text, p_after_cluster uuid, p_batch_size integer, p_missing boolean) TO omni_identity_admin;

REVOKE ALL ON FUNCTION omni_identity.evidence_upgrade_remaining(p_tenant_id text) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.evidence_upgrade_remaining(p_tenant_id text) TO omni_identity_admin;

REVOKE ALL ON FUNCTION omni_identity.explain_identifier(p_tenant_id text, p_key_type text, p_value text) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.explain_identifier(p_tenant_id text, p_key_type text, p_value text) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.explain_identifier(p_tenant_id text, p_key_type text, p_value text) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.explain_link(p_tenant_id text, p_sale_a bigint, p_sale_b bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.explain_link(p_tenant_id text, p_sale_a bigint, p_sale_b bigint) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.explain_link(p_tenant_id text, p_sale_a bigint, p_sale_b bigint) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.flag_enabled(p_tenant_id text, p_key text) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.flag_enabled(p_tenant_id text, p_key text) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.flag_enabled(p_tenant_id text, p_key text) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.forget_customer(p_tenant_id text, p_cluster_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.forget_customer(p_tenant_id text, p_cluster_id uuid) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.forget_customer(p_tenant_id text, p_cluster_id uuid) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.forget_identifier(p_tenant_id text, p_key_type text, p_value text) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.forget_identifier(p_tenant_id text, p_key_type text, p_value text) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.forget_identifier(p_tenant_id text, p_key_type text, p_value text) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.forgotten_jsonb(p_value jsonb, p_emails text[], p_phones text[], p_documents text[]) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.forgotten_jsonb(p_value jsonb, p_emails text[], p_phones text[], p_documents text[]) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.forgotten_jsonb(p_value jsonb, p_emails text[], p_phones text[], p_documents text[]) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.forgotten_text(p_text text, p_emails text[], p_phones text[], p_documents text[]) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.forgotten_text(p_text text, p_emails text[], p_phones text[], p_documents text[]) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.forgotten_text(p_text text, p_emails text[], p_phones text[], p_documents text[]) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.generic_detach(p_tenant_id text, p_types text[], p_values text[]) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.generic_detach(p_tenant_id text, p_types text[], p_values text[]) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.generic_detach(p_tenant_id text, p_types text[], p_values text[]) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.generic_sweep_next() FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.generic_sweep_next() TO omni_identity_admin;

REVOKE ALL ON FUNCTION omni_identity.generic_sweep_tenant(p_tenant_id text) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.generic_sweep_tenant(p_tenant_id text) TO omni_identity_admin;

REVOKE ALL ON FUNCTION omni_identity.generic_threshold(p_tenant_id text) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.generic_threshold(p_tenant_id text) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.generic_threshold(p_tenant_id text) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.golden_name(p_raw text) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.golden_name(p_raw text) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.golden_name(p_raw text) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.golden_rank(p_seen_at timestamp with time zone, p_value text) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.golden_rank(p_seen_at timestamp with time zone, p_value text) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.golden_rank(p_seen_at timestamp with time zone, p_value text) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.golden_wins(p_new_at timestamp with time zone, p_new text, p_old_at timestamp with time zone, p_old text) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.golden_wins(p_new_at timestamp with time zone, p_new text, p_old_at timestamp with time zone, p_old text) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.golden_wins(p_new_at timestamp with time zone, p_new text, p_old_at timestamp with time zone, p_old text) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.identifier_key(p_key_type text, p_value text) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.identifier_key(p_key_type text, p_value text) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.identifier_key(p_key_type text, p_value text) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.identifier_sha256(p_key_type text, p_value text) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.identifier_sha256(p_key_type text, p_value text) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.identifier_sha256(p_key_type text, p_value text) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.ingest_copied_sales(p_tenant_id text) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.ingest_copied_sales(p_tenant_id text) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.ingest_copied_sales(p_tenant_id text) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.ingest_redact_forgotten(p_tenant_id text) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.ingest_redact_forgotten(p_tenant_id text) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.ingest_redact_forgotten(p_tenant_id text) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.ingest_sales(p_tenant_id text, p_rows jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.ingest_sales(p_tenant_id text, p_rows jsonb) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.ingest_sales(p_tenant_id text, p_rows jsonb) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.ingest_staged_sales(p_tenant_id text, p_job text, p_batch_id bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.ingest_staged_sales(p_tenant_id text, p_job text, p_batch_id bigint) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.ingest_staged_sales(p_tenant_id text, p_job text, p_batch_id bigint) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.job_isolate_tenants(p_job text, p_started timestamp with time zone, OUT rows_written integer, OUT clusters_created integer, OUT merges integer, OUT rows_failed integer) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.job_isolate_tenants(p_job text, p_started timestamp with time zone, OUT rows_written integer, OUT clusters_created integer, OUT merges integer, OUT rows_failed integer) TO omni_identity_admin;

REVOKE ALL ON FUNCTION omni_identity.job_record_failure(p_job text, p_tenant_id text, p_started timestamp with time zone, p_rows_in integer, p_sqlstate text, p_message text) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.job_record_failure(p_job text, p_tenant_id text, p_started timestamp with time zone, p_rows_in integer, p_sqlstate text, p_message text) TO omni_identity_admin;

REVOKE ALL ON FUNCTION omni_identity.job_tenant_fault(p_sqlstate text) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.job_tenant_fault(p_sqlstate text) TO omni_identity_admin;

REVOKE ALL ON FUNCTION omni_identity.key_blocklist_check() FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.key_blocklist_check() TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.key_blocklist_check() TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.key_is_generic(p_linked_emails bigint, p_linked_phones bigint, p_linked_documents bigint, p_threshold integer) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.key_is_generic(p_linked_emails bigint, p_linked_phones bigint, p_linked_documents bigint, p_threshold integer) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.key_is_generic(p_linked_emails bigint, p_linked_phones bigint, p_linked_documents bigint, p_threshold integer) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.key_lock_key(p_tenant_id text, p_key_type text, p_key_value text) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.key_lock_key(p_tenant_id text, p_key_type text, p_key_value text) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.key_lock_key(p_tenant_id text, p_key_type text, p_key_value text) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.merge_clusters(p_tenant_id text, p_losers uuid[], p_survivors uuid[]) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.merge_clusters(p_tenant_id text, p_losers uuid[], p_survivors uuid[]) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.merge_clusters(p_tenant_id text, p_losers uuid[], p_survivors uuid[]) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.name_within_bounds(p_raw text) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.name_within_bounds(p_raw text) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.name_within_bounds(p_raw text) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.normalize_document(p_raw text) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.normalize_document(p_raw text) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.normalize_document(p_raw text) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.normalize_email(p_raw text, p_canonical boolean) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.normalize_email(p_raw text, p_canonical boolean) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.normalize_email(p_raw text, p_canonical boolean) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.normalize_name(p_raw text) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.normalize_name(p_raw text) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.normalize_name(p_raw text) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.normalize_phone(p_raw text, p_default_region text) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.normalize_phone(p_raw text, p_default_region text) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.normalize_phone(p_raw text, p_default_region text) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.parse_sale_amount(p_raw text) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.parse_sale_amount(p_raw text) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.parse_sale_amount(p_raw text) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.parse_sale_timestamp(p_raw text) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.parse_sale_timestamp(p_raw text) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.parse_sale_timestamp(p_raw text) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.phone_br_carrier_codes() FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.phone_br_carrier_codes() TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.phone_br_carrier_codes() TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.phone_br_general_re() FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.phone_br_general_re() TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.phone_br_general_re() TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.phone_br_international_prefix_re() FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.phone_br_international_prefix_re() TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.phone_br_international_prefix_re() TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.phone_br_is_linkable(p_nsn text) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.phone_br_is_linkable(p_nsn text) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.phone_br_is_linkable(p_nsn text) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.phone_br_linkable_map() FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.phone_br_linkable_map() TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.phone_br_linkable_map() TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.phone_br_national_prefix_re() FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.phone_br_national_prefix_re() TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.phone_br_national_prefix_re() TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.phone_br_plain(p_raw text, p_digits text) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.phone_br_plain(p_raw text, p_digits text) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.phone_br_plain(p_raw text, p_digits text) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.phone_br_reading_bounds() FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.phone_br_reading_bounds() TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.phone_br_reading_bounds() TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.phone_br_reading_classes() FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.phone_br_reading_classes() TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.phone_br_reading_classes() TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.phone_br_strip_national_prefix(p_digits text) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.phone_br_strip_national_prefix(p_digits text) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.phone_br_strip_national_prefix(p_digits text) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.phone_country_code_re() FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.phone_country_code_re() TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.phone_country_code_re() TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.phone_digits(p_number text) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.phone_digits(p_number text) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.phone_digits(p_number text) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.phone_e164_digits(p_raw text, p_default_region text) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.phone_e164_digits(p_raw text, p_default_region text) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.phone_e164_digits(p_raw text, p_default_region text) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.phone_extension_ascii_re() FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.phone_extension_ascii_re() TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.phone_extension_ascii_re() TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.phone_extension_re() FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.phone_extension_re() TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.phone_extension_re() TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.phone_fallback(p_raw text, p_default_region text) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.phone_fallback(p_raw text, p_default_region text) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.phone_fallback(p_raw text, p_default_region text) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.phone_parse(p_raw text, p_default_region text) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.phone_parse(p_raw text, p_default_region text) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.phone_parse(p_raw text, p_default_region text) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.phone_punctuation_class() FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.phone_punctuation_class() TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.phone_punctuation_class() TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.phone_viable_ascii_re() FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.phone_viable_ascii_re() TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.phone_viable_ascii_re() TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.phone_viable_re() FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.phone_viable_re() TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.phone_viable_re() TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.pipeline_apply(OUT clusters_created integer, OUT merges integer) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.pipeline_apply(OUT clusters_created integer, OUT merges integer) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.pipeline_apply(OUT clusters_created integer, OUT merges integer) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.pipeline_components() FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.pipeline_components() TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.pipeline_components() TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.pipeline_evidence() FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.pipeline_evidence() TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.pipeline_evidence() TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.pipeline_generic() FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.pipeline_generic() TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.pipeline_generic() TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.pipeline_graph(p_nodes integer) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.pipeline_graph(p_nodes integer) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.pipeline_graph(p_nodes integer) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.pipeline_keys() FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.pipeline_keys() TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.pipeline_keys() TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.pipeline_redact_forgotten() FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.pipeline_redact_forgotten() TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.pipeline_redact_forgotten() TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.pipeline_roots() FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.pipeline_roots() TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.pipeline_roots() TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.pipeline_set_customer_hash(p_tenant_id text, p_ctids tid[], p_hashes uuid[]) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.pipeline_set_customer_hash(p_tenant_id text, p_ctids tid[], p_hashes uuid[]) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.pipeline_set_customer_hash(p_tenant_id text, p_ctids tid[], p_hashes uuid[]) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.pipeline_temp_tables() FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.pipeline_temp_tables() TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.pipeline_temp_tables() TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.pipeline_write_customer_hash(p_tenant_id text) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.pipeline_write_customer_hash(p_tenant_id text) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.pipeline_write_customer_hash(p_tenant_id text) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.preview_block_identifier(p_tenant_id text, p_key_type text, p_value text) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.preview_block_identifier(p_tenant_id text, p_key_type text, p_value text) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.preview_block_identifier(p_tenant_id text, p_key_type text, p_value text) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.query_filters(p_filters jsonb, OUT email text, OUT phone text, OUT document text, OUT name text, OUT shop_id text, OUT product_id text, OUT status text, OUT created_from timestamp with time zone, OUT created_to timestamp with time zone, OUT by_buyer boolean, OUT matches_none boolean) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.query_filters(p_filters jsonb, OUT email text, OUT phone text, OUT document text, OUT name text, OUT shop_id text, OUT product_id text, OUT status text, OUT created_from timestamp with time zone, OUT created_to timestamp with time zone, OUT by_buyer boolean, OUT matches_none boolean) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.query_filters(p_filters jsonb, OUT email text, OUT phone text, OUT document text, OUT name text, OUT shop_id text, OUT product_id text, OUT status text, OUT created_from timestamp with time zone, OUT created_to timestamp with time zone, OUT by_buyer boolean, OUT matches_none boolean) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.query_page(p_limit integer, p_after jsonb, OUT after_at timestamp with time zone, OUT after_id bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.query_page(p_limit integer, p_after jsonb, OUT after_at timestamp with time zone, OUT after_id bigint) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.query_page(p_limit integer, p_after jsonb, OUT after_at timestamp with time zone, OUT after_id bigint) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.query_page_cursor(p_created_at timestamp with time zone, p_id bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.query_page_cursor(p_created_at timestamp with time zone, p_id bigint) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.query_page_cursor(p_created_at timestamp with time zone, p_id bigint) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.query_row_matches(p_buyer_email text, p_buyer_phone text, p_buyer_document text, p_buyer_name text, p_sale_shop_id text, p_sale_product text, p_sale_status text, p_sale_created timestamp with time zone, p_email text, p_phone text, p_document text, p_name text, p_shop_id text, p_product_id text, p_status text, p_created_from timestamp with time zone, p_created_to timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.query_row_matches(p_buyer_email text, p_buyer_phone text, p_buyer_document text, p_buyer_name text, p_sale_shop_id text, p_sale_product text, p_sale_status text, p_sale_created timestamp with time zone, p_email text, p_phone text, p_document text, p_name text, p_shop_id text, p_product_id text, p_status text, p_created_from timestamp with time zone, p_created_to timestamp with time zone) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.query_row_matches(p_buyer_email text, p_buyer_phone text, p_buyer_document text, p_buyer_name text, p_sale_shop_id text, p_sale_product text, p_sale_status text, p_sale_created timestamp with time zone, p_email text, p_phone text, p_document text, p_name text, p_shop_id text, p_product_id text, p_status text, p_created_from timestamp with time zone, p_created_to timestamp with time zone) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.reconcile_lock(p_tenant_id text) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.reconcile_lock(p_tenant_id text) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.reconcile_lock(p_tenant_id text) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.reconcile_merges(p_batch_size integer) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.reconcile_merges(p_batch_size integer) TO omni_identity_admin;

REVOKE ALL ON FUNCTION omni_identity.reconcile_remaining(p_tenant_id text) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.reconcile_remaining(p_tenant_id text) TO omni_identity_admin;

REVOKE ALL ON FUNCTION omni_identity.reconcile_splits(p_batch_size integer) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.reconcile_splits(p_batch_size integer) TO omni_identity_admin;

REVOKE ALL ON FUNCTION omni_identity.reconcile_tenant(p_tenant_id text) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.reconcile_tenant(p_tenant_id text) TO omni_identity_admin;

REVOKE ALL ON FUNCTION omni_identity.redact_values(p_tenant_id text, p_types text[], p_values text[]) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.redact_values(p_tenant_id text, p_types text[], p_values text[]) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.redact_values(p_tenant_id text, p_types text[], p_values text[]) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.regex_error(p_pattern text) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.regex_error(p_pattern text) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.regex_error(p_pattern text) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.remove_keys(p_tenant_id text, p_types text[], p_values text[], p_reason text) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.remove_keys(p_tenant_id text, p_types text[], p_values text[], p_reason text) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.remove_keys(p_tenant_id text, p_types text[], p_values text[], p_reason text) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.removed_keys(p_tenant_id text, p_key_types text[], p_key_values text[]) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.removed_keys(p_tenant_id text, p_key_types text[], p_key_values text[]) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.removed_keys(p_tenant_id text, p_key_types text[], p_key_values text[]) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.require_evidence_complete(p_tenant_id text) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.require_evidence_complete(p_tenant_id text) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.require_evidence_complete(p_tenant_id text) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.require_tenant(p_tenant_id text) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.require_tenant(p_tenant_id text) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.require_tenant(p_tenant_id text) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.resolve_customer_cluster(p_tenant_id text, p_email text, p_phone text, p_document text, p_name text, p_seen_at timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.resolve_customer_cluster(p_tenant_id text, p_email text, p_phone text, p_document text, p_name text, p_seen_at timestamp with time zone) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.resolve_customer_cluster(p_tenant_id text, p_email text, p_phone text, p_document text, p_name text, p_seen_at timestamp with time zone) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.revoke_public_execute() FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.revoke_public_execute() TO omni_identity_admin;

REVOKE ALL ON FUNCTION omni_identity.sale_columns() FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.sale_columns() TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.sale_columns() TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.sale_keys(p_email text, p_phone text, p_document text) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.sale_keys(p_email text, p_phone text, p_document text) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.sale_keys(p_email text, p_phone text, p_document text) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.set_flag(p_tenant_id text, p_key text, p_value boolean) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.set_flag(p_tenant_id text, p_key text, p_value boolean) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.set_flag(p_tenant_id text, p_key text, p_value boolean) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.set_setting(p_tenant_id text, p_key text, p_value jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.set_setting(p_tenant_id text, p_key text, p_value jsonb) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.set_setting(p_tenant_id text, p_key text, p_value jsonb) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.split_clusters(p_tenant_id text, p_batch_size integer) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.split_clusters(p_tenant_id text, p_batch_size integer) TO omni_identity_admin;

REVOKE ALL ON FUNCTION omni_identity.split_repoint(p_tenant_id text, p_batch_size integer) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.split_repoint(p_tenant_id text, p_batch_size integer) TO omni_identity_admin;

REVOKE ALL ON FUNCTION omni_identity.tenant_lock_exclusive(p_tenant_id text, p_max_wait interval) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.tenant_lock_exclusive(p_tenant_id text, p_max_wait interval) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.tenant_lock_exclusive(p_tenant_id text, p_max_wait interval) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.tenant_lock_job(p_tenant_id text) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.tenant_lock_job(p_tenant_id text) TO omni_identity_admin;

REVOKE ALL ON FUNCTION omni_identity.tenant_lock_key(p_tenant_id text) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.tenant_lock_key(p_tenant_id text) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.tenant_lock_key(p_tenant_id text) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.tenant_node_lock(p_tenant_id text, p_key bigint, p_shared boolean, p_wait interval) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.tenant_node_lock(p_tenant_id text, p_key bigint, p_shared boolean, p_wait interval) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.tenant_node_lock(p_tenant_id text, p_key bigint, p_shared boolean, p_wait interval) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.top_identifiers(p_tenant_id text, p_limit integer) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.top_identifiers(p_tenant_id text, p_limit integer) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.top_identifiers(p_tenant_id text, p_limit integer) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.unicode_alnum_class() FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.unicode_alnum_class() TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.unicode_alnum_class() TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.unicode_digit_class() FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.unicode_digit_class() TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.unicode_digit_class() TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.unicode_digit_from() FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.unicode_digit_from() TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.unicode_digit_from() TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.unicode_digit_to() FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.unicode_digit_to() TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.unicode_digit_to() TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.unicode_latin1_accented() FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.unicode_latin1_accented() TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.unicode_latin1_accented() TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.unicode_latin1_accented_lower() FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.unicode_latin1_accented_lower() TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.unicode_latin1_accented_lower() TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.unicode_letter_mark_number_class() FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.unicode_letter_mark_number_class() TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.unicode_letter_mark_number_class() TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.unicode_lower(p_text text) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.unicode_lower(p_text text) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.unicode_lower(p_text text) TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.unicode_mark_class() FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.unicode_mark_class() TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.unicode_mark_class() TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.unicode_space_chars() FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.unicode_space_chars() TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.unicode_space_chars() TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.unicode_space_class() FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.unicode_space_class() TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.unicode_space_class() TO omni_identity_app;

REVOKE ALL ON FUNCTION omni_identity.value_sha256(p_value text) FROM PUBLIC;
GRANT ALL ON FUNCTION omni_identity.value_sha256(p_value text) TO omni_identity_admin;
GRANT ALL ON FUNCTION omni_identity.value_sha256(p_value text) TO omni_identity_app;

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE omni_identity.backfill_checkpoint TO omni_identity_admin;

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE omni_identity.backfill_keyless TO omni_identity_admin;
GRANT SELECT,INSERT ON TABLE omni_identity.backfill_keyless TO omni_identity_app;

GRANT USAGE ON SEQUENCE omni_identity.batch_id_seq TO omni_identity_app;
GRANT ALL ON SEQUENCE omni_identity.batch_id_seq TO omni_identity_admin;

GRANT SELECT,INSERT,UPDATE ON TABLE omni_identity.batch_metrics TO omni_identity_app;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE omni_identity.batch_metrics TO omni_identity_admin;

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE omni_identity.blocklist_sweep TO omni_identity_admin;

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE omni_identity.cluster_repoint_queue TO omni_identity_admin;
GRANT SELECT ON TABLE omni_identity.cluster_repoint_queue TO omni_identity_app;

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE omni_identity.cluster_split_queue TO omni_identity_admin;
GRANT SELECT,INSERT,UPDATE ON TABLE omni_identity.cluster_split_queue TO omni_identity_app;

GRANT SELECT,INSERT,UPDATE ON TABLE omni_identity.customer_cluster TO omni_identity_app;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE omni_identity.customer_cluster TO omni_identity_admin;

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE omni_identity.customer_cluster_keys TO omni_identity_app;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE omni_identity.customer_cluster_keys TO omni_identity_admin;

GRANT SELECT,INSERT,UPDATE ON TABLE omni_identity.customer_cluster_merges TO omni_identity_app;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE omni_identity.customer_cluster_merges TO omni_identity_admin;

GRANT ALL ON SEQUENCE omni_identity.customer_cluster_merges_merge_id_seq TO omni_identity_admin;

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE omni_identity.customer_cluster_splits TO omni_identity_admin;
GRANT SELECT ON TABLE omni_identity.customer_cluster_splits TO omni_identity_app;

GRANT ALL ON SEQUENCE omni_identity.customer_cluster_splits_split_id_seq TO omni_identity_admin;

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE omni_identity.evidence_upgrade TO omni_identity_admin;
GRANT SELECT ON TABLE omni_identity.evidence_upgrade TO omni_identity_app;

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE omni_identity.forgotten_identifiers TO omni_identity_admin;
GRANT SELECT,INSERT ON TABLE omni_identity.forgotten_identifiers TO omni_identity_app;

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE omni_identity.generic_applied TO omni_identity_admin;
GRANT SELECT,INSERT,UPDATE ON TABLE omni_identity.generic_applied TO omni_identity_app;

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE omni_identity.job_tenant_skip TO omni_identity_admin;

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE omni_identity.key_blocklist TO omni_identity_app;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE omni_identity.key_blocklist TO omni_identity_admin;

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE omni_identity.key_evidence TO omni_identity_admin;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE omni_identity.key_evidence TO omni_identity_app;

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE omni_identity.key_pairs TO omni_identity_admin;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE omni_identity.key_pairs TO omni_identity_app;

GRANT SELECT,INSERT,DELETE ON TABLE omni_identity.report_divergences TO omni_identity_app;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE omni_identity.report_divergences TO omni_identity_admin;

GRANT ALL ON SEQUENCE omni_identity.report_divergences_divergence_id_seq TO omni_identity_admin;

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE omni_identity.resolve_evidence_log TO omni_identity_admin;
GRANT SELECT,INSERT,DELETE ON TABLE omni_identity.resolve_evidence_log TO omni_identity_app;

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE omni_identity.sales_rejects TO omni_identity_app;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE omni_identity.sales_rejects TO omni_identity_admin;

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE omni_identity.settings TO omni_identity_app;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE omni_identity.settings TO omni_identity_admin;

ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA omni_identity GRANT ALL ON SEQUENCES TO omni_identity_admin;

ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA omni_identity GRANT ALL ON FUNCTIONS TO omni_identity_admin;

ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA omni_identity GRANT SELECT,INSERT,DELETE,UPDATE ON TABLES TO omni_identity_admin;

CREATE TABLE public.omni_sales (
    tenant_id text NOT NULL,
    id bigint NOT NULL,
    shop_id text NOT NULL,
    gateway text DEFAULT ''::text NOT NULL,
    external_id text NOT NULL,
    buyer_email text,
    buyer_phone text,
    buyer_name text,
    buyer_document text,
    product_id text,
    status text,
    amount numeric(14,2),
    currency character(3),
    created_at timestamp with time zone NOT NULL,
    customer_hash uuid,
    CONSTRAINT omni_sales_tenant_id_check CHECK ((tenant_id <> ''::text))
);

ALTER TABLE ONLY public.omni_sales FORCE ROW LEVEL SECURITY;

COMMENT ON TABLE public.omni_sales IS 'omni-identity: e-commerce sales, clustered by customer_hash';

ALTER TABLE public.omni_sales ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.omni_sales_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

ALTER TABLE ONLY public.omni_sales
    ADD CONSTRAINT omni_sales_idempotency_key UNIQUE (tenant_id, shop_id, gateway, external_id);

ALTER TABLE ONLY public.omni_sales
    ADD CONSTRAINT omni_sales_pkey PRIMARY KEY (tenant_id, id);

CREATE INDEX omni_sales_created_at_idx ON public.omni_sales USING btree (tenant_id, created_at DESC, id DESC);

CREATE INDEX omni_sales_customer_hash_idx ON public.omni_sales USING btree (tenant_id, customer_hash);

CREATE INDEX omni_sales_product_id_idx ON public.omni_sales USING btree (tenant_id, product_id);

CREATE INDEX omni_sales_shop_created_at_idx ON public.omni_sales USING btree (tenant_id, shop_id, created_at DESC);

CREATE INDEX omni_sales_status_idx ON public.omni_sales USING btree (tenant_id, status);

CREATE INDEX omni_sales_unhashed_idx ON public.omni_sales USING btree (tenant_id, id) WHERE (customer_hash IS NULL);

CREATE TRIGGER omni_sales_auto_resolve AFTER INSERT ON public.omni_sales REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION omni_identity.auto_resolve_sales();

CREATE POLICY admin_all_tenants ON public.omni_sales TO omni_identity_admin USING (true) WITH CHECK (true);

ALTER TABLE public.omni_sales ENABLE ROW LEVEL SECURITY;

CREATE POLICY tenant_isolation ON public.omni_sales TO omni_identity_app USING ((tenant_id = current_setting('app.current_tenant_id'::text, true))) WITH CHECK ((tenant_id = current_setting('app.current_tenant_id'::text, true)));

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.omni_sales TO omni_identity_app;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.omni_sales TO omni_identity_admin;
