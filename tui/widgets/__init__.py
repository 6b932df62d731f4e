"""Widgets of the explorer: the paged entity lists and the detail view."""
