"""Imported once by the forkserver (warm.py) before any session: what every explorer imports.

Textual reads its TEXTUAL_* settings as it is imported: they are made here what a session's
own explorer would have (none of the server's; TEXTUAL_FPS as tui/cli.py sets it), since
every forked session shares this import.
"""

import os

for _name in [name for name in os.environ if name.startswith("TEXTUAL") or name == "ESCDELAY"]:
    del os.environ[_name]
os.environ["TEXTUAL_FPS"] = "1000"

import sqlite3  # noqa: E402, F401

from ...db import queries, state  # noqa: E402, F401
from .. import app, cli, keymap  # noqa: E402, F401
from ..screens import main  # noqa: E402, F401
