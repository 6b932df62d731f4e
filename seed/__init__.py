"""Crisis packs: the bundled one, and the loader that reads and checks any pack."""
