"""normalize_name and identifier_sha256 against the reference, in a database whose locale
is C; and every normalizer against hostile input (1 MB, controls, every Unicode plane)."""
from __future__ import annotations

import hashlib
import unicodedata

import psycopg
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tests_py.conftest import examples
from tests_py.reference import model
from tests_py.reference import normalize as ref
from tests_py.support import Db
from tests_py.test_normalize_document import document_surface
from tests_py.test_normalize_email import email_surface
from tests_py.test_normalize_phone import br_phone


FIRST = ["Jos\u00e9", "JO\u00c3O", "Maria", "Ana-Clara", "\u00c9rica", "Conce\u0327a\u0303o", "M\u00fcller", "\u0130lker",
         "\u00d1u\u00f1ez", "O'Brien", "D'\u00c1vila", "\u0141ukasz", "\u00c6sir", "Stra\u00dfe", "\u039f\u03b4\u03c5\u03c3\u03c3\u03b5\u03cd\u03c2",
         "\u5f20\u4f1f", "\u0645\u062d\u0645\u062f", "Zo\u00eb", "Fran\u00e7ois", "\u2160 Rei", "Jr.", "3\u00aa", "\uff2a\uff4f\uff53\uff45"]
SEPARATORS = [" ", "  ", "-", ".", ", ", "\t", "\u00a0", " & ", "/", "_", "\u200b", "\n", " (", ") ", "'"]


# Characters unassigned in Python's Unicode 14.0 (category Cn) are left out: the server may
# know a newer Unicode (see the reference's docstring). NUL cannot be stored in text.
CHARS = st.characters(exclude_categories=("Cs", "Cn"), exclude_characters="\x00")


# Letters buyers type, beyond FIRST: accented Latin, Greek, Cyrillic, combining marks,
# digits of other scripts, ligatures, fullwidth forms (cheaper to draw than CHARS).
NAME_POOL = [chr(c) for c in [*range(0x41, 0x5B), *range(0xC0, 0x180), *range(0x300, 0x370, 7), *range(0x391, 0x3CA, 3),
                              *range(0x410, 0x450, 5), 0x1E9E, 0x130, 0x131, 0x17F, 0x212A, 0xFB01, 0x2160, 0x660, 0xFF21,
                              0x1D400, 0x2019, 0xB4, 0x2D, 0x2E, 0x20, 0xA0, 0x3000]]


# Strategies built once: building them inside the composite costs more than drawing.
_PARTS = st.lists(st.sampled_from(FIRST) | st.text(st.sampled_from(NAME_POOL), min_size=1, max_size=8),
                  min_size=1, max_size=4)
_SEPARATOR = st.sampled_from(SEPARATORS)
_LEAD = st.sampled_from(["", " ", "\u3000", "*"])
_FORM = st.sampled_from(["keep", "upper", "lower", "nfd"])
_TAIL = st.sampled_from(["", " ", "!", "\u00a0"])


@st.composite
def name_surface(draw) -> str:
    parts = draw(_PARTS)
    out = draw(_LEAD)
    for i, part in enumerate(parts):
        out += (draw(_SEPARATOR) if i else "") + part
    form = draw(_FORM)
    if form == "upper":
        out = out.upper()
    elif form == "lower":
        out = out.lower()
    elif form == "nfd":
        out = unicodedata.normalize("NFD", out)
    return out + draw(_TAIL)


any_text = st.text(alphabet=CHARS, max_size=40)
surface_or_text = st.one_of(name_surface(), any_text)


@settings(max_examples=examples(2000))
@given(raw=surface_or_text)
@example(raw="  Jos\u00e9  da SILVA-\u00d1\u00fa\u00f1ez!! ")
@example(raw="\u0130LKER")
def test_name_matches_reference(cdb, raw):
    assert cdb.scalar("SELECT omni_identity.normalize_name(%s)", raw) == ref.name(raw)


key_value = st.one_of(
    st.tuples(st.just("email"), email_surface()),
    st.tuples(st.just("phone"), br_phone()),
    st.tuples(st.just("document"), document_surface()),
    st.tuples(st.just("name"), surface_or_text),
    st.tuples(st.sampled_from(["EMAIL", "cpf", "", "fn"]), any_text),
)


@settings(max_examples=examples(2000))
@given(kv=key_value)
@example(kv=("name", "Zo\u00eb O'Brien-Smith"))
@example(kv=("phone", "(11) 98765-4321"))
@example(kv=("name", "JOS\u00c9 DA CONCEI\u00c7\u00c3O"))
@example(kv=("name", "Jos\u00e9 da Concei\u00e7\u00e3o"))
@example(kv=("name", "Maria Silva"))
def test_identifier_sha256_matches_reference(cdb, kv):
    key_type, value = kv
    assert cdb.scalar("SELECT omni_identity.identifier_sha256(%s, %s)", key_type, value) == \
        ref.identifier_sha256(key_type, value)


def test_identifier_sha256_vectors(cdb):
    def sha(s: str) -> str:
        return hashlib.sha256(s.encode()).hexdigest()

    assert cdb.scalar("SELECT omni_identity.identifier_sha256('email', ' Foo@Example.COM ')") == sha("foo@example.com")
    assert cdb.scalar("SELECT omni_identity.identifier_sha256('phone', '(11) 98765-4321')") == sha("5511987654321")
    assert cdb.scalar("SELECT omni_identity.identifier_sha256('name', 'Zo\u00eb O''Brien')") == sha("zo\u00eb obrien")
    assert cdb.scalar("SELECT omni_identity.identifier_sha256('document', '529.982.247-25')") == sha("52998224725")
    assert cdb.scalar("SELECT omni_identity.identifier_sha256('phone', '0800 123 4567')") is None
    assert cdb.scalar("SELECT omni_identity.identifier_sha256('unknown', 'x')") is None


def test_name_in_default_locale_database_agrees(module_db, cdb):
    for raw in ["\u00c9RICA M\u00dcLLER", "\u0130lker \u00c7elik", "\u039f\u0394\u03a5\u03a3\u03a3\u0395\u03a5\u03a3"]:
        q = "SELECT omni_identity.normalize_name(%s)"
        assert module_db.scalar(q, raw) == cdb.scalar(q, raw) == ref.name(raw)


# --- hostile input: never an error -----------------------------------------------------

CALLS = [
    "omni_identity.normalize_email(%s)", "omni_identity.normalize_email(%s, true)",
    "omni_identity.normalize_phone(%s)", "omni_identity.normalize_phone(%s, 'US')",
    "omni_identity.normalize_document(%s)", "omni_identity.normalize_name(%s)",
    "omni_identity.identifier_sha256('email', %s)", "omni_identity.identifier_sha256('name', %s)",
    "omni_identity.identifier_sha256('phone', %s)", "omni_identity.identifier_sha256('document', %s)",
]
EVERY_CODE_POINT = "".join(chr(c) for c in range(1, 0x110000) if not 0xD800 <= c <= 0xDFFF)
HOSTILE = {
    "1 MB of digits": "1" * (1 << 20),
    "1 MB e-mail": "a" * (1 << 20) + "@example.com",
    "1 MB of spaces and a phone": " " * (1 << 20) + "(11) 98765-4321",
    "control characters": "".join(chr(c) for c in range(1, 32)) + "\x7f\x85\u2028",
    "every code point": EVERY_CODE_POINT,
    "astral planes": "\U0001f600\U00020000\U000e0001\U000f0000\U0010fffd@x.com",
}


@pytest.mark.parametrize("call", CALLS)
def test_hostile_input_never_raises(cdb, call):
    for label, raw in HOSTILE.items():
        result = cdb.scalar(f"SELECT {call}", raw)
        assert result is None or isinstance(result, str), label


def test_lone_surrogates_never_reach_the_server(cdb):
    """A lone surrogate is not UTF-8: the client cannot send it and the server refuses such
    bytes at input (22021), before any function runs."""
    with pytest.raises(UnicodeEncodeError):
        cdb.scalar("SELECT omni_identity.normalize_name(%s)", "a\ud800b")
    with pytest.raises(psycopg.errors.CharacterNotInRepertoire):
        cdb.scalar("SELECT omni_identity.normalize_name(convert_from('\\x61eda080'::bytea, 'UTF8'))")


# --- around the bounds (README, "Normalization bounds") ----------------------------------

# Pieces of 1 to 4 octets, combining marks and white space among them.
_NAME_PIECES = st.lists(st.sampled_from(["a", "Z", " ", "-", "\u00e9", "e\u0301", "\u0301\u0316", "\u4e2d", "\U0001d400",
                                         "\u3000", "\u00df", "\u0130", "\u1100\u1161"]), min_size=1, max_size=6).map("".join)
_NAME_OCTETS = st.integers(ref.MAX_NAME_OCTETS - 6, ref.MAX_NAME_OCTETS + 6)
_RAW_OCTETS = st.integers(ref.MAX_RAW_OCTETS - 6, ref.MAX_RAW_OCTETS + 6)
_NAME_PAD = st.sampled_from(["", "", " ", "\u3000", "\t\u200b", "big", "big ideographic"])


@st.composite
def name_near_bounds(draw) -> str:
    """A name whose trimmed text is 1024 ± 6 octets (a piece repeated, filled with 'b'),
    padded with white space — at times to 4096 ± 6 octets in all."""
    piece = draw(_NAME_PIECES)
    target = draw(_NAME_OCTETS) - 2
    body = piece * ((target - 1) // ref.octets(piece))
    text = "A" + body + "b" * (target - ref.octets(body)) + "z"
    pad = draw(_NAME_PAD)
    if pad.startswith("big"):
        missing = draw(_RAW_OCTETS) - ref.octets(text)
        ws = "\u3000" * (missing // 3) + " " * (missing % 3) if pad == "big ideographic" else " " * missing
        cut = draw(st.integers(0, len(ws)))
        return ws[:cut] + text + ws[cut:]
    return pad + text + draw(_NAME_PAD).replace("big", "").replace(" ideographic", "")


@settings(max_examples=examples(500))
@given(raw=name_near_bounds())
@example(raw="a" * 1024)
@example(raw="a" * 1025)
@example(raw=" " * 3072 + "a" * 1024)
@example(raw=" " * 3073 + "a" * 1024)
def test_names_around_the_bounds_match_reference(cdb, raw):
    """normalize_name, the golden name and the advertising hash refuse the same names."""
    assert cdb.rows("SELECT omni_identity.normalize_name(%s), omni_identity.golden_name(%s),"
                    " omni_identity.identifier_sha256('name', %s)", raw, raw, raw)[0] == \
        (ref.name(raw), model.display_name(raw), ref.identifier_sha256("name", raw))
