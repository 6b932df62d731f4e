"""PostgreSQL, for a team sharing one knowledge base: the same queries as SQLite's, where the
engines differ (search, display order, the import's writes, live updates) done its own way.

Imported only for a `postgresql://` URL: an explorer on SQLite never loads psycopg.
"""
