"""One pack record as the import handles it: validated, its canonical text, and back.

`validate` checks a record as read from a file (or exported from a database); `body` is what it
says as compact JSON (without its pack, which is kept beside it), `digest` tells two records
that say the same thing apart from any other, and `decode` makes the record again from its
body. The import stages millions of them this way (`seed.staging`); the records are
`db.fastpack`'s Structs, and pydantic's models word what is refused.
"""

from __future__ import annotations

import json
from typing import Any

import msgspec

from ..db.fastpack import body, decode, digest, validate

__all__ = ["as_dict", "body", "decode", "digest", "replace", "validate"]


def replace(record: Any, **changes: Any) -> Any:
    """A copy of `record` with `changes`."""
    return msgspec.structs.replace(record, **changes)


def as_dict(text: bytes) -> dict[str, Any]:
    """A body as a dict (to compare two versions of a record field by field)."""
    result: dict[str, Any] = json.loads(text)
    return result
