#!/usr/bin/env bash
# Install what `make demo` / `make test` need and is missing. As root: the Debian
# packages for PostgreSQL, pgTAP, pg_prove and plpgsql_check. Without root: print the one command to
# run (or, for the demo, fall back to the PostgreSQL wheel in the venv).
# Usage: harness/setup.sh demo|test|citus   (citus: harness/setup_citus.sh, make test-citus)
set -euo pipefail
need="${1:-test}"
if [ "$need" = citus ]; then
    exec "$(dirname "$0")/setup_citus.sh"
fi

pg_major() {
    local d best=0
    for d in /usr/lib/postgresql/*/bin; do
        [ -x "$d/postgres" ] || continue
        local v; v=$(basename "$(dirname "$d")")
        [[ "$v" =~ ^[0-9]+$ ]] && [ "$v" -ge 15 ] && [ "$v" -gt "$best" ] && best=$v
    done
    echo "$best"
}

missing=()
major=$(pg_major)
if [ "$major" = 0 ]; then
    missing+=(postgresql)
fi
if [ "$need" = test ]; then
    if [ "$major" != 0 ]; then
        [ -f "/usr/share/postgresql/$major/extension/pgtap.control" ] || missing+=("postgresql-$major-pgtap")
        # plpgsql_check for `make lint` (harness/lint_plpgsql.py).
        [ -f "/usr/share/postgresql/$major/extension/plpgsql_check.control" ] || missing+=("postgresql-$major-plpgsql-check")
    fi
    command -v pg_prove >/dev/null 2>&1 || missing+=(libtap-parser-sourcehandler-pgtap-perl)
    # tests_py/test_pooler.py runs the CLI behind a real PgBouncer (transaction pooling).
    [ -x /usr/sbin/pgbouncer ] || command -v pgbouncer >/dev/null 2>&1 || missing+=(pgbouncer)
fi
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
    if [ "$need" = demo ] && [ "${missing[*]}" = postgresql ]; then
        exit 0   # the demo runs on the PostgreSQL wheel in the venv
    fi
    v="\$(ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -1 || echo 15)"
    echo "missing Debian packages; run: sudo apt-get update && sudo apt-get install -y ${missing[*]} postgresql-$v-pgtap postgresql-$v-plpgsql-check" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
echo "installing Debian packages: ${missing[*]}" >&2
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
major=$(pg_major)
if [ "$need" = test ] && [ ! -f "/usr/share/postgresql/$major/extension/pgtap.control" ]; then
    apt-get install -y -qq --no-install-recommends "postgresql-$major-pgtap" >/dev/null
fi
if [ "$need" = test ] && [ ! -f "/usr/share/postgresql/$major/extension/plpgsql_check.control" ]; then
    apt-get install -y -qq --no-install-recommends "postgresql-$major-plpgsql-check" >/dev/null
fi
