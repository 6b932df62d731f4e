"""`crisis-tui serve`: the explorer for remote users, over SSH (ssh_server.py) or in a browser (web.py)."""
