"""A realistic Brazilian sales data set for the demo, the sample CSV and the benchmark.

People buy several times across shops, each time typing their identifiers differently:
several e-mails, mobile and landline phones in every surface form ("(11) 98765-4321",
"+55 11 987654321", "011 98765-4321", "0 21 11 98765 4321" with a carrier code), CPFs
with and without punctuation. Households share a landline, so family members end up in
one customer (as the linking rules say they must). Junk values (placeholder e-mails,
repeated-digit phones, the CPF 12345678909, "n/a") and invalid ones appear at realistic
rates, and a few rows are bad (no external_id, an impossible date, an amount in words).
With `walk_in`, a day at the company's physical store follows: walk-in buyers (people of
the same population, each with their own e-mail) for whom the clerk typed the store's
landline instead of their phone — the shared junk the over-merge guard catches (SPEC
§12). Deterministic for a given seed.
"""
from __future__ import annotations

import csv
import io
import random
import unicodedata
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

COLUMNS = ("shop_id", "gateway", "external_id", "buyer_email", "buyer_phone", "buyer_name",
           "buyer_document", "product_id", "status", "amount", "currency", "created_at")

FIRST = ("Ana", "Maria", "José", "João", "Antônio", "Francisca", "Carlos", "Paulo", "Lúcia",
         "Pedro", "Luíza", "Marcos", "Gabriel", "Letícia", "Rafael", "Juliana", "Fernanda",
         "Márcio", "Débora", "Thiago", "Camila", "Bruno", "Patrícia", "Vitória", "Heitor",
         "Conceição", "Raimundo", "Sebastião", "Aline", "Íris")
LAST = ("Silva", "Santos", "Oliveira", "Souza", "Rodrigues", "Ferreira", "Alves", "Pereira",
        "Lima", "Gomes", "Costa", "Ribeiro", "Martins", "Carvalho", "Araújo", "Melo", "Barbosa",
        "Cardoso", "Conceição", "Nascimento", "Gonçalves", "Magalhães", "Brandão", "Peçanha")
DOMAINS = ("gmail.com", "hotmail.com", "outlook.com", "yahoo.com.br", "uol.com.br",
           "bol.com.br", "terra.com.br", "icloud.com", "globo.com")
AREAS = (11, 12, 13, 15, 16, 19, 21, 22, 24, 27, 31, 32, 34, 41, 43, 47, 48, 51, 53, 54, 61,
         62, 65, 67, 71, 73, 79, 81, 82, 83, 84, 85, 86, 91, 92, 95, 98)
SHOPS = tuple(f"loja-{i:02d}" for i in range(1, 13))
GATEWAYS = ("pagarme", "mercadopago", "stripe", "")
STATUSES = ("paid", "paid", "paid", "paid", "refunded", "pending", "canceled")
JUNK_EMAILS = ("teste@teste.com", "nao@tem.com", "email@email.com", "sem@email.com",
               "x@example.com", "n/a", "nao tem", "-", "fulano@", "@gmail.com", "a..b@gmail.com")
JUNK_PHONES = ("(11) 11111-1111", "00000000000", "99999-9999", "123", "0800 123 4567",
               "sem telefone", "(21) 2222-2222")
JUNK_DOCS = ("123.456.789-09", "000.000.000-00", "111.111.111-11", "123", "isento")
STORE = SHOPS[0]      # the physical store of the walk-in day (sales(..., walk_in=n))


def cpf(rng: random.Random) -> str:
    digits = [rng.randrange(10) for _ in range(9)]
    while len(set(digits)) == 1:
        digits = [rng.randrange(10) for _ in range(9)]
    for n in (10, 11):
        s = sum(d * w for d, w in zip(digits, range(n, 1, -1)))
        digits.append(0 if s % 11 < 2 else 11 - s % 11)
    return "".join(map(str, digits))


def mobile(rng: random.Random) -> tuple[int, str]:
    return rng.choice(AREAS), "9" + str(rng.randint(6, 9)) + "".join(str(rng.randrange(10)) for _ in range(7))


def landline(rng: random.Random) -> tuple[int, str]:
    return rng.choice(AREAS), str(rng.randint(2, 5)) + "".join(str(rng.randrange(10)) for _ in range(7))


def phone_form(rng: random.Random, area: int, number: str) -> str:
    head, tail = number[:-4], number[-4:]
    return rng.choice((
        f"({area}) {head}-{tail}", f"{area}{number}", f"+55 {area} {number}",
        f"+55 ({area}) {head}-{tail}", f"0{area} {head}-{tail}", f"55{area}{number}",
        f"0 21 {area} {head} {tail}", f"{area} {head} {tail}", f" {area}-{head}-{tail} ",
    ))


def cpf_form(rng: random.Random, doc: str) -> str:
    return rng.choice((doc, f"{doc[:3]}.{doc[3:6]}.{doc[6:9]}-{doc[9:]}", f" {doc[:3]} {doc[3:6]} {doc[6:9]} {doc[9:]}",
                       f"{doc[:3]}.{doc[3:6]}.{doc[6:9]}{doc[9:]}"))


def email_form(rng: random.Random, email: str) -> str:
    return rng.choice((email, email, email.upper(), email.capitalize(), f"  {email} ", email.replace("@", "@") + "\u200b"))


def _ascii(s: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", s) if not unicodedata.combining(c)).lower()


class Person:
    def __init__(self, rng: random.Random, household_phone: tuple[int, str] | None):
        self.first, self.last = rng.choice(FIRST), rng.choice(LAST)
        base = f"{_ascii(self.first)}.{_ascii(self.last)}"
        self.emails = [f"{base}{rng.randrange(1000) if rng.random() < 0.7 else ''}@{rng.choice(DOMAINS)}"
                       for _ in range(rng.choice((1, 1, 1, 2, 2, 3)))]
        self.phones = [mobile(rng) for _ in range(rng.choice((1, 1, 1, 2)))]
        if household_phone:
            self.phones.append(household_phone)
        self.cpf = cpf(rng) if rng.random() < 0.75 else None

    def name(self, rng: random.Random) -> str:
        full = f"{self.first} {self.last}"
        return rng.choice((full, full.upper(), f" {self.first}  {self.last} ", _ascii(full).title(), self.first))


def store_phone(seed: int = 2024) -> tuple[int, str]:
    """The physical store's landline (area, number): what its clerk types for walk-in buyers."""
    return landline(random.Random(f"store-{seed}"))


def store_phone_display(seed: int = 2024) -> str:
    area, number = store_phone(seed)
    return f"({area}) {number[:-4]}-{number[-4:]}"


def sales(n: int, seed: int = 2024, start: datetime | None = None, days: int = 5 * 365,
          bad_rows: int = 12, rates: tuple[float, float, float] = (0.8, 0.6, 0.5),
          walk_in: int = 0) -> Iterator[dict]:
    """n sales in created_at order, `bad_rows` of them bad. `rates`: how often a sale
    gives an e-mail, a phone, and (when the person has one) a CPF. Then `walk_in` sales of
    one day at STORE, after all the others, each by another person of the population
    (most give an e-mail, some a CPF), all carrying the store's landline (store_phone) in
    whatever form the clerk typed it. The walk-in day has its own random stream: the n
    sales are the same with or without it."""
    rng = random.Random(seed)
    start = start or datetime(2020, 1, 1, tzinfo=timezone.utc)
    people: list[Person] = []
    households: list[tuple[int, str]] = []
    n_people = max(1, n * 2 // 5)
    for _ in range(n_people):
        hh = None
        if rng.random() < 0.15:
            if households and rng.random() < 0.6:
                hh = rng.choice(households)
            else:
                hh = landline(rng)
                households.append(hh)
        people.append(Person(rng, hh))
    times = sorted(rng.random() for _ in range(n))
    bad_at = set(rng.sample(range(n), min(bad_rows, n)))
    for i, frac in enumerate(times):
        # A tenth of the people are loyal customers who buy far more often.
        p = rng.choice(people[:max(1, n_people // 10)]) if rng.random() < 0.35 else rng.choice(people)
        when = start + timedelta(seconds=int(frac * days * 86400))
        email = phone = doc = None
        r = rng.random()
        if r < rates[0]:
            email = email_form(rng, rng.choice(p.emails))
        if rng.random() < rates[1]:
            phone = phone_form(rng, *rng.choice(p.phones))
        if p.cpf and rng.random() < rates[2]:
            doc = cpf_form(rng, p.cpf)
        if rng.random() < 0.04:
            email = rng.choice(JUNK_EMAILS)
        if rng.random() < 0.03:
            phone = rng.choice(JUNK_PHONES)
        if rng.random() < 0.02:
            doc = rng.choice(JUNK_DOCS)
        row = {
            "shop_id": rng.choice(SHOPS),
            "gateway": rng.choice(GATEWAYS),
            "external_id": f"ord-{seed}-{i:07d}",
            "buyer_email": email,
            "buyer_phone": phone,
            "buyer_name": p.name(rng) if rng.random() < 0.9 else None,
            "buyer_document": doc,
            "product_id": f"sku-{rng.randrange(1, 400):04d}",
            "status": rng.choice(STATUSES),
            "amount": f"{rng.lognormvariate(4.5, 0.8):.2f}",
            "currency": "BRL",
            "created_at": when.isoformat(),
        }
        if i in bad_at:
            kind = rng.randrange(3)
            if kind == 0:
                row["external_id"] = None
            elif kind == 1:
                row["created_at"] = f"{when.year}-02-30T10:00:00-03:00"
            else:
                row["amount"] = "cento e vinte reais"
        yield row
    if walk_in:
        yield from _walk_in_day(people, walk_in, seed, start + timedelta(days=days))


def _walk_in_day(people: list[Person], n: int, seed: int, day: datetime) -> Iterator[dict]:
    rng = random.Random(f"walk-in-{seed}")
    area, number = store_phone(seed)
    opens = day.replace(hour=13, minute=0, second=0, microsecond=0)    # 10:00 in São Paulo
    minutes = sorted(rng.sample(range(9 * 60), n))
    for i, (p, minute) in enumerate(zip(rng.sample(people, n), minutes)):
        yield {
            "shop_id": STORE,
            "gateway": "",
            "external_id": f"loja-{seed}-{i:04d}",
            "buyer_email": email_form(rng, rng.choice(p.emails)) if rng.random() < 0.9 else None,
            "buyer_phone": phone_form(rng, area, number),
            "buyer_name": p.name(rng),
            "buyer_document": cpf_form(rng, p.cpf) if p.cpf and rng.random() < 0.3 else None,
            "product_id": f"sku-{rng.randrange(1, 400):04d}",
            "status": "paid",
            "amount": f"{rng.lognormvariate(4.5, 0.8):.2f}",
            "currency": "BRL",
            "created_at": (opens + timedelta(minutes=minute)).isoformat(),
        }


def write_csv(rows, path: Path | io.TextIOBase) -> int:
    """Write rows as an upload file (header = column names, empty = NULL); returns the count."""
    own = isinstance(path, (str, Path))
    fh = open(path, "w", encoding="utf-8", newline="") if own else path
    try:
        w = csv.writer(fh)
        w.writerow(COLUMNS)
        n = 0
        for row in rows:
            w.writerow(["" if row.get(c) is None else row[c] for c in COLUMNS])
            n += 1
        return n
    finally:
        if own:
            fh.close()


if __name__ == "__main__":  # regenerate docs/sample-sales.csv
    import sys

    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/sample-sales.csv")
    print(write_csv(sales(200, seed=7, bad_rows=4), out), "rows written to", out)
