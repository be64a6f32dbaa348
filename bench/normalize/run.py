"""Benchmark of the normalizers: 1,000,000 realistic inputs per function, next to
`lower(x)` over the same rows (the floor).

    .venv/bin/python bench/normalize/run.py [--dsn DSN] [--rows 1000000] [--runs 3]

A scratch database (UTF8, LC_COLLATE/LC_CTYPE 'C') is created on the DSN's server and
migrated; one table holds the inputs, generated from a fixed seed in the shapes buyers
type them (see `inputs()`), written with COPY and VACUUM ANALYZEd. Each function is
timed as `SELECT count(f(col)) FROM normalize_inputs` on the server (no rows travel),
parallel query off, best of --runs; the floor is `SELECT count(lower(col))` over the same
column in the same run. Prints rows/s and the ratio f / floor (target: ≤ 15).

Then the bounds (README, "Normalization bounds"): stored rows of pathological text — runs
of combining marks, which PostgreSQL's NFC/NFD sort in quadratic time that nothing
interrupts, of 1 MB and at each bound (an e-mail of 254 octets, a name of 1024) — timed
the same way, next to `SELECT count(length(x))` over the same rows (the floor: one pass
over the characters). Prints µs per row and the ratio f / length().
"""
from __future__ import annotations

import argparse
import random
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from psycopg import sql  # noqa: E402
from psycopg.conninfo import conninfo_to_dict, make_conninfo  # noqa: E402

from harness import migrate  # noqa: E402
from harness.dsn import connect, resolve_dsn  # noqa: E402

BENCH_DB = "omni_identity_bench_normalize"

FIRST = ["José", "Maria", "João", "Ana", "Antônio", "Francisca", "Carlos", "Paulo", "Lucas", "Luíza",
         "Pedro", "Juliana", "Márcia", "Rafael", "Fernanda", "Gabriel", "Letícia", "Bruno", "Camila", "Thiago"]
LAST = ["Silva", "Santos", "Oliveira", "Souza", "Rodrigues", "Ferreira", "Alves", "Pereira", "Lima", "Gomes",
        "Conceição", "Ribeiro", "Araújo", "Carvalho", "Simões", "Nogueira", "D'Ávila", "Müller", "Assunção", "Melo"]
DOMAINS = ["gmail.com", "hotmail.com", "yahoo.com.br", "outlook.com", "uol.com.br", "bol.com.br",
           "terra.com.br", "icloud.com", "live.com", "globo.com", "empresa.com.br"]
AREAS = ["11", "21", "31", "41", "51", "61", "71", "81", "85", "19", "27", "48", "62", "92", "98"]


def _ascii(s: str) -> str:
    import unicodedata

    return "".join(c for c in unicodedata.normalize("NFD", s) if not unicodedata.combining(c))


def _cpf(rng: random.Random) -> str:
    v = [rng.randrange(10) for _ in range(9)]
    v.append(sum(a * b for a, b in zip(v, range(10, 1, -1))) * 10 % 11 % 10)
    v.append(sum(a * b for a, b in zip(v, range(11, 1, -1))) * 10 % 11 % 10)
    return "".join(map(str, v))


def _cnpj(rng: random.Random, alphabet: str) -> str:
    body = [rng.choice(alphabet) for _ in range(12)]
    w1 = [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]
    vals = [ord(c) - 48 for c in body]
    for weights in (w1, [6] + w1):
        r = sum(a * b for a, b in zip(vals, weights)) % 11
        d = 0 if r < 2 else 11 - r
        vals.append(d)
        body.append(str(d))
    return "".join(body)


def inputs(rng: random.Random) -> tuple[str, str, str, str]:
    """One buyer as typed at checkout: (email, phone, document, name)."""
    first, last = rng.choice(FIRST), rng.choice(LAST)
    name = f"{first} {rng.choice(LAST)} {last}" if rng.random() < 0.5 else f"{first} {last}"
    r = rng.random()
    if r < 0.15:
        name = name.upper()
    elif r < 0.25:
        name = _ascii(name).lower()
    elif r < 0.30:
        name = f"  {name} "

    user = _ascii(f"{first}.{last}").lower().replace("'", "") + str(rng.randrange(1000))
    email = f"{user}@{rng.choice(DOMAINS)}"
    r = rng.random()
    if r < 0.10:
        email = email.capitalize()
    elif r < 0.15:
        email = f" {email} "
    elif r < 0.18:
        email = email.replace("@", "+promo@")
    elif r < 0.20:
        email = f"{first.lower()}@{rng.choice(DOMAINS)}"  # accented local part
    elif r < 0.23:
        email = email.replace("@", "@@") if rng.random() < 0.5 else email.replace(".com", "")  # invalid

    area = rng.choice(AREAS)
    mobile = rng.random() < 0.8
    sub = ("9" + str(rng.randrange(60000000, 100000000))) if mobile else str(rng.randrange(20000000, 60000000))
    head, tail = sub[:-4], sub[-4:]
    r = rng.random()
    if r < 0.35:
        phone = f"({area}) {head}-{tail}"
    elif r < 0.55:
        phone = f"{area}{sub}"
    elif r < 0.70:
        phone = f"+55 {area} {head}-{tail}"
    elif r < 0.78:
        phone = f"55{area}{sub}"
    elif r < 0.84:
        phone = f"{area} {head} {tail}"
    elif r < 0.90:
        phone = f"0{area} {head}-{tail}"  # trunk prefix
    elif r < 0.93:
        phone = f"(0xx{area}) {head}-{tail}"
    elif r < 0.96:
        phone = f"({area}) {head[1:]}-{tail}" if mobile else f"{area}{tail}"  # missing digit: invalid
    else:
        phone = f"({area}) {head}-{tail} ramal {rng.randrange(100)}" if rng.random() < 0.5 else "0800 123 4567"

    r = rng.random()
    if r < 0.45:
        c = _cpf(rng)
        document = f"{c[:3]}.{c[3:6]}.{c[6:9]}-{c[9:]}"
    elif r < 0.75:
        document = _cpf(rng)
    elif r < 0.88:
        c = _cnpj(rng, "0123456789")
        document = f"{c[:2]}.{c[2:5]}.{c[5:8]}/{c[8:12]}-{c[12:]}"
    elif r < 0.93:
        document = _cnpj(rng, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    else:
        document = _cpf(rng)[:-1] + str(rng.randrange(10))  # maybe a wrong check digit
    return email, phone, document, name


CASES = [
    ("normalize_email", "email", "omni_identity.normalize_email(email)"),
    ("normalize_email canonical", "email", "omni_identity.normalize_email(email, true)"),
    ("normalize_phone", "phone", "omni_identity.normalize_phone(phone)"),
    ("normalize_document", "document", "omni_identity.normalize_document(document)"),
    ("normalize_name", "name", "omni_identity.normalize_name(name)"),
    ("identifier_sha256 email", "email", "omni_identity.identifier_sha256('email', email)"),
    ("identifier_sha256 phone", "phone", "omni_identity.identifier_sha256('phone', phone)"),
    ("identifier_sha256 name", "name", "omni_identity.identifier_sha256('name', name)"),
]


#: (label, SQL of the text, rows): combining marks, 1 MB and at the bounds.
PATHOLOGICAL = [
    ("combining marks, 1 MB", "'e' || repeat(E'\\u0301\\u0316', 262144)", 20),
    ("combining marks, e-mail at its bound (254 octets)", "'e' || repeat(E'\\u0301\\u0316', 62) || '@x.co'", 2000),
    ("combining marks, name at its bound (1022 octets)", "'e' || repeat(E'\\u0301\\u0316', 255) || 'x'", 2000),
]
PATHOLOGICAL_CASES = [(label, expr) for label, _, expr in CASES] + [("golden_name", "omni_identity.golden_name(name)")]


def as_of_x(expr: str) -> str:
    """The call of a case over the column x instead of its own column."""
    return re.sub(r"(?<!')\b(email|phone|document|name)\b(?!')", "x", expr)


def bounds(conn, runs: int) -> None:
    conn.execute("CREATE TABLE pathological_inputs (kind text, x text)")
    for label, text, rows in PATHOLOGICAL:
        conn.execute(f"INSERT INTO pathological_inputs SELECT %s, {text} FROM generate_series(1, %s)", (label, rows))
    conn.execute("VACUUM ANALYZE pathological_inputs")
    for label, _, rows in PATHOLOGICAL:
        where = f"FROM pathological_inputs WHERE kind = '{label}'"
        octets = conn.execute(f"SELECT max(octet_length(x)) {where}").fetchone()[0]
        print(f"\n{label}: {rows:,} rows of {octets:,} octets")
        print(f"{'function':28} {'µs/row':>10} {'length() µs/row':>16} {'ratio':>7}")
        for case, expr in PATHOLOGICAL_CASES:
            floor = best_of(conn, f"SELECT count(length(x)) {where}", runs)
            took = best_of(conn, f"SELECT count({as_of_x(expr)}) {where}", runs)
            print(f"{case:28} {took / rows * 1e6:10.1f} {floor / rows * 1e6:16.1f} {took / floor:7.2f}", flush=True)


def best_of(conn, query: str, runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        conn.execute(query).fetchone()
        times.append(time.perf_counter() - t)
    return min(times)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dsn")
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args(argv)

    server = resolve_dsn(args.dsn)
    with connect(server, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(BENCH_DB)))
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'")
                     .format(sql.Identifier(BENCH_DB)))
    parts = conninfo_to_dict(server)
    parts["dbname"] = BENCH_DB
    dsn = make_conninfo(**parts)
    try:
        migrate.migrate(dsn)
        rng = random.Random(20261123)
        with connect(dsn, autocommit=True) as conn:
            conn.execute("CREATE TABLE normalize_inputs (email text, phone text, document text, name text)")
            with conn.cursor().copy("COPY normalize_inputs FROM STDIN") as copy:
                for _ in range(args.rows):
                    copy.write_row(inputs(rng))
            conn.execute("VACUUM ANALYZE normalize_inputs")
            conn.execute("SET max_parallel_workers_per_gather = 0")
            valid = {col: conn.execute(sql.SQL("SELECT count(*) FILTER (WHERE {} IS NOT NULL) FROM normalize_inputs")
                                       .format(sql.SQL(expr))).fetchone()[0]
                     for _, col, expr in CASES[:5]}
            print(f"{args.rows:,} rows; best of {args.runs} runs; parallel query off")
            print(f"{'function':28} {'rows/s':>12} {'floor rows/s':>13} {'ratio':>6}  valid")
            for label, col, expr in CASES:
                floor = best_of(conn, f"SELECT count(lower({col})) FROM normalize_inputs", args.runs)
                took = best_of(conn, f"SELECT count({expr}) FROM normalize_inputs", args.runs)
                share = valid.get(col) if label == f"normalize_{col}" else None
                share_txt = f"{share / args.rows:.0%}" if share is not None else ""
                print(f"{label:28} {args.rows / took:12,.0f} {args.rows / floor:13,.0f} {took / floor:6.1f}  {share_txt}",
                      flush=True)
            bounds(conn, args.runs)
    finally:
        with connect(server, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(BENCH_DB)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
