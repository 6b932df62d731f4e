"""Screens of the explorer: search, help, history and source passages."""
