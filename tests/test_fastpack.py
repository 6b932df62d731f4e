"""The fast validator of pack records (db/fastpack.py) against the pydantic models it mirrors:
never more lenient, the same values whenever it accepts, and its JSON bodies and digests."""

from __future__ import annotations

import json
import math
from typing import Any

import msgspec
import pydantic
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crisis_tui.db import fastpack
from crisis_tui.db.fastpack import STRUCTS, Refused, body, decode, digest, fast_validate, to_dict, validate
from crisis_tui.db.pack import PACK_INPUT, SECTIONS, Citation, Note
from crisis_tui.seed.loader import bundled_pack_path
from crisis_tui.seed.reader import read_file
from crisis_tui.seed.vocabulary import standard_relations


def pydantic_result(section: str, item: Any, pack_input: bool = True) -> pydantic.BaseModel | None:
    try:
        return SECTIONS[section].model_validate(item, context=PACK_INPUT if pack_input else None)
    except pydantic.ValidationError:
        return None


def typed(value: Any) -> Any:
    """`value` with the type of every number kept (1, 1.0 and True are equal to ==), and NaN equal to itself."""
    if isinstance(value, dict):
        return {"dict": [(k, typed(v)) for k, v in value.items()]}
    if isinstance(value, list):
        return {"list": [typed(v) for v in value]}
    if isinstance(value, float) and math.isnan(value):
        return "float nan"
    return type(value).__name__, value


def finite(value: Any) -> Any:
    """`value` as its body says it: JSON has no NaN or infinity, msgspec writes null (only a record
    validated outside pack input can hold one)."""
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [finite(v) for v in value]
    return None if isinstance(value, float) and not math.isfinite(value) else value


def canonical(value: Any) -> str:
    """Equal for two JSON values exactly when they are equal, types kept, dict order not."""
    return json.dumps(value, sort_keys=True)


# --- records: mostly valid, with mistakes of every kind -------------------------------------------

WORDS = st.lists(st.sampled_from(["Simla", "talks", "India", "Pakistan", "ceasefire", "1972", "Ḍhākā", "—"]),
                 min_size=2, max_size=4).map(" ".join)
# text a model refuses, strips or measures: each of these must give the fast path and a model the same verdict
TRICKY = st.sampled_from([
    "", "ab", " x", "x ", "x\n", "\nx", "a\nb", "a\tb", "\tx", "x\r", "\x1b[31mred", "a\x00b", "a\x7fb", "a\x85b",
    "\x85x", "x\x9f", "\u202eevil", "a\u200eb", "a\u2066b", "a\u061cb", "\xa0x", "x\u3000", "\u2028x", "x\u2029",
    "\x1cx", "x\x1f", "\x0bx", "x\x0c", "\ud800", "a\udfffb", "a\u200bb", "\u200bx", "ẞ", "x" * 500, "x" * 501,
    " " + "x" * 500, "x" * 2000, "x" * 2001, "x" * 100_000, "x" * 100_001, "e\u0301",
])
TEXT = st.one_of(WORDS, WORDS, WORDS, WORDS, WORDS, st.text(max_size=12), TRICKY)
SLUG = st.from_regex(r"[a-z0-9][a-z0-9._-]{0,6}", fullmatch=True)
BAD_ID = st.sampled_from(["", "A", "x y", "x\n", " x", "x ", "-x", "position/", "event/", "event/X", "Event/x",
                          "event//x", "event/x\n", "actor/ x", "a" * 201, "event/" + "x" * 500, "position/x y"])
GOOD_REF = st.builds("{}/{}".format, st.sampled_from(["event", "actor", "agreement", "place"]), SLUG)
REF = st.one_of(GOOD_REF, GOOD_REF, GOOD_REF, BAD_ID)
GOOD_SOURCE_ID = st.from_regex(r"[a-z0-9][a-z0-9._/-]{0,8}", fullmatch=True)
SOURCE_ID = st.one_of(GOOD_SOURCE_ID, GOOD_SOURCE_ID, GOOD_SOURCE_ID, BAD_ID)
PACK_ID = st.one_of(st.none(), SLUG, SLUG, BAD_ID)
DATE = st.one_of(
    st.dates().map(lambda d: d.isoformat()).flatmap(lambda d: st.sampled_from([d[:4], d[:7], d])),
    st.sampled_from(["2025-02-30", "2025-13", "2025-00", "20250101", "2025-1-1", "25", "٢٠٢٥", "２０２５", "2025\n",
                     " 2025", "2025 ", "2025-05-01\n", "0000", "2025-05-01T00:00", ""]),
)
PRECISION = st.sampled_from(["year", "month", "day", "Day", " day", "week"])
ATTRIBUTE = st.one_of(TEXT, st.integers(), st.integers(min_value=-(2**70), max_value=2**70), st.floats(),
                      st.booleans(), st.none(), st.lists(st.integers(), max_size=1))
# what a mistake puts in a field's place
WRONG = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), TRICKY, BAD_ID, DATE, st.text(max_size=5),
                  st.sampled_from(["true", "false", "1", "0", "yes", "null", "event", "day"]),
                  st.lists(st.sampled_from(["x", "event/x", 1, None]), max_size=2),
                  st.dictionaries(st.sampled_from(["source", "quote", "x"]), st.sampled_from(["abc", 1]), max_size=2))


def cited(n: int = 1) -> st.SearchStrategy[list[dict[str, Any]]]:
    citation = {"source": st.one_of(GOOD_SOURCE_ID, GOOD_SOURCE_ID, TEXT), "quote": st.one_of(WORDS, TEXT)}
    return st.lists(st.fixed_dictionaries(citation), min_size=n, max_size=2)


def entity() -> st.SearchStrategy[dict[str, Any]]:
    def made(kind: str, slug: str, rest: dict[str, Any]) -> dict[str, Any]:
        return {"id": f"{kind}/{slug}", "type": kind, **rest}

    rest = st.fixed_dictionaries(
        {"name": TEXT, "citations": cited()},
        optional={"kind": st.one_of(st.none(), TEXT), "summary": TEXT, "date": st.one_of(st.none(), DATE),
                  "date_end": st.one_of(st.none(), st.none(), DATE),
                  "date_precision": st.one_of(st.none(), st.none(), PRECISION),
                  "date_uncertain": st.booleans(), "date_note": st.one_of(st.none(), TEXT),
                  "attributes": st.dictionaries(TEXT, ATTRIBUTE, max_size=4), "pack": PACK_ID,
                  "aliases": st.lists(TEXT, max_size=3),
                  "notes": st.lists(st.fixed_dictionaries({"text": TEXT, "citations": cited()}), max_size=2)})
    return st.builds(made, st.sampled_from(["event", "actor", "agreement", "place"]), SLUG, rest)


RECORDS: dict[str, st.SearchStrategy[dict[str, Any]]] = {
    "relations": st.fixed_dictionaries(
        {"name": st.one_of(st.from_regex(r"[a-z][a-z-]{0,8}", fullmatch=True), BAD_ID), "label": TEXT,
         "inverse": TEXT},
        optional={"description": TEXT, "pack": PACK_ID,
                  "source_types": st.lists(st.one_of(st.sampled_from(["event", "actor/person", "place/x y",
                                                                      "actor/", "actors", "agreement/\n"]), TEXT),
                                           max_size=2),
                  "target_types": st.lists(st.sampled_from(["place", "event/battle", " event"]), max_size=2)}),
    "sources": st.fixed_dictionaries(
        {"id": SOURCE_ID, "title": TEXT},
        optional={"publisher": st.one_of(st.none(), TEXT), "date": st.one_of(st.none(), DATE),
                  "address": st.one_of(st.none(), TEXT, st.just("https://example.org/a b")),
                  "text": st.one_of(st.none(), TEXT, st.just("line one\nline two\n")),
                  "via": st.one_of(st.none(), SOURCE_ID), "pack": PACK_ID,
                  "text_file": st.one_of(st.none(), TEXT)}),
    "entities": entity(),
    "links": st.fixed_dictionaries(
        {"source": REF, "relation": TEXT, "target": REF, "citations": cited()},
        optional={"note": st.one_of(st.none(), TEXT), "pack": PACK_ID}),
    "positions": st.fixed_dictionaries(
        {"id": st.one_of(*[SLUG.map("position/{}".format)] * 4, BAD_ID), "actor": REF, "topic": TEXT, "stance": TEXT,
         "statement": TEXT, "citations": cited()},
        optional={"about": st.one_of(st.none(), REF), "date": st.one_of(st.none(), DATE),
                  "date_uncertain": st.one_of(st.booleans(), st.booleans(),
                                              st.sampled_from([0, 1, "true", "no", None])),
                  "pack": PACK_ID}),
}


def places(item: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value in `item` (dict keys and list indexes)."""
    found = [path]
    if isinstance(item, dict):
        for key, value in item.items():
            found += places(value, (*path, key))
    elif isinstance(item, list):
        for n, value in enumerate(item):
            found += places(value, (*path, n))
    return found


@st.composite
def records(draw: st.DrawFn, section: str) -> dict[str, Any]:
    """A record of `section`, with up to three mistakes: a value replaced, a key removed or added,
    a list emptied, a whole nested record replaced."""
    item = draw(RECORDS[section])
    for _ in range(draw(st.sampled_from([0, 0, 0, 1, 2, 3]))):
        path = draw(st.sampled_from(places(item)))
        if not path:
            continue
        *parents, last = path
        parent: Any = item
        for step in parents:
            parent = parent[step]
        how = draw(st.sampled_from(["replace", "replace", "remove", "add", "empty"]))
        if how == "replace":
            parent[last] = draw(WRONG)
        elif how == "remove":
            del parent[last]
        elif how == "add" and isinstance(parent, dict):
            parent[draw(st.sampled_from(["extra", "Id", "text_file", "citation", "ref", " id"]))] = draw(WRONG)
        elif how == "add" and isinstance(parent, list):
            parent.append(draw(WRONG))
        elif isinstance(parent[last], list | dict):
            parent[last] = type(parent[last])()
    return item


# --- the verdicts -----------------------------------------------------------------------------------


def check_agrees(section: str, item: Any) -> bool:
    """Fast accepts ⇒ each model accepts, with the same values; `validate` gives each model's verdict
    and values. Whether the fast path accepted."""
    try:
        fast = fast_validate(section, item)
    except Refused:
        fast = None
    for pack_input in (True, False):
        model = pydantic_result(section, item, pack_input)
        if fast is not None:
            assert model is not None, f"the fast path accepted what pydantic refuses: {item!r}"
            assert typed(to_dict(fast)) == typed(model.model_dump(mode="json"))
        if model is None:
            with pytest.raises(pydantic.ValidationError):
                validate(section, item, pack_input)
            continue
        record, named = validate(section, item, pack_input)
        assert type(record) is STRUCTS[section]
        assert typed(to_dict(record)) == typed(model.model_dump(mode="json"))
        assert named == ("pack" in model.model_fields_set)
        try:
            said = body(record)
        except UnicodeEncodeError:  # the gap test_source_takes_a_lone_surrogate shows
            assert section == "sources" and "\\ud" in ascii(to_dict(record))
            continue
        assert typed(json.loads(said)) == typed(finite(
            model.model_dump(mode="json", exclude_defaults=True, exclude={"text_file", "pack"})))
    return fast is not None


@pytest.mark.parametrize("section", list(SECTIONS))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_fast_path_is_never_more_lenient(section: str, data: st.DataObject) -> None:
    check_agrees(section, data.draw(records(section)))


@pytest.mark.parametrize("section", list(SECTIONS))
def test_generated_records_are_often_accepted(section: str) -> None:
    """The property test above means something only if the fast path accepts a good share."""
    accepted = []

    @settings(max_examples=150, deadline=None, database=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(data=st.data())
    def count(data: st.DataObject) -> None:
        accepted.append(check_agrees(section, data.draw(records(section))))

    count()
    assert 0.05 < sum(accepted) / len(accepted) < 0.95, f"{sum(accepted)} of {len(accepted)} accepted"


GOOD = {
    "relations": {"name": "invokes", "label": "invokes", "inverse": "invoked by"},
    "sources": {"id": "web/a", "title": "A"},
    "entities": {"id": "event/talks", "type": "event", "name": "Talks", "date": "2025-05",
                 "citations": [{"source": "web/a", "quote": "the talks"}]},
    "links": {"source": "event/talks", "relation": "invokes", "target": "agreement/simla",
              "citations": [{"source": "web/a", "quote": "the talks"}]},
    "positions": {"id": "position/p", "actor": "actor/india", "topic": "mediation", "stance": "rejects",
                  "statement": "No mediation.", "citations": [{"source": "web/a", "quote": "no mediation"}]},
}
CITED = {"citations": [{"source": "web/a", "quote": "the talks"}]}
# (section, changes to its GOOD record): the traps of the task; each is refused by the fast path
TRAPS = [
    ("entities", {"date_uncertain": 1}), ("entities", {"date_uncertain": "true"}), ("entities", {"name": 5}),
    ("entities", {"name": None}), ("entities", {"kind": 1}), ("entities", {"summary": None}),
    ("entities", {"extra": 1}), ("entities", {"citations": []}), ("entities", {"citations": [{"source": "a"}]}),
    ("entities", {"citations": [{"source": "a", "quote": "abc", "page": 1}]}),
    ("entities", {"notes": [{"text": "n", "citations": []}]}), ("entities", {"notes": [{"text": " ", **CITED}]}),
    ("entities", {"name": " Talks "}), ("entities", {"name": "Talks\u3000"}), ("entities", {"name": "\x85Talks"}),
    ("entities", {"name": "Talks\x1f"}), ("entities", {"name": "Ta\nlks"}), ("entities", {"name": "Ta\tlks"}),
    ("entities", {"summary": "a\u202eb"}), ("entities", {"summary": "a\x1bb"}), ("entities", {"name": "x" * 501}),
    ("entities", {"summary": "x" * 100_001}), ("entities", {"name": "\ud800"}), ("entities", {"name": ""}),
    ("entities", {"name": "   "}), ("entities", {"id": "actor/talks"}), ("entities", {"id": "event/Talks"}),
    ("entities", {"id": "event/talks\n"}), ("entities", {"type": " event"}), ("entities", {"date": "2025-02-30"}),
    ("entities", {"date": "٢٠٢٥"}), ("entities", {"date": " 2025"}), ("entities", {"date_precision": "day"}),
    ("entities", {"date_end": "2025-04"}), ("entities", {"date": None, "date_end": "2025"}),
    ("entities", {"date": None, "date_precision": "year"}), ("entities", {"attributes": {"x": float("nan")}}),
    ("entities", {"attributes": {"x": float("inf")}}), ("entities", {"attributes": {"x": None}}),
    ("entities", {"attributes": {"x": 2**64}}), ("entities", {"attributes": {"x": [1]}}),
    ("entities", {"attributes": {" x": 1}}), ("entities", {"attributes": {"x": " y"}}),
    ("entities", {"attributes": {"x\n": 1}}), ("entities", {"attributes": {"x": "a\x00"}}),
    ("entities", {"aliases": ["a\nb"]}), ("entities", {"aliases": None}), ("entities", {"aliases": "Talks"}),
    ("entities", {"quote": "x"}), ("entities", {"citations": [{"source": "web/a", "quote": "ab"}]}),
    ("entities", {"citations": [{"source": "web/a", "quote": " ab "}]}), ("entities", {"pack": "Pack"}),
    ("links", {"source": "event/x y"}), ("links", {"relation": ""}), ("links", {"relation": " invokes"}),
    ("links", {"note": 1}), ("links", {"citations": None}), ("links", {"target": None}),
    ("positions", {"id": "position/x\n"}), ("positions", {"about": ""}), ("positions", {"date": "2025-13"}),
    ("positions", {"date_uncertain": "no"}), ("positions", {"statement": ""}),
    ("sources", {"date": "2025\n"}), ("sources", {"id": "web/a\n"}), ("sources", {"title": "a\nb"}),
    ("sources", {"address": "x" * 2001}), ("sources", {"text": "a\x07b"}), ("sources", {"title": b"A"}),
    ("sources", {"date": "2025-1"}), ("relations", {"name": "Invokes"}), ("relations", {"name": "invokes\n"}),
    ("relations", {"source_types": ["event\n"]}), ("relations", {"source_types": ["event/a\nb"]}),
    ("relations", {"source_types": ["event/ "]}), ("relations", {"target_types": ["actors"]}),
]


@pytest.mark.parametrize(("section", "changes"), TRAPS, ids=[f"{s}-{c!r:.40}" for s, c in TRAPS])
def test_traps(section: str, changes: dict[str, Any]) -> None:
    item = {**GOOD[section], **changes}
    with pytest.raises(Refused):
        fast_validate(section, item)
    check_agrees(section, item)


@pytest.mark.parametrize("section", list(SECTIONS))
def test_good_records_take_the_fast_path(section: str) -> None:
    assert check_agrees(section, GOOD[section])


def test_kept_values() -> None:
    """What the fast path keeps as given: a bool stays a bool, a float a float; a date's precision is filled."""
    item = {**GOOD["entities"], "attributes": {"b": True, "i": 1, "f": 1.0, "s": "1", "z": -0.0}}
    record = fast_validate("entities", item)
    assert [type(v) for v in record.attributes.values()] == [bool, int, float, str, float]
    assert record.date_precision == "month"
    assert check_agrees("entities", item)


# --- the Structs mirror the models --------------------------------------------------------------------


@pytest.mark.parametrize(("struct", "model"), [*((STRUCTS[s], SECTIONS[s]) for s in SECTIONS),
                                               (fastpack.Citation, Citation), (fastpack.Note, Note)])
def test_structs_mirror_models(struct: type, model: type[pydantic.BaseModel]) -> None:
    fields = msgspec.structs.fields(struct)
    assert [f.name for f in fields] == list(model.model_fields)
    for f in fields:
        info = model.model_fields[f.name]
        assert f.required == info.is_required(), f.name
        if not f.required:
            default = f.default if f.default is not msgspec.NODEFAULT else f.default_factory()
            assert default == info.get_default(call_default_factory=True), f.name


# --- bodies, digests and decoding -------------------------------------------------------------------------


@st.composite
def accepted(draw: st.DrawFn, section: str) -> Any:
    item = draw(records(section))
    try:
        record = validate(section, item, pack_input=True)[0]
        body(record)
    except pydantic.ValidationError:
        return None
    except UnicodeEncodeError:  # test_source_takes_a_lone_surrogate
        return None
    return record


@pytest.mark.parametrize("section", list(SECTIONS))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                                   HealthCheck.filter_too_much])
@given(data=st.data())
def test_body_decodes_to_the_record(section: str, data: st.DataObject) -> None:
    record = data.draw(accepted(section).filter(lambda r: r is not None))
    pack = data.draw(PACK_ID)
    expected = msgspec.structs.replace(record, pack=pack)
    if section == "sources":
        expected = msgspec.structs.replace(expected, text_file=None)  # where its text was is no part of its body
    assert decode(section, body(record), pack) == expected
    assert body(decode(section, body(record), pack)) == body(record)


@pytest.mark.parametrize("section", list(SECTIONS))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                                   HealthCheck.filter_too_much])
@given(data=st.data())
def test_digests_equal_exactly_when_bodies_are(section: str, data: st.DataObject) -> None:
    a = data.draw(accepted(section).filter(lambda r: r is not None))
    # another record that is often the same: the same one of another pack, with its attributes
    # in another order, or one field changed
    b = data.draw(st.one_of(accepted(section), st.just(a)))
    if b is None:
        b = a
    b = msgspec.structs.replace(b, pack=data.draw(PACK_ID))
    if section == "entities" and data.draw(st.booleans()):
        b.attributes = dict(reversed(b.attributes.items()))
    if data.draw(st.booleans()):
        field = data.draw(st.sampled_from([f for f in b.__struct_fields__ if f != "pack"]))
        value = getattr(b, field)
        if isinstance(value, str):
            setattr(b, field, value + "!")
    same = json.loads(body(a)) == json.loads(body(b))  # as the importer compared records in memory
    assert (digest(a) == digest(b)) == same
    assert len(digest(a)) == 16


def test_digest_compares_numbers_as_python_does() -> None:
    """An attribute of 1, 1.0 or true says the same to the importer (a pack re-saved by a tool that
    writes whole numbers as floats is not a change), as when it compared records with ==; "1" differs."""
    records = [fast_validate("entities", {**GOOD["entities"], "attributes": {"x": v}}) for v in (1, 1.0, True, "1")]
    assert digest(records[0]) == digest(records[1]) == digest(records[2]) != digest(records[3])
    other = fast_validate("entities", {**GOOD["entities"], "attributes": {"x": 1.5}})
    assert digest(other) != digest(records[0])


def test_digest_ignores_the_order_of_attributes_and_the_pack() -> None:
    a = fast_validate("entities", {**GOOD["entities"], "attributes": {"a": 1, "b": "x"}, "pack": "p"})
    b = fast_validate("entities", {**GOOD["entities"], "attributes": {"b": "x", "a": 1}})
    assert body(a) != body(b) and digest(a) == digest(b)
    assert digest(a) != digest(fast_validate("entities", {**GOOD["entities"], "attributes": {"a": 1, "b": "y"}}))


def test_body_omits_defaults_pack_and_text_file() -> None:
    source = fast_validate("sources", {"id": "web/a", "title": "A", "publisher": None, "pack": "p",
                                       "text_file": "sources/a.txt"})
    assert body(source) == b'{"id":"web/a","title":"A"}'
    entity = fast_validate("entities", {**GOOD["entities"], "summary": "", "aliases": [], "attributes": {}})
    assert json.loads(body(entity)) == {**GOOD["entities"], "date_precision": "month"}


def test_source_takes_a_lone_surrogate() -> None:
    """A gap in db.pack, not here: Source (which does not strip) takes a lone surrogate, which no
    UTF-8 text can hold (the models that strip refuse it), so its body cannot be written. The fast
    path refuses it; this test fails once db.pack refuses it too."""
    item = {"id": "web/a", "title": "A\ud800"}
    with pytest.raises(Refused):
        fast_validate("sources", item)
    record, _ = validate("sources", item)
    with pytest.raises(UnicodeEncodeError):
        body(record)


def test_decode_takes_what_the_fast_path_refused() -> None:
    """A record only the model took (its date in other digits) still decodes from its body."""
    record, _ = validate("entities", {**GOOD["entities"], "date": "٢٠٢٥"})
    assert decode("entities", body(record), "p") == msgspec.structs.replace(record, pack="p")


# --- the bundled pack -------------------------------------------------------------------------------------


def bundled_records() -> list[tuple[str, Any]]:
    found = []
    for file in sorted(bundled_pack_path().glob("*.yaml")):
        found += [(key, item) for key, item, _ in read_file(file) if key in SECTIONS]  # as an import reads it
    found += [("relations", item) for item in standard_relations()]
    return found


def test_bundled_pack_takes_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every record of the bundled pack (and the standard vocabulary) is taken by the fast path,
    with the models' values: normal data never costs the slow path."""
    records = bundled_records()
    assert {section for section, _ in records} == set(SECTIONS)
    for section, item in records:
        assert check_agrees(section, item), f"refused: {item!r}"

    def slow(*args: Any) -> Any:
        raise AssertionError(f"fell back to pydantic for {args!r}")

    monkeypatch.setattr(fastpack, "_slow", slow)
    assert len([validate(section, item) for section, item in records]) == len(records)
