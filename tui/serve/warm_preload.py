"""Imported once by the forkserver (warm.py) before any session: what every explorer imports.

Importing it has no other effect: the forkserver's environment, which Textual reads its
TEXTUAL_* settings from as it is imported, is set where the forkserver is started
(`Forkserver.warm`).
"""

import sqlite3  # noqa: F401

from ...db import queries, state  # noqa: F401
from .. import app, cli, keymap  # noqa: F401
from ..screens import main  # noqa: F401
