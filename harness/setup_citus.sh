#!/usr/bin/env bash
# Citus for `make test-citus`: nothing to do when citus.so is in `pg_config --pkglibdir`;
# else build it from CITUS_SRC (a release tarball or a source tree) under the repo's
# .omni-identity/citus-build and install it into the system PostgreSQL. As root, the build
# packages are installed first, unless that would upgrade the PostgreSQL packages under
# servers already running (then it stops and says so). Without root: one line, exit 1.
# Usage: harness/setup_citus.sh   (env: CITUS_SRC, PG_CONFIG)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)

pg_major() {
    local d best=0
    for d in /usr/lib/postgresql/*/bin; do
        [ -x "$d/postgres" ] || continue
        local v; v=$(basename "$(dirname "$d")")
        [[ "$v" =~ ^[0-9]+$ ]] && [ "$v" -ge 15 ] && [ "$v" -gt "$best" ] && best=$v
    done
    echo "$best"
}
major=$(pg_major)
if [ "$major" = 0 ]; then
    echo "setup_citus: no system PostgreSQL >= 15 (run harness/setup.sh test first)" >&2; exit 1
fi
# The server's own pg_config (postgresql-server-dev-NN) once installed; /usr/bin/pg_config
# (postgresql-common) answers for the newest major otherwise.
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/$major/bin/pg_config}
[ -x "$PG_CONFIG" ] || PG_CONFIG=$(command -v pg_config || true)
pkglibdir=/usr/lib/postgresql/$major/lib
[ -n "$PG_CONFIG" ] && pkglibdir=$("$PG_CONFIG" --pkglibdir)
if [ -f "$pkglibdir/citus.so" ]; then
    exit 0
fi

# Default source: ../shared/citus next to the repo; from a git worktree, next to the main
# checkout (the worktree's parent is not the project's).
if [ -z "${CITUS_SRC:-}" ]; then
    for base in "$repo/.." "$(cd "$repo" && git rev-parse --path-format=absolute --git-common-dir 2>/dev/null)/../.."; do
        if [ -f "$base/shared/citus/citus-13.2.2.tar.gz" ]; then
            CITUS_SRC=$(cd "$base/shared/citus" && pwd)/citus-13.2.2.tar.gz; break
        fi
    done
fi
if [ -z "${CITUS_SRC:-}" ] || [ ! -e "$CITUS_SRC" ]; then
    echo "setup_citus: citus.so is not in $pkglibdir and no source: set CITUS_SRC to a Citus 13.2 tarball or tree" >&2
    exit 1
fi
if [ "$(id -u)" != 0 ]; then
    echo "setup_citus: Citus is not installed; as root run: CITUS_SRC=$CITUS_SRC make deps-citus (or install Citus's packages for PostgreSQL $major)" >&2
    exit 1
fi

# Build packages. postgresql-server-dev-NN must be the running server's version: a newer
# candidate would upgrade postgresql-NN under the servers already running (their new
# backends then fail to load plpgsql.so), so refuse rather than upgrade.
need=()
for p in "postgresql-server-dev-$major" liblz4-dev libzstd-dev libkrb5-dev gcc make; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    server=$(dpkg-query -W -f='${Version}' "postgresql-$major" 2>/dev/null || true)
    candidate=$(apt-cache policy "postgresql-server-dev-$major" | awk '/Candidate:/ {print $2}')
    if [ -n "$server" ] && [ "$candidate" != "$server" ]; then
        echo "setup_citus: postgresql-server-dev-$major $candidate would not match the installed postgresql-$major $server;" \
             "installing it would upgrade the server under running clusters. Upgrade PostgreSQL first (and restart its servers)," \
             "or install postgresql-server-dev-$major=$server if the archive still has it. Nothing was installed." >&2
        exit 1
    fi
    upgrades=$(apt-get install -s --no-install-recommends "${need[@]}" | awk '/^Inst / && $3 ~ /^\[/ {print $2}' | grep -E '^(postgresql|libpq)' || true)
    if [ -n "$upgrades" ]; then
        echo "setup_citus: installing ${need[*]} would upgrade $(echo $upgrades) under running servers; nothing was installed" >&2
        exit 1
    fi
    echo "setup_citus: installing ${need[*]}" >&2
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
PG_CONFIG=/usr/lib/postgresql/$major/bin/pg_config

build="$repo/.omni-identity/citus-build"
rm -rf "$build"; mkdir -p "$build"
if [ -d "$CITUS_SRC" ]; then
    cp -a "$CITUS_SRC/." "$build/src"
else
    mkdir -p "$build/src" && tar -xzf "$CITUS_SRC" -C "$build/src" --strip-components=1
fi
# Newer PostgreSQL 15 minors export have_createdb_privilege(), which Citus 13.2 defines
# too: the patch next to the tarball (or CITUS_PATCH) renames Citus's copy. A tree that
# already has the fix is left alone.
patchfile=${CITUS_PATCH:-$(dirname "$CITUS_SRC")/pg15-have-createdb-privilege.patch}
if [ "$major" = 15 ] && [ -f "$patchfile" ] \
   && ! grep -q citus_compat_have_createdb_privilege "$build/src/src/include/pg_version_compat.h"; then
    patch -s -p1 -d "$build/src" < "$patchfile"
fi
echo "setup_citus: building Citus from $CITUS_SRC against PostgreSQL $major (log: $build/build.log)" >&2
(
    cd "$build/src"
    ./configure --without-libcurl PG_CONFIG="$PG_CONFIG"
    make -j"$(nproc)"
    make install
) > "$build/build.log" 2>&1 || { tail -20 "$build/build.log" >&2; echo "setup_citus: build failed, see $build/build.log" >&2; exit 1; }
[ -f "$("$PG_CONFIG" --pkglibdir)/citus.so" ] || { echo "setup_citus: built, but citus.so is not in $("$PG_CONFIG" --pkglibdir)" >&2; exit 1; }
