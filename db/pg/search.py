"""Search on PostgreSQL: tsvector with unaccent, pg_trgm for substrings and typos.

(Placeholder of the skeleton: the methods are `KnowledgeBase`'s until this module overrides them.)
"""

from __future__ import annotations


class SearchMixin:
    """Overrides of `KnowledgeBase`'s search."""
