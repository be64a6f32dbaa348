"""The Citus test lab of `make test-citus`: a coordinator and two workers on 127.0.0.1.

    python -m harness.citus up      # fresh data directories; prints the coordinator's DSN
    python -m harness.citus down    # stops the three servers and removes their data
    python -m harness.citus workers DSN   # the workers' DSNs of the lab database DSN

Each node is an embedded cluster (harness/embedded.py: initdb as an unprivileged user when
run as root, a free port, trust authentication) under .omni-identity/citus/nodeN with
``shared_preload_libraries = citus``. The coordinator's ``postgres`` database has the
extension and the workers added: it is where the harness finds the workers
(``pg_dist_node``).

Databases of the lab (OMNI_IDENTITY_CITUS set, see create_database): a database is made on
all three nodes under one name, with the extension and the workers added on the
coordinator. A clone of a template is made on every node from that node's copy of the
template: Citus names a node and a shard by host, port and shard id, never by database, so
the three clones together are a consistent distributed database. Citus's maintenance
daemon keeps a connection to every database that has the extension, and CREATE DATABASE
... TEMPLATE refuses a template in use, so a template stops accepting connections
(ALLOW_CONNECTIONS false, which the daemon honours) and its daemon is ended first.
"""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from harness.embedded import Cluster, state_dir
from harness.errors import HarnessError

NODES = ("coordinator", "worker1", "worker2")


def enabled() -> bool:
    """True when the test databases are to be made distributed (make test-citus)."""
    return bool(os.environ.get("OMNI_IDENTITY_CITUS"))


def lab_home() -> Path:
    return state_dir() / "citus"


class Node(Cluster):
    """An embedded cluster with Citus preloaded; smaller memory settings (three of them)."""

    def _write_conf(self, port: int) -> None:
        super()._write_conf(port)
        conf = self.datadir / "omni_identity.conf"
        with open(conf, "a") as f:
            # Later lines win: Citus must be first in shared_preload_libraries.
            f.write("shared_preload_libraries = 'citus,pg_stat_statements'\n"
                    "shared_buffers = '128MB'\n"
                    # Few shards per table: every test database distributes ~20 tables.
                    "citus.shard_count = 4\n"
                    # Citus's connections to the other nodes per backend stay within bounds.
                    "citus.max_shared_pool_size = 100\n")
            if self.home.name == NODES[0]:
                # The session tenant reaches the workers: the coordinator sends a SET LOCAL
                # to every node the transaction uses (docs/scale-out.md, what the DBA
                # sets). Not on the workers: there Citus 13.2 would record the whole
                # command string the coordinator sent with it (BEGIN; ...; SET LOCAL ...)
                # and replay it on the connections a worker opens itself, which fails
                # (the automatic-mode trigger's batch on a shard).
                f.write("citus.propagate_set_commands = 'local'\n")

    def _ensure_database(self) -> None:
        return None   # the lab's databases are made by create_database


def _nodes() -> list[Node]:
    home = lab_home()
    return [Node(home / name) for name in NODES]


def up() -> str:
    """Fresh data directories, the three servers started, the workers added to the
    coordinator's postgres database. Returns the coordinator's DSN (database postgres)."""
    down()
    nodes = _nodes()
    for node in nodes:
        node.home.mkdir(parents=True, exist_ok=True)
        node.start()
    coordinator = nodes[0].dsn("postgres")
    _add_workers(coordinator, [f"127.0.0.1:{n.port()}" for n in nodes[1:]],
                 [n.dsn("postgres") for n in nodes])
    return coordinator


def down() -> None:
    home = lab_home()
    if not home.exists():
        return
    for node in _nodes():
        if node.initialized():
            node.stop()
        data = node.datadir.parent
        shutil.rmtree(node.home, ignore_errors=True)
        if data != node.home:
            shutil.rmtree(data, ignore_errors=True)
        if node.socket_dir() != node.datadir and not str(node.socket_dir()).startswith(str(node.home)):
            shutil.rmtree(node.socket_dir(), ignore_errors=True)
    shutil.rmtree(home, ignore_errors=True)


def _add_workers(coordinator_db: str, workers: list[str], node_dbs: list[str]) -> None:
    """The extension on every node's copy of the database, then the coordinator's host
    and the workers registered on the coordinator."""
    for dsn in node_dbs:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS citus")
    host, port = _host_port(coordinator_db)
    with psycopg.connect(coordinator_db, autocommit=True) as conn:
        conn.execute("SELECT citus_set_coordinator_host(%s, %s)", (host, port))
        if not workers:   # single-node Citus: the coordinator holds the shards
            conn.execute("SELECT citus_set_node_property(%s, %s, 'shouldhaveshards', true)", (host, port))
        for w in workers:
            h, p = w.rsplit(":", 1)
            conn.execute("SELECT citus_add_node(%s, %s)", (h, int(p)))


def _host_port(dsn: str) -> tuple[str, int]:
    parts = conninfo_to_dict(dsn)
    return parts.get("host") or "127.0.0.1", int(parts.get("port") or 5432)


def with_db(dsn: str, dbname: str) -> str:
    """`dsn` with database `dbname` (the same database on another node of the lab)."""
    return _with_db(dsn, dbname)


def _with_db(dsn: str, dbname: str) -> str:
    parts = conninfo_to_dict(dsn)
    parts["dbname"] = dbname
    return make_conninfo(**parts)


def node_servers(server: str) -> list[str]:
    """The DSNs (maintenance database postgres) of every node of the lab whose coordinator
    is `server`: the coordinator first, then the workers of its pg_dist_node."""
    coordinator = _with_db(server, "postgres")
    with psycopg.connect(coordinator, autocommit=True) as conn:
        rows = conn.execute("SELECT nodename, nodeport FROM pg_dist_node"
                            " WHERE noderole = 'primary' AND groupid <> 0 ORDER BY nodeid").fetchall()
    parts = conninfo_to_dict(coordinator)
    out = [coordinator]
    for host, port in rows:
        parts.update(host=host, port=str(port))
        out.append(make_conninfo(**parts))
    return out


def _freeze_template(dsn: str, template: str) -> None:
    """A template in use cannot be cloned: stop new connections to it (Citus's maintenance
    daemon included) and end the ones it has."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        allowed = conn.execute("SELECT datallowconn FROM pg_database WHERE datname = %s", (template,)).fetchone()
        if allowed is None:
            raise HarnessError(f"template database {template} does not exist on {_host_port(dsn)}")
        if allowed[0]:
            conn.execute(sql.SQL("ALTER DATABASE {} WITH ALLOW_CONNECTIONS false").format(sql.Identifier(template)))
        # With a timeout, pg_terminate_backend waits for each session to be gone.
        conn.execute("SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity"
                     " WHERE datname = %s AND pid <> pg_backend_pid()", (template,))


def drop_database(server: str, dbname: str) -> None:
    """DROP DATABASE ... WITH (FORCE) on every node. FORCE ends client sessions, not
    background workers: Citus's maintenance daemon of the database can still be connected
    on a node (ObjectInUse); then the database stops accepting connections, the daemon is
    ended, and the drop is tried again."""
    drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname))
    for dsn in node_servers(server):
        with psycopg.connect(dsn, autocommit=True) as conn:
            for attempt in range(3):
                try:
                    conn.execute(drop)
                    break
                except psycopg.errors.ObjectInUse:
                    if attempt == 2:
                        raise
                    _freeze_template(dsn, dbname)


def coordinator_only() -> bool:
    """True when the pgTAP database is to hold every shard on the coordinator
    (OMNI_IDENTITY_CITUS_NODES=coordinator, set by make test-citus for pg_prove)."""
    return os.environ.get("OMNI_IDENTITY_CITUS_NODES") == "coordinator"


def create_database(server: str, dbname: str, template: str | None = None,
                    options: sql.Composable | None = None, coordinator: bool = False) -> str:
    """`dbname` on every node of the lab (dropped first); a clone of `template` on every
    node, else a new database with the extension and the workers added. Returns the
    coordinator's DSN for it.

    coordinator=True: a new database on the coordinator alone, with the extension and no
    worker (single-node Citus: every shard on the coordinator, every statement still
    planned by Citus, a shard's task run by local execution in the calling backend). The
    pgTAP suites run there: a file is one transaction that switches roles (Citus refuses a
    placement modified by another user of the same transaction, each user having its own
    connection to a worker) and calls pgTAP's assertions in statements Citus pushes whole
    to a shard (on a worker they miss the plan kept in the session's temporary tables).
    The Python suites, with their real connections, run on the three nodes."""
    servers = node_servers(server)
    drop_database(server, dbname)
    if coordinator:
        stmt = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname))
        if options is not None:
            stmt += sql.SQL(" ") + options
        with psycopg.connect(servers[0], autocommit=True) as conn:
            conn.execute(stmt)
        _add_workers(_with_db(servers[0], dbname), [], [_with_db(servers[0], dbname)])
        return _with_db(servers[0], dbname)
    for dsn in servers:
        if template:
            _freeze_template(dsn, template)
        stmt = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname))
        if template:
            stmt += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
        if options is not None:
            stmt += sql.SQL(" ") + options
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(stmt)
    if not template:
        _add_workers(_with_db(servers[0], dbname),
                     [":".join(map(str, _host_port(s))) for s in servers[1:]],
                     [_with_db(s, dbname) for s in servers])
    return _with_db(servers[0], dbname)


def main(argv: list[str]) -> int:
    if argv == ["up"]:
        try:
            print(up())
        except (HarnessError, psycopg.Error) as exc:
            print(f"omni-identity: citus lab: {exc}", file=sys.stderr)
            down()
            return 1
        return 0
    if len(argv) == 2 and argv[0] == "workers":
        # The worker copies of a lab database (pg_prove runs the catalog audit on each).
        from harness.dsn import as_uri

        dbname = conninfo_to_dict(argv[1]).get("dbname")
        for dsn in node_servers(argv[1])[1:]:
            print(as_uri(_with_db(dsn, dbname)))
        return 0
    if argv == ["down"]:
        down()
        return 0
    print("usage: python -m harness.citus up|down", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
