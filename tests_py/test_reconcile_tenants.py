"""reconcile_merges over several tenants, as the job login, with two workers at once; the
query and report functions over a merged-away alias, as the application login. The data
is written directly (no resolve, no ingest), so the test exercises only these functions:
on the Citus leg every statement they run must name one tenant (FOR UPDATE over every
shard is refused, a whole omni_sales row passed to a function does not exist on a shard,
a report must not nest distributed queries)."""
from __future__ import annotations

import threading
import uuid

import psycopg

TENANTS = ("ta", "tb", "tc")


def _seed(db) -> dict:
    """Per tenant: live cluster L and clusters A, B merged into it (pending merges A→L,
    B→L), two sales on A, one on B, one on L."""
    out = {}
    for t in TENANTS:
        live, a, b = (uuid.uuid4() for _ in range(3))
        db.execute("INSERT INTO omni_identity.customer_cluster (tenant_id, cluster_id, created_at, last_buyer_email)"
                   " VALUES (%s, %s, '2024-01-01', 'ana@x.com'), (%s, %s, '2024-01-02', NULL), (%s, %s, '2024-01-03', NULL)",
                   t, live, t, a, t, b)
        db.execute("UPDATE omni_identity.customer_cluster SET merged_into = %s WHERE tenant_id = %s AND cluster_id IN (%s, %s)",
                   live, t, a, b)
        db.execute("INSERT INTO omni_identity.customer_cluster_merges (tenant_id, from_cluster, into_cluster)"
                   " VALUES (%s, %s, %s), (%s, %s, %s)", t, a, live, t, b, live)
        db.execute("INSERT INTO omni_identity.customer_cluster_keys (tenant_id, key_type, key_value, cluster_id)"
                   " VALUES (%s, 'email', 'ana@x.com', %s)", t, live)
        for i, (h, email) in enumerate([(a, "Ana@X.com"), (a, "ana@x.com"), (b, "bia@x.com"), (live, "ana@x.com")]):
            db.execute("INSERT INTO public.omni_sales (tenant_id, shop_id, external_id, created_at, buyer_email,"
                       " amount, customer_hash) VALUES (%s, 's', %s, %s, %s, 10, %s)",
                       t, f"e{i}", f"2024-02-0{i + 1}T00:00:00Z", email, h)
        out[t] = live
    return out


def test_reconcile_tenant_by_tenant_with_two_workers(db, job_login):
    lives = _seed(db)
    assert db.scalar("SELECT omni_identity.reconcile_remaining()") == 6
    assert db.scalar("SELECT omni_identity.reconcile_remaining('tb')") == 2

    # Two workers, batches of one merge, until both find nothing left.
    done: list[int] = []
    errors: list[BaseException] = []

    def worker():
        try:
            with db.connect_as(job_login) as conn:
                while True:
                    n = conn.execute("SELECT omni_identity.reconcile_merges(1)").fetchone()[0]
                    if n == 0:
                        return
                    done.append(n)
        except BaseException as exc:   # reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors, errors
    assert sum(done) == 6
    assert db.scalar("SELECT omni_identity.reconcile_merges(10)") == 0
    assert db.scalar("SELECT omni_identity.reconcile_remaining()") == 0
    for t, live in lives.items():
        assert db.column("SELECT DISTINCT customer_hash FROM public.omni_sales WHERE tenant_id = %s", t) == [live]
        assert db.scalar("SELECT count(*) FROM omni_identity.customer_cluster_merges"
                         " WHERE tenant_id = %s AND reconciled_at IS NULL", t) == 0


def test_queries_and_reports_over_aliases(db, app_login):
    lives = _seed(db)
    t = "tb"
    # The tenant named by a literal SET LOCAL, the form Citus sends to the workers (with
    # citus.propagate_set_commands = local; a no-op setting on one node).
    with psycopg.connect(db.login_dsn(app_login), options="-c citus.propagate_set_commands=local") as conn, \
            conn.transaction():
        conn.execute(f"SET LOCAL app.current_tenant_id = '{t}'")

        def col(q, *args):
            return [r[0] for r in conn.execute(q, args or None).fetchall()]

        # v1: the sale's own normalized e-mail (query_row_matches over its columns).
        assert len(col("SELECT id FROM omni_identity.abstraction_buyer_v1(%s, '{\"email\": \"ana@x.com\"}')", t)) == 3
        # v2: every sale of the live cluster owning the e-mail, aliases included.
        assert len(col("SELECT id FROM omni_identity.abstraction_buyer_v2(%s, '{\"email\": \"ana@x.com\"}')", t)) == 4
        # The v2 report: one customer, the live cluster, with its golden record,
        # although three of its four sales still carry an alias.
        rows = conn.execute("SELECT cluster_id, email, orders, total_amount"
                            " FROM omni_identity.customer_report_v2(%s)", (t,)).fetchall()
        assert rows == [(lives[t], "ana@x.com", 4, 40)]
        rows = conn.execute("SELECT cluster_id, email, orders FROM omni_identity.customer_report_v2(%s,"
                            " '{\"email\": \"ana@x.com\"}')", (t,)).fetchall()
        assert rows == [(lives[t], "ana@x.com", 4)]
        assert col("SELECT omni_identity.buyer_cluster_aliases(%s, 'ana@x.com', NULL, NULL)", t)[0][0] == lives[t]
        # The audit: v2's one customer joins v1's two e-mails (one divergence row).
        assert col("SELECT omni_identity.compare_customer_reports(%s)", t) == [1]
        assert col("SELECT kind FROM omni_identity.report_divergences WHERE tenant_id = %s", t) == ["v2_cluster_joins"]


PHONE = "+5511987654321"


def _seed_split(db, t: str) -> str:
    """Cluster C with keys e1, phone, e2, linked only through the phone (pairs e1–phone,
    e2–phone): sale 1 (e1, phone), sale 2 (e2, phone), and a reject carrying the phone.
    Returns C."""
    c = uuid.uuid4()
    db.execute("INSERT INTO omni_identity.customer_cluster (tenant_id, cluster_id, created_at, last_buyer_email,"
               " last_buyer_email_at, last_buyer_phone, last_buyer_phone_at)"
               " VALUES (%s, %s, '2024-01-01', 'e2@x.com', '2024-01-02', %s, '2024-01-02')", t, c, PHONE)
    for key_type, value, at in (("email", "e1@x.com", "2024-01-01"), ("phone", PHONE, "2024-01-01"),
                                ("email", "e2@x.com", "2024-01-02")):
        db.execute("INSERT INTO omni_identity.customer_cluster_keys (tenant_id, key_type, key_value, cluster_id, created_at)"
                   " VALUES (%s, %s, %s, %s, %s)", t, key_type, value, c, at)
        db.execute("INSERT INTO omni_identity.key_evidence (tenant_id, key_type, key_value, inputs, first_seen_at,"
                   " last_seen_at, linked_emails, linked_phones) VALUES (%s, %s, %s, 1, %s, %s, %s, %s)",
                   t, key_type, value, at, at, 2 if key_type == "phone" else 0, 1 if key_type == "email" else 0)
    for email, at in (("e1@x.com", "2024-01-01"), ("e2@x.com", "2024-01-02")):
        db.execute("INSERT INTO omni_identity.key_pairs (tenant_id, a_type, a_value, b_type, b_value, seen_count,"
                   " first_seen_at, last_seen_at) VALUES (%s, 'email', %s, 'phone', %s, 1, %s, %s)", t, email, PHONE, at, at)
        db.execute("INSERT INTO public.omni_sales (tenant_id, shop_id, external_id, created_at, buyer_email, buyer_phone,"
                   " customer_hash) VALUES (%s, 's', %s, %s, %s, '11987654321', %s)", t, email, at, email, c)
    db.execute("INSERT INTO omni_identity.sales_rejects (tenant_id, batch_id, row_no, raw, reason)"
               " VALUES (%s, 1, 1, '{\"buyer_phone\": \"(11) 98765-4321\"}', 'x')", t)
    return str(c)


def test_preview_forget_and_split(db, job_login):
    """preview_block_identifier, forget_identifier (redaction) and the split and repoint
    of reconcile on one tenant, as the job login, beside another tenant's data."""
    t = "tf"
    c = _seed_split(db, t)
    _seed_split(db, "tg")
    with db.connect_as(job_login) as conn:
        def one(q, *args):
            return conn.execute(q, args or None).fetchone()

        # Blocking (or forgetting) the phone splits C in two; sale 2 moves.
        assert one("SELECT * FROM omni_identity.preview_block_identifier(%s, 'phone', %s)", t, PHONE) == (1, 2, 1)
        assert one("SELECT * FROM omni_identity.forget_identifier(%s, 'phone', %s)", t, PHONE) == (1, 2, 1)
        while one("SELECT omni_identity.reconcile_merges(100)")[0] > 0:
            pass
    rows = db.rows("SELECT buyer_email, buyer_phone, customer_hash::text FROM public.omni_sales"
                   " WHERE tenant_id = %s ORDER BY buyer_email", t)
    assert [r[:2] for r in rows] == [("e1@x.com", None), ("e2@x.com", None)]
    assert rows[0][2] == c and rows[1][2] != c and rows[1][2] is not None
    assert db.scalar("SELECT last_buyer_phone FROM omni_identity.customer_cluster"
                     " WHERE tenant_id = %s AND cluster_id = %s", t, c) is None
    assert db.scalar("SELECT raw FROM omni_identity.sales_rejects WHERE tenant_id = %s", t) == {"buyer_phone": None}
    # The other tenant is untouched.
    assert db.column("SELECT DISTINCT buyer_phone FROM public.omni_sales WHERE tenant_id = 'tg'") == ["11987654321"]


def _advisory_waits(db) -> int:
    """Advisory lock requests not granted, on every node of the database (on the Citus
    lab the reconcile lock is taken on the node holding the tenant's shards)."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    from harness import citus

    dsns = [db.dsn]
    if citus.enabled():
        for server in citus.node_servers(db.dsn)[1:]:
            parts = conninfo_to_dict(server)
            parts["dbname"] = db.name
            dsns.append(make_conninfo(**parts))
    n = 0
    for dsn in dsns:
        with psycopg.connect(dsn, autocommit=True) as conn:
            n += conn.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                              " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                              ).fetchone()[0]
    return n


def test_reconcile_waits_for_a_forget_of_its_tenant(db, job_login):
    """A forget holds the tenant's reconcile lock until it commits: a reconcile batch that
    claimed the tenant's merges waits for it (on Citus, on the tenant's node), then
    repoints them."""
    lives = _seed(db)
    with db.connect_as(job_login, autocommit=False) as holder:
        holder.execute("SELECT * FROM omni_identity.forget_identifier('tb', 'email', 'bia@x.com')")
        out: list = []
        errors: list = []

        def run():
            try:
                with db.connect_as(job_login) as conn:
                    out.append(conn.execute("SELECT omni_identity.reconcile_merges(10)").fetchone()[0])
            except BaseException as exc:   # reported below
                errors.append(exc)

        th = threading.Thread(target=run)
        th.start()
        waiting = False
        for _ in range(20_000):
            waiting = _advisory_waits(db) > 0
            if waiting or not th.is_alive():
                break
        assert waiting and not out and not errors, (out, errors)
        holder.commit()
    th.join()
    assert not errors, errors
    assert out == [6]
    assert db.column("SELECT DISTINCT customer_hash FROM public.omni_sales WHERE tenant_id = 'tb'") == [lives["tb"]]
