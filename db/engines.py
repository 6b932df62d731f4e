"""The knowledge base a URL names, on its engine: SQLite (embedded, the default) or PostgreSQL.

Only the engine a URL needs is imported: an explorer on SQLite never loads psycopg.
"""

from __future__ import annotations

from .location import is_postgres
from .queries import KnowledgeBase


def open_knowledge_base(url: str, readonly: bool = True) -> KnowledgeBase:
    """The query layer over the database at `url` (`sqlite:///PATH` or `postgresql://...`)."""
    if is_postgres(url):
        from .pg.queries import PgKnowledgeBase

        return PgKnowledgeBase(url, readonly)
    return KnowledgeBase(url, readonly)
