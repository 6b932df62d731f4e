"""One pack record as the import handles it: validated, its canonical text, and back.

`validate` checks a record as read from a file (or exported from a database); `body` is what it
says as compact JSON (without its pack, which is kept beside it), `digest` tells two records
that say the same thing apart from any other, and `decode` makes the record again from its
body. The import stages millions of them this way (`seed.staging`).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from ..db.pack import PACK_INPUT, SECTIONS


def validate(section: str, item: Any, pack_input: bool = True) -> tuple[Any, bool]:
    """The record `item` of `section`, validated, and whether it named its pack (even as null);
    pydantic.ValidationError where it is refused."""
    model = SECTIONS[section].model_validate(item, context=PACK_INPUT if pack_input else None)
    return model, "pack" in model.model_fields_set


def _canonical(record: Any) -> dict[str, Any]:
    return record.model_dump(mode="json", exclude_defaults=True, exclude={"text_file", "pack"})


def body(record: Any) -> bytes:
    """What `record` says, as JSON: its fields but its pack, those at their default left out."""
    return json.dumps(_canonical(record), ensure_ascii=False, separators=(",", ":")).encode()


def digest(record: Any) -> bytes:
    """16 bytes, the same for two records exactly when they say the same thing."""
    text = json.dumps(_canonical(record), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.blake2b(text.encode(), digest_size=16).digest()


def decode(section: str, text: bytes, pack: str | None) -> Any:
    """The record of `section` whose body is `text`, of `pack`."""
    record: Any = SECTIONS[section].model_validate_json(text)
    record.pack = pack
    return record


def replace(record: Any, **changes: Any) -> Any:
    """A copy of `record` with `changes`."""
    return record.model_copy(update=changes)


def as_dict(text: bytes) -> dict[str, Any]:
    """A body as a dict (to compare two versions of a record field by field)."""
    return json.loads(text)
