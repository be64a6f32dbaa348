"""Generate the data the SQL normalizers embed, from its sources (never copied by hand).

    .venv/bin/python -m harness.generate_phone_rules      # rewrites functions/normalize/generated/

One file per function, ``functions/normalize/generated/<function>.sql``, from two sources:

- the phone rules (``phone_rules_sql``): the Brazilian numbering plan of
  ``phonenumbers`` (pinned in pyproject.toml): the international prefix (00 + carrier),
  the national prefix for parsing (trunk 0 / 90 + carrier), the general pattern, every
  country calling code, and the linkable numbers: the library's own type function
  (FIXED_LINE or MOBILE, so never premium rate, toll free, shared cost) evaluated over
  every 3-digit prefix and both possible lengths, written as one regular expression
  (and as fast-path expressions with separators allowed), as a byte per 3-digit prefix
  (phone_br_linkable_map), and as the sorted bounds and classes normalize_phone reads
  with width_bucket() (phone_br_reading_bounds/_classes); the carrier codes of the
  national prefix as a list.
- the Unicode classes (``unicode_classes_sql``): character classes of Python's
  ``unicodedata`` (the Unicode version of the Python reference, tests_py/reference/), as
  PostgreSQL regular-expression bracket contents: decimal digits (Nd, which the phone
  parser reads as digits), Python's alphanumerics (``str.isalnum``), combining marks (M*)
  and letters/marks/numbers (L*, M*, N*), so the functions classify characters the same
  way whatever the database locale; and the accented Latin-1 letters (all, and the
  lowercase ones).

The files are committed; a test regenerates them in memory and fails on drift (a file
changed, missing or left over).
"""
from __future__ import annotations

import re
import sys
import unicodedata
from pathlib import Path

import phonenumbers
from phonenumbers import phonenumberutil as pnu

ROOT = Path(__file__).resolve().parent.parent
GENERATED = ROOT / "functions" / "normalize" / "generated"

def _sql_str(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _sql_chars(s: str) -> str:
    """An E'' literal of the characters of s, every non-printable or non-ASCII one escaped
    (the file stays ASCII: no raw control characters for line-ending translations)."""
    out = []
    for ch in s:
        c = ord(ch)
        if ch in "\\'":
            out.append("\\" + ch)
        elif 0x20 <= c < 0x7F:
            out.append(ch)
        else:
            out.append(f"\\u{c:04x}" if c <= 0xFFFF else f"\\U{c:08x}")
    return "E'" + "".join(out) + "'"


def _const(name: str, value: str, comment: str, rettype: str = "text", chars: bool = False) -> str:
    return (
        f"CREATE OR REPLACE FUNCTION omni_identity.{name}()\n"
        f"RETURNS {rettype}\nLANGUAGE sql IMMUTABLE PARALLEL SAFE\n"
        f"RETURN {_sql_chars(value) if chars else _sql_str(value)};\n"
        f"COMMENT ON FUNCTION omni_identity.{name}() IS {_sql_str(comment)};\n"
    )




_BR = phonenumbers.PhoneMetadata.metadata_for_region("BR")
_LINKABLE_TYPES = (phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.MOBILE,
                   phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)


def _linkable(nsn: str) -> bool:
    """The library's own verdict on a Brazilian national significant number: the type
    is_valid_number and number_type compute (_number_type_helper), FIXED_LINE or MOBILE."""
    return pnu._number_type_helper(nsn, _BR) in _LINKABLE_TYPES


def _linkable_prefix_table() -> dict[tuple[str, ...], list[str]]:
    """Linkable Brazilian numbers by their first three digits: {(third digits of 10-digit
    numbers, third digits of 11-digit numbers) signature: [area codes]}.

    Asserts that only 10- and 11-digit numbers can be FIXED_LINE or MOBILE and that, for
    every 3-digit prefix and both lengths, 40 pseudo-random completions agree (the
    library's fixed/mobile/premium/toll-free/shared-cost patterns depend on no later
    digit), so a number is linkable exactly when its prefix and length are in the table.
    """
    import random

    lengths_possible = set(_BR.fixed_line.possible_length) | set(_BR.mobile.possible_length)
    assert lengths_possible == {10, 11}, lengths_possible
    rng = random.Random(55)
    by_area: dict[str, dict[int, set[str]]] = {}
    for length in (10, 11):
        for prefix in (f"{n:03d}" for n in range(1000)):
            results = {_linkable(prefix + "".join(rng.choice("0123456789") for _ in range(length - 3)))
                       for _ in range(40)}
            assert len(results) == 1, f"linkability of {prefix}... ({length} digits) depends on later digits"
            if results.pop():
                by_area.setdefault(prefix[:2], {}).setdefault(length, set()).add(prefix[2])
    table: dict[tuple[str, ...], list[str]] = {}
    for area, lengths in sorted(by_area.items()):
        sig = ("".join(sorted(lengths.get(10, ()))), "".join(sorted(lengths.get(11, ()))))
        table.setdefault(sig, []).append(area)
    return table


def _linkable_bits(table) -> list[int]:
    """For every three first digits n: bit 1 when 10-digit numbers starting so are
    linkable, bit 2 when 11-digit ones are."""
    bits = [0] * 1000
    for (third10, third11), areas in table.items():
        for area in areas:
            for third in third10:
                bits[int(area + third)] |= 1
            for third in third11:
                bits[int(area + third)] |= 2
    return bits


def _linkable_map(table) -> str:
    """phone_br_linkable_map() as a bytea literal: byte n for the numbers whose first three
    digits are n (_linkable_bits)."""
    return "\\x" + bytes(_linkable_bits(table)).hex()


# The readings normalize_phone answers from the digits alone (phone_br_reading_*): the
# class byte is what to keep of the digits D: 1 all (a national number: +55 D), 2 all
# but the trunk 0 (+55 …), 3 all (55 and a national number: + D).
_READINGS = (("", 1), ("0", 2), ("55", 3))


def _reading_bounds(table) -> tuple[list[int], list[int]]:
    """Sorted bounds for width_bucket() over n = the integer of '1' || D, and the class of
    each bucket (index 0: below the first bound). '1' || D keeps D's length and leading
    zeros in n, so the linkable numbers of each reading (prefix, then a national number of
    m digits whose first three are linkable at that length) are disjoint intervals of n."""
    bits = _linkable_bits(table)
    intervals = []
    for prefix, cls in _READINGS:
        for m, bit in ((10, 1), (11, 2)):
            base = 10 ** (len(prefix) + m) + int(prefix or "0") * 10 ** m
            step = 10 ** (m - 3)
            for p3 in range(1000):
                if bits[p3] & bit:
                    lo = base + p3 * step
                    if intervals and intervals[-1][1] == lo and intervals[-1][2] == cls:
                        intervals[-1][1] = lo + step
                    else:
                        intervals.append([lo, lo + step, cls])
    intervals.sort()
    bounds: list[int] = []
    classes = [0]
    for lo, hi, cls in intervals:
        assert not bounds or bounds[-1] <= lo, "readings overlap"
        if bounds and bounds[-1] == lo:
            classes[-1] = cls
        else:
            bounds.append(lo)
            classes.append(cls)
        bounds.append(hi)
        classes.append(0)
    assert bounds[-1] < 10 ** 15  # '1' || D cut to 16 digits lands past every bound
    return bounds, classes


def _national_re(table) -> str:
    """A Brazilian national number (area code + subscriber) that the library calls FIXED_LINE
    or MOBILE, written out without counted repetition (PostgreSQL's regex engine is several
    times slower with {n})."""
    alternatives = []
    for (third10, third11), areas in table.items():
        by_first: dict[str, str] = {}
        for area in areas:
            by_first[area[0]] = by_first.get(area[0], "") + area[1]
        area_re = "|".join(f"{first}[{seconds}]" for first, seconds in sorted(by_first.items()))
        tails = []
        if third10:
            tails.append(f"[{third10}]" + "[0-9]" * 7)
        if third11:
            tails.append(f"[{third11}]" + "[0-9]" * 8)
        alternatives.append(f"(?:{area_re})(?:{'|'.join(tails)})")
    return "(?:" + "|".join(alternatives) + ")"


def phone_rules_sql() -> str:
    br = phonenumbers.PhoneMetadata.metadata_for_region("BR")
    codes = sorted(pnu.COUNTRY_CODE_TO_REGION_CODE)
    texts = [str(c) for c in codes]
    # The SQL reads the code with one anchored alternation: it needs a prefix-free set.
    assert not any(a != b and b.startswith(a) for a in texts for b in texts), "country codes not prefix-free"
    assert br.general_desc.possible_length == (8, 9, 10, 11)
    assert not br.general_desc.possible_length_local_only
    assert br.national_prefix_transform_rule == "\\2"

    table = _linkable_prefix_table()
    bounds, classes = _reading_bounds(table)
    # The fast paths read the trunk prefix and carrier codes themselves: the metadata
    # must still have the shape they were written for.
    npp = br.national_prefix_for_parsing
    m = re.fullmatch(r"\(\?:0\|90\)\(\?:\(([0-9\[\]|-]+)\)\(\\d\{10,11\}\)\)\?", npp)
    assert m and br.country_code == 55, npp
    carriers = m.group(1)

    header = ("-- GENERATED by harness/generate_phone_rules.py from phonenumbers "
              f"{phonenumbers.__version__} metadata; do not edit.\n")
    out = [
        _const("phone_br_international_prefix_re", "^(?:" + br.international_prefix + ")",
               "Brazilian international prefix (00 + carrier code), anchored; from phonenumbers."),
        _const("phone_br_national_prefix_re", "^(?:" + br.national_prefix_for_parsing + ")",
               "Brazilian national prefix for parsing (trunk 0 or 90, optional carrier code and "
               "number as groups 1 and 2), anchored; from phonenumbers."),
        _const("phone_br_general_re", "^(?:" + br.general_desc.national_number_pattern + ")$",
               "Brazilian general national-number pattern (any type), anchored; from phonenumbers."),
        _const("phone_country_code_re", "^(?:" + "|".join(texts) + ")",
               "Every country calling code phonenumbers knows, as an anchored alternation."),
        "CREATE OR REPLACE FUNCTION omni_identity.phone_br_linkable_map()\n"
        "RETURNS bytea\nLANGUAGE sql IMMUTABLE PARALLEL SAFE\n"
        f"RETURN {_sql_str(_linkable_map(table))}::bytea;\n"
        "COMMENT ON FUNCTION omni_identity.phone_br_linkable_map() IS "
        "'The linkable Brazilian numbers by their first three digits n (byte n): 1 when a 10-digit "
        "number is a valid FIXED_LINE or MOBILE number for phonenumbers, plus 2 when an 11-digit one is.';\n",
        "CREATE OR REPLACE FUNCTION omni_identity.phone_br_reading_bounds()\n"
        "RETURNS bigint[]\nLANGUAGE sql IMMUTABLE PARALLEL SAFE\n"
        f"RETURN {_sql_str('{' + ','.join(map(str, bounds)) + '}')}::bigint[];\n"
        "COMMENT ON FUNCTION omni_identity.phone_br_reading_bounds() IS "
        "'Sorted bounds, for width_bucket() over the integer of 1 followed by the digits D of a phone, "
        "of the linkable numbers written as D = a national number, 0 and one, or 55 and one; "
        "see phone_br_reading_classes().';\n",
        "CREATE OR REPLACE FUNCTION omni_identity.phone_br_reading_classes()\n"
        "RETURNS bytea\nLANGUAGE sql IMMUTABLE PARALLEL SAFE\n"
        f"RETURN {_sql_str(chr(92) + 'x' + bytes(classes).hex())}::bytea;\n"
        "COMMENT ON FUNCTION omni_identity.phone_br_reading_classes() IS "
        "'Byte b: the reading of the numbers in bucket b of phone_br_reading_bounds(): 0 none "
        "(not linkable that way), 1 a national number (+55 D), 2 trunk 0 and one (+55, D without the 0), "
        "3 55 and one (+ D).';\n",
        _const("phone_br_carrier_codes",
               ",".join(f"{n:02d}" for n in range(100) if re.fullmatch(carriers, f"{n:02d}")),
               "The carrier selection codes of the Brazilian national prefix (after trunk 0), "
               "comma-separated; from phonenumbers."),
        "CREATE OR REPLACE FUNCTION omni_identity.phone_br_is_linkable(p_nsn text)\n"
        "RETURNS boolean\nLANGUAGE sql IMMUTABLE PARALLEL SAFE\n"
        f"RETURN p_nsn ~ {_sql_str('^' + _national_re(table) + '$')};\n"
        "COMMENT ON FUNCTION omni_identity.phone_br_is_linkable(text) IS "
        "'True when a Brazilian national significant number is a valid FIXED_LINE or MOBILE "
        "number for phonenumbers (not premium rate, toll free, shared cost, ...).';\n",
    ]
    return [header + "\n" + text for text in out]


def _ranges(codepoints: list[int]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for c in codepoints:
        if out and out[-1][1] == c - 1:
            out[-1] = (out[-1][0], c)
        else:
            out.append((c, c))
    return out


def _esc(c: int) -> str:
    if 0x30 <= c <= 0x39 or 0x41 <= c <= 0x5A or 0x61 <= c <= 0x7A:
        return chr(c)
    return f"\\u{c:04x}" if c <= 0xFFFF else f"\\U{c:08x}"


def _bracket(pred) -> str:
    cps = [c for c in range(1, 0x110000) if not 0xD800 <= c <= 0xDFFF and pred(chr(c))]
    return "".join(_esc(a) if a == b else f"{_esc(a)}-{_esc(b)}" for a, b in _ranges(cps))


def unicode_classes_sql() -> str:
    nd = [c for c in range(0x80, 0x110000) if not 0xD800 <= c <= 0xDFFF and unicodedata.category(chr(c)) == "Nd"]
    # Latin-1 letters whose NFD is an ASCII letter and combining marks: normalize_name's
    # shortcut for the accented names of Portuguese (and most Western European) buyers.
    latin1 = [chr(c) for c in range(0xC0, 0x100)
              if len(unicodedata.normalize("NFD", chr(c))) > 1
              and unicodedata.normalize("NFD", chr(c))[0].isascii()
              and all(unicodedata.category(m)[0] == "M" for m in unicodedata.normalize("NFD", chr(c))[1:])]
    header = ("-- GENERATED by harness/generate_phone_rules.py from Python's unicodedata "
              f"{unicodedata.unidata_version}; do not edit.\n")
    out = [
        _const("unicode_space_chars", "".join(chr(c) for c in range(0x110000) if chr(c).isspace()) + "\u200b\ufeff",
               "White space trimmed by the normalizers: Python str.isspace characters, U+200B, U+FEFF.",
               chars=True),
        _const("unicode_space_class",
               _bracket(lambda ch: ch.isspace() or ch in "\u200b\ufeff"),
               "Regex bracket contents: the characters of unicode_space_chars()."),
        _const("unicode_digit_class", _bracket(lambda ch: unicodedata.category(ch) == "Nd"),
               "Regex bracket contents: decimal digits (Nd), ASCII and others."),
        _const("unicode_digit_from", "".join(chr(c) for c in nd),
               "Every non-ASCII decimal digit (Nd), for translate(); see unicode_digit_to().", chars=True),
        _const("unicode_digit_to", "".join(str(unicodedata.digit(chr(c))) for c in nd),
               "The ASCII digit of each character of unicode_digit_from()."),
        _const("unicode_alnum_class", _bracket(str.isalnum),
               "Regex bracket contents: alphanumeric characters (Python str.isalnum)."),
        _const("unicode_mark_class", _bracket(lambda ch: unicodedata.category(ch)[0] == "M"),
               "Regex bracket contents: combining marks (general category M*)."),
        _const("unicode_latin1_accented", "".join(latin1),
               "Latin-1 letters whose NFD is one ASCII letter and combining marks.", chars=True),
        _const("unicode_latin1_accented_lower", "".join(c for c in latin1 if c == c.lower()),
               "The lowercase letters of unicode_latin1_accented().", chars=True),
        _const("unicode_letter_mark_number_class",
               _bracket(lambda ch: unicodedata.category(ch)[0] in "LMN"),
               "Regex bracket contents: letters, marks and numbers (general categories L*, M*, N*)."),
    ]
    return [header + "\n" + text for text in out]


def generated_files() -> dict[str, str]:
    """{file name under GENERATED: its text}, one function per file."""
    files = {}
    for text in phone_rules_sql() + unicode_classes_sql():
        name = re.search(r"^CREATE OR REPLACE FUNCTION omni_identity\.(\w+)\(", text, re.M).group(1)
        assert f"{name}.sql" not in files, name
        files[f"{name}.sql"] = text
    return files


def main(argv: list[str]) -> int:
    files = generated_files()
    GENERATED.mkdir(exist_ok=True)
    for stale in GENERATED.glob("*.sql"):
        if stale.name not in files:
            stale.unlink()
    for name, text in files.items():
        (GENERATED / name).write_text(text, encoding="ascii")
    print(f"wrote {len(files)} files in {GENERATED.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
