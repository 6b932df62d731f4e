"""ACLED export CSV as a pack (docs/acled.md): every column kept and typed, dates at ACLED's
precision, the two sides and their associates as links, places by their whole key, ids that
keep every character, and each file a pack of its own."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crisis_tui.db.constants import REF_PATTERN
from crisis_tui.db.errors import PackError
from crisis_tui.db.queries import KnowledgeBase
from crisis_tui.seed.acled import KEY_HASH, key_id, read_acled
from crisis_tui.seed.importer import import_packs
from crisis_tui.seed.loader import load_pack
from crisis_tui.seed.vocabulary import standard_relations

from .conftest import REPO

DATA = Path(__file__).resolve().parent / "data"
XLAND = DATA / "xland-2025.csv"
HEADER = ("event_id_cnty,event_date,time_precision,event_type,sub_event_type,actor1,inter1,actor2,inter2,"
          "country,admin1,location,latitude,longitude,source,notes,fatalities,timestamp")
ROW = ("XLD1,2025-04-24,1,Battles,Armed clash,Army of Xland,1,Front,2,Xland,Norden,Tarsk,33.7,74.1,"
       "Daily,Shots were fired at the post.,0,1745900000")


def read(path: Path = XLAND) -> dict:
    return read_acled(path, path.read_text(encoding="utf-8"))


def by_id(document: dict) -> dict[str, dict]:
    return {e["id"]: e for e in document["entities"]}


def links_of(document: dict, event: str) -> set[tuple[str, str]]:
    return {(k["relation"], k["target"]) for k in document["links"] if k["source"] == event}


def csv_file(tmp_path: Path, *rows: str, header: str = HEADER, name: str = "events.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def refusal(path: Path) -> str:
    with pytest.raises(PackError) as caught:
        read(path)
    return str(caught.value)


def test_every_column_of_a_row_is_an_attribute_of_its_type():
    event = by_id(read())["event/acled-xld1003"]
    attributes = event["attributes"]
    assert attributes["fatalities"] == 1 and attributes["year"] == 2025 and attributes["time_precision"] == 3
    assert attributes["geo_precision"] == 1 and attributes["timestamp"] == 1745900200 and attributes["iso"] == 999
    assert attributes["latitude"] == 33.1 and isinstance(attributes["latitude"], float)
    assert attributes["longitude"] == 74.3 and isinstance(attributes["longitude"], float)
    assert attributes["disorder_type"] == "Political violence"
    assert attributes["civilian_targeting"] == "Civilian targeting"
    assert attributes["inter1"] == "Rebel group" and attributes["interaction"] == "Rebel groups-Civilians"
    assert attributes["assoc_actor_2"] == "Farmers (Xland)" and attributes["event_date"] == "2025-03-15"
    assert attributes["field_team"] == "North desk"  # a column ACLED does not define: text
    assert "notes" not in attributes and event["summary"] == "In March 2025, NLF fighters attacked farmers near Arval."
    assert "admin3" not in attributes and "tags" not in attributes  # empty in this row
    numeric = by_id(read())["event/acled-xld1001"]["attributes"]
    assert numeric["inter1"] == 1 and numeric["interaction"] == 12  # codes in older exports: numbers
    assert by_id(read())["event/acled-xld1002"]["attributes"]["tags"] == "crowd size=hundreds"


def test_the_whole_file_is_a_valid_pack_of_its_own():
    document = read()
    assert document["pack"] == {"id": "acled-xland-2025", "title": "ACLED export xland-2025.csv",
                                "description": "Conflict events read from the ACLED export xland-2025.csv, a row each."}
    pack = load_pack(XLAND)  # every record valid, every quote found in its source
    assert len(pack.entities) == 16 and {e.pack for e in pack.entities} == {"acled-xland-2025"}
    assert all(re.match(REF_PATTERN, e.id) for e in pack.entities)
    assert [s.id for s in pack.sources][:2] == ["acled/acled-xland-2025/xld1001-1745900000",
                                                "acled/acled-xland-2025/xld1002-1745900100"]


@pytest.mark.parametrize(("column", "value", "problem"), [
    ("fatalities", "many", "'many' is not a whole number"),
    ("fatalities", "-2", "'-2' is negative"),
    ("latitude", "north", "'north' is not a decimal number of degrees"),
    ("latitude", "91.5", "'91.5' is out of range (-90 to 90)"),
    ("longitude", "nan", "'nan' is not a decimal number of degrees"),
    ("timestamp", "12.5", "'12.5' is not a whole number"),
    ("time_precision", "4", "4 is not an ACLED time precision (1 day, 2 week, 3 month)"),
    ("inter1", "9", "9 is not an ACLED actor type code (0-8)"),
    ("inter2", "Aliens", "'Aliens' is not an ACLED actor type (a code 1-8 or one of: State forces, Rebel groups, "
                         "Political militias, Identity militias, Rioters, Protesters, Civilians, "
                         "External/Other forces)"),
    ("event_date", "2025-02-30", "'2025-02-30' is not a real date"),
    ("actor1", "Army\u0007", "control character \\x07 is not allowed (pack text is shown as text)"),
])
def test_a_value_not_of_its_type_refuses_the_file_naming_line_and_column(tmp_path, column, value, problem):
    cells = dict(zip(HEADER.split(","), ROW.split(","), strict=True))
    cells[column] = value
    path = csv_file(tmp_path, ROW.replace("XLD1,", "XLD0,"), ",".join(cells.values()))
    assert refusal(path) == f"{path}:3: column '{column}': {problem}"


def test_other_refusals_name_file_line_and_column(tmp_path):
    path = csv_file(tmp_path, ROW, ROW)
    assert refusal(path) == f"{path}:3: column 'event_id_cnty': duplicate event 'XLD1' (also on line 2)"
    path = csv_file(tmp_path, ROW.replace("Tarsk", "Tarsk" * 120))
    assert refusal(path) == f"{path}:2: column 'location': 600 characters; at most 500 are allowed here"
    path = csv_file(tmp_path, ROW.replace("Army of Xland", "Army " * 60))  # a long name: its id is not
    document = read_acled(path, path.read_text(encoding="utf-8"))
    long_ids = [e["id"] for e in document["entities"] if "army-army" in e["id"]]
    assert len(long_ids) == 1 and len(long_ids[0]) < 80
    path = csv_file(tmp_path, ROW + ",x", header=HEADER + ",fatalities")
    assert refusal(path) == f"{path}:1: column 'fatalities' is in the header twice"


def test_time_precision_gives_the_date_and_says_how_sure_it_is():
    events = by_id(read())
    assert {k: v for k, v in events["event/acled-xld1001"].items() if k.startswith("date")} == {"date": "2025-04-24"}
    week = events["event/acled-xld1002"]
    assert (week["date"], week["date_uncertain"]) == ("2025-04-20", True)
    assert week["date_note"] == "ACLED gives this date to within about a week of 2025-04-20 (time_precision 2)."
    month = events["event/acled-xld1003"]
    assert (month["date"], month["date_precision"], month["date_uncertain"]) == ("2025-03", "month", True)
    assert month["date_note"] == "ACLED gives this date to within about a month of 2025-03-15 (time_precision 3)."


def test_a_file_without_time_precision_gives_days(tmp_path):
    header = HEADER.replace("time_precision,", "")
    path = csv_file(tmp_path, ROW.replace(",1,Battles", ",Battles"), header=header)
    event = by_id(read(path))["event/acled-xld1"]
    assert event["date"] == "2025-04-24" and "date_uncertain" not in event


def test_the_sides_and_their_associates_are_links_of_their_own():
    document = read()
    assert links_of(document, "event/acled-xld1004") == {
        ("first-side", "actor/acled-military-forces-of-xland-2020-caeddf35"),
        ("first-side-associate", "actor/acled-police-forces-of-xland-2020-31615186"),
        ("second-side", "actor/acled-northern-liberation-front-fde61403"),
        ("located-in", "place/acled-xland--norden--upper-vale--carval-0452e9d2"),
    }
    assert links_of(document, "event/acled-xld1002") == {
        ("first-side", "actor/acled-protesters-xland-f73f7cba"),
        ("first-side-associate", "actor/acled-students-xland-52266457"),  # "Students (Xland); Teachers (Xland)"
        ("first-side-associate", "actor/acled-teachers-xland-fd1815f0"),
        ("located-in", "place/acled-xland--suden--lower-vale--tarsk-70e6459f"),
    }
    assert ("second-side-associate", "actor/acled-farmers-xland-448a50fb") in links_of(document, "event/acled-xld1003")
    link = next(k for k in document["links"] if k["target"] == "actor/acled-teachers-xland-fd1815f0")
    assert link["citations"][0]["quote"] == "assoc_actor_1: Students (Xland); Teachers (Xland)"
    assert "relations" not in document  # the standard ones, which every database holds
    assert {k["relation"] for k in document["links"]} <= {r["name"] for r in standard_relations()}


def test_inter_codes_and_words_are_the_actors_kinds():
    entities = by_id(read())
    kinds = {e["name"]: e.get("kind") for e in entities.values() if e["type"] == "actor"}
    assert kinds == {
        "Military Forces of Xland (2020-)": "State forces",  # inter1 1
        "Northern Liberation Front": "Rebel groups",  # inter2 2, and "Rebel group" in words
        "Protesters (Xland)": "Protesters",  # inter1 "Protesters"
        "Civilians (Xland)": "Civilians",
        "Students (Xland)": None, "Teachers (Xland)": None, "Farmers (Xland)": None,  # associates: no code
        "Police Forces of Xland (2020-)": None,
    }


def test_places_are_keyed_by_country_admin1_admin2_and_location():
    places = {e["id"]: e for e in read()["entities"] if e["type"] == "place"}
    assert sorted(places) == [
        "place/acled-xland--norden--upper-vale--arval-7146ff09",
        "place/acled-xland--norden--upper-vale--carval-0452e9d2",  # Çarval
        "place/acled-xland--norden--upper-vale--tarsk-80b21b14",
        "place/acled-xland--suden--lower-vale--tarsk-70e6459f",  # another Tarsk, in another province
    ]
    assert places["place/acled-xland--suden--lower-vale--tarsk-70e6459f"] == {
        "id": "place/acled-xland--suden--lower-vale--tarsk-70e6459f", "type": "place", "name": "Tarsk",
        "attributes": {"country": "Xland", "admin1": "Suden", "admin2": "Lower Vale", "location": "Tarsk"},
        "citations": [{"source": "acled/acled-xland-2025/xld1002-1745900100", "quote": "location: Tarsk"}]}


@given(st.text(max_size=40))
def test_a_key_id_is_an_id_that_reads_as_its_words(text):
    ref = key_id(text)
    assert re.fullmatch(REF_PATTERN, f"actor/acled-{ref}")
    words = ref[:-KEY_HASH - 1]
    assert "--" not in words and not words.startswith("-")
    assert ref.endswith("-" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:KEY_HASH])


@given(st.lists(st.text(max_size=12), min_size=2, max_size=2, unique=True))
def test_two_texts_never_give_one_key(texts):
    assert key_id(texts[0]) != key_id(texts[1])


@given(st.lists(st.text(max_size=12), min_size=4, max_size=4), st.lists(st.text(max_size=12), min_size=4, max_size=4))
def test_two_place_keys_are_one_id_only_if_every_part_is_the_same(first, second):
    assert (key_id(*first) == key_id(*second)) == (first == second)


def test_a_key_reads_as_the_name():
    assert key_id("Military Forces of Xland (2020-)") == "military-forces-of-xland-2020-caeddf35"
    assert key_id("Çarval").startswith("carval-") and key_id("Carval").startswith("carval-")
    assert key_id("Xland", "Norden", "", "Tarsk").startswith("xland--norden----tarsk-")


def test_names_that_differ_in_one_character_are_two_entities():
    names = ["Tarsk", "tarsk", "TARSK", "Tarsk ", "Ta rsk", "Ta  rsk", "Arval", "Çarval", "Ärval", "McAllen",
             "Mcallen", "al-Shabaab", "Al Shabaab", "Al-Shabaab", "Forces (2020-)", "Forces (2020)"]
    assert len({key_id(name) for name in names}) == len(names)


def test_two_files_give_a_shared_actor_and_place_the_same_id_and_core_fields(tmp_path):
    first = csv_file(tmp_path, ROW, name="north.csv")
    second = csv_file(tmp_path, ROW.replace("XLD1,2025-04-24", "XLD2,2025-04-28")
                      .replace("Shots were fired", "A patrol was ambushed"), name="north-later.csv")
    one, two = by_id(read(first)), by_id(read(second))
    for ref in ("actor/acled-army-of-xland-de6f7572", "actor/acled-front-dd19f988",
                "place/acled-xland--norden----tarsk-3300ec53"):
        assert {k: v for k, v in one[ref].items() if k != "citations"} == \
               {k: v for k, v in two[ref].items() if k != "citations"}
        assert one[ref]["citations"][0]["source"] != two[ref]["citations"][0]["source"]
    assert read(first)["pack"]["id"] == "acled-north" and read(second)["pack"]["id"] == "acled-north-later"


def test_an_import_shows_the_sides_kinds_and_dates(tmp_path):
    db = tmp_path / "x.db"
    report = import_packs([XLAND], db)
    assert report.added["entities"] == 16 and report.added["links"] == 15
    kb = KnowledgeBase("sqlite:///" + str(db))
    try:
        attack = kb.detail("event/acled-xld1003")
        assert attack.row.date == "2025-03" and attack.row.date_precision == "month" and attack.row.date_uncertain
        assert attack.attributes["fatalities"] == 1 and [p.id for p in attack.packs] == ["acled-xland-2025"]
        assert {(k.relation, k.other.name) for k in attack.links_out} == {
            ("first-side", "Northern Liberation Front"), ("second-side", "Civilians (Xland)"),
            ("second-side-associate", "Farmers (Xland)"), ("located-in", "Arval")}
        front = kb.detail("actor/acled-northern-liberation-front-fde61403")
        assert front.row.kind == "Rebel groups"
        assert {k.other.ref for k in front.links_in} == {"event/acled-xld1001", "event/acled-xld1003",
                                                        "event/acled-xld1004"}
    finally:
        kb.close()


def test_a_second_file_that_shares_actors_and_places_merges_into_them(tmp_path):
    """Each file is a pack; the second restates the actors and the place the first gave, citing
    its own row, and the database holds each once, cited to both files."""
    first = csv_file(tmp_path, ROW, name="north.csv")
    second = csv_file(tmp_path, ROW.replace("XLD1,2025-04-24", "XLD2,2025-04-28")
                      .replace("Shots were fired", "A patrol was ambushed").replace("1745900000", "1745990000"),
                      name="north-later.csv")
    db = tmp_path / "x.db"
    import_packs([first], db)
    import_packs([second], db)
    kb = KnowledgeBase("sqlite:///" + str(db))
    try:
        for ref in ("actor/acled-army-of-xland-de6f7572", "place/acled-xland--norden----tarsk-3300ec53"):
            shared = kb.detail(ref)
            assert {c.source_id for c in shared.citations} == {"acled/acled-north/xld1-1745900000",
                                                               "acled/acled-north-later/xld2-1745990000"}
            assert {k.other.ref for k in shared.links_in} == {"event/acled-xld1", "event/acled-xld2"}
        actors = kb.search("Army of Xland", entity_type="actor")
        assert [hit.row.ref for hit in actors] == ["actor/acled-army-of-xland-de6f7572"]
    finally:
        kb.close()


def test_the_key_examples_in_docs_acled_md_are_what_key_id_writes():
    table = (REPO / "docs" / "acled.md").read_text(encoding="utf-8").split("| Text | `key_id` |")[1].split("\n\n")[0]
    rows = re.findall(r"^\| (.+?) \| `([^`]+)` \|$", table, re.MULTILINE)
    assert len(rows) == 4
    for texts, written in rows:
        assert key_id(*re.findall(r"`([^`]*)`", texts)) == written
