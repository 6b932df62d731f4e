"""The entity each database was last left on, so that the explorer starts there again.

Kept in the user's state folder (`last-viewed.json`: database -> entity id, the most recent
LIMIT databases). A convenience: a file that cannot be read or written is ignored, and an
id no longer in the database is not used.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from ..db.location import APP_NAME

LIMIT = 50  # databases remembered
MAX_BYTES = 1 << 20  # a state file larger than this is not ours to read


def state_file() -> Path:
    from platformdirs import user_state_path

    return user_state_path(APP_NAME, appauthor=False) / "last-viewed.json"


def _read(path: Path) -> dict[str, str]:
    try:
        if path.stat().st_size > MAX_BYTES:
            return {}
        found = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(found, dict):
        return {}
    return {k: v for k, v in found.items() if isinstance(k, str) and isinstance(v, str)}


def last_viewed(database: str) -> str | None:
    """The id of the entity `database` (its URL) was last left on, if remembered."""
    return _read(state_file()).get(database)


def remember(database: str, ref: str | None) -> None:
    """Remember `ref` as the entity `database` was left on (written whole or not at all)."""
    if not ref:
        return
    path = state_file()
    known = _read(path)
    known.pop(database, None)
    known[database] = ref  # the most recent last, so that the oldest go first
    kept = dict(list(known.items())[-LIMIT:])
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".last-viewed.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(kept, out, ensure_ascii=False)
        os.replace(tmp, path)
    except OSError:
        try:
            Path(tmp).unlink(missing_ok=True)
        except (OSError, UnboundLocalError):
            pass
