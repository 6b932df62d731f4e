"""The bundled crisis pack: every record cited, every quote verbatim in its source, nothing lost."""

from __future__ import annotations

import hashlib
import json

from crisis_tui.db.build import source_texts
from crisis_tui.seed.loader import bundled_pack_path

# The pack's own copies of its sources, as they were when checked byte for byte against the
# originals they were taken from: any change to them shows here, with nothing needed beside the repo.
SOURCE_DIGESTS = {
    "article.txt": "1107b4136cd5b6f1830b7f7e34b1c583b7c810e55b679dd38595506a1f1f0684",
    "fact-sheet.md": "55dd17a1c0572e90375a7680ac886da77accbf630a431ab3df563b8f11c984de",
}


def test_bundled_source_texts_are_the_checked_originals(bundled_pack):
    folder = bundled_pack_path() / "sources"
    assert sorted(p.name for p in folder.iterdir()) == sorted(SOURCE_DIGESTS)
    for name, digest in SOURCE_DIGESTS.items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, name
    loaded = {s.id: s.text for s in bundled_pack.sources}
    assert loaded["article"] == (folder / "article.txt").read_text(encoding="utf-8")
    assert loaded["fact-sheet"] == (folder / "fact-sheet.md").read_text(encoding="utf-8")


def test_every_record_is_cited_and_every_quote_occurs(bundled_pack):
    texts = source_texts(bundled_pack.sources)
    records = [*bundled_pack.entities, *bundled_pack.links, *bundled_pack.positions]
    records += [note for e in bundled_pack.entities for note in e.notes]
    assert len(records) > 150
    for record in records:
        assert record.citations, record
        for citation in record.citations:
            assert citation.quote in texts[citation.source], (record, citation.quote)


def test_every_fact_sheet_address_is_a_source(bundled_pack):
    sheet = (bundled_pack_path() / "sources" / "fact-sheet.md").read_text()
    addresses = {s.address for s in bundled_pack.sources if s.address}
    for address in addresses:
        assert address in sheet
    cited = {c.source for e in bundled_pack.entities for c in e.citations}
    cited |= {c.source for k in bundled_pack.links for c in k.citations}
    assert {s.id for s in bundled_pack.sources if s.address} <= cited | {
        c.source for p in bundled_pack.positions for c in p.citations
    } | {c.source for e in bundled_pack.entities for n in e.notes for c in n.citations}


def test_article_actors_and_agreements_are_present(kb):
    for name in ["India", "Pakistan", "Russia", "Soviet Union", "Sergei Lavrov", "Ishaq Dar", "S. Jaishankar",
                 "Mohammad Khalid Jamali", "Simla Agreement", "Lahore Declaration", "Tashkent negotiations",
                 "Pahalgam attack", "Pulwama attack", "Line of Control", "Kashmir conflict"]:
        assert kb.resolve(name), name


def test_fact_sheet_uncertain_items_are_marked(kb):
    for ref in ("event/lavrov-dar-call-2025", "event/lavrov-jaishankar-call-2025"):
        assert kb.row(ref).date_uncertain
    simla = kb.detail("agreement/simla-1972")
    assert any("venue" in n.text for n in simla.notes)


def test_export_has_the_documented_shape_and_cites_everything(kb):
    doc = kb.export()
    assert doc["schema_version"] == 2
    for entity in doc["entities"]:
        assert {"id", "type", "name", "citations"} <= entity.keys()
        assert entity["citations"] and all({"source", "quote"} <= c.keys() for c in entity["citations"])
    for link in doc["links"]:
        assert {"source", "relation", "target"} <= link.keys() and link["citations"]
    assert json.dumps(doc)


# --- the audit's corrections (issue "Every claim stands on its own citation") -------------

def _links(kb, ref, outgoing=True):
    detail = kb.detail(ref)
    return {(k.relation, k.other.ref): k for k in (detail.links_out if outgoing else detail.links_in)}


def test_the_audits_corrections_hold(kb):
    # Pahalgam was the bloodiest strike *since* Pulwama: a comparison, not a precedent
    assert ("compared-with", "event/pulwama-attack-2019") in _links(kb, "event/pahalgam-attack-2025")
    assert not any(r == "precedent-of" for r, _ in _links(kb, "event/pulwama-attack-2019"))
    assert "until 2025" not in kb.detail("event/pulwama-attack-2019").summary.lower()
    # the Dar call invoked no agreement (the fact sheet ties Simla and Lahore to the Jaishankar call)
    assert not any(r == "invokes" for r, _ in _links(kb, "event/lavrov-dar-call-2025"))
    assert ("invokes", "agreement/simla-1972") in _links(kb, "event/lavrov-jaishankar-call-2025")
    # the appeal's 4 May is the interview's publication: the approach is dated to the month, uncertain
    appeal = kb.detail("event/pakistan-appeal-to-russia-2025")
    assert (appeal.row.date, appeal.row.date_precision, appeal.row.date_uncertain) == ("2025-05", "month", True)
    assert appeal.date_note and "4 May" in appeal.date_note
    # the LoC firing's last report is not its end
    assert kb.detail("event/loc-firing-2025").date_end is None
    # part-of links cite each event's own row, not the fact sheet's title
    for ref in ("event/india-revokes-visas-2025", "event/operation-sindoor-2025",
                "event/operation-bunyan-um-marsoos-2025"):
        link = _links(kb, ref)[("part-of", "event/crisis-2025")]
        assert all("crisis and its precedents" not in c.quote for c in link.citations), ref
    # the state is not a site: Sindoor targeted no state
    assert not any(r == "targeted" for r, _ in _links(kb, "event/operation-sindoor-2025"))
    # India and Pakistan are parties to the Tashkent Declaration and the Indus Waters Treaty
    for agreement in ("agreement/tashkent-declaration-1966", "agreement/indus-waters-treaty-1960"):
        parties = {ref for r, ref in _links(kb, agreement) if r == "party"}
        assert {"actor/india", "actor/pakistan"} <= parties, agreement


def test_the_article_says_the_agreements_promote_what_the_summaries_attribute_to_it(kb):
    for ref in ("agreement/simla-1972", "agreement/lahore-declaration-1999"):
        assert "article" in kb.detail(ref).summary.lower(), ref
