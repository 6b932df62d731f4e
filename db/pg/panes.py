"""Display order on PostgreSQL: pages, positions and pane filters from keys and bucket counts.

(Placeholder of the skeleton: the methods are `KnowledgeBase`'s until this module overrides them.)
"""

from __future__ import annotations


class PanesMixin:
    """Overrides of `KnowledgeBase`'s reads by display position."""
