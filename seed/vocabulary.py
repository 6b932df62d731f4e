"""The standard link vocabulary (seed/vocabulary.yaml): relations every database holds, which
any pack may use without defining them; the bundled pack and the ACLED mapping use it.

`python -m crisis_tui.seed.vocabulary` writes docs/relations.md from it (a test keeps the two alike).
"""

from __future__ import annotations

import sys
from functools import cache
from importlib import resources
from typing import Any

import yaml


@cache
def _definitions() -> tuple[dict[str, Any], ...]:
    text = (resources.files(__package__) / "vocabulary.yaml").read_text(encoding="utf-8")
    return tuple(yaml.safe_load(text)["relations"])


def standard_relations(names: tuple[str, ...] | None = None) -> list[dict[str, Any]]:
    """The standard definitions of the relations `names` (all of them if None), as pack records."""
    defined = {relation["name"]: relation for relation in _definitions()}
    return [dict(defined[name]) for name in (names if names is not None else defined)]


def _cell(value: str) -> str:
    return value.replace("|", "\\|")


def relations_markdown() -> str:
    """docs/relations.md: the standard vocabulary as a table a pack author reads."""
    lines = [
        "# The standard relations",
        "",
        "<!-- Generated from seed/vocabulary.yaml by `python -m crisis_tui.seed.vocabulary`; do not edit. -->",
        "",
        "Every crisis-tui database holds these relations, and a pack may use them in its links",
        "without defining them. A link reads `source <label> target`, and from its target",
        "`target <inverse> source`. *Joins* lists the entities a link's source and target may be",
        "(`type` or `type/kind`; an empty side: any entity). A pack that defines a relation of the",
        "same name keeps its own wording (see docs/pack-format.md, \"Relations\").",
        "",
        "| Name | Label | Inverse | Joins | Meaning |",
        "|---|---|---|---|---|",
    ]
    for r in standard_relations():
        joins = f"{', '.join(r.get('source_types', [])) or 'any'} → {', '.join(r.get('target_types', [])) or 'any'}"
        lines.append(f"| `{r['name']}` | {_cell(r['label'])} | {_cell(r['inverse'])} | {_cell(joins)} "
                     f"| {_cell(r.get('description', ''))} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(relations_markdown())
