"""normalize_phone against the reference (phonenumbers itself for Brazil), on every way
Brazilians write phone numbers and on arbitrary text, in a database whose locale is C."""
from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from harness import generate_phone_rules
from tests_py.conftest import examples
from tests_py.reference import normalize as ref
from tests_py.support import Db

BR = phonenumbers.PhoneMetadata.metadata_for_region("BR")


def sql_phone(db: Db, raw: str, region: str | None = "BR") -> str | None:
    return db.scalar("SELECT omni_identity.normalize_phone(%s, %s)", raw, region)


# --- generators of Brazilian surface forms ----------------------------------------------

AREA_CODES = [f"{n}" for n in range(11, 100) if n % 10]
REAL_AREA_CODES = [a for a in AREA_CODES
                   if phonenumbers.is_valid_number(phonenumbers.parse(f"+55{a}32345678"))]
FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
CARRIERS = ["12", "14", "15", "21", "22", "23", "25", "31", "41", "43", "55", "65", "99", "11", "17"]


@st.composite
def subscriber(draw) -> str:
    kind = draw(st.sampled_from(["mobile", "landline", "old_mobile", "seven", "random"]))
    if kind == "mobile":
        digits = "9" + draw(st.text("0123456789", min_size=8, max_size=8))
    elif kind == "landline":
        digits = draw(st.sampled_from("2345")) + draw(st.text("0123456789", min_size=7, max_size=7))
    elif kind == "old_mobile":  # 8 digits without the ninth digit: never completed
        digits = draw(st.sampled_from("6789")) + draw(st.text("0123456789", min_size=7, max_size=7))
    elif kind == "seven":
        digits = "7" + draw(st.text("0123456789", min_size=7, max_size=7))
    else:
        digits = draw(st.text("0123456789", min_size=4, max_size=12))
    style = draw(st.sampled_from(["dash", "space", "bare", "dot", "ninth"]))
    if style == "bare" or len(digits) < 6:
        return digits
    cut = len(digits) - 4
    sep = {"dash": "-", "space": " ", "dot": ".", "ninth": "-"}[style]
    if style == "ninth" and len(digits) == 9:
        return digits[0] + " " + digits[1:cut] + "-" + digits[cut:]
    return digits[:cut] + sep + digits[cut:]


@st.composite
def br_phone(draw) -> str:
    area = draw(st.sampled_from(REAL_AREA_CODES) | st.sampled_from(AREA_CODES) | st.text("0123456789", min_size=1, max_size=3))
    area_form = draw(st.sampled_from(["{a} ", "({a}) ", "({a})", "{a}", "{a}-", "(0{a}) ", "0{a} ", "(0xx{a}) ",
                                      "0xx{a} ", "0XX{a}", "0 {c} {a} ", "0{c}{a}", "(0{c}{a}) ", "0{c} ({a}) "]))
    carrier = draw(st.sampled_from(CARRIERS))
    national = area_form.format(a=area, c=carrier) + draw(subscriber())
    prefix = draw(st.sampled_from(["", "", "", "+55 ", "+55", "55 ", "55", "+55 (", "+ 55 ", "0055 ", "00 55 ",
                                   "00 21 55 ", "0021 55 ", "0015 55", "++55 ", "＋55 ", "+550", "550"]))
    if prefix.endswith("(") and national.startswith("("):
        prefix = prefix[:-1]
    number = prefix + national
    suffix = draw(st.sampled_from(["", "", "", " ramal 12", " ext. 123", " x12", " #12", " r. 12", ",12", ";ext=12",
                                   " (cel)", " cel", " whatsapp", " zap", " a", " - 12#", " ext 1234567", "/x2",
                                   " / 11 3333-4444", " anexo 5", " доб. 7", "."]))
    lead = draw(st.sampled_from(["", "", "Tel: ", "tel:", "Cel. ", "fone ", " ", "\t", "\u00a0", "(", "\u200b"]))
    text = lead + number + suffix
    variant = draw(st.sampled_from(["plain", "plain", "fullwidth", "arabic", "letter", "spaces", "upper"]))
    if variant == "fullwidth":
        text = text.translate(FULLWIDTH)
    elif variant == "arabic":
        text = text.translate(ARABIC_INDIC)
    elif variant == "letter":
        i = draw(st.integers(0, len(text)))
        text = text[:i] + draw(st.sampled_from("abcxXoOlI")) + text[i:]
    elif variant == "spaces":
        text = draw(st.sampled_from([" ", "  ", "\u00a0", "\u3000"])).join(text.split(" "))
    elif variant == "upper":
        text = text.upper()
    return text


@st.composite
def special_numbers(draw) -> str:
    """Toll-free, premium rate, shared cost and short numbers: never linkable."""
    return draw(st.sampled_from(["0800 ", "0800-", "0300 ", "0303 ", "0500 ", "0900 ", "4004-", "4003-", "3003-",
                                 "(11) 4004-", "+55 800 ", "+55 4004 ", "190", "0"])) + draw(st.text("0123456789", min_size=0, max_size=8))


@st.composite
def foreign_phone(draw) -> str:
    cc = draw(st.sampled_from(["1", "44", "351", "54", "86", "49", "598", "7", "800", "999", "0", "21", "1 "]))
    rest = draw(st.text("0123456789", min_size=1, max_size=14))
    prefix = draw(st.sampled_from(["+", "+ ", "00 21 ", "0021", "0014 ", "00", "+00 21 ", "+0", "011 "]))
    sep = draw(st.sampled_from(["", " ", "-", " (0) "]))
    return prefix + cc + sep + rest


_FAST_PREFIX = st.sampled_from(["", "", "0", "55", "+55", "+", "0xx", "0XX", "021", "0 15", "90", "00", "0055", "550", "9"])
_FAST_DIGITS = st.one_of(
    st.text("0123456789", min_size=6, max_size=13),
    st.builds(lambda a, b, c: a + b + c, st.sampled_from(REAL_AREA_CODES), st.sampled_from(["9", "2", "3", "7", "8", "6"]),
              st.text("0123456789", min_size=7, max_size=8)),
)
_FAST_SEPARATORS = st.lists(st.sampled_from(["", "", "", " ", "-", ".", "(", ")", "  ", "+", "x"]), min_size=20, max_size=20)


@st.composite
def separated_digits(draw) -> str:
    """Digits with separators anywhere: the text the fast paths of normalize_phone read."""
    text = draw(_FAST_PREFIX) + draw(_FAST_DIGITS)
    seps = draw(_FAST_SEPARATORS)
    return "".join(c + seps[i % len(seps)] for i, c in enumerate(text))


PHONE_ALPHABET = "0123456789+()-. /xX#;,:=extramlsinoEXTRAMLSINO\u00a0\t\n０１２９＋" + "\u2010\u2212\u30fc\uff0e~*_'\"a"
phone_text = st.text(alphabet=PHONE_ALPHABET, max_size=40)
# PostgreSQL text cannot hold NUL; surrogates cannot be encoded; Cn: see the reference.
any_text = st.text(alphabet=st.characters(exclude_categories=("Cs", "Cn"), exclude_characters="\x00"), max_size=40)
surface = st.one_of(br_phone(), special_numbers(), foreign_phone(), separated_digits())


# --- properties ------------------------------------------------------------------------

@settings(max_examples=examples(2000))
@given(raw=surface)
@example(raw="(11) 98765-4321")
@example(raw="0 21 11 98765-4321")
@example(raw="0xx11 98765-4321")
@example(raw="+55 (11) 3456-7890 ramal 12")
@example(raw="１１ ９８７６５-４３２１")
@example(raw="0800 123 4567")
@example(raw="(11) 2002-4314 ramal 12")
@example(raw="(11) 98765-4321 ramal 1")
@example(raw="(11) 2002-4314 abc")
@example(raw="(11) 3CASA-123")
@example(raw="5 11 98765-4321 ramal")
@example(raw="55 11 98765-4321 ab c")
@example(raw="55 11 98765-4321 ramal")
@example(raw="011 98765-4321 ramal 12")
@example(raw="+55 11 98765-4321 ramal 12")
@example(raw="(11) 98765-4321 ramal 12 int 3")
@example(raw="55x0(0xx11) 90000-0000")   # 55, 90, then 0 + carrier 99 once the x read as 9
@example(raw="55 9 0 99 11 98765-4321")
@example(raw="55abc0(0xx11) 90000-0000")
def test_brazilian_surface_forms_match_phonenumbers(cdb, raw):
    assert sql_phone(cdb, raw) == ref.phone(raw)


@settings(max_examples=examples(2000))
@given(raw=st.one_of(phone_text, any_text, st.builds(lambda a, b: a + b, surface, any_text)))
def test_arbitrary_text_matches_reference(cdb, raw):
    assert sql_phone(cdb, raw) == ref.phone(raw)


@settings(max_examples=examples(500))
@given(raw=st.one_of(surface, phone_text), region=st.sampled_from(["US", "PT", "br", None, "", "ZZ"]))
def test_other_default_regions_read_international_format_only(cdb, raw, region):
    assert sql_phone(cdb, raw, region) == ref.phone(raw, region)


# Around the bound of 250 characters (the library's), with padding of 1 to 4 octets a
# character and digits of 4 (MATHEMATICAL BOLD): over 1000 octets the text is past 250
# characters whatever they are, and refused without being read.
_PHONE_PAD = st.sampled_from([" ", "\u3000", "-", "\U0001f600", ".\u00a0"])
_BOLD_DIGITS = str.maketrans("0123456789", "".join(chr(0x1D7CE + d) for d in range(10)))


@settings(max_examples=examples(500))
@given(phone=surface, bold=st.booleans(), pad=_PHONE_PAD, cut=st.floats(0, 1),
       length=st.integers(ref.MAX_PHONE_CHARS - 4, ref.MAX_PHONE_CHARS + 4))
@example(phone="11987654321", bold=True, pad="\U0001f600", cut=1.0, length=250)   # 1000 octets
@example(phone="11987654321", bold=True, pad="\U0001f600", cut=1.0, length=251)   # 1004
def test_numbers_around_the_bound_match_reference(cdb, phone, bold, pad, cut, length):
    if bold:
        phone = phone.translate(_BOLD_DIGITS)
    padding = (pad * length)[:max(0, length - len(phone))]
    raw = padding[:int(len(padding) * cut)] + phone + padding[int(len(padding) * cut):]
    assert sql_phone(cdb, raw) == ref.phone(raw)


def test_valid_results_are_e164_fixed_or_mobile(cdb):
    """Every Brazilian result the function gives is one the library calls FIXED_LINE/MOBILE."""
    for area in REAL_AREA_CODES:
        for sub in ("987654321", "34567890", "76543210"):
            got = sql_phone(cdb, f"({area}) {sub}")
            n = phonenumbers.parse(f"+55{area}{sub}")
            linkable = phonenumbers.is_valid_number(n) and phonenumbers.number_type(n) in (
                phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.MOBILE,
                phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)
            assert got == (f"+55{area}{sub}" if linkable else None), (area, sub)


def test_ninth_digit_is_never_invented(cdb):
    # An 8-digit number starting 6-9 is an old mobile number: not completed, not linkable.
    assert sql_phone(cdb, "(11) 8765-4321") is None
    assert sql_phone(cdb, "(11) 98765-4321") == "+5511987654321"


def test_digit_tables_agree_with_the_linkable_pattern(cdb):
    """phone_br_linkable_map() and the reading bounds/classes say what phone_br_is_linkable()
    (the generated pattern) says, for every three first digits, both lengths, the lowest
    and highest number of each prefix, and each reading: national number (class 1), trunk
    0 and one (2), 55 and one (3), and none for 00 and one."""
    mismatches = cdb.scalar("""
        SELECT count(*)
          FROM generate_series(0, 999) AS p3,
               (VALUES (10), (11)) AS l(len),
               (VALUES ('0'), ('9')) AS f(fill),
               (VALUES ('', 1), ('0', 2), ('55', 3), ('00', 0)) AS r(prefix, cls),
               LATERAL (SELECT lpad(p3::text, 3, '0') || repeat(f.fill, l.len - 3) AS nsn) AS n
         WHERE (get_byte(omni_identity.phone_br_linkable_map(), p3) & (l.len - 9) <> 0)
               IS DISTINCT FROM omni_identity.phone_br_is_linkable(n.nsn)
            OR get_byte(omni_identity.phone_br_reading_classes(),
                        width_bucket(left('1' || r.prefix || n.nsn, 16)::bigint, omni_identity.phone_br_reading_bounds()))
               <> CASE WHEN omni_identity.phone_br_is_linkable(n.nsn) THEN r.cls ELSE 0 END""")
    assert mismatches == 0
    # Shorter and longer digit strings are in no class (cut to 16 digits, past every bound).
    for digits in ("", "1", "119876543", "551198765432100", "1" * 40, "9" * 40):
        assert cdb.scalar("""SELECT get_byte(omni_identity.phone_br_reading_classes(),
                                             width_bucket(left('1' || %s, 16)::bigint,
                                                          omni_identity.phone_br_reading_bounds()))""",
                          digits) == 0, digits


def test_generated_rules_are_up_to_date():
    """The committed SQL is what the generator writes from the pinned library: the same
    files (none missing, none left over), each with the same text."""
    expected = generate_phone_rules.generated_files()
    committed = {p.name: p.read_text() for p in generate_phone_rules.GENERATED.glob("*.sql")}
    assert sorted(committed) == sorted(expected)
    for name, text in expected.items():
        assert committed[name] == text, name


def test_default_locale_database_agrees(module_db, cdb):
    samples = ["(11) 98765-4321", "+44 20 7946 0958", "0xx21 3456-7890", "１１９８７６５４３２１", "tel: 0800 123 4567"]
    for raw in samples:
        assert sql_phone(module_db, raw) == sql_phone(cdb, raw) == ref.phone(raw)

