"""The standard vocabulary: published in docs/relations.md, used by the bundled pack and ACLED."""

from pathlib import Path

from crisis_tui.seed.vocabulary import relations_markdown, standard_relations

ROOT = Path(__file__).resolve().parent.parent


def test_docs_relations_md_is_the_standard_vocabulary_as_generated():
    published = (ROOT / "docs" / "relations.md").read_text(encoding="utf-8")
    assert published == relations_markdown(), (
        "docs/relations.md is out of date: python -m crisis_tui.seed.vocabulary > docs/relations.md")


def test_every_standard_relation_is_a_row_of_the_published_table():
    published = (ROOT / "docs" / "relations.md").read_text(encoding="utf-8")
    names = [r["name"] for r in standard_relations()]
    assert len(names) == len(set(names)) > 10
    for name in names:
        assert f"| `{name}` |" in published
