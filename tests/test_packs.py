"""Many crises in one database: every record of the pack(s) stating it, packs that merge
cleanly (issue #13), `packs`, `export --pack`, and a round trip with three packs loaded."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import yaml

from crisis_tui.db.queries import KnowledgeBase

from .conftest import CLI, REPO

BERLIN = REPO / "tests" / "data" / "packs" / "berlin-1961.yaml"
ACLED = REPO / "tests" / "data" / "acled-sample.csv"


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=120)


def write(path: Path, document: dict) -> Path:
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def kb_of(db: Path) -> KnowledgeBase:
    return KnowledgeBase(f"sqlite:///{db}")


def test_another_crisis_imports_beside_the_bundled_one_and_adds_to_a_shared_actor(db_copy):
    result = run("--db", str(db_copy), "import", str(BERLIN))
    assert result.returncode == 0, result.stderr
    kb = kb_of(db_copy)
    try:
        soviet = kb.detail("actor/soviet-union")
        assert [p.id for p in soviet.packs] == ["india-pakistan-2025", "berlin-1961"]
        assert soviet.summary.startswith("Instrumental in bringing an end to hostilities")  # the bundled pack's stays
        assert [(s.pack, s.fields) for s in soviet.statements] == [
            ("berlin-1961", {"summary": "Backed the closing of the border in Berlin in 1961."})]
        assert "Soviet state" in soviet.aliases and "USSR" in soviet.aliases
        assert {c.pack for c in soviet.citations} == {"india-pakistan-2025", "berlin-1961"}
        assert kb.detail("actor/soviet-union", pack="berlin-1961").summary.startswith("Backed the closing")
        # links of each crisis, each read as its pack words its relation
        berlin_links = kb.detail("actor/soviet-union", pack="berlin-1961").links_out
        assert [(k.label, k.other.ref, k.pack) for k in berlin_links] == [
            ("stood off against", "actor/united-states-berlin", "berlin-1961")]
        assert {k.pack for k in soviet.links_in} == {"india-pakistan-2025", "berlin-1961"}
        # panes of one crisis, or all
        assert kb.count("event", "berlin-1961") == 2
        assert kb.count("event") == kb.count("event", "india-pakistan-2025") + 2
        assert kb.count("actor", "berlin-1961") == 2  # its own United States and the shared Soviet Union
        assert [r.ref for r in kb.page("event", 0, 10, "berlin-1961")] == [
            "event/berlin-border-closed-1961", "event/checkpoint-charlie-1961"]
        assert kb.latest_pack().id == "india-pakistan-2025"
    finally:
        kb.close()
    shown = run("--db", str(db_copy), "show", "actor/soviet-union")
    assert "Crises: The 2025 India–Pakistan crisis after the Pahalgam attack; The Berlin crisis of 1961" in (
        shown.stdout)
    assert "[actor/united-states-berlin] (in berlin-1961)" in shown.stdout  # whose link it is
    assert "As The Berlin crisis of 1961 states it:" in shown.stdout
    as_json = json.loads(run("--db", str(db_copy), "show", "actor/soviet-union", "--json").stdout)
    assert [p["id"] for p in as_json["packs"]] == ["india-pakistan-2025", "berlin-1961"]


def test_replace_replaces_only_what_the_importing_pack_stated(db_copy, tmp_path):
    assert run("--db", str(db_copy), "import", str(BERLIN)).returncode == 0
    document = yaml.safe_load(BERLIN.read_text(encoding="utf-8"))
    soviet = next(e for e in document["entities"] if e["id"] == "actor/soviet-union")
    soviet["summary"] = "Backed the closing of the border in Berlin."
    document["links"] = document["links"][:2]  # no longer states the standoff
    changed = write(tmp_path / "berlin.yaml", document)
    refused = run("--db", str(db_copy), "import", str(changed))
    assert refused.returncode == 1 and "use --replace" in refused.stderr
    result = run("--db", str(db_copy), "import", "--replace", str(changed))
    assert result.returncode == 0, result.stderr
    assert "changed 1 entity" in result.stdout and "removed 1 link" in result.stdout
    kb = kb_of(db_copy)
    try:
        detail = kb.detail("actor/soviet-union")
        assert detail.summary.startswith("Instrumental in bringing")  # the bundled pack's, untouched
        assert detail.statements[0].fields == {"summary": "Backed the closing of the border in Berlin."}
        assert kb.detail("actor/soviet-union", pack="berlin-1961").links_out == ()
        assert kb.detail("agreement/simla-1972").row.name == "Simla Agreement"
    finally:
        kb.close()


def test_packs_lists_every_crisis_with_what_it_states(db_copy):
    assert run("--db", str(db_copy), "import", str(BERLIN)).returncode == 0
    listed = run("--db", str(db_copy), "packs")
    assert listed.returncode == 0
    lines = listed.stdout.splitlines()
    assert lines[0].startswith("india-pakistan-2025  The 2025 India–Pakistan crisis")
    assert lines[1] == ("berlin-1961  The Berlin crisis of 1961  (4 entities, 3 links, 0 positions, 1 sources, "
                        "latest 1961-10)")
    as_json = json.loads(run("--db", str(db_copy), "packs", "--json").stdout)
    assert [p["id"] for p in as_json] == ["india-pakistan-2025", "berlin-1961"]
    assert as_json[0]["entities"] == 70 and as_json[0]["positions"] == 11


def test_three_packs_round_trip_byte_identical(db_copy, tmp_path):
    assert run("--db", str(db_copy), "import", str(BERLIN)).returncode == 0
    assert run("--db", str(db_copy), "import", str(ACLED)).returncode == 0
    first = tmp_path / "first.json"
    assert run("--db", str(db_copy), "export", "-o", str(first)).returncode == 0
    document = json.loads(first.read_text(encoding="utf-8"))
    assert len(document["packs"]) >= 2 and "pack" not in document
    rebuilt = tmp_path / "rebuilt.db"
    assert run("--db", str(rebuilt), "build", "--pack", str(first)).returncode == 0
    second = tmp_path / "second.json"
    assert run("--db", str(rebuilt), "export", "-o", str(second)).returncode == 0
    assert second.read_bytes() == first.read_bytes()
    assert run("--db", str(rebuilt), "packs").stdout == run("--db", str(db_copy), "packs").stdout


def test_one_pack_exports_alone_and_imports_into_a_fresh_database(db_copy, tmp_path):
    assert run("--db", str(db_copy), "import", str(BERLIN)).returncode == 0
    out = tmp_path / "berlin.json"
    assert run("--db", str(db_copy), "export", "--pack", "berlin-1961", "-o", str(out)).returncode == 0
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["pack"]["id"] == "berlin-1961"
    assert {e["id"] for e in document["entities"]} == {
        "event/berlin-border-closed-1961", "event/checkpoint-charlie-1961", "actor/united-states-berlin",
        "actor/soviet-union"}
    assert [s["id"] for s in document["sources"]] == ["berlin-1961/notes"]
    fresh = tmp_path / "fresh.db"
    result = run("--db", str(fresh), "import", str(out))
    assert result.returncode == 0, result.stderr
    assert run("--db", str(fresh), "packs").stdout.startswith("berlin-1961  The Berlin crisis of 1961  (4 entities")
    missing = run("--db", str(db_copy), "export", "--pack", "cuba-1962")
    assert missing.returncode == 1
    assert "no pack 'cuba-1962' in the database (it holds: india-pakistan-2025, berlin-1961)" in missing.stderr


def _linking_pack(tmp_path: Path) -> Path:
    """A pack that links its event to the bundled pack's Soviet Union without stating it."""
    text = "In 1962 the Soviet Union placed missiles in Cuba."
    return write(tmp_path / "cuba.yaml", {
        "schema_version": 2, "pack": {"id": "cuba-1962", "title": "Cuba 1962"},
        "sources": [{"id": "cuba-1962/notes", "title": "Notes", "text": text}],
        "entities": [{"id": "event/cuba-missiles-1962", "type": "event", "name": "Missiles in Cuba", "date": "1962",
                      "citations": [{"source": "cuba-1962/notes", "quote": text}]}],
        "links": [{"source": "event/cuba-missiles-1962", "relation": "participant", "target": "actor/soviet-union",
                   "citations": [{"source": "cuba-1962/notes", "quote": "the Soviet Union placed missiles"}]}]})


def test_build_resolves_references_across_every_pack_given(tmp_path):
    cuba = _linking_pack(tmp_path)
    alone = run("--db", str(tmp_path / "alone.db"), "build", "--pack", str(cuba))
    assert alone.returncode == 1 and "field 'target': unknown id 'actor/soviet-union'" in alone.stderr
    both = tmp_path / "both.db"
    result = run("--db", str(both), "build", "--pack", str(REPO / "seed" / "packs" / "india-pakistan-2025"),
                 "--pack", str(cuba), "--pack", str(BERLIN))
    assert result.returncode == 0, result.stderr
    kb = kb_of(both)
    try:
        assert [p.id for p in kb.packs()] == ["india-pakistan-2025", "cuba-1962", "berlin-1961"]
        links = kb.detail("actor/soviet-union", pack="cuba-1962").links_in
        assert [(k.other.ref, k.pack) for k in links] == [("event/cuba-missiles-1962", "cuba-1962")]
    finally:
        kb.close()


def test_a_relation_worded_otherwise_is_kept_per_pack_but_one_read_the_other_way_is_refused(db_copy, tmp_path):
    document = yaml.safe_load(_linking_pack(tmp_path).read_text(encoding="utf-8"))
    document["relations"] = [{"name": "participant", "label": "involved", "inverse": "was involved in",
                              "description": "Who was involved."}]
    assert run("--db", str(db_copy), "import", str(write(tmp_path / "worded.yaml", document))).returncode == 0
    kb = kb_of(db_copy)
    try:
        links = kb.detail("actor/soviet-union", pack="cuba-1962").links_in
        assert [k.label for k in links] == ["was involved in"]  # its own wording
        bundled = kb.detail("event/pahalgam-attack-2025").links_out
        assert all(k.label == "participant" for k in bundled if k.relation == "participant")
    finally:
        kb.close()
    document["pack"] = {"id": "flipped", "title": "Flipped"}
    document["entities"][0]["id"] = "event/flipped-1962"
    document["links"][0]["source"] = "event/flipped-1962"
    document["relations"] = [{"name": "participant", "label": "took part in", "inverse": "participant"}]
    refused = run("--db", str(db_copy), "import", str(write(tmp_path / "flipped.yaml", document)))
    assert refused.returncode == 1
    assert "relation participant: means something else than relation 'participant'" in refused.stderr
    assert "give it a name of its own" in refused.stderr


def test_a_source_id_another_pack_has_is_refused_with_what_to_do(db_copy, tmp_path):
    document = yaml.safe_load(_linking_pack(tmp_path).read_text(encoding="utf-8"))
    document["sources"][0]["id"] = "article"
    for record in (*document["entities"], *document["links"]):
        record["citations"][0]["source"] = "article"
    refused = run("--db", str(db_copy), "import", str(write(tmp_path / "clash.yaml", document)))
    assert refused.returncode == 1
    assert "pack india-pakistan-2025 already has a source with this id" in refused.stderr
    assert "give this one an id of its own (e.g. cuba-1962/article)" in refused.stderr


def test_the_bundled_pack_uses_the_standard_vocabulary(kb):
    detail = kb.detail("event/pahalgam-attack-2025")
    assert detail.links_out and all(k.label for k in detail.links_out)
    pack = yaml.safe_load((REPO / "seed" / "packs" / "india-pakistan-2025" / "pack.yaml").read_text(encoding="utf-8"))
    assert "relations" not in pack  # it defines none: every relation it uses is a standard one


def test_an_edited_pack_imported_again_is_told_what_is_wrong_before_what_changed(db_copy, tmp_path):
    """What a newcomer met: a quote made wrong in a pack already imported was reported as a
    change needing --replace (both versions cut at the same place); now the quote's own problem
    comes first, every change is listed, and a change shows where it differs."""
    assert run("--db", str(db_copy), "import", str(BERLIN)).returncode == 0
    document = yaml.safe_load(BERLIN.read_text(encoding="utf-8"))
    entities = {e["id"]: e for e in document["entities"]}
    quote = entities["actor/united-states-berlin"]["citations"][0]
    quote["quote"] = quote["quote"].replace("sent tanks", "sent its tanks")  # no longer verbatim
    wrong = run("--db", str(db_copy), "import", str(write(tmp_path / "wrong.yaml", document)))
    assert wrong.returncode == 1
    assert wrong.stderr.splitlines()[0].endswith(
        "entity actor/united-states-berlin: field 'citations.0.quote': not found verbatim in source "
        "'berlin-1961/notes': 'The United States sent its tanks to Checkpoint Charlie in Oc'…")
    quote["quote"] = "The United States sent tanks to Checkpoint Charlie in October 1961."
    entities["event/berlin-border-closed-1961"]["name"] = "Berlin border closed in August"
    entities["event/checkpoint-charlie-1961"]["name"] = "Standoff at Checkpoint Charlie in October"
    changed = run("--db", str(db_copy), "import", str(write(tmp_path / "changed.yaml", document)))
    assert changed.returncode == 1
    lines = changed.stderr.splitlines()
    assert lines[0].endswith("entity event/berlin-border-closed-1961: differs from the version in the database "
                             "(field 'name': database has 'Berlin border closed', import has 'Berlin border closed "
                             "in August' (from character 21)); use --replace to take the imported version "
                             "(and 1 more problem)")
    assert "entity event/checkpoint-charlie-1961: differs" in lines[1]


def test_an_import_says_what_the_pack_no_longer_states_and_that_it_made_a_database(db_copy, tmp_path):
    assert run("--db", str(db_copy), "import", str(BERLIN)).returncode == 0
    document = yaml.safe_load(BERLIN.read_text(encoding="utf-8"))
    document["links"] = document["links"][:1]
    result = run("--db", str(db_copy), "import", str(write(tmp_path / "fewer.yaml", document)))
    assert result.returncode == 0
    assert "kept 2 links the pack no longer states (--replace removes them)" in result.stdout
    made = tmp_path / "new.db"
    result = run("--db", str(made), "import", str(BERLIN))
    assert result.returncode == 0 and made.exists()
    assert f"crisis-tui: made {made}, a new database holding only what was imported" in result.stderr


def test_an_unknown_relation_or_id_suggests_the_near_one(tmp_path):
    document = yaml.safe_load(BERLIN.read_text(encoding="utf-8"))
    document["links"][0]["relation"] = "participants"
    document["links"][1]["target"] = "actor/united-states-berln"
    result = run("--db", str(tmp_path / "x.db"), "build", "--pack", str(write(tmp_path / "near.yaml", document)))
    assert result.returncode == 1
    assert "unknown relation 'participants' (did you mean 'participant'?)" in result.stderr
    assert "unknown id 'actor/united-states-berln' (did you mean 'actor/united-states-berlin'?)" in result.stderr


def test_build_counts_in_words(tmp_path):
    result = run("--db", str(tmp_path / "b.db"), "build", "--pack", str(BERLIN))
    assert result.stdout.strip().endswith(": 1 source, 4 entities, 3 links, 0 positions, 7 citations")


# --- what a review found (tests/data/packs/review: small packs written for these tests) ------------------

REVIEW = REPO / "tests" / "data" / "packs" / "review"


def rebuilt_alike(db: Path, tmp_path: Path) -> bool:
    """Whether export -> build -> export gives the same bytes."""
    first, second, again = tmp_path / "first.json", tmp_path / "second.json", tmp_path / "again.db"
    assert run("--db", str(db), "export", "-o", str(first)).returncode == 0
    assert run("--db", str(again), "build", "--pack", str(first)).returncode == 0
    assert run("--db", str(again), "export", "-o", str(second)).returncode == 0
    return first.read_bytes() == second.read_bytes()


def test_importing_one_pack_s_export_with_replace_never_touches_the_packs_it_refers_to(db_copy, tmp_path):
    assert run("--db", str(db_copy), "import", str(REVIEW / "kx.yaml")).returncode == 0  # links to actor/pakistan
    out = tmp_path / "kx.json"
    assert run("--db", str(db_copy), "export", "--pack", "kx", "-o", str(out)).returncode == 0
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["pack"]["id"] == "kx" and [p["id"] for p in document["packs"]] == ["india-pakistan-2025"]
    before = run("--db", str(db_copy), "packs").stdout
    result = run("--db", str(db_copy), "import", "--replace", str(out))
    assert result.returncode == 0 and "removed" not in result.stdout, result.stdout
    assert run("--db", str(db_copy), "packs").stdout == before


def test_a_record_may_not_name_a_pack_its_document_does_not_give(db_copy):
    result = run("--db", str(db_copy), "import", str(REVIEW / "p1.yaml"), str(REVIEW / "p5.yaml"))
    assert result.returncode == 1
    assert "source p5/src: field 'pack': 'p1' is not a pack this document gives (in `pack:` or `packs:`)" in (
        result.stderr)


def test_a_pack_s_links_are_checked_against_its_own_statement_of_an_entity(tmp_path):
    """p2 says the council is a `city body`, p1 an `organisation`: p2's member-of link from it
    is refused whether or not p1 is there (it was accepted beside p1, refused alone)."""
    db = tmp_path / "j.db"
    assert run("--db", str(db), "import", str(REVIEW / "p1.yaml")).returncode == 0
    result = run("--db", str(db), "import", str(REVIEW / "p2m.yaml"))
    assert result.returncode == 1
    assert "relation 'member-of' joins a source of type actor/organisation or actor/armed group, not " \
           "actor/council (actor/city body)" in result.stderr


def test_records_of_no_pack_are_changed_with_replace(tmp_path):
    db = tmp_path / "n.db"
    assert run("--db", str(db), "import", str(REVIEW / "p1.yaml")).returncode == 0
    assert run("--db", str(db), "import", str(REVIEW / "nop.yaml")).returncode == 0
    refused = run("--db", str(db), "import", str(REVIEW / "nop2.yaml"))
    assert refused.returncode == 1 and "use --replace" in refused.stderr
    result = run("--db", str(db), "import", "--replace", str(REVIEW / "nop2.yaml"))
    assert result.returncode == 0 and "changed 1 entity" in result.stdout
    assert run("--db", str(db), "show", "event/tuesday").stdout.startswith("Tuesday session")
    assert rebuilt_alike(db, tmp_path)


def test_an_entity_first_stated_by_no_pack_keeps_its_own_fields_beside_a_pack_s(tmp_path):
    db = tmp_path / "v.db"
    for name in ("p1.yaml", "nop0.yaml", "p6.yaml"):
        assert run("--db", str(db), "import", str(REVIEW / name)).returncode == 0
    kb = kb_of(db)
    try:
        detail = kb.detail("event/tuesday")
        assert detail.row.name == "Tuesday meeting" and [p.id for p in detail.packs] == ["p6"]
        assert [(s.pack, s.fields["name"]) for s in detail.statements] == [("p6", "Tuesday talks")]
        as_p6 = kb.detail("event/tuesday", pack="p6")
        assert as_p6.row.name == "Tuesday talks"
        assert [(s.pack, s.fields["name"]) for s in as_p6.statements] == [("", "Tuesday meeting")]
    finally:
        kb.close()
    assert rebuilt_alike(db, tmp_path)


def test_a_source_another_pack_gives_alike_stays_when_the_first_pack_drops_it(tmp_path):
    db = tmp_path / "i.db"
    both = run("--db", str(db), "import", str(REVIEW / "p1.yaml"), str(REVIEW / "p2s.yaml"))
    assert both.returncode == 0 and "5 sources" in both.stdout  # p2 gives two of p1's sources alike
    result = run("--db", str(db), "import", "--replace", str(REVIEW / "p1c.yaml"))  # p1 no longer gives p1/page
    assert result.returncode == 0, result.stderr
    kb = kb_of(db)
    try:
        assert kb.source("p1/page") is not None  # p2 still gives it, and cites it
        assert {p.id: p.sources for p in kb.packs()} == {"p1": 1, "p2": 3}
    finally:
        kb.close()
    assert rebuilt_alike(db, tmp_path)


def test_what_another_pack_states_reads_as_words_not_python(tmp_path):
    db = tmp_path / "b.db"
    assert run("--db", str(db), "import", str(REVIEW / "p1.yaml"), str(REVIEW / "p2.yaml")).returncode == 0
    shown = run("--db", str(db), "show", "actor/council").stdout
    section = shown.split("As Pack two states it:")[1].split("\n\n")[0]
    assert "date uncertain: yes" in section and "attributes: members: 9" in section
    assert "None" not in section and "{" not in section and "True" not in section


def test_a_first_import_says_nothing_of_what_a_pack_no_longer_states(db_copy):
    result = run("--db", str(db_copy), "import", str(REVIEW / "p1.yaml"))
    assert result.returncode == 0 and "kept" not in result.stdout and "no longer" not in result.stdout


def test_many_attributes_come_after_the_summary_a_few_with_the_head(db_copy):
    """A newcomer's: an ACLED event's dozen fields came before what happened."""
    assert run("--db", str(db_copy), "import", str(ACLED)).returncode == 0
    event = run("--db", str(db_copy), "show", "event/acled-ind10001").stdout
    summary = event.index("troops exchanged small-arms fire across the line near Poonch")
    assert summary < event.index("event id cnty: IND10001")
    simla = run("--db", str(db_copy), "show", "agreement/simla-1972").stdout
    assert simla.index("signed at: Shimla") < simla.index("Signed in Shimla by Indira Gandhi")
