"""The crisis-tui terminal explorer and its command line."""
