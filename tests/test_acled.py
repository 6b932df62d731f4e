"""ACLED export CSV as a pack (docs/acled.md): every column kept and typed, dates at ACLED's
precision, the two sides and their associates as links, places by their whole key, ids that
keep every character, and each file a pack of its own."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crisis_tui.db.constants import REF_PATTERN
from crisis_tui.db.errors import PackError
from crisis_tui.db.queries import KnowledgeBase
from crisis_tui.seed.acled import KEY_HASH, MAX_ROW, iter_acled, key_id, read_acled
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


# Read as a stream (issue #14): a row at a time, memory growing only with distinct ids


def stream(path: Path) -> list[tuple[str, str, int | None]]:
    """What iter_acled yields, as (key, the record's id or the value's kind, line)."""
    def label(key: str, value) -> str:
        if key == "links":
            return f"{value['source']} {value['relation']} {value['target']}"
        return value["id"] if isinstance(value, dict) else repr(value)
    return [(key, label(key, value), line) for key, value, line in iter_acled(path)]


def stream_refusal(path: Path) -> str:
    with pytest.raises(PackError) as caught:
        list(iter_acled(path))
    return str(caught.value)


def test_the_stream_gathered_is_the_document():
    gathered: dict = {"sources": [], "entities": [], "links": []}
    for key, value, _ in iter_acled(XLAND):
        if key in gathered:
            gathered[key].append(value)
        else:
            gathered[key] = value
    assert gathered == read()
    assert [key for key, _, _ in iter_acled(XLAND)][:2] == ["schema_version", "pack"]


def test_each_row_comes_out_as_it_is_read_and_a_kindless_actor_waits_for_its_kind(tmp_path):
    """An associate has no kind; it is held until a row names it as a side with a type (it comes
    out then, citing its first row, with that row's line) or the file ends."""
    header = HEADER.replace("inter1,", "inter1,assoc_actor_1,")
    first = ROW.replace(",1,Front", ",1,Police,Front")
    second = (ROW.replace("XLD1,", "XLD2,").replace("Army of Xland,1,", "Police,1,")
              .replace("1745900000", "1745900001"))
    third = (ROW.replace("XLD1,", "XLD3,").replace("Army of Xland,1,Front,2", "Army of Xland,1,Militia,0")
             .replace("1745900000", "1745900002"))
    second, third = second.replace(",1,Front", ",1,,Front"), third.replace(",1,Militia", ",1,,Militia")
    path = csv_file(tmp_path, first, second, third, header=header)
    event, place = "event/acled-xld", "place/acled-xland--norden----tarsk-3300ec53"
    army, front = "actor/acled-army-of-xland-de6f7572", "actor/acled-front-dd19f988"
    police, militia = f"actor/acled-{key_id('Police')}", f"actor/acled-{key_id('Militia')}"
    assert stream(path) == [
        ("schema_version", "1", None), ("pack", "acled-events", None),
        ("sources", "acled/acled-events/xld1-1745900000", 2), ("entities", f"{event}1", 2), ("entities", place, 2),
        ("links", f"{event}1 located-in {place}", 2),
        ("entities", army, 2), ("links", f"{event}1 first-side {army}", 2),
        ("entities", front, 2), ("links", f"{event}1 second-side {front}", 2),
        ("links", f"{event}1 first-side-associate {police}", 2),  # Police, no kind yet: held
        ("sources", "acled/acled-events/xld2-1745900001", 3), ("entities", f"{event}2", 3),
        ("links", f"{event}2 located-in {place}", 3),
        ("entities", police, 2),  # its kind now known: out, with the line it was first cited on
        ("links", f"{event}2 first-side {police}", 3), ("links", f"{event}2 second-side {front}", 3),
        ("sources", "acled/acled-events/xld3-1745900002", 4), ("entities", f"{event}3", 4),
        ("links", f"{event}3 located-in {place}", 4), ("links", f"{event}3 first-side {army}", 4),
        ("links", f"{event}3 second-side {militia}", 4),  # inter2 0: no kind
        ("entities", militia, 4),  # no row gave it a kind: out at the end
    ]
    actors = {value["id"]: value for key, value, _ in iter_acled(path) if key == "entities"}
    assert actors[police]["kind"] == "State forces"
    assert actors[police]["citations"] == [{"source": "acled/acled-events/xld1-1745900000",
                                            "quote": "assoc_actor_1: Police"}]
    assert actors[militia]["kind"] is None


def test_a_file_is_read_lazily_up_to_its_first_problem(tmp_path):
    rows = [ROW.replace("XLD1,", f"XLD{n},") for n in range(1, 2000)]
    rows[2] = rows[2].replace(",0,1745900000", ",many,1745900000")  # line 4
    records = iter_acled(csv_file(tmp_path, *rows))
    read_so_far = []
    with pytest.raises(PackError) as caught:
        for key, _, line in records:
            read_so_far.append((key, line))
    assert str(caught.value) == f"{tmp_path / 'events.csv'}:4: column 'fatalities': 'many' is not a whole number"
    assert read_so_far[:3] == [("schema_version", None), ("pack", None), ("sources", 2)]
    assert {line for _, line in read_so_far} == {None, 2, 3}  # rows 1 and 2 came out before row 3 was read


def test_memory_stays_flat_however_many_rows(tmp_path):
    """50,000 rows of 400 bytes: the stream holds the event codes and the distinct actors and
    places; a whole document of them (the rows' texts, ~1 KB each, and their records) would
    take hundreds of megabytes."""
    path = tmp_path / "big.csv"
    note = "Shots were fired at the post and the patrol returned fire before dawn. " * 4
    with path.open("w", encoding="utf-8") as out:
        out.write(HEADER + "\n")
        for n in range(50_000):
            out.write(f"XLD{n},2025-04-24,1,Battles,Armed clash,Army {n % 500},1,Front {n % 700},2,Xland,Norden,"
                      f"Town {n % 3000},33.7,74.1,Daily,{note}{n},0,{1745900000 + n}\n")
    script = textwrap.dedent(f"""
        from pathlib import Path
        from crisis_tui.seed.acled import iter_acled

        def kb(field):  # this process's resident memory now (VmRSS) or at its peak (VmHWM)
            status = Path("/proc/self/status").read_text().splitlines()
            return next(int(line.split()[1]) for line in status if line.startswith(field + ":"))

        before = kb("VmRSS")
        count = sum(1 for _ in iter_acled(Path({str(path)!r})))
        print(count, (kb("VmHWM") - before) // 1024)
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    records, grown_mb = map(int, out.split())
    assert records == 2 + 50_000 * 5 + 500 + 700 + 3000  # a source, an event, 3 links a row
    assert grown_mb < 40, f"{grown_mb} MB for a {path.stat().st_size // 2**20} MB file"


def test_bytes_that_are_not_utf8_refuse_the_file_naming_their_line(tmp_path):
    path = csv_file(tmp_path, ROW, ROW.replace("XLD1,", "XLD2,"), ROW.replace("XLD1,", "XLD3,"))
    path.write_bytes(path.read_bytes().replace(b"XLD3,2025-04-24,1,Battles,Armed clash,Army",
                                               b"XLD3,2025-04-24,1,Battles,Armed clash,\xc7army"))
    assert stream_refusal(path) == f"{path}:4: not valid UTF-8 (byte 0xc7); save the file as UTF-8"
    latin1 = csv_file(tmp_path, ROW.replace("Tarsk", "\u00c7arval"), name="latin1.csv")
    latin1.write_bytes(latin1.read_text(encoding="utf-8").encode("latin-1"))
    assert stream_refusal(latin1) == f"{latin1}:2: not valid UTF-8 (byte 0xc7); save the file as UTF-8"


def test_a_nul_byte_refuses_the_file_as_binary(tmp_path):
    path = csv_file(tmp_path, ROW, ROW.replace("XLD1,", "XLD2,").replace("Shots", "Sh\x00ots"))
    assert stream_refusal(path) == f"{path}:3: this is a binary file (a NUL byte), not CSV"
    utf16 = tmp_path / "utf16.csv"
    utf16.write_bytes("\n".join([HEADER, ROW]).encode("utf-16"))
    assert stream_refusal(utf16) == (f"{utf16}: the file is UTF-16 (it starts with a UTF-16 byte-order mark); "
                                     "save it as UTF-8")


def test_a_utf8_byte_order_mark_is_skipped(tmp_path):
    path = csv_file(tmp_path, ROW)
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert stream(path)[2:4] == [("sources", "acled/acled-events/xld1-1745900000", 2),
                                 ("entities", "event/acled-xld1", 2)]


def test_an_empty_file_a_header_alone_and_blank_lines_are_refused(tmp_path):
    for text, problem in (("", "the file is empty"), ("\n \n\t\r\n", "the file is empty"),
                          (HEADER + "\n\n , ,\n", "no data rows")):
        path = tmp_path / "events.csv"
        path.write_text(text, encoding="utf-8")
        assert stream_refusal(path) == f"{path}: {problem}"
    path.write_text("\n" + HEADER + "\n" + ROW + "\n", encoding="utf-8")
    assert stream_refusal(path).startswith(f"{path}:1: missing columns event_id_cnty, event_date")


def test_a_row_longer_than_the_limit_is_refused_without_reading_it_whole(tmp_path):
    path = csv_file(tmp_path, ROW, ROW.replace("XLD1,", "XLD2,").replace("Shots", '"' + "x" * MAX_ROW))
    assert stream_refusal(path) == f"{path}:3: a row of more than {MAX_ROW:,} characters"


def test_a_pipe_or_a_folder_is_never_read(tmp_path):
    fifo = tmp_path / "events.csv"
    os.mkfifo(fifo)  # no writer: opening it to read would wait for ever
    assert stream_refusal(fifo) == f"{fifo}: is not a regular file (a pipe, socket or device)"
    assert stream_refusal(tmp_path) == f"{tmp_path}: is a folder, not a file"
    missing = tmp_path / "missing.csv"
    assert stream_refusal(missing) == f"{missing}: cannot read: No such file or directory"
